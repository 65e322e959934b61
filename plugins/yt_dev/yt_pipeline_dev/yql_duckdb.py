"""run_yql in dev: the translated query runs on DuckDB over the .dev tables.

DuckDB is imported only when a query runs, so pipelines without YQL never load it. Tables are
read with the schema of every row (sample_size=-1), so a column that first appears late in a
table is not dropped. An INSERT writes its result through a temporary file renamed over the
table, so a failed query leaves the table as it was, and a 0-row result leaves it empty.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from yt_pipeline.errors import QueryFailed

from yt_pipeline_dev.atomic import append_file, count_lines, replacing
from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.yql_translate import Statement, translate


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _import_duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise QueryFailed(
            "YQL in dev mode needs DuckDB: pip install 'yt-pipeline-dev[yql]'"
        ) from None
    return duckdb


def run_query(client: DevClient, query: str) -> list[dict[str, Any]]:
    """Run every statement; return the rows of the last SELECT (empty after an INSERT)."""
    started = time.perf_counter()
    empty: list[str] = []

    def table_sql(path: str) -> str:
        target = client.table_path(path)
        if not target.is_file():
            raise QueryFailed(f"YQL reads table {path}, which does not exist")
        if target.stat().st_size == 0:
            empty.append(path)
        return (f"read_json({_literal(str(target))}, format='newline_delimited', "
                "sample_size=-1)")

    statements = translate(query, table_sql)
    duckdb = _import_duckdb()
    rows: list[dict[str, Any]] = []
    connection = duckdb.connect()
    try:
        for statement in statements:
            if statement.target is None:
                rows = _select(connection, statement)
            else:
                rows = []
                _insert(client, connection, statement)
    except duckdb.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = f" (empty tables have no columns: {', '.join(empty)})" if empty else ""
        raise QueryFailed(f"YQL failed in DuckDB: {message}{hint}") from None
    finally:
        connection.close()
    client.log("yql", " ".join(query.split())[:200], rows=len(rows), started=started)
    return rows


def _select(connection: Any, statement: Statement) -> list[dict[str, Any]]:
    cursor = connection.execute(statement.sql)
    names = [column[0] for column in cursor.description or []]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def _insert(client: DevClient, connection: Any, statement: Statement) -> None:
    assert statement.target is not None
    started = time.perf_counter()
    target = client.table_path(statement.target)
    with replacing(target, append=not statement.truncate) as tmp:
        base = tmp.stat().st_size
        part = tmp.with_name(tmp.name + ".part") if base else tmp
        try:
            _copy(connection, statement.sql, part)
            if part != tmp:
                append_file(tmp, part)
        finally:
            if part != tmp:
                part.unlink(missing_ok=True)
        rows = count_lines(tmp, base)
    action = "yql_insert" if statement.truncate else "yql_append"
    client.log(action, statement.target, rows=rows, started=started)


def _copy(connection: Any, sql: str, path: Path) -> None:
    connection.execute(f"COPY ({sql}) TO {_literal(str(path))} (FORMAT JSON)")
    if not path.exists():  # some DuckDB versions write no file for 0 rows
        path.write_bytes(b"")
