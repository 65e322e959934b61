"""Keeping secrets out of the code archive.

The archive goes to the cluster (prod) and into every job's sandbox (dev), where any job of
the pipeline can read it: a secret in it reaches jobs whose operation never named it. So:

- files whose names mark them as secrets are never packed (`is_secret_name`);
- a stage config whose JSON twin would hold a secret is refused, naming the key
  (`check_stage_config`);
- under both, every byte packed is searched for every secret (`SecretScan`), and a hit
  refuses the build, naming the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

from yt_pipeline.errors import PackagingError
from yt_pipeline.interpolation import env_references
from yt_pipeline.secret_forms import MASK, form_bytes, forms

#: `secrets.env` in any case, and its copies: `.secrets.env.swp`, `secrets.env~`,
#: `secrets.env.bak`, `#secrets.env#`, `prod.secrets.env`
_SECRETS_ENV = re.compile(r"secrets\.env(?:[.~#_-].*)?$", re.IGNORECASE)
#: dotenv files: `.env`, `.env.local`, `.env.production`, and their editor copies
_DOTENV = re.compile(r"^[.#]*\.env(?:[.~#_-].*)?$", re.IGNORECASE)
#: The byte search looks for values at least this long. Shorter ones ("true", "prod")
#: turn up in ordinary code, ytjobs' own included, and would refuse every build.
SCAN_MIN_LENGTH = 8


def is_secret_name(name: str) -> bool:
    """A file name that marks a secrets file or a copy of one: never packed."""
    return bool(_SECRETS_ENV.search(name) or _DOTENV.match(name))


def known_secrets(settings: Any) -> dict[str, str]:
    """Each secret value known to this run, with the name it goes by: YT_TOKEN and every
    secrets.env entry, from the file and from the environment (both are secrets when they
    differ)."""
    in_file = getattr(settings, "secrets", None)
    in_file = in_file if isinstance(in_file, Mapping) else {}
    found: dict[str, str] = {}
    for name in sorted({"YT_TOKEN", *in_file}):
        for value in (os.environ.get(name), in_file.get(name)):
            if isinstance(value, str) and value:
                found.setdefault(value, name)
    return found


class SecretScan:
    """Searches bytes for the written forms of known secrets (see secret_forms)."""

    def __init__(self, secrets: dict[str, str]):
        self.names = set(secrets.values())
        found: dict[bytes, str] = {}
        for value, name in secrets.items():
            if len(value) >= SCAN_MIN_LENGTH:
                for form in forms(value):
                    found.setdefault(form_bytes(form), name)
        # longest first, so the name reported is that of the longer secret
        self.forms = sorted(found.items(), key=lambda item: -len(item[0]))
        #: bytes of one read kept for the next, so a form split between reads is found
        self.overlap = max((len(form) for form in found), default=1) - 1

    def __bool__(self) -> bool:
        return bool(self.forms)

    def find(self, data: bytes) -> str | None:
        """The name of a secret in `data`, or None."""
        for form, name in self.forms:
            if form in data:
                return name
        return None

    def check(self, data: bytes, where: str) -> None:
        name = self.find(data)
        if name is not None:
            raise PackagingError(_file_message(where, name))

    def check_name(self, arcname: str, where: str) -> None:
        """Refuse a member whose name holds a secret (a cache file keyed by a token): the
        archive lists every name, and is read wherever it is uploaded. The error shows
        `where` with the secret masked."""
        name = self.find(arcname.encode("utf-8", "surrogateescape"))
        if name is not None:
            raise PackagingError(f"{self.masked(where)}: its name holds the value of {name}, "
                                 f"a secret, and would be shipped in the code archive; "
                                 f"rename it, or keep it out with a .ytignore rule")

    def masked(self, text: str) -> str:
        data = text.encode("utf-8", "surrogateescape")
        for form, _ in self.forms:
            data = data.replace(form, MASK.encode())
        return data.decode("utf-8", "replace")

    def reading(self, handle: BinaryIO, where: str) -> BinaryIO | _ScanningReader:
        """`handle`, searched as it is read: the archive reads each file once."""
        return _ScanningReader(handle, self, where) if self.forms else handle


class _ScanningReader:
    def __init__(self, handle: BinaryIO, scan: SecretScan, where: str):
        self.handle = handle
        self.scan = scan
        self.where = where
        self.tail = b""

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        if data:
            window = self.tail + data
            self.scan.check(window, self.where)
            self.tail = window[len(window) - self.scan.overlap:] if self.scan.overlap else b""
        return data


def _file_message(where: str, name: str) -> str:
    return (f"{where} holds the value of {name}, a secret, and would be shipped in the code "
            f"archive; remove it from the file, or keep the file out with a .ytignore rule "
            f"(a job that needs the secret gets it through its operation's `env`)")


def check_stage_config(raw: Any, resolved: Any, shown: str, scan: SecretScan) -> None:
    """Refuse a stage config whose JSON twin would hold a secret: an `${oc.env:...}`
    reference to one, a secret typed in, or a key that interpolates one of those."""
    for key, text in _texts(raw, ""):
        for name in env_references(text):
            if name in scan.names:
                raise PackagingError(_config_message(shown, key, name))
    for key, text in _texts(resolved, ""):
        found = scan.find(text.encode("utf-8", "surrogatepass"))
        if found is not None:
            raise PackagingError(_config_message(shown, key, found))


def _config_message(shown: str, key: str, name: str) -> str:
    return (f"{shown}: {key} holds the value of {name}, a secret, which would be shipped "
            f"in the code archive; give it to the job through the operation's `env` instead "
            f"(a name from secrets.env travels as a secret)")


def _texts(node: Any, where: str) -> Iterator[tuple[str, str]]:
    """Each key and scalar of a parsed config as text, with the dotted key it is at."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            inner = f"{where}.{key}" if where else str(key)
            yield inner, str(key)
            yield from _texts(value, inner)
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _texts(value, f"{where}[{index}]")
    elif node is not None:
        yield where, str(node)
