"""Content digests of local files, kept between runs so an unchanged file is not read again.

The cache hashes every file a stage's code can read (cache.py). Reading them all on every
run would cost as much as the files are big (a 200 MB `file_paths` asset: a few tenths of a
second per run), so each digest is kept in `.runs/file-digests.json` with the file's
identity: device, inode, size, modification and status-change times in nanoseconds. A
write changes the status-change time even when it keeps the size and puts the old
modification time back (`os.utime` cannot set it), and so does a rename over the file.
A file changed less than `RACY_S` ago is hashed and not kept: on a file system with coarse
timestamps a second write within the same tick would look unchanged.

Python files also keep the modules they import (`imports()`), so a run does not parse an
unchanged module again either.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from yt_pipeline.digests import blake2b
from yt_pipeline.journal import RUNS_DIR

log = logging.getLogger("yt_pipeline.cache")

MEMO_FILE = "file-digests.json"
#: files changed more recently than this are hashed on every call, never kept
RACY_S = 2.0
#: entries kept at most; the ones this run did not use go first
MAX_ENTRIES = 50_000
_CHUNK = 1 << 20

_UNSEEN: Any = object()

#: a file's identity: device, inode, size, modification and status-change times (ns)
FileIdentity = tuple[int, int, int, int, int]

#: an import statement: (level of a relative import, module, names of a from-import)
Import = tuple[int, str, tuple[str, ...]]


class FileMemo:
    """Digests (and imports) of files, by path, valid while the file's identity holds."""

    def __init__(self, pipeline_dir: Path | None = None):
        self.path = Path(pipeline_dir) / RUNS_DIR / MEMO_FILE if pipeline_dir else None
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, Any]] = {}
        self._used: set[str] = set()
        self._seen: dict[str, dict[str, Any] | None] = {}
        self._dirty = False
        self._loaded = False

    def digest(self, path: Path) -> str | None:
        """The digest of a file's bytes; None when it is missing or not a regular file."""
        entry = self._entry(path)
        return entry["digest"] if entry else None

    def identity(self, path: Path) -> FileIdentity | None:
        """The identity the file had when its digest was taken; None when it is missing."""
        entry = self._entry(path)
        return tuple(entry["id"]) if entry else None  # type: ignore[return-value]

    def imports(self, path: Path) -> list[Import]:
        """The import statements of a Python file, wherever they are in it; [] when it
        is missing or is not valid Python (it then fails on its own when imported)."""
        entry = self._entry(path)
        if entry is None:
            return []
        if "imports" not in entry:
            entry["imports"] = _imports_of(Path(path))
            self._dirty = self._dirty or entry.get("kept", False)
        return [(level, module, tuple(names)) for level, module, names in entry["imports"]]

    def _entry(self, path: Path) -> dict[str, Any] | None:
        """A file's entry, looked at once per memo: a run sees each file as it was when the
        run first looked (before its code archive was built)."""
        key = str(path)
        seen = self._seen.get(key, _UNSEEN)
        if seen is not _UNSEEN:
            return seen
        entry = self._look(path, key)
        self._seen[key] = entry
        return entry

    def _look(self, path: Path, key: str) -> dict[str, Any] | None:
        try:
            info = os.stat(path)
        except OSError:
            return None
        if not _is_file(info.st_mode):
            return None
        identity = list(file_identity(info))
        with self._lock:
            self._load()
            entry = self._entries.get(key)
            if entry is not None and entry["id"] == identity:
                self._used.add(key)
                return entry
        digest = _hash_file(path)
        if digest is None:
            return None
        newest = max(info.st_mtime_ns, info.st_ctime_ns) / 1e9
        entry = {"id": identity, "digest": digest, "kept": time.time() - newest > RACY_S}
        with self._lock:
            if entry["kept"]:
                self._entries[key] = entry
                self._used.add(key)
                self._dirty = True
        return entry

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.path is None:
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # none yet, or torn: every file is hashed again
        if isinstance(data, dict) and isinstance(data.get("files"), dict):
            self._entries = {k: v for k, v in data["files"].items() if _valid(v)}

    def save(self) -> None:
        """Write the kept digests, if this run added any. Another run of the pipeline
        writing at the same time loses nothing that matters: a digest it kept and this
        write drops is computed again."""
        from yt_pipeline.yamlio import write_file_atomic

        with self._lock:
            if self.path is None or not self._dirty:
                return
            entries = self._entries
            if len(entries) > MAX_ENTRIES:
                order = sorted(entries, key=lambda k: k in self._used, reverse=True)
                entries = {k: entries[k] for k in order[:MAX_ENTRIES]}
            text = json.dumps({"files": entries}, separators=(",", ":"))
            self._dirty = False
        try:
            write_file_atomic(self.path, text, durable=False)  # lost, it is only computed again
        except OSError as exc:  # a read-only folder: the next run hashes again
            log.debug("cannot keep file digests in %s: %s", self.path, exc)


def file_identity(info: os.stat_result) -> FileIdentity:
    """What tells a file's content changed without reading it (see the module's text)."""
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


def _is_file(mode: int) -> bool:
    import stat

    return stat.S_ISREG(mode)


def _valid(entry: Any) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("id"), list)
            and isinstance(entry.get("digest"), str))


def _hash_file(path: Path) -> str | None:
    digest = blake2b(digest_size=16)
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def _imports_of(path: Path) -> list[list[Any]]:
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return []
    found: list[list[Any]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend([0, alias.name, []] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append([node.level or 0, node.module or "",
                          [alias.name for alias in node.names if alias.name != "*"]])
    return found
