"""A scanner for secrets in what a pipeline leaves behind: every file of its folder (the
code archive's members and compressed files opened), text a command printed, and the
command lines and environments of processes seen while it ran.

It is written apart from yt_pipeline.secret_forms on purpose: a test that searched with
the masking code's own list of forms would miss exactly the forms that list forgets.
Each encoding is made here from its definition.
"""

from __future__ import annotations

import base64
import codecs
import functools
import gzip
import html
import io
import json
import os
import re
import shlex
import tarfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

#: base64 of a piece shorter than this is too likely to turn up by chance in other data
MIN_ENCODED = 8


def _b64_cores(data: bytes, alphabet: str) -> dict[str, bytes]:
    """The base64 letters that depend on `data` alone, for each of the 3 offsets at which
    `data` may start within the encoded stream."""
    found = {}
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + data + bytes(2))
        if alphabet == "urlsafe":
            encoded = encoded.translate(bytes.maketrans(b"+/", b"-_"))
        start, end = -(-8 * offset // 6), (8 * (offset + len(data))) // 6
        core = encoded[start:end]
        if len(core) >= MIN_ENCODED:
            found[f"base64-{alphabet}@{offset}"] = core
    return found


@functools.lru_cache(maxsize=64)
def encodings(secret: str) -> dict[str, bytes]:
    """Every encoding of `secret` searched for, by name (made once a secret: a folder's scan
    searches each file for them all; the dict is only read)."""
    raw = secret.encode("utf-8", "surrogatepass")
    found = {
        "plain": raw,
        "hex": raw.hex().encode(),
        "HEX": raw.hex().upper().encode(),
        "url": quote(secret, safe="").encode(),
        "url-path": quote(secret).encode(),
        "url-plus": quote_plus(secret).encode(),
        "json": json.dumps(secret)[1:-1].encode(),
        "json-utf8": json.dumps(secret, ensure_ascii=False)[1:-1].encode("utf-8", "surrogatepass"),
        "repr": repr(secret)[1:-1].encode("utf-8", "surrogatepass"),
        "repr-bytes": repr(raw)[2:-1].encode(),
        "json-of-repr": json.dumps(repr(secret)[1:-1])[1:-1].encode(),
        "reversed": secret[::-1].encode("utf-8", "surrogatepass"),
        "html": html.escape(secret).encode("utf-8", "surrogatepass"),
        "html-unquoted": html.escape(secret, quote=False).encode("utf-8", "surrogatepass"),
        "yaml-single-quoted": secret.replace("'", "''").encode("utf-8", "surrogatepass"),
        "csv-quoted": secret.replace('"', '""').encode("utf-8", "surrogatepass"),
        "shell-quoted": shlex.quote(secret).encode("utf-8", "surrogatepass"),
    }
    for alphabet in ("standard", "urlsafe"):
        found.update(_b64_cores(raw, alphabet))
    found.update({
        "rot13": codecs.encode(secret, "rot13").encode("utf-8", "surrogatepass"),
        "x-escapes": "".join(f"\\x{byte:02x}" for byte in raw).encode(),
    })
    found.update(_separated_hex(raw))
    found.update(_b85_cores(raw, "base85", base64.b85encode))
    found.update(_b85_cores(raw, "ascii85", base64.a85encode))
    utf16 = {codec: secret.encode(codec, "surrogatepass") for codec in ("utf-16-le", "utf-16-be")}
    for text_name, text in (("utf-8", raw), *utf16.items()):
        found.update(_b32_cores(text, text_name))
    # numeric character references (HTML), every character or those outside ASCII
    found.update({
        "html-decimal-refs": "".join(f"&#{ord(char)};" for char in secret).encode(),
        "html-hex-refs": "".join(f"&#x{ord(char):x};" for char in secret).encode(),
        "xmlcharrefreplace": secret.encode("ascii", "xmlcharrefreplace"),
    })
    # the URL of its UTF-16 (urllib's quote with encoding="utf-16-le")
    found["url-utf16"] = quote(utf16["utf-16-le"], safe="").encode()
    found["url-utf16-every-byte"] = "".join(
        f"%{byte:02X}" for byte in utf16["utf-16-le"]).encode()
    # base64 of the base64 of its bytes (a Kubernetes Secret of registry credentials)
    for name, inner in list(_b64_cores(raw, "standard").items()):
        for outer_name, outer in _b64_cores(inner, "standard").items():
            found[f"{name} in {outer_name}"] = outer
    return {name: needle for name, needle in found.items() if needle}


def _b85_cores(data: bytes, name: str, encode: Callable[[bytes], bytes]) -> dict[str, bytes]:
    """base85 (git's, RFC 1924's alphabet) or Ascii85 (Adobe's, whose `<~ ~>` frame lies
    outside) of the groups of 4 bytes of `data` alone, for each of the 4 offsets at which
    `data` may start within a group: each group of 4 bytes is written as 5 characters by
    itself."""
    found = {}
    for offset in range(4):
        start = (4 - offset) % 4
        whole = (len(data) - start) // 4 * 4
        core = encode(data[start:start + whole])
        if len(core) >= MIN_ENCODED:
            found[f"{name}@{offset}"] = core
    return found


#: base32's alphabets: RFC 4648 section 6 (standard) and section 7 (extended hex), and
#: Douglas Crockford's (https://www.crockford.com/base32.html: no I, L, O, U)
_B32_ALPHABETS = {
    "base32": b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
    "base32hex": b"0123456789ABCDEFGHIJKLMNOPQRSTUV",
    "crockford": b"0123456789ABCDEFGHJKMNPQRSTVWXYZ",
}


def _b32_cores(data: bytes, text_name: str) -> dict[str, bytes]:
    """base32 of `data` in each alphabet, upper and lower case: the characters that hold
    bits of `data` alone (5 bits each), for each of the 5 offsets at which `data` may
    start within a group of 5 bytes. Padding lies past them."""
    found = {}
    for offset in range(5):
        # the bit string of data, padded with zero bits at either end, read 5 bits a
        # character: character j holds bits 5j..5j+4, kept when all are data's
        bits = "".join(f"{byte:08b}" for byte in bytes(offset) + data)
        first, last = -(-8 * offset // 5), 8 * (offset + len(data)) // 5
        values = [int(bits[5 * j:5 * j + 5], 2) for j in range(first, last)]
        if len(values) < MIN_ENCODED:
            continue
        for alphabet_name, alphabet in _B32_ALPHABETS.items():
            core = bytes(alphabet[value] for value in values)
            found[f"{alphabet_name}-{text_name}@{offset}"] = core
            found[f"{alphabet_name}-{text_name}-lower@{offset}"] = core.lower()
    return found


def _separated_hex(data: bytes) -> dict[str, bytes]:
    """Hex with a separator between bytes (`bytes.hex(":")`, a MAC address, openssl's
    fingerprints in capitals, `DE-AD-BE-EF` as Windows tools write), and between groups of
    two or four bytes (`bytes.hex(":", 2)`, `bytes.hex(" ", 4)`), for each place in a group
    the secret can start at."""
    found = {}
    for separator in ":- ":
        # bytes_per_sep negative: groups counted from the left (Python's stdtypes docs,
        # bytes.hex); one byte before the secret puts its first byte at a group's end
        forms = {"": data.hex(separator)}
        for size in (2, 4):
            for before in range(size):  # bytes of the group before the secret's first
                form = (b"\0" * before + data).hex(separator, -size)[2 * before:]
                forms[f"groups of {size}, {before} before"] = form
        for kind, form in forms.items():
            found[f"hex{separator}{kind}"] = form.encode()
            found[f"HEX{separator}{kind}"] = form.upper().encode()
    return found


@dataclass(frozen=True)
class Leak:
    where: str
    encoding: str
    context: str

    def __str__(self) -> str:
        return f"{self.where}: {self.encoding}: ...{self.context}..."


_BREAK = re.compile(rb"\r?\n[ \t]*|\\n")
#: pprint's break between two quoted pieces of one value (`b'...'\n b'...'`)
_QUOTED_BREAK = re.compile(rb"['\"]\r?\n[ \t]*[bBrRuU]{0,2}['\"]")


def _unbroken(data: bytes) -> tuple[bytes, ...]:
    """`data` with its line breaks (and the indentation after them, and JSON's `\\n`)
    taken out, and turned into one space: text wrapped or cut into lines, whether the
    wrap dropped a space (textwrap) or not (base64 at 76 columns); and with the breaks
    between the quoted pieces pprint cuts a long value into taken out. And the bytes an
    `od -c` dump in it shows."""
    found = [_BREAK.sub(b"", data), _BREAK.sub(b" ", data)]
    if _QUOTED_BREAK.search(data):
        found.append(_BREAK.sub(b"", _QUOTED_BREAK.sub(b"", data)))
    shown = _od_read(data)
    return (*found, shown) if shown else tuple(found)


#: a line of `od -c` (or `hexdump -c`): an offset, then a cell of 4 columns a byte
_OD_LINE = re.compile(rb"^(?:[0-9a-f]{7,8})?((?:    |   [!-~]|  \\[0abfnrtv\\]| [0-7]{3})+)"
                      rb"[ \t]*\r?$", re.MULTILINE)
_OD_NAMED = {b"0": 0, b"a": 7, b"b": 8, b"f": 12, b"n": 10, b"r": 13, b"t": 9, b"v": 11,
             b"\\": 92}


def _od_read(data: bytes) -> bytes:
    """The bytes the `od -c` lines of `data` show, one after another (GNU od's -c: a
    printable character as itself, a C escape, or three octal digits, right-aligned)."""
    shown = bytearray()
    for line in _OD_LINE.finditer(data):
        cells = line.group(1)
        for at in range(0, len(cells) - len(cells) % 4, 4):
            cell = cells[at:at + 4].lstrip(b" ") or b" "
            shown += (bytes([int(cell, 8)]) if len(cell) == 3
                      else bytes([_OD_NAMED[cell[1:]]]) if len(cell) == 2 else cell)
    return bytes(shown)


def scan_bytes(where: str, data: bytes, secrets: Iterable[str]) -> list[Leak]:
    leaks = []
    unbroken = _unbroken(data) if b"\n" in data else ()
    for secret in secrets:
        searched: set[bytes] = set()
        for name, needle in encodings(secret).items():
            if needle in searched:  # the same bytes under another name: one report
                continue
            searched.add(needle)
            at = data.find(needle)
            if at >= 0:
                leaks.append(Leak(where, name, _context(data, at, len(needle))))
                continue
            for joined in unbroken:
                at = joined.find(needle)
                if at >= 0 and len(needle) >= MIN_ENCODED:
                    leaks.append(Leak(where, f"{name} split across lines",
                                      _context(joined, at, len(needle))))
                    break
    return leaks


def _context(data: bytes, at: int, length: int) -> str:
    return data[max(0, at - 30):at + length + 30].decode("utf-8", "replace")


def members(name: str, data: bytes, depth: int = 0) -> Iterator[tuple[str, bytes]]:
    """The files within `data` when it is an archive or compressed, opened recursively."""
    if depth > 3:
        return
    inner: list[tuple[str, bytes]] = []
    if data[:2] == b"\x1f\x8b":
        try:
            unzipped = gzip.decompress(data)
        except (OSError, EOFError):
            unzipped = b""
        try:
            with tarfile.open(fileobj=io.BytesIO(unzipped)) as archive:
                for member in archive.getmembers():
                    inner.append((f"{name}:{member.name} (name)", member.name.encode()))
                    handle = archive.extractfile(member) if member.isfile() else None
                    if handle is not None:
                        inner.append((f"{name}:{member.name}", handle.read()))
                    if member.linkname:
                        inner.append((f"{name}:{member.name} (link)", member.linkname.encode()))
        except tarfile.TarError:
            inner.append((f"{name} (gunzipped)", unzipped))
    elif data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                inner.append((f"{name}:{info.filename}", archive.read(info)))
    for member_name, member_data in inner:
        yield member_name, member_data
        yield from members(member_name, member_data, depth + 1)


def scan_folder(root: Path, secrets: Iterable[str],
                skip: Iterable[str] = ("configs/secrets.env",)) -> list[Leak]:
    """Every file under `root` (but `skip`): its path, its bytes, and the members of what
    it packs; symlinks are read as their target path."""
    secrets, skipped = list(secrets), set(skip)
    leaks = []
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if name in skipped or name.startswith(".venv/"):
            continue
        leaks += scan_bytes(f"{name} (path)", name.encode("utf-8", "surrogateescape"), secrets)
        if path.is_symlink():
            leaks += scan_bytes(f"{name} (link)", os.readlink(path).encode(), secrets)
            continue
        if not path.is_file():
            continue
        data = path.read_bytes()
        leaks += scan_bytes(name, data, secrets)
        for member, member_data in members(name, data):
            leaks += scan_bytes(member, member_data, secrets)
    return leaks


@dataclass
class ProcessWatch:
    """Polls /proc while a command runs for the processes it starts (its descendants),
    and keeps each one's command line and environment. `allowed_env` names variables a
    job may hold a secret in (the secure vault's, for a secret its operation asked for)."""

    root_pid: int = field(default_factory=os.getpid)
    interval_s: float = 0.005
    seen: dict[int, tuple[bytes, bytes]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> ProcessWatch:
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()

    def _poll(self) -> None:
        while not self._stop.is_set():
            for pid in self._descendants():
                if pid in self.seen:
                    continue
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                    environ = Path(f"/proc/{pid}/environ").read_bytes()
                except OSError:
                    continue
                if cmdline:  # empty while a fork has not yet exec'd: read it again later
                    self.seen[pid] = (cmdline, environ)
            self._stop.wait(self.interval_s)

    def _descendants(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
        found, frontier = [], [self.root_pid]
        while frontier:
            parent = frontier.pop()
            children = [pid for pid, ppid in parents.items() if ppid == parent]
            found += children
            frontier += children
        return found

    def leaks(self, secrets: Iterable[str], allowed_env: Iterable[str] = ()) -> list[Leak]:
        secrets, allowed = list(secrets), {name.encode() for name in allowed_env}
        found = []
        for pid, (cmdline, environ) in sorted(self.seen.items()):
            shown = cmdline.replace(b"\0", b" ")[:80].decode("utf-8", "replace")
            found += scan_bytes(f"pid {pid} command line ({shown})", cmdline, secrets)
            for variable in environ.split(b"\0"):
                name = variable.split(b"=", 1)[0]
                if name not in allowed:
                    found += scan_bytes(f"pid {pid} ({shown}) env {name.decode()}",
                                        variable, secrets)
        return found
