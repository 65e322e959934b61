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

#: settings that would reach outside the allowed files: extensions are neither fetched nor
#: loaded (JSON, which the tables need, is built in). NULL sorts first ascending and last
#: descending, as on YT, where null is the smallest value of any type (the order dev's
#: run_sort keeps, see sorting.py); DuckDB's own default puts it last both ways.
_CLOSED = {"autoinstall_known_extensions": False, "autoload_known_extensions": False,
           "default_null_order": "nulls_first_on_asc_last_on_desc"}


def sql_list(values: Iterable[str]) -> str:
    return "[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


def restricted_connection(duckdb: Any, allowed: Iterable[str]) -> Any:
    """A new in-memory connection that can open only the `allowed` files."""
    connection = duckdb.connect(config=dict(_CLOSED))
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
