"""The columns of a .dev table for DuckDB: learned from every row, once per table content.

DuckDB learns a JSON file's columns from every row (sample_size=-1, so a key that first
appears late is never dropped); for a million rows that costs several times the query itself.
The columns learned are kept in .dev/.cache/, keyed by the file's identity (inode, size,
modification time in ns). Every write replaces a table file by a rename, so any change to a
table gives a new identity, and its columns are learned again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

CACHE_DIR = Path(".cache") / "yql_schemas"


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def identity(path: Path) -> str:
    status = path.stat()
    return f"{status.st_ino}-{status.st_size}-{status.st_mtime_ns}"


class SchemaCache:
    def __init__(self, root: Path, connection: Any):
        self.folder = root / CACHE_DIR
        self.connection = connection
        self.root = root

    def columns(self, table_file: Path) -> list[tuple[str, str]]:
        """(name, DuckDB type) of every column of a non-empty table file."""
        key = identity(table_file)
        entry = self._entry(table_file)
        cached = self._load(entry)
        if cached is not None and cached.get("identity") == key:
            return [(name, kind) for name, kind in cached["columns"]]
        columns = self._learn(table_file)
        self._store(entry, {"identity": key, "columns": columns})
        return columns

    def read_sql(self, table_file: Path) -> str:
        """A read_json call with the table's columns given, so DuckDB need not learn them."""
        columns = ", ".join(f"{sql_literal(name)}: {sql_literal(kind)}"
                            for name, kind in self.columns(table_file))
        return (f"read_json({sql_literal(str(table_file))}, format='newline_delimited', "
                f"columns={{{columns}}})")

    def _learn(self, table_file: Path) -> list[tuple[str, str]]:
        described = self.connection.execute(
            f"DESCRIBE SELECT * FROM read_json({sql_literal(str(table_file))}, "
            "format='newline_delimited', sample_size=-1)").fetchall()
        return [(str(row[0]), str(row[1])) for row in described]

    def _entry(self, table_file: Path) -> Path:
        relative = str(table_file.resolve().relative_to(self.root.resolve()))
        return self.folder / (hashlib.sha1(relative.encode()).hexdigest() + ".json")

    @staticmethod
    def _load(entry: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(entry.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # missing or damaged: learn again
        return data if isinstance(data, dict) else None

    def _store(self, entry: Path, data: dict[str, Any]) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = entry.with_name(f".{entry.name}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps(data), encoding="utf-8")
            os.replace(temporary, entry)
        except OSError:
            pass  # a cache that cannot be written only costs time next query
