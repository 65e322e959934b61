"""The DuckDB connection a dev YQL statement runs on: it may open the .dev table files the
statement names as YT paths (and the file an INSERT writes), and nothing else.

DuckDB's own readers (read_text, read_csv, glob, ATTACH, COPY, INSTALL/LOAD, http:// and
s3:// URLs...) would otherwise read any local file, `configs/secrets.env` included, or a
value of a stage's config spliced into a query would. The tables are bound to their files
first, then `allowed_paths` names exactly those files, `enable_external_access = false`
closes every other path (DuckDB refuses to change `allowed_paths` once it is off, so the
order matters), and `lock_configuration` keeps the statement itself from turning it back on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from yt_pipeline import yql_semantics
from yt_pipeline_dev.yql_engine import CLOSED


def sql_list(values: Iterable[str]) -> str:
    return "[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


def new_connection(duckdb: Any) -> Any:
    """A new in-memory database with extensions closed, not yet restricted to any file:
    nothing may run on it before `restricted_connection` has restricted it."""
    return yql_semantics.connect(duckdb, CLOSED, macros=False)


def restricted_connection(duckdb: Any, allowed: Iterable[str], then: str = "") -> Any:
    """A new connection that can open only the `allowed` files; `then`, SQL of the caller's
    own (the statement's macros), is run once it is restricted."""
    connection = new_connection(duckdb)
    try:
        files = sorted(set(allowed))
        # one request, run in this order: each statement is a round trip to DuckDB's process
        closing = [f"SET allowed_paths = {sql_list(files)}"] if files else []
        closing += ["SET enable_external_access = false", "SET lock_configuration = true"]
        connection.execute("; ".join([*closing, *([then] if then else [])]))
    except BaseException:
        connection.close()
        raise
    return connection
