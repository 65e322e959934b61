"""YQL statements executed on DuckDB over the .dev tables (inside the YQL worker process).

A table is read with the columns YQL on a cluster would give it (yql_schema): those a YQL
write declared, or those inferred from its first rows, as `PRAGMA yt.InferSchema` does (the
query's own pragma, else the 1000 rows the prod backend asks for). An INSERT writes its
result through the client's `writing` (a temporary file renamed over the table, or staged in
the stage's transaction), so a failed query leaves the table as it was, and a 0-row result
leaves it empty; like a cluster, YQL appends only to a table YQL wrote, with the same
columns, and a NaN or an infinite double goes in as the text prod reads (yql_doubles). The
rows returned are those of the last SELECT; when other statements follow it, a cluster keeps
only the first 10,000 of them, so more fail.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from yt_pipeline import yql_rules
from yt_pipeline.errors import QueryFailed
from yt_pipeline_dev.atomic import append_file, count_lines
from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.yql_doubles import stringify_file
from yt_pipeline_dev.yql_sandbox import restricted_connection
from yt_pipeline_dev.yql_schema import (
    SchemaCache,
    declare,
    declared,
    first_rows,
    sql_literal,
)
from yt_pipeline_dev.yql_translate import Statement, translate


def import_duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        message = "YQL in dev mode needs DuckDB: pip install 'yt-pipeline-dev[yql]'"
        raise QueryFailed(message) from None
    return duckdb


#: the most characters of a statement that .dev/operation.log shows
LOGGED_CHARS = 160


def logged_statement(statement: Statement) -> str:
    """A statement on one line for .dev/operation.log, its tables as `//paths`, cut with
    an ellipsis when long."""
    text = " ".join(statement.render(lambda path: f"`{path}`").split())
    return text if len(text) <= LOGGED_CHARS else text[:LOGGED_CHARS - 1] + "…"


class Executor:
    """Runs translated statements on one DuckDB connection."""

    def __init__(self, client: DevClient):
        self.client = client
        self.duckdb = import_duckdb()
        # this connection runs only our own SQL (learning a table's columns); a query's
        # statements run on a restricted one each (yql_sandbox)
        self.connection = self.duckdb.connect()
        self.schemas = SchemaCache(client.root, self.connection)
        self.infer_rows = yql_rules.MAX_INFER_ROWS
        #: the table files the statement being rendered reads
        self.bound: list[str] = []

    def close(self) -> None:
        self.connection.close()

    def table_sql(self, path: str) -> str:
        target = self.client.visible_file(path)
        if target is None:
            raise QueryFailed(f"YQL reads table {path}, which does not exist")
        columns = declared(self.client.root, target)
        if columns is None:
            columns = self._inferred(path, target)
        self.bound.append(str(target))
        return self.schemas.read_sql(target, columns)

    def _inferred(self, path: str, target: Path) -> list[tuple[str, str]]:
        """The columns of a table without a schema, as `PRAGMA yt.InferSchema` finds them."""
        if target.stat().st_size == 0:
            raise QueryFailed(f"YQL: {yql_rules.empty_table(path)}")
        sample = list(first_rows(target, self.infer_rows))
        names = yql_rules.inferred_columns(sample, self.infer_rows)
        if not names:
            raise QueryFailed(f"YQL: {yql_rules.no_columns(path, len(sample))}")
        types = dict(self.schemas.columns(target))
        return [(name, types.get(name, "JSON")) for name in names]

    def run(self, query: str) -> list[dict[str, Any]]:
        """Run every statement; return the rows of the last SELECT (none without one)."""
        self.infer_rows = yql_rules.infer_rows(query) or yql_rules.MAX_INFER_ROWS
        statements = translate(query)
        rows: list[dict[str, Any]] = []
        last_select = -1
        try:
            for index, statement in enumerate(statements):
                started = time.perf_counter()
                result = self._run_one(statement)
                if statement.target is None:
                    rows, last_select = result, index
                if statement.target is None:  # an INSERT logs its own line (_insert)
                    self.client.log("yql_select", logged_statement(statement),
                                    rows=len(result), started=started)
        except self.duckdb.Error as exc:
            text = str(exc).strip()
            message = text.splitlines()[0] if text else type(exc).__name__
            raise QueryFailed(f"YQL failed in DuckDB: {message}") from None
        if last_select < len(statements) - 1 and len(rows) > yql_rules.RESULT_ROW_LIMIT:
            raise QueryFailed(f"YQL: the last SELECT gives {len(rows)} rows and other "
                              f"statements follow it: {yql_rules.truncated()}")
        return rows

    def _run_one(self, statement: Statement) -> list[dict[str, Any]]:
        self.bound = []
        sql = statement.render(self.table_sql)
        if statement.target is None:
            connection = restricted_connection(self.duckdb, self.bound)
            try:
                cursor = connection.execute(sql)
                names = [column[0] for column in cursor.description or []]
                return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
            finally:
                connection.close()
        self._insert(statement, sql)
        return []

    def _columns_written(self, statement: Statement, sql: str) -> list[tuple[str, str]]:
        """The columns the INSERT writes; an append must match the table's (a cluster
        refuses to append to a table YQL did not write, or with other columns)."""
        assert statement.target is not None
        connection = restricted_connection(self.duckdb, self.bound)
        try:
            described = connection.execute(f"DESCRIBE {sql}").fetchall()
        finally:
            connection.close()
        columns = [(str(row[0]), str(row[1])) for row in described]
        target = self.client.visible_file(statement.target)
        if statement.truncate or target is None:
            return columns
        existing = declared(self.client.root, target)
        if existing is None:
            raise QueryFailed(f"YQL: {yql_rules.append_refused(statement.target)}")
        names = [name for name, _ in existing]
        if sorted(names) != sorted(name for name, _ in columns):
            raise QueryFailed("YQL: " + yql_rules.row_type_differs(
                statement.target, names, [name for name, _ in columns]))
        return existing

    def _insert(self, statement: Statement, sql: str) -> None:
        assert statement.target is not None
        started = time.perf_counter()
        columns = self._columns_written(statement, sql)
        with self.client.writing(statement.target, append=not statement.truncate) as tmp:
            base = tmp.stat().st_size
            part = tmp.with_name(tmp.name + ".part") if base else tmp
            connection = restricted_connection(self.duckdb, [*self.bound, str(part)])
            try:
                # the file is already a temporary one, and DuckDB's own temporary name
                # (tmp_<name>) is not among the files the connection may open
                connection.execute(f"COPY ({sql}) TO {sql_literal(str(part))} "
                                   "(FORMAT JSON, USE_TMP_FILE false)")
                if not part.exists():  # some DuckDB versions write no file for 0 rows
                    part.write_bytes(b"")
                stringify_file(part)
                if part != tmp:
                    append_file(tmp, part)
            finally:
                connection.close()
                if part != tmp:
                    part.unlink(missing_ok=True)
            rows = count_lines(tmp, base)
        written = self.client.visible_file(statement.target)
        if written is not None:
            declare(self.client.root, written, columns)
        action = "yql_insert" if statement.truncate else "yql_append"
        self.client.log(action, statement.target, rows=rows, started=started,
                        extra=logged_statement(statement))
