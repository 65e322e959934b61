"""YQL statements executed on DuckDB over the .dev tables (inside the YQL worker process).

Tables are read with the schema of every row (sample_size=-1): with DuckDB's sampled schema a
column that first appears late is dropped, and a value whose type changes late is silently
converted (1.5 read as 2), which costs more than the extra scan. The schema learned is kept
until the table changes (yql_schema). An INSERT writes its
result through the client's `writing` (a temporary file renamed over the table, or staged in
the stage's transaction), so a failed query leaves the table as it was, and a 0-row result
leaves it empty.
"""

from __future__ import annotations

import time
from typing import Any

from yt_pipeline.errors import QueryFailed
from yt_pipeline_dev.atomic import append_file, count_lines
from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.yql_schema import SchemaCache, sql_literal
from yt_pipeline_dev.yql_translate import Statement, translate


def import_duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        message = "YQL in dev mode needs DuckDB: pip install 'yt-pipeline-dev[yql]'"
        raise QueryFailed(message) from None
    return duckdb


class Executor:
    """Runs translated statements on one DuckDB connection."""

    def __init__(self, client: DevClient):
        self.client = client
        self.duckdb = import_duckdb()
        self.connection = self.duckdb.connect()
        self.schemas = SchemaCache(client.root, self.connection)
        self.empty: list[str] = []

    def close(self) -> None:
        self.connection.close()

    def table_sql(self, path: str) -> str:
        target = self.client.visible_file(path)
        if target is None:
            raise QueryFailed(f"YQL reads table {path}, which does not exist")
        if target.stat().st_size == 0:
            self.empty.append(path)
            return (f"read_json({sql_literal(str(target))}, format='newline_delimited', "
                    "sample_size=-1)")
        return self.schemas.read_sql(target)

    def run(self, query: str) -> list[dict[str, Any]]:
        """Run every statement; return the rows of the last SELECT (empty after an INSERT)."""
        rows: list[dict[str, Any]] = []
        try:
            for statement in translate(query):
                rows = self._run_one(statement)
        except self.duckdb.Error as exc:
            text = str(exc).strip()
            message = text.splitlines()[0] if text else type(exc).__name__
            hint = f" (empty tables have no columns: {', '.join(self.empty)})" if self.empty else ""
            raise QueryFailed(f"YQL failed in DuckDB: {message}{hint}") from None
        return rows

    def _run_one(self, statement: Statement) -> list[dict[str, Any]]:
        sql = statement.render(self.table_sql)
        if statement.target is None:
            cursor = self.connection.execute(sql)
            names = [column[0] for column in cursor.description or []]
            return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
        self._insert(statement, sql)
        return []

    def _insert(self, statement: Statement, sql: str) -> None:
        assert statement.target is not None
        started = time.perf_counter()
        with self.client.writing(statement.target, append=not statement.truncate) as tmp:
            base = tmp.stat().st_size
            part = tmp.with_name(tmp.name + ".part") if base else tmp
            try:
                self.connection.execute(f"COPY ({sql}) TO {sql_literal(str(part))} (FORMAT JSON)")
                if not part.exists():  # some DuckDB versions write no file for 0 rows
                    part.write_bytes(b"")
                if part != tmp:
                    append_file(tmp, part)
            finally:
                if part != tmp:
                    part.unlink(missing_ok=True)
            rows = count_lines(tmp, base)
        action = "yql_insert" if statement.truncate else "yql_append"
        self.client.log(action, statement.target, rows=rows, started=started)
