"""Digests without loading OpenSSL where it does not pay.

`import hashlib` loads OpenSSL's libcrypto (4 ms of a hello-world run's 110 ms of CPU),
though names of files and modules need no cryptography. BLAKE2 is built into CPython
(`_blake2`, the module hashlib itself takes it from). SHA-256, for what must match other
tools' digests (the code archive's), is built in too, but hashes slower than OpenSSL's:
`sha256` picks by the size of the data.
"""

from __future__ import annotations

from typing import Any

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b

try:  # CPython's own SHA-256: `_sha2` from 3.12, `_sha256` before
    from _sha2 import sha256 as _builtin_sha256
except ImportError:
    try:
        from _sha256 import sha256 as _builtin_sha256
    except ImportError:  # pragma: no cover - an interpreter built without it
        _builtin_sha256 = None

#: bytes past which OpenSSL's SHA-256 is the quicker one, its loading included: built in,
#: 3.5 ms a MiB; OpenSSL's, 0.6 ms a MiB once loaded in 3.5 ms (Python 3.11, x86-64 with
#: SHA extensions): even at 1.2 MiB
BUILTIN_SHA256_UP_TO = 1 << 20

__all__ = ["blake2b", "sha256"]


def sha256(size: int) -> Any:
    """A new SHA-256 hash object for about `size` bytes of data (its digests are the same
    whichever hashes them)."""
    if _builtin_sha256 is not None and size <= BUILTIN_SHA256_UP_TO:
        return _builtin_sha256()
    import hashlib

    return hashlib.sha256()
