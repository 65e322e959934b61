"""Bytecode for the code archive's ytjobs, taken from the installed ytjobs's own cache.

Each job runs the ytjobs the archive holds, freshly extracted into its sandbox, so each job
compiled it anew: 0.01-0.04 s of every job's start. In dev the archive's ytjobs is the
installed one, byte for byte, and the job's interpreter is the pipeline's own, so the
compiled form Python cached beside the installed sources is valid for the extracted ones:
it is written into the extracted package's __pycache__ under the extracted file's own
mtime and size, which is what the importer checks a cached file against. A file whose
bytes differ from the installed one, or whose installed cache is missing or stale, is left
for the job to compile, as before.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

#: a cached file's header: magic, flags (0: checked by the source's mtime and size),
#: mtime, size; 4 bytes each (importlib._bootstrap_external._code_to_timestamp_pyc)
_HEADER = 16


def _header(stat: os.stat_result) -> bytes:
    """The header Python's importer expects of a cached file for a source of this stat."""
    mtime, size = int(stat.st_mtime) & 0xFFFFFFFF, stat.st_size & 0xFFFFFFFF
    return (importlib.util.MAGIC_NUMBER + bytes(4) + mtime.to_bytes(4, "little")
            + size.to_bytes(4, "little"))


def _cached_code(source: Path) -> bytes | None:
    """The compiled code Python cached for `source`, if the cache is valid for it now."""
    try:
        data = Path(importlib.util.cache_from_source(str(source))).read_bytes()
        stat = source.stat()
    except (OSError, ValueError, NotImplementedError):
        return None
    return data[_HEADER:] if data[:_HEADER] == _header(stat) else None


def reuse_compiled(extracted: Path, installed: Path) -> int:
    """Give each .py under `extracted` that equals its twin under `installed` the twin's
    compiled code; return how many were given it."""
    given = 0
    for source in sorted(extracted.rglob("*.py")):
        twin = installed / source.relative_to(extracted)
        code = _cached_code(twin)
        try:
            if code is None or source.read_bytes() != twin.read_bytes():
                continue
            target = Path(importlib.util.cache_from_source(str(source)))
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(_header(source.stat()) + code)
            given += 1
        except OSError:  # a read-only sandbox, a vanished file: the job compiles it
            continue
    return given
