"""Bytecode for the code archive's ytjobs, taken from the installed ytjobs's own cache.

Each job runs the ytjobs the archive holds, freshly extracted into its sandbox, so each job
compiled it anew: 0.01-0.04 s of every job's start. In dev the archive's ytjobs is the
installed one, byte for byte, and the job's interpreter is the pipeline's own, so the
compiled form Python cached beside the installed sources is valid for the extracted ones:
it is written into the extracted package's __pycache__ under the extracted file's own
mtime and size, which is what the importer checks a cached file against. A file whose
bytes differ from the installed one, or whose installed cache is missing or stale, is left
for the job to compile, as before.

The installed twins are read once per process while they stay unchanged (their stat is the
key): every operation of a run extracts the same ytjobs, and reading each twin and its
cache again cost the launch of every operation some 10 ms.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

#: a cached file's header: magic, flags (0: checked by the source's mtime and size),
#: mtime, size; 4 bytes each (importlib._bootstrap_external._code_to_timestamp_pyc)
_HEADER = 16

#: (installed source, its mtime in ns, its size) -> (its bytes, its compiled code), or None
#: when it has no valid cache
_twins: dict[tuple[str, int, int], tuple[bytes, bytes] | None] = {}


def _header(mtime: float, size: int) -> bytes:
    """The header Python's importer expects of a cached file for a source of this mtime and
    size."""
    return (importlib.util.MAGIC_NUMBER + bytes(4)
            + (int(mtime) & 0xFFFFFFFF).to_bytes(4, "little")
            + (size & 0xFFFFFFFF).to_bytes(4, "little"))


def _twin(source: Path) -> tuple[bytes, bytes] | None:
    """The bytes of the installed `source` and the compiled code Python cached for it, if
    that cache is valid for it now."""
    try:
        stat = source.stat()
    except OSError:
        return None
    key = (str(source), stat.st_mtime_ns, stat.st_size)
    if key not in _twins:
        found = None
        try:
            data = Path(importlib.util.cache_from_source(str(source))).read_bytes()
            if data[:_HEADER] == _header(stat.st_mtime, stat.st_size):
                found = (source.read_bytes(), data[_HEADER:])
        except (OSError, ValueError, NotImplementedError):
            pass
        _twins[key] = found
    return _twins[key]


def give_compiled(target: Path, data: bytes, mtime: float, twin: Path) -> bool:
    """Cache for `target`, a source just written with the bytes `data` and the mtime
    `mtime`, the installed `twin`'s compiled code, when the two are equal; return whether it
    was given."""
    found = _twin(twin)
    if found is None or found[0] != data:
        return False
    try:
        cached = Path(importlib.util.cache_from_source(str(target)))
        cached.parent.mkdir(exist_ok=True)
        cached.write_bytes(_header(mtime, len(data)) + found[1])
    except (OSError, ValueError, NotImplementedError):
        return False  # a read-only sandbox, a vanished folder: the job compiles it
    return True


def reuse_compiled(extracted: Path, installed: Path) -> int:
    """Give each .py under `extracted` that equals its twin under `installed` the twin's
    compiled code; return how many were given it."""
    given = 0
    for source in sorted(extracted.rglob("*.py")):
        try:
            data, stat = source.read_bytes(), source.stat()
        except OSError:
            continue
        given += give_compiled(source, data, stat.st_mtime,
                               installed / source.relative_to(extracted))
    return given
