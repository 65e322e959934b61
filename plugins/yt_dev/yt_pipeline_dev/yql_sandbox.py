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
from yt_pipeline.errors import QueryFailed

#: settings that would reach outside the allowed files: extensions are neither fetched nor
#: loaded (JSON, which the tables need, is built in). YQL's own settings (integer division,
#: NULL's place in an order) are added by yql_semantics.connect.
_CLOSED = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def sql_list(values: Iterable[str]) -> str:
    return "[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


def import_duckdb() -> Any:
    """DuckDB's engine: its compiled module alone where it is one of its own (DuckDB 1.4 and
    later), which imports in a seventh of the time of the package around it (0.02 s against
    0.15 s); it holds all that is used here (connect, the errors)."""
    try:
        import _duckdb

        return _duckdb
    except ImportError:
        pass
    try:
        import duckdb
    except ImportError:
        message = "YQL in dev mode needs DuckDB: pip install 'yt-pipeline-dev[yql]'"
        raise QueryFailed(message) from None
    return duckdb


def new_connection(duckdb: Any) -> Any:
    """A new in-memory database with extensions closed, not yet restricted to any file:
    nothing may run on it before `restricted_connection` has restricted it."""
    return yql_semantics.connect(duckdb, _CLOSED, macros=False)


def restricted_connection(duckdb: Any, allowed: Iterable[str], fresh: Any = None) -> Any:
    """A connection that can open only the `allowed` files: `fresh` (from new_connection,
    never used) or else a new one."""
    connection = fresh if fresh is not None else new_connection(duckdb)
    try:
        files = sorted(set(allowed))
        if files:
            connection.execute(f"SET allowed_paths = {sql_list(files)}")
        connection.execute("SET enable_external_access = false")
        connection.execute("SET lock_configuration = true")
    except BaseException:
        connection.close()
        raise
    return connection
