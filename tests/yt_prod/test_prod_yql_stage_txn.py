"""A YQL INSERT in a stage's transaction changes its table's rows and schema in that
transaction only: what the others read is the table as it was until the commit, and an
abort leaves it so. On a cluster the query runs outside the transaction into a staging
table, which the stage's transaction then copies or appends onto the table
(yt_pipeline_prod/yql.py); a master keeps a branched node's attributes, the schema among
them, as the transaction's own until it commits (the versioned attributes of test_attr_locks2
in yt/yt/tests/integration/cypress/test_cypress_locks.py)."""

from __future__ import annotations

import pytest

pytest.importorskip("duckdb", reason="YQL runs on DuckDB in the fake")

BEFORE = "INSERT INTO `//t/y` WITH TRUNCATE SELECT 1 AS a, 'x' AS b ORDER BY a"
INSIDE = ("INSERT INTO `//t/y` WITH TRUNCATE SELECT 5 AS a, 2.5 AS c "
          "UNION ALL SELECT 3 AS a, 1.5 AS c", "INSERT INTO `//t/y` SELECT 9 AS a, 0.5 AS c")


def shown(prod_client, path: str = "//t/y"):
    """The table as one outside the transaction reads it: columns and their sort order,
    rows, or None when there is no table."""
    if not prod_client.exists(path):
        return None
    schema = prod_client.declared_schema(path)
    columns = [(c["name"], c["type"], c.get("sort_order")) for c in schema["columns"]]
    return columns, prod_client.row_count(path)


@pytest.mark.parametrize("end", ["abort", "commit"])
@pytest.mark.parametrize("table_before", [False, True])
def test_a_stage_insert_reaches_the_table_at_its_commit_only(prod_client, fake_yt, tmp_path,
                                                            end, table_before):
    if table_before:
        prod_client.run_yql(BEFORE)
    before = shown(prod_client)
    if table_before:
        assert before == ([("a", "int32", "ascending"), ("b", "string", None)], 1)
    else:
        assert before is None
    txn = prod_client.begin_transaction("stage s")
    for query in INSIDE:
        txn.client.run_yql(query)
    written = ([("a", "int32", None), ("c", "double", None)], 3)
    assert shown(txn.client) == written  # the stage sees its writes
    assert shown(prod_client) == before  # the others do not, yet
    if end == "abort":
        txn.abort()
        assert shown(prod_client) == before
        if table_before:
            assert fake_yt.rows("//t/y") == [{"a": 1, "b": "x"}]
            assert prod_client.yt().get("//t/y/@sorted_by") == ["a"]
    else:
        txn.prepare(tmp_path / "record.json")
        txn.commit()
        assert shown(prod_client) == written
        assert sorted(row["a"] for row in fake_yt.rows("//t/y")) == [3, 5, 9]
        assert not prod_client.yt().exists("//t/y/@sorted_by")


@pytest.mark.parametrize("truncate", [False, True], ids=["append", "truncate"])
def test_a_run_cut_short_after_a_stage_query_leaves_no_staging_table(
        prod_client, fake_yt, monkeypatch, truncate):
    """Ctrl-C ends a run without waiting for its stage threads (core/scheduler.py): the
    run's client is closed while a stage's INSERT has finished into its staging table and
    the stage has not yet put its rows on the table. Closing removes the staging table,
    as the stage would have; the table keeps its rows. (Seen in a kill trial of
    tests/reliability/test_prod_kill_trials.py: `-k int`, YTP_PROD_KILL_SEED=4.)"""
    import threading

    from yt_pipeline_prod import yql

    prod_client.run_yql(BEFORE)
    folder = prod_client.settings.yql_result_folder
    query_done, let_go = threading.Event(), threading.Event()
    apply = yql._apply

    def held_apply(client, staged):
        query_done.set()
        let_go.wait(30)
        return apply(client, staged)

    monkeypatch.setattr(yql, "_apply", held_apply)
    txn = prod_client.begin_transaction("stage s")
    query = INSIDE[0] if truncate else "INSERT INTO `//t/y` SELECT 7 AS a, 'z' AS b"
    failed: list[BaseException] = []

    def stage() -> None:
        try:
            txn.client.run_yql(query)
        except BaseException as error:  # noqa: BLE001 - its transaction is gone
            failed.append(error)

    thread = threading.Thread(target=stage, daemon=True)
    thread.start()
    assert query_done.wait(30)
    staged = prod_client.yt().list(folder)
    assert len(staged) == 1, staged  # the query's staging table, waiting for the stage
    prod_client.close()
    left = prod_client.yt().list(folder)
    let_go.set()
    thread.join(30)
    assert left == []
    assert fake_yt.rows("//t/y") == [{"a": 1, "b": "x"}]
    assert failed, "the stage went on in an aborted transaction"


def test_no_stage_query_starts_once_the_run_has_ended(prod_client, fake_yt, monkeypatch):
    """After Ctrl-C the run's client is closed while its stage threads go on
    (core/scheduler.py). A stage thread that has checked its query, and starts it only
    now, would start it outside the stage's aborted transaction with nobody left to abort
    it or remove its staging table. (A staging table was left so in a kill trial of
    test_prod_kill_trials.py: `-k int`, YTP_PROD_KILL_SEED=16.)"""
    from yt_pipeline.errors import BackendError
    from yt_pipeline_prod import yql

    prod_client.run_yql(BEFORE)  # the run's earlier query: the cluster's name is known
    started = len(fake_yt.state.queries)
    prepare = yql.prepare

    def closed_meanwhile(*args, **kwargs):
        prod_client.close()  # the main thread, at Ctrl-C
        return prepare(*args, **kwargs)

    txn = prod_client.begin_transaction("stage s")
    # started before the run ends (the stage wrote already): else the stage's transaction is
    # what is refused first (stage_txn.ProdStageTransaction._start)
    txn.transaction_id  # noqa: B018 - starts it
    monkeypatch.setattr(yql, "prepare", closed_meanwhile)
    with pytest.raises(BackendError, match="the run has ended: the YQL query was not started"):
        txn.client.run_yql("INSERT INTO `//t/y` SELECT 7 AS a, 'z' AS b")
    assert len(fake_yt.state.queries) == started
    assert fake_yt.rows("//t/y") == [{"a": 1, "b": "x"}]
