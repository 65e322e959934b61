"""Short digests for names and keys, without loading OpenSSL.

`import hashlib` loads OpenSSL's libcrypto (4 ms of a hello-world run's 110 ms of CPU),
though names of files and modules need no cryptography. BLAKE2 is built into CPython
(`_blake2`, the module hashlib itself takes it from); SHA-256, for what must match other
tools' digests, is left to hashlib, imported where it is used.
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b

__all__ = ["blake2b"]
