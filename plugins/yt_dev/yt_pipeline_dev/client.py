"""The dev table client: each table is a JSON-lines file under .dev/.

Writes stream into a temporary file beside the table and replace it in one rename (see
atomic.py). Rows are encoded and decoded by ytjobs.codec, which jobs use too, so a row
round-trips exactly (integers beyond 2^53 and 2^64 included).
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from yt_pipeline.client import table_path_keyword
from yt_pipeline.errors import BackendError, TableNotFound
from yt_pipeline_dev.atomic import CHUNK, count_lines, replacing
from yt_pipeline_dev.job_output import MAX_ROW_WEIGHT, row_weight
from yt_pipeline_dev.paths import TABLE_SUFFIX, folder, split_yt_path, table_file
from ytjobs.codec import NotARow, iter_rows, loads_line, write_lines


def weighed_writer(write: Callable[[bytes], Any], path: str) -> Callable[[bytes], Any]:
    """`write`, refusing a row heavier than YT's row weight limit, as a prod write would.

    Data comes a row or a batch of rows at a time; only a batch whose text is over the limit
    can hold a row over it (a row's weight is never more than its text), so the common case
    costs one length check and one newline count.
    """
    written = 0

    def write_checked(data: bytes) -> Any:
        nonlocal written
        if len(data) > MAX_ROW_WEIGHT:
            for number, line in enumerate(data.split(b"\n"), start=written + 1):
                if len(line) > MAX_ROW_WEIGHT and (
                        weight := row_weight(loads_line(line))) > MAX_ROW_WEIGHT:
                    raise BackendError(
                        f"write_table {path}: row {number} is {weight} bytes of data, over "
                        f"the row weight limit of {MAX_ROW_WEIGHT} bytes (16 MiB)")
        written += data.count(b"\n")
        return write(data)

    return write_checked


class DevClient:
    """Tables as files under `root` (the pipeline's .dev/ folder)."""

    mode = "dev"

    def __init__(self, root: Path, *, hidden_env: Iterable[str] = (),
                 secret_values: Iterable[str] = ()):
        self.root = Path(root)
        #: names of variables jobs must not inherit (the keys of secrets.env)
        self.hidden_env = frozenset(hidden_env)
        #: values masked in job output shown in errors and logs
        self.secret_values = tuple(secret_values)

    # -- paths ------------------------------------------------------------------------
    def table_path(self, path: str) -> Path:
        return table_file(self.root, path)

    def existing_table(self, path: str) -> Path:
        target = self.table_path(path)
        if not target.is_file():
            raise TableNotFound(path)
        return target

    # -- tables -----------------------------------------------------------------------
    @table_path_keyword
    def write_table(self, path: str, rows: Iterable[dict[str, Any]], append: bool = False, *,
                    replication_factor: int | None = None) -> int:
        target = self.table_path(path)
        started = time.perf_counter()
        with replacing(target, append=append) as tmp, tmp.open("ab", buffering=CHUNK) as out:
            try:
                count = write_lines(rows, weighed_writer(out.write, path), dicts_only=True)
            except NotARow as exc:
                raise BackendError(f"write_table {path}: {exc}") from None
        self.log("append_table" if append else "write_table", path, rows=count, started=started)
        return count

    @table_path_keyword
    def read_table(self, path: str) -> Iterator[dict[str, Any]]:
        target = self.table_path(path)
        try:
            handle = target.open("rb")
        except FileNotFoundError:
            raise TableNotFound(path) from None

        def bad_line(line: bytes, error: Exception) -> Exception:
            shown = line[:80].decode("utf-8", "replace")
            return BackendError(f"table {path} holds a line that is not JSON: {shown!r} ({error})")

        return iter_rows(handle, close=True, bad_line=bad_line)

    @table_path_keyword
    def exists(self, path: str) -> bool:
        if not split_yt_path(path):
            return True
        return self.table_path(path).is_file() or folder(self.root, path).is_dir()

    def remove(self, path: str, *, recursive: bool = False, force: bool = True) -> None:
        target = self.table_path(path)
        if target.is_file():
            target.unlink()
            # the columns a YQL write declared for it go with it
            target.with_name(f".{target.name}.yql-schema.json").unlink(missing_ok=True)
            self.log("remove", path)
            return
        node = folder(self.root, path)
        if node.is_dir():
            if any(node.iterdir()) and not recursive:
                raise BackendError(f"cannot remove {path}: folder is not empty (use recursive)")
            shutil.rmtree(node)
            self.log("remove", path)
            return
        if not force:
            raise TableNotFound(path)

    @table_path_keyword
    def row_count(self, path: str) -> int:
        return count_lines(self.existing_table(path))

    def list(self, path: str) -> list[str]:
        node = folder(self.root, path)
        if not node.is_dir():
            if split_yt_path(path) and self.table_path(path).is_file():
                raise BackendError(f"{path} is a table, not a folder")
            raise TableNotFound(path)
        names = set()
        for child in node.iterdir():
            if child.name.startswith("."):
                continue
            if child.is_dir():
                names.add(child.name)
            elif child.name.endswith(TABLE_SUFFIX):
                names.add(child.name[: -len(TABLE_SUFFIX)])
        return sorted(names)

    def create_path(self, path: str, node_type: str = "map_node") -> None:
        if node_type == "table":
            if not self.table_path(path).is_file():
                self.write_table(path, [])
            return
        if node_type != "map_node":
            raise BackendError(f"create_path {path}: dev mode creates a map_node or a table, "
                               f"not a {node_type}")
        folder(self.root, path).mkdir(parents=True, exist_ok=True)

    @table_path_keyword
    def table_fingerprint(self, path: str) -> str | None:
        target = self.table_path(path)
        if not target.is_file():
            return None
        digest = hashlib.blake2b(digest_size=16)
        with target.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def run_yql(self, query: str, pool: str | None = None,
                max_row_weight: str | None = None) -> list[dict[str, Any]]:
        from yt_pipeline_dev.yql_worker import run_in_worker

        return run_in_worker(self.root, query)

    # -- bookkeeping ------------------------------------------------------------------
    def log(self, action: str, subject: str, *, rows: int | None = None,
            started: float | None = None, extra: str = "") -> None:
        """One line of .dev/operation.log: time, action, what, rows, duration."""
        self.root.mkdir(parents=True, exist_ok=True)
        parts = [time.strftime("%Y-%m-%dT%H:%M:%S"), action, subject]
        if rows is not None:
            parts.append(f"rows={rows}")
        if started is not None:
            parts.append(f"duration={time.perf_counter() - started:.3f}s")
        if extra:
            parts.append(extra)
        with (self.root / "operation.log").open("a", encoding="utf-8") as log:
            log.write(" ".join(parts) + "\n")

    def close(self) -> None:
        pass
