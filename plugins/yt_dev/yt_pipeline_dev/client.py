"""The dev table client: each table is a JSON-lines file under .dev/.

Writes go to a temporary file in the same folder, then replace the table in one rename,
so a failed or killed write leaves the table as it was (appends copy the old content into
the temporary file first).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from yt_pipeline.errors import BackendError, TableNotFound
from yt_pipeline_dev.paths import TABLE_SUFFIX, folder, split_yt_path, table_file

_DUMPS_OPTS = orjson.OPT_APPEND_NEWLINE
CHUNK = 1 << 20


def _encode(row: Any) -> bytes:
    try:
        return orjson.dumps(row, option=_DUMPS_OPTS)
    except TypeError:
        # orjson refuses ints beyond 64 bits; the standard library keeps them exact.
        import json

        return (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _decode(line: bytes) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        import json

        return json.loads(line)


class DevClient:
    mode = "dev"

    def __init__(self, root: Path):
        self.root = Path(root)

    # -- paths ------------------------------------------------------------------------
    def table_path(self, path: str) -> Path:
        return table_file(self.root, path)

    # -- tables -----------------------------------------------------------------------
    def write_table(self, path: str, rows: Iterable[dict[str, Any]], append: bool = False) -> int:
        target = self.table_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        count = 0
        try:
            with os.fdopen(fd, "wb", buffering=CHUNK) as out:
                if append and target.exists():
                    with target.open("rb") as old:
                        shutil.copyfileobj(old, out, CHUNK)
                buffer: list[bytes] = []
                for row in rows:
                    if not isinstance(row, dict):
                        raise BackendError(
                            f"write_table {path}: rows must be dicts, got {type(row).__name__}"
                        )
                    buffer.append(_encode(row))
                    count += 1
                    if len(buffer) >= 4096:
                        out.write(b"".join(buffer))
                        buffer.clear()
                out.write(b"".join(buffer))
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        self._log("write_table", path, count, time.perf_counter() - started)
        return count

    def read_table(self, path: str) -> Iterator[dict[str, Any]]:
        target = self.table_path(path)
        try:
            handle = target.open("rb", buffering=CHUNK)
        except FileNotFoundError:
            raise TableNotFound(path) from None
        return self._rows(handle)

    @staticmethod
    def _rows(handle: Any) -> Iterator[dict[str, Any]]:
        with handle:
            for line in handle:
                if line.strip():
                    yield _decode(line)

    def exists(self, path: str) -> bool:
        parts = split_yt_path(path)
        if not parts:
            return True
        return self.table_path(path).is_file() or folder(self.root, path).is_dir()

    def remove(self, path: str, *, recursive: bool = False, force: bool = True) -> None:
        target = self.table_path(path)
        if target.is_file():
            target.unlink()
            return
        node = folder(self.root, path)
        if node.is_dir():
            if any(node.iterdir()) and not recursive:
                raise BackendError(f"cannot remove {path}: folder is not empty (use recursive)")
            shutil.rmtree(node)
            return
        if not force:
            raise TableNotFound(path)

    def row_count(self, path: str) -> int:
        target = self.table_path(path)
        if not target.is_file():
            raise TableNotFound(path)
        count = 0
        last = b"\n"
        with target.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                count += chunk.count(b"\n")
                last = chunk[-1:]
        return count + (0 if last == b"\n" else 1)

    def list(self, path: str) -> list[str]:
        node = folder(self.root, path)
        if not node.is_dir():
            if self.table_path(path).is_file():
                raise BackendError(f"{path} is a table, not a folder")
            raise TableNotFound(path)
        names = []
        for child in node.iterdir():
            if child.name.startswith("."):
                continue
            if child.is_dir():
                names.append(child.name)
            elif child.name.endswith(TABLE_SUFFIX):
                names.append(child.name[: -len(TABLE_SUFFIX)])
        return sorted(names)

    def create_path(self, path: str) -> None:
        folder(self.root, path).mkdir(parents=True, exist_ok=True)

    def table_fingerprint(self, path: str) -> str | None:
        target = self.table_path(path)
        if not target.is_file():
            return None
        digest = hashlib.blake2b(digest_size=16)
        with target.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def run_yql(self, query: str) -> list[dict[str, Any]]:
        from yt_pipeline.errors import QueryFailed

        raise QueryFailed("YQL in dev mode is not available yet")

    # -- bookkeeping ------------------------------------------------------------------
    def _log(self, action: str, path: str, rows: int, seconds: float) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        line = (
            f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {action} {path} rows={rows} "
            f"duration={seconds:.3f}s\n"
        )
        with (self.root / "operation.log").open("a", encoding="utf-8") as log:
            log.write(line)

    def close(self) -> None:
        pass
