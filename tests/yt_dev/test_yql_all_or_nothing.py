"""A YQL query that fails leaves every table it writes as it was, those its earlier INSERTs
wrote included: "By default, the entire YQL query is executed within a single
transaction" (ydb/docs/en/core/yql/reference/syntax/commit.md in ydb-platform/ydb), and
COMMIT only orders its parts. Outside a stage and in a stage's transaction alike."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from txn_helpers import commit
from yql_alike import FAILING, NEW_FOLDER_FIRST, written_by_failing

from yt_pipeline.errors import QueryFailed
from yt_pipeline_dev import yql_deadline
from yt_pipeline_dev.client import DevClient

pytest.importorskip("duckdb", reason="YQL in dev runs on DuckDB")

tables = written_by_failing


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
    assert failed(dev, NEW_FOLDER_FIRST + query) == f"YQL: {error}"
    assert tables(dev) == before


def test_a_failed_query_outside_a_stage_undoes_in_reverse_order_of_writing(dev):
    query, error = FAILING["run time"]
    assert failed(dev, query) == f"YQL: {error}"
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
    assert failed(inside, query) == f"YQL: {error}"
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


def test_another_threads_append_during_a_failing_query_of_its_stage_is_kept(
        dev, tmp_path, monkeypatch):
    """A thread of the stage appends to a table while a query of the stage that INSERTed
    into it runs on to fail: on a cluster the query wrote in its own transaction, whose
    abort leaves the stage's append. Put back as it was before the query, the table lost
    the append's row; the append now waits for the query to end."""
    from yt_pipeline_dev import yql_duckdb

    txn = dev.begin_transaction("stage s")
    inside = txn.client
    appenders: list[threading.Thread] = []
    insert_rows = yql_duckdb.Executor._insert_rows

    def then_another_thread_appends(executor, statement, allowed):
        insert_rows(executor, statement, allowed)
        if statement.target == "//tmp/kept":
            appender = threading.Thread(target=lambda: inside.write_table(
                "//tmp/kept", [{"s": "t"}], append=True))
            appender.start()
            appenders.append(appender)
            appender.join(0.3)  # done by now, unless it waits for the query

    monkeypatch.setattr(yql_duckdb.Executor, "_insert_rows", then_another_thread_appends)
    query, error = FAILING["row type"]
    assert failed(inside, query) == f"YQL: {error}"
    monkeypatch.undo()
    [appender.join(10) for appender in appenders]
    assert len(appenders) == 1 and not appenders[0].is_alive()
    assert list(inside.read_table("//tmp/kept")) == [{"s": "a"}, {"s": "t"}]
    commit(txn, tmp_path)
    assert list(dev.read_table("//tmp/kept")) == [{"s": "a"}, {"s": "t"}]
    assert not dev.exists("//tmp/first")
    assert not list(dev.root.rglob("*.tmp"))


def test_a_failing_query_of_a_stage_locks_no_table_another_stage_writes_meanwhile(
        dev, tmp_path, monkeypatch):
    """Prod's stage puts a query's rows on its tables (locking them) only once the query
    has ended well (yt_pipeline_prod/yql.py run_yql): a query that then fails never locked
    them, and another stage writing one of them meanwhile goes on. Locked at its INSERT,
    the table refused that stage's write with a conflict."""
    from yt_pipeline_dev import yql_duckdb

    txn = dev.begin_transaction("stage s")
    other = dev.begin_transaction("stage other")
    outcomes: list[object] = []
    insert_rows = yql_duckdb.Executor._insert_rows

    def then_another_stage_writes(executor, statement, allowed):
        insert_rows(executor, statement, allowed)
        if statement.target == "//tmp/first":
            try:
                other.client.write_table("//tmp/first", [{"i": 9}])
                outcomes.append("written")
            except Exception as exc:  # noqa: BLE001 - the test names what it got
                outcomes.append(str(exc))

    monkeypatch.setattr(yql_duckdb.Executor, "_insert_rows", then_another_stage_writes)
    query, error = FAILING["row type"]
    assert failed(txn.client, query) == f"YQL: {error}"
    monkeypatch.undo()
    assert outcomes == ["written"]
    commit(other, tmp_path)
    commit(txn, tmp_path)
    assert list(dev.read_table("//tmp/first")) == [{"i": 9}]
    assert list(dev.read_table("//tmp/kept")) == [{"s": "a"}]


def test_a_folder_another_thread_removes_during_a_failing_query_stays_removed(
        dev, tmp_path, monkeypatch):
    """A thread of the stage removes the folder of a table the stage appended to, while a
    query of the stage that INSERTed into it runs on to fail: on a cluster the stage's
    removal stands and the query's abort brings nothing back. The query's undo put the
    table back as the stage had it, and the commit made the folder and table again."""
    from yt_pipeline_dev import yql_duckdb

    dev.run_yql("INSERT INTO `//tmp/d/x` WITH TRUNCATE SELECT 1 AS i;")
    txn = dev.begin_transaction("stage s")
    inside = txn.client
    inside.run_yql("INSERT INTO `//tmp/d/x` SELECT 5 AS i;")
    removers: list[threading.Thread] = []
    insert_rows = yql_duckdb.Executor._insert_rows

    def then_another_thread_removes(executor, statement, allowed):
        insert_rows(executor, statement, allowed)
        if statement.target == "//tmp/d/x":
            remover = threading.Thread(target=lambda: inside.remove("//tmp/d",
                                                                   recursive=True))
            remover.start()
            removers.append(remover)
            remover.join(0.3)  # done by now, unless it waits for the query

    monkeypatch.setattr(yql_duckdb.Executor, "_insert_rows", then_another_thread_removes)
    query = "INSERT INTO `//tmp/d/x` SELECT 2 AS i;\nINSERT INTO `//tmp/typed` SELECT 1 AS s;"
    assert failed(inside, query).startswith('YQL: Table "//tmp/typed" row type differs')
    monkeypatch.undo()
    [remover.join(10) for remover in removers]
    assert len(removers) == 1 and not removers[0].is_alive()
    assert not inside.exists("//tmp/d")
    commit(txn, tmp_path)
    assert not dev.exists("//tmp/d/x")
    assert not dev.exists("//tmp/d")


def test_a_run_starting_during_a_failing_query_outside_a_stage_keeps_what_it_puts_back(
        dev, monkeypatch):
    """A dev run's start removes the temporary files writes left (atomic.remove_leftovers),
    those older than it. The version of a table a query outside a stage keeps is a second
    name of the table's file, whose time is the table's: a run of another pipeline of the
    folder starting while the query ran removed it, and the query's undo then failed on the
    missing file, leaving the rows of its INSERT."""
    from yt_pipeline_dev import yql_duckdb
    from yt_pipeline_dev.atomic import remove_leftovers

    removed: list[int] = []
    insert_rows = yql_duckdb.Executor._insert_rows

    def then_a_run_starts(executor, statement, allowed):
        insert_rows(executor, statement, allowed)
        if statement.target == "//tmp/kept":  # a run starting a minute from now
            removed.append(remove_leftovers(dev.root, time.time() + 60))

    monkeypatch.setattr(yql_duckdb.Executor, "_insert_rows", then_a_run_starts)
    before = tables(dev)
    query, error = FAILING["row type"]
    assert failed(dev, query) == f"YQL: {error}"
    monkeypatch.undo()
    assert removed == [0]
    assert tables(dev) == before
    assert list(dev.read_table("//tmp/kept")) == [{"s": "a"}]
    assert not list(dev.root.rglob("*.tmp"))


def test_a_table_another_writer_changed_during_a_failing_query_keeps_their_rows(
        dev, monkeypatch):
    """Outside a stage, another client appends to a table between the query's INSERT into it
    and the query's failure: putting the version from before the query back would drop that
    writer's rows, so that table stays as it is (the query's rows and theirs: no row of
    another writer is ever lost), said in the log; the query's other tables are put back."""
    from yt_pipeline_dev import yql_duckdb

    other = DevClient(dev.root)
    insert_rows = yql_duckdb.Executor._insert_rows

    def then_another_writer_appends(executor, statement, allowed):
        insert_rows(executor, statement, allowed)
        if statement.target == "//tmp/kept":
            other.write_table("//tmp/kept", [{"s": "theirs"}], append=True)

    monkeypatch.setattr(yql_duckdb.Executor, "_insert_rows", then_another_writer_appends)
    before = tables(dev)
    query, error = FAILING["row type"]
    assert failed(dev, query) == f"YQL: {error}"
    monkeypatch.undo()
    assert list(dev.read_table("//tmp/kept")) == [{"s": "a"}, {"s": "b"}, {"s": "theirs"}]
    assert tables(dev)["//tmp/first"] == before["//tmp/first"] is None  # put back
    log = (dev.root / "operation.log").read_text().splitlines()
    assert [line.split()[1:3] for line in log if "yql_undo" in line] == [
        ["yql_undo_skipped", "//tmp/kept"], ["yql_undone", "//tmp/first"]]
    assert not list(dev.root.rglob("*.tmp"))
