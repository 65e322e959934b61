"""A plugin that adds a mode of its own, `memory`: tables are lists of rows in the plugin
object, and a map runs its mapper script as one local process over all the rows.

Written against the typed seams (it is also what tests/host/test_typed_seams.py gives mypy
as a plugin that uses the interface correctly)."""

from __future__ import annotations

import builtins
import json
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from yt_pipeline import hookimpl
from yt_pipeline.config import PipelineConfig
from yt_pipeline.errors import BackendError, OperationFailed, QueryFailed, TableNotFound
from yt_pipeline.modes import ModeSpec
from yt_pipeline.operations import OperationResult, OperationSpec

Row = dict[str, Any]


class MemoryClient:
    mode = "memory"

    def __init__(self, tables: dict[str, list[Row]]):
        self.tables = tables

    def write_table(self, path: str, rows: Iterable[Row], append: bool = False, *,
                    replication_factor: int | None = None) -> int:
        new = [dict(row) for row in rows]
        self.tables[path] = (self.tables.get(path, []) if append else []) + new
        return len(new)

    def read_table(self, path: str) -> Iterator[Row]:
        if path not in self.tables:
            raise TableNotFound(path)
        return iter([dict(row) for row in self.tables[path]])

    def read_columns(self, path: str, columns: builtins.list[str] | None) -> Iterator[Row]:
        if columns is None:
            return self.read_table(path)
        return iter([{name: row[name] for name in columns if name in row}
                     for row in self.read_table(path)])

    def exists(self, path: str) -> bool:
        return path in self.tables

    def remove(self, path: str, *, recursive: bool = False, force: bool = True) -> None:
        if path not in self.tables and not force:
            raise TableNotFound(path)
        self.tables.pop(path, None)

    def row_count(self, path: str) -> int:
        return len(list(self.read_table(path)))

    def list(self, path: str) -> builtins.list[str]:
        prefix = path.rstrip("/") + "/"
        return sorted({t[len(prefix):].split("/")[0] for t in self.tables if t.startswith(prefix)})

    def create_path(self, path: str, node_type: str = "map_node", *,
                    schema: builtins.list[dict[str, Any]] | None = None) -> None:
        if schema is not None:
            raise BackendError("the memory mode keeps no schema")
        if node_type == "table":
            self.tables.setdefault(path, [])

    def run_yql(self, query: str, pool: str | None = None,
                max_row_weight: str | None = None) -> builtins.list[Row]:
        raise QueryFailed("the memory mode runs no YQL")

    def table_fingerprint(self, path: str) -> str | None:
        rows = self.tables.get(path)
        return None if rows is None else json.dumps(rows, sort_keys=True)

    def declared_schema(self, path: str) -> dict[str, Any] | None:
        if path not in self.tables:
            raise TableNotFound(path)
        return None  # the memory mode runs no YQL, which alone declares a schema


def run_map(client: MemoryClient, spec: OperationSpec) -> OperationResult:
    if spec.kind != "map" or spec.mapper is None:
        raise OperationFailed(f"the memory mode runs maps only, not {spec.kind}",
                              stage=spec.stage_name, operation=spec.name)
    started = time.perf_counter()
    rows = [row for table in spec.input_tables for row in client.read_table(table)]
    done = subprocess.run([sys.executable, str(spec.stage_dir / spec.mapper)],
                          input="".join(json.dumps(row) + "\n" for row in rows),
                          capture_output=True, text=True, cwd=spec.stage_dir, check=False)
    if done.returncode != 0:
        raise OperationFailed("the mapper failed", stage=spec.stage_name, operation=spec.name,
                              exit_code=done.returncode, stderr_tail=done.stderr[-2000:])
    out = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    written = client.write_table(spec.output_tables[0], out, append=spec.append)
    return OperationResult(operation_id="memory-1", duration_s=time.perf_counter() - started,
                           rows={spec.output_tables[0]: written})


class MemoryMode:
    """Register with `register_plugin(MemoryMode())`; `tables` outlives the run."""

    def __init__(self) -> None:
        self.tables: dict[str, list[Row]] = {}
        self.clients = 0

    def create_client(self, settings: PipelineConfig, pipeline_dir: Path) -> MemoryClient:
        self.clients += 1
        return MemoryClient(self.tables)

    @hookimpl
    def ytp_register_modes(self) -> list[ModeSpec]:
        return [ModeSpec("memory", self.create_client, run_map,
                         description="tables in the plugin's memory (a test)")]


MAPPER = """
import json, sys
for line in sys.stdin:
    row = json.loads(line)
    print(json.dumps({"x": row["x"] * 2}))
"""

STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Double(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//t/in", [{"x": 1}, {"x": 2}, {"x": 3}])
        run_map(self, self.config.client.operations.map)
        debug["rows"] = yt.row_count("//t/out")
        debug["client_mode"] = yt.mode
        return debug
"""


def double_pipeline_files() -> dict[str, str]:
    """A one-stage pipeline that writes //t/in and maps it into //t/out, doubling x."""
    return {
        "stages/double/stage.py": STAGE,
        "stages/double/src/mapper.py": MAPPER,
        "stages/double/config.yaml": ("client:\n  operations:\n    map:\n"
                                      "      input_table: //t/in\n      output_table: //t/out\n"),
    }
