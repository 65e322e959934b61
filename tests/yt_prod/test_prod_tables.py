"""Cypress and tables through the prod client, against the fake proxy."""

from __future__ import annotations

import threading

import pytest

from yt_pipeline.errors import BackendError, InvalidTablePath, TableNotFound


def test_write_then_read_creates_parents(prod_client, fake_yt):
    rows = [{"id": 1, "name": "ann"}, {"id": 2, "name": "bob", "tags": ["x", "ü"]}]
    assert prod_client.write_table("//home/p/deep/users", rows) == 2
    assert list(prod_client.read_table("//home/p/deep/users")) == rows
    assert fake_yt.rows("//home/p/deep/users") == rows
    assert prod_client.row_count("//home/p/deep/users") == 2
    assert prod_client.list("//home/p") == ["deep"]


def test_append_adds_rows_and_overwrite_replaces_them(prod_client):
    prod_client.write_table("//tmp/t", [{"n": 1}])
    prod_client.write_table("//tmp/t", ({"n": n} for n in (2, 3)), append=True)
    assert [r["n"] for r in prod_client.read_table("//tmp/t")] == [1, 2, 3]
    prod_client.write_table("//tmp/t", [{"n": 9}])
    assert list(prod_client.read_table("//tmp/t")) == [{"n": 9}]


def test_exists_remove_create_path_and_list(prod_client):
    assert not prod_client.exists("//tmp/a")
    prod_client.create_path("//tmp/a/b/c")
    prod_client.create_path("//tmp/a/b/c")  # an existing folder is fine
    prod_client.write_table("//tmp/a/t1", [{"x": 1}])
    assert prod_client.exists("//tmp/a/b/c")
    assert prod_client.list("//tmp/a") == ["b", "t1"]
    prod_client.remove("//tmp/a/t1")
    assert not prod_client.exists("//tmp/a/t1")
    with pytest.raises(BackendError, match="non-empty"):
        prod_client.remove("//tmp/a")
    prod_client.remove("//tmp/a", recursive=True)
    assert not prod_client.exists("//tmp/a")
    prod_client.remove("//tmp/a")  # force: a missing path is not an error
    with pytest.raises(TableNotFound):
        prod_client.remove("//tmp/a", force=False)


def test_missing_table_raises_table_not_found(prod_client):
    with pytest.raises(TableNotFound, match="//tmp/missing"):
        prod_client.read_table("//tmp/missing")
    with pytest.raises(TableNotFound):
        prod_client.row_count("//tmp/missing")
    with pytest.raises(TableNotFound):
        prod_client.list("//tmp/missing")
    assert prod_client.table_fingerprint("//tmp/missing") is None


def test_list_of_a_table_and_row_count_of_a_folder_are_clear_errors(prod_client):
    prod_client.write_table("//tmp/t", [{"x": 1}])
    with pytest.raises(BackendError, match="not a folder"):
        prod_client.list("//tmp/t")
    with pytest.raises(BackendError, match="not a table"):
        prod_client.row_count("//tmp")


def test_fingerprint_is_the_revision_and_changes_with_the_table(prod_client):
    prod_client.write_table("//tmp/f", [{"x": 1}])
    first = prod_client.table_fingerprint("//tmp/f")
    assert first == str(prod_client.yt().get("//tmp/f/@revision"))
    assert prod_client.table_fingerprint("//tmp/f") == first
    prod_client.write_table("//tmp/f", [{"x": 2}], append=True)
    assert prod_client.table_fingerprint("//tmp/f") != first


def test_failed_write_leaves_the_table_as_it_was(prod_client, fake_yt):
    prod_client.write_table("//tmp/keep", [{"v": "old"}])

    def broken_rows():
        yield {"v": "new"}
        raise RuntimeError("source broke")

    with pytest.raises(RuntimeError, match="source broke"):
        prod_client.write_table("//tmp/keep", broken_rows())
    assert fake_yt.rows("//tmp/keep") == [{"v": "old"}]
    with pytest.raises(RuntimeError):
        prod_client.write_table("//tmp/keep", broken_rows(), append=True)
    assert fake_yt.rows("//tmp/keep") == [{"v": "old"}]
    with pytest.raises(BackendError, match="rows must be dicts"):
        prod_client.write_table("//tmp/new_table", [{"a": 1}, ["not", "a", "dict"]])
    assert not prod_client.exists("//tmp/new_table")
    assert fake_yt.transaction_count() == 0


def test_bad_paths_are_rejected_before_any_request(prod_client, fake_yt):
    fake_yt.reset_counters()
    for bad in ("tmp/x", "/tmp/x", "//", ""):
        with pytest.raises(InvalidTablePath):
            prod_client.exists(bad)
    assert sum(fake_yt.calls.values()) == 0


def test_parallel_writers_do_not_share_a_transaction(prod_client, fake_yt):
    # They also create //tmp/par at once: from three transactions that is a lock conflict
    # on its name in //tmp ("Locks" on the Transactions page of the Cypress docs), which
    # the fake enforces; the client creates a table's folder outside its transaction.
    def write(name):
        for round_ in range(3):
            prod_client.write_table(f"//tmp/par/{name}", [{"w": name, "r": round_}] * 5)

    threads = [threading.Thread(target=write, args=(name,)) for name in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name in ("a", "b", "c"):
        assert fake_yt.rows(f"//tmp/par/{name}") == [{"w": name, "r": 2}] * 5
    assert fake_yt.transaction_count() == 0


def test_table_path_keyword_as_yt_framework_names_it(prod_client):
    assert prod_client.write_table(table_path="//tmp/kw/t", rows=[{"n": 1}, {"n": 2}]) == 2
    assert list(prod_client.read_table(table_path="//tmp/kw/t")) == [{"n": 1}, {"n": 2}]
    assert prod_client.row_count(table_path="//tmp/kw/t") == 2


def test_yt_framework_client_keywords(prod_client, fake_yt):
    prod_client.create_path("//tmp/kw2", node_type="map_node")
    prod_client.write_table("//tmp/kw2/t", [{"a": 1}], replication_factor=1)
    assert list(prod_client.read_table("//tmp/kw2/t")) == [{"a": 1}]
    assert prod_client.yt().get("//tmp/kw2/t/@replication_factor") == 1
    prod_client.create_path("//tmp/kw2/empty", node_type="table")
    assert prod_client.row_count("//tmp/kw2/empty") == 0


def test_a_replication_factor_out_of_range_is_refused_and_nothing_is_written(prod_client,
                                                                            fake_yt):
    # a master takes 1 to 20 (MinReplicationFactor, MaxReplicationFactor in yt/yt/client/
    # chunk_client/public.h; ValidateReplicationFactor in yt/yt/ytlib/chunk_client/
    # helpers.cpp: "Replication factor %v is out of range [%v,%v]")
    with pytest.raises(BackendError, match=r"write_table //tmp/rf/t: .*Replication factor 25 "
                                           r"is out of range \[1,20\]"):
        prod_client.write_table("//tmp/rf/t", [{"a": 1}], replication_factor=25)
    assert not prod_client.exists("//tmp/rf/t")
    prod_client.write_table("//tmp/rf/t", [{"a": 1}], replication_factor=20)
    assert prod_client.yt().get("//tmp/rf/t/@replication_factor") == 20


def test_a_stage_that_reads_part_of_a_table_still_commits(prod_client, fake_yt, tmp_path):
    # ytsaurus-client reads a table in a transaction nested in the stage's, ended only when
    # the read is closed (make_read_request in yt/wrapper/heavy_commands.py), and a
    # master's commit aborts nested transactions still running (TTransactionManager::
    # CommitTransaction): the stage's open reads are closed before its commit, which then
    # leaves no transaction behind.
    fake_yt.put_table("//tmp/big", [{"i": i} for i in range(5000)])
    txn = prod_client.begin_transaction("stage peek")
    stage = txn.client
    rows = stage.read_table("//tmp/big")
    first = next(rows)
    untouched = stage.read_table("//tmp/big")  # opened by the call, never iterated
    for row in stage.read_table("//tmp/big"):
        if row["i"] == 3:
            break  # the loop's reader stays open
    stage.write_table("//tmp/peeked", [first, row])
    txn.prepare(tmp_path / "record.json")
    txn.commit()
    assert fake_yt.rows("//tmp/peeked") == [{"i": 0}, {"i": 3}]
    assert fake_yt.transaction_count() == 0
    del untouched


def test_a_commit_a_killed_run_left_after_a_partial_read_is_finished(prod_client, fake_yt,
                                                                      tmp_path):
    # The run is killed between its journal record and the commit: the next run commits
    # the stage's transaction (finish_commit). A read the stage left open is a transaction
    # nested in the stage's, alive until its own lease runs out, and the commit would abort
    # it (TTransactionManager::CommitTransaction in yt/yt/server/master/transaction_server/
    # transaction_manager.cpp aborts nested transactions still running): the reads are
    # closed before the record, not at the commit.
    from yt_pipeline_prod.testing import make_prod_client

    fake_yt.put_table("//tmp/big2", [{"i": i} for i in range(5000)])
    txn = prod_client.begin_transaction("stage peek")
    stage = txn.client
    rows = stage.read_table("//tmp/big2")
    first = next(rows)
    stage.write_table("//tmp/peeked2", [first])
    token = txn.prepare(tmp_path / "record.json")
    # killed here: no commit; the next run finishes it
    next_run = make_prod_client(fake_yt)
    try:
        assert next_run.finish_commit(token) is True
    finally:
        next_run.close()
    assert fake_yt.rows("//tmp/peeked2") == [{"i": 0}]
    assert fake_yt.transaction_count() == 0
    prod_client.open_transactions.clear()  # the killed run's: nothing of it is left to end


def test_a_stage_appends_to_a_table_it_created_itself(prod_client, fake_yt, tmp_path):
    # An append creates a missing table outside the stage's transaction; a table the stage
    # itself created is there for the stage, and creating it again outside would conflict
    # with the stage's own lock on its name ("Cannot take lock for child": the Locks section
    # of the Transactions page of the Cypress docs).
    txn = prod_client.begin_transaction("stage grow")
    stage = txn.client
    stage.write_table("//tmp/grown/t", [{"i": 0}])
    stage.write_table("//tmp/grown/t", [{"i": 1}], append=True)
    stage.run_yql("INSERT INTO `//tmp/grown/y` WITH TRUNCATE SELECT 0 AS i")
    stage.write_table("//tmp/grown/y", [{"i": 1}], append=True)
    txn.prepare(tmp_path / "record.json")
    txn.commit()
    assert fake_yt.rows("//tmp/grown/t") == [{"i": 0}, {"i": 1}]
    assert fake_yt.rows("//tmp/grown/y") == [{"i": 0}, {"i": 1}]


def test_a_row_reaching_the_row_weight_limit_is_refused_as_in_dev(prod_client, fake_yt):
    # A writer takes a row lighter than max_row_weight (16 MiB) only: ValidateRowWeight in
    # yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp ("Row weight is too large",
    # `weight < MaxRowWeight`), the weight being 1 and the values' data (UpdateDataWeight
    # there; GetDataWeight in yt/yt/client/table_client/unversioned_row.cpp). Dev:
    # tests/yt_dev/test_client.py.
    limit = 16 * 1024 * 1024
    prod_client.write_table("//tmp/heavy", [{"keep": 1}])
    with pytest.raises(BackendError, match=r"write_table //tmp/heavy: .*Row weight is too "
                                           r"large \(row_weight 16777216"):
        prod_client.write_table("//tmp/heavy", [{"n": 1}, {"blob": "x" * (limit - 9), "n": 2}],
                                append=True)
    assert fake_yt.rows("//tmp/heavy") == [{"keep": 1}]
    prod_client.write_table("//tmp/heavy", [{"blob": "\x01" * (limit - 2)}])
    assert prod_client.row_count("//tmp/heavy") == 1
