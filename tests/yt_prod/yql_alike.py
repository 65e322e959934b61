"""One YQL query run in dev and on the fake query tracker, which must give the same rows:
both run YQL on DuckDB with the same rewrites, so a prod test on the fake sees dev's rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from yt_pipeline.errors import QueryFailed
from yt_pipeline_dev.client import DevClient


def dev_and_fake(prod_client: Any, tmp_path: Path,
                 tables: dict[str, list[dict[str, Any]]] | None = None,
                 query: str | None = None) -> tuple[DevClient, Any]:
    """A dev client, and the prod client on the fake, each holding `tables` (path: rows),
    then what `query` (a YQL INSERT, say) made of them."""
    dev = DevClient(tmp_path / ".dev")
    for path, rows in (tables or {}).items():
        for client in (dev, prod_client):
            client.write_table(path, rows)
    if query is not None:
        for client in (dev, prod_client):
            client.run_yql(query)
    return dev, prod_client


def dev_and_fake_table(prod_client: Any, tmp_path: Path, path: str,
                       schema: list[dict[str, Any]], rows: list[dict[str, Any]]
                       ) -> tuple[DevClient, Any]:
    """dev_and_fake, the table `path` created with `schema` in both, then holding `rows`."""
    dev = DevClient(tmp_path / ".dev")
    for client in (dev, prod_client):
        client.create_path(path, "table", schema=schema)
        client.write_table(path, rows)
    return dev, prod_client


def written_columns(both: tuple[DevClient, Any], select: str,
                    target: str = "//tmp/o") -> dict[str, tuple[str, bool]]:
    """The columns (type, required) an INSERT of `select` into `target` writes, the same in
    dev and on the fake."""
    for client in both:
        client.run_yql(f"INSERT INTO `{target}` WITH TRUNCATE {select}")
    dev, prod = both
    declared = dev.declared_schema(target)
    assert declared is not None
    assert declared == prod.declared_schema(target)
    return {c["name"]: (c["type"], c["required"]) for c in declared["columns"]}


def same_rows(both: tuple[DevClient, Any], query: str) -> list[dict[str, Any]]:
    """The rows of `query`'s last SELECT, the same in dev and on the fake."""
    dev, prod = both
    dev_rows, prod_rows = dev.run_yql(query), prod.run_yql(query)
    assert dev_rows == prod_rows
    return dev_rows


def fails_alike(both: tuple[DevClient, Any], query: str, line: str) -> None:
    """`query` fails in dev and on the fake, each error holding `line` with `{where}` the
    one refusing it: "dev mode" or "the fake query tracker"."""
    for client, where in zip(both, ("dev mode", "the fake query tracker"), strict=True):
        with pytest.raises(QueryFailed) as failed:
            client.run_yql(query)
        assert line.format(where=where) in str(failed.value)


def fails_exactly_alike(both: tuple[DevClient, Any], query: str, line: str) -> None:
    """`query` fails with the error `line` in dev and in prod alike: prod reports a failed
    query as "YQL query <id> failed: <the query's error>"."""
    dev, prod = both
    with pytest.raises(QueryFailed) as in_dev:
        dev.run_yql(query)
    with pytest.raises(QueryFailed) as in_prod:
        prod.run_yql(query)
    assert str(in_dev.value) == line
    assert str(in_prod.value).split(" failed: ", 1)[1] == line


#: queries that fail after writing tables (a cluster runs a query in one transaction, so
#: none of their writes stays: ydb/docs/en/core/yql/reference/syntax/commit.md in
#: ydb-platform/ydb), with the error each fails with: the last INSERT refused as it is
#: compiled, after a COMMIT or not, or a SELECT failing as it runs
ROW_TYPE_DIFFERS = ('Table "//tmp/typed" row type differs from the written row type: '
                    "Struct<s:String!=Int32>")
FAILING = {
    "row type": ("INSERT INTO `//tmp/first` WITH TRUNCATE SELECT i FROM `//tmp/src`;\n"
                 "INSERT INTO `//tmp/kept` SELECT 'b' AS s;\n"
                 "INSERT INTO `//tmp/typed` SELECT 1 AS s;", ROW_TYPE_DIFFERS),
    "commit between": ("INSERT INTO `//tmp/first` WITH TRUNCATE SELECT i FROM `//tmp/src`;\n"
                       "INSERT INTO `//tmp/kept` WITH TRUNCATE SELECT 'c' AS s;\nCOMMIT;\n"
                       "INSERT INTO `//tmp/typed` SELECT 1 AS s;", ROW_TYPE_DIFFERS),
    "run time": ("INSERT INTO `//tmp/kept` SELECT 'b' AS s;\n"
                 "INSERT INTO `//tmp/first` WITH TRUNCATE SELECT i FROM `//tmp/src`;\n"
                 "SELECT Unwrap(CAST(s AS Int32)) AS x FROM `//tmp/kept`;",
                 "Unwrap of an empty value (NULL)"),
}
#: put before a FAILING query: a table in a folder the query makes
NEW_FOLDER_FIRST = "INSERT INTO `//tmp/new/t` WITH TRUNCATE SELECT 1 AS n;\n"


def written_by_failing(client: Any) -> dict[str, object]:
    """What a FAILING query may have changed: each table's rows and declared schema, and
    whether the folder of a new table is there."""
    seen: dict[str, object] = {"//tmp/new listed": client.exists("//tmp/new")}
    for path in ("//tmp/first", "//tmp/kept", "//tmp/typed", "//tmp/new/t"):
        seen[path] = (list(client.read_table(path)), client.declared_schema(path)) \
            if client.exists(path) else None
    return seen
