"""A YQL query that fails leaves every table it writes as it was, those its earlier INSERTs
wrote included: "By default, the entire YQL query is executed within a single
transaction" (ydb/docs/en/core/yql/reference/syntax/commit.md in ydb-platform/ydb), and
COMMIT only orders its parts. Outside a stage and in a stage's transaction alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from txn_helpers import commit

from yt_pipeline.errors import QueryFailed
from yt_pipeline_dev import yql_deadline
from yt_pipeline_dev.client import DevClient

pytest.importorskip("duckdb", reason="YQL in dev runs on DuckDB")

ROW_TYPE_DIFFERS = ('YQL: Table "//tmp/typed" row type differs from the written row type: '
                    "Struct<s:String!=Int32>")
UNWRAP_FAILED = "YQL: Unwrap of an empty value (NULL)"
#: the second INSERT refused as it is compiled, the last one failing as it runs
FAILING = {
    "row type": ("INSERT INTO `//tmp/first` WITH TRUNCATE SELECT i FROM `//tmp/src`;\n"
                 "INSERT INTO `//tmp/kept` SELECT 'b' AS s;\n"
                 "INSERT INTO `//tmp/typed` SELECT 1 AS s;", ROW_TYPE_DIFFERS),
    "commit between": ("INSERT INTO `//tmp/first` WITH TRUNCATE SELECT i FROM `//tmp/src`;\n"
                       "INSERT INTO `//tmp/kept` WITH TRUNCATE SELECT 'c' AS s;\nCOMMIT;\n"
                       "INSERT INTO `//tmp/typed` SELECT 1 AS s;", ROW_TYPE_DIFFERS),
    "run time": ("INSERT INTO `//tmp/kept` SELECT 'b' AS s;\n"
                 "INSERT INTO `//tmp/first` WITH TRUNCATE SELECT i FROM `//tmp/src`;\n"
                 "SELECT Unwrap(CAST(s AS Int32)) AS x FROM `//tmp/kept`;", UNWRAP_FAILED),
}


def tables(client: DevClient) -> dict[str, object]:
    """What the query may have changed: each table's rows and declared schema, and the
    folder a new table would go in."""
    seen: dict[str, object] = {"//tmp/new listed": client.exists("//tmp/new")}
    for path in ("//tmp/first", "//tmp/kept", "//tmp/typed", "//tmp/new/t"):
        seen[path] = (list(client.read_table(path)), client.declared_schema(path)) \
            if client.exists(path) else None
    return seen


@pytest.fixture
def dev(tmp_path: Path) -> DevClient:
    client = DevClient(tmp_path / ".dev")
    client.write_table("//tmp/src", [{"i": 1}])
    client.run_yql("INSERT INTO `//tmp/typed` WITH TRUNCATE SELECT 'a' AS s;")
    client.run_yql("INSERT INTO `//tmp/kept` WITH TRUNCATE SELECT 'a' AS s ORDER BY s;")
    return client


def failed(client: DevClient, query: str) -> str:
    with pytest.raises(QueryFailed) as failure:
        client.run_yql(query)
    return str(failure.value)


@pytest.mark.parametrize("case", sorted(FAILING))
def test_a_failed_query_outside_a_stage_leaves_its_tables_as_they_were(dev, case):
    query, error = FAILING[case]
    before = tables(dev)
    assert before["//tmp/first"] is None
    assert before["//tmp/kept"] == ([{"s": "a"}], dev.declared_schema("//tmp/kept"))
    assert dev.declared_schema("//tmp/kept")["columns"][0]["sort_order"] == "ascending"
    assert failed(dev, f"INSERT INTO `//tmp/new/t` WITH TRUNCATE SELECT 1 AS n;\n{query}") \
        == error
    assert tables(dev) == before


def test_a_failed_query_outside_a_stage_undoes_in_reverse_order_of_writing(dev):
    query, error = FAILING["run time"]
    assert failed(dev, query) == error
    log = (dev.root / "operation.log").read_text().splitlines()
    assert [line.split()[1:3] for line in log if "yql_undone" in line] == [
        ["yql_undone", "//tmp/first"], ["yql_undone", "//tmp/kept"]]
    assert list(dev.read_table("//tmp/kept")) == [{"s": "a"}]


def test_a_query_past_its_deadline_after_a_write_leaves_the_table_as_it_was(dev, monkeypatch):
    checks = []
    check = yql_deadline.Deadline.check

    def late_at_the_second_statement(deadline: yql_deadline.Deadline) -> None:
        checks.append(1)
        if len(checks) == 2:
            deadline.limit_s, deadline.started = 1.0, deadline.started - 5.0
        check(deadline)

    monkeypatch.setattr(yql_deadline.Deadline, "check", late_at_the_second_statement)
    before = tables(dev)
    error = failed(dev, "INSERT INTO `//tmp/first` WITH TRUNCATE SELECT i FROM `//tmp/src`;"
                        "INSERT INTO `//tmp/kept` SELECT 'b' AS s;")
    assert error.startswith("YQL query interrupted in DuckDB, still running")
    assert tables(dev) == before


@pytest.mark.parametrize("case", sorted(FAILING))
def test_a_failed_query_in_a_stage_leaves_nothing_its_commit_would_keep(dev, tmp_path, case):
    """The stage catches the failure and goes on: its own writes are committed, the
    query's are not, nor does the stage keep a lock the query took."""
    query, error = FAILING[case]
    txn = dev.begin_transaction("stage s")
    inside = txn.client
    # the stage's own write first: an append YQL would make in place on its staged file
    inside.run_yql("INSERT INTO `//tmp/typed` SELECT 'b' AS s;")
    inside.write_table("//tmp/typed", [{"s": "c"}], append=True)
    seen = tables(inside)
    assert seen["//tmp/typed"][0] == [{"s": "a"}, {"s": "b"}, {"s": "c"}]
    assert failed(inside, query) == error
    assert tables(inside) == seen
    # another stage may write the table the query made: the failed stage holds no lock
    other = dev.begin_transaction("stage other")
    other.client.write_table("//tmp/first", [{"i": 7}])
    other.abort()
    commit(txn, tmp_path)
    assert tables(dev) == seen
    assert list(dev.read_table("//tmp/typed")) == [{"s": "a"}, {"s": "b"}, {"s": "c"}]
    assert not dev.exists("//tmp/first")


def test_a_stage_query_whose_result_is_cut_leaves_nothing_its_commit_would_keep(dev,
                                                                                 tmp_path):
    """A cluster keeps 10,000 rows of a last SELECT other statements follow, and prod's
    client refuses the cut result as it reads it: in a stage, before it puts the query's
    INSERTs on its tables (yt_pipeline_prod/yql.py run_yql), so none reaches them. (Outside
    a stage the query has written its tables by then, in dev as on a cluster.)"""
    dev.write_table("//tmp/big", [{"i": i} for i in range(10_001)])
    txn = dev.begin_transaction("stage s")
    before = tables(txn.client)
    error = failed(txn.client, "INSERT INTO `//tmp/first` WITH TRUNCATE SELECT 1 AS i;\n"
                               "SELECT i FROM `//tmp/big`;\n"
                               "INSERT INTO `//tmp/kept` SELECT 'b' AS s;")
    assert error.startswith("YQL: the last SELECT gives 10001 rows and other statements "
                            "follow it: ")
    assert tables(txn.client) == before
    commit(txn, tmp_path)
    assert tables(dev) == before
