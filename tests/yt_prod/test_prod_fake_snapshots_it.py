"""What a transaction reads of a node it took a snapshot of (or branched) while the node
changes outside it, in the fake proxy driven by the real ytsaurus-client, against
YTsaurus's own integration tests (yt/yt/tests/integration/cypress/test_cypress_locks.py of
ytsaurus/ytsaurus).

A snapshot lock branches the node: the transaction reads the node's content and attributes
as they were when it took the lock, whatever is written outside afterwards
(TestCypressLocks.test_snapshot_lock). The fake's branches are copied on write
(branches.branch_copy): a table's rows are shared, not copied, until one side writes, so
these tests also write on each side after the lock and read the other.
"""

from __future__ import annotations

from typing import Any

import pytest
import yt.yson as yson
from yt_calls import in_transaction

BIG = 100_000


def _rows(yt: Any, path: str) -> list[dict[str, Any]]:
    return list(yt.read_table(path, format="json"))


def _write(yt: Any, path: str, rows: list[dict[str, Any]]) -> None:
    yt.write_table(path, rows, format="json")


def _snapshot(yt: Any, path: str) -> str:
    tx = yt.start_transaction()
    with in_transaction(yt, tx):
        yt.lock(path, mode="snapshot")
    return tx


def test_snapshots_of_a_large_table_share_its_rows_and_keep_them_after_a_write(yt, fake_yt):
    # TestCypressLocks.test_snapshot_lock: what is written outside after the lock is not
    # read in it. A lock does not copy the table's rows (copied on write), so ten snapshots
    # of 100k rows cost no more than one; the write outside still leaves each as it was
    fake_yt.put_table("//tmp/big", [{"k": i} for i in range(BIG)])
    cypress = fake_yt.state.cypress
    committed = cypress.lookup("//tmp/big", None)
    weight = yt.get("//tmp/big/@data_weight")
    txs = [_snapshot(yt, "//tmp/big") for _ in range(10)]
    assert all(cypress.lookup("//tmp/big", tx).rows is committed.rows for tx in txs)
    _write(yt, "<append=%true>//tmp/big", [{"k": BIG}])
    yt.set("//tmp/big/@note", "after")
    assert yt.get("//tmp/big/@row_count") == BIG + 1
    # the sizes of the rows as they are now, not of the rows the snapshots share
    assert yt.get("//tmp/big/@data_weight") > weight
    assert _rows(yt, f"//tmp/big[#{BIG - 1}:]") == [{"k": BIG - 1}, {"k": BIG}]
    for tx in txs:
        with in_transaction(yt, tx):
            assert yt.get("//tmp/big/@row_count") == BIG
            assert yt.get("//tmp/big/@data_weight") == weight
            assert not yt.exists("//tmp/big/@note")
    with in_transaction(yt, txs[0]):
        assert _rows(yt, f"//tmp/big[#{BIG - 1}:]") == [{"k": BIG - 1}]
    for tx in txs:
        yt.abort_transaction(tx)


def test_a_snapshot_keeps_rows_bytes_and_attributes_written_outside(yt):
    # TestCypressLocks.test_snapshot_lock, for a table, a file and their attributes: an
    # append, an overwrite, a nested attribute value changed and one removed outside, by a
    # plain command or by another transaction's commit, leave the snapshot as it was
    _write(yt, "//tmp/t", [{"a": 1}])
    yt.set("//tmp/t/@x", {"k": [1]})
    yt.set("//tmp/t/@y", "kept")
    yt.write_file("//tmp/f", b"abc")
    tx = yt.start_transaction()
    with in_transaction(yt, tx):
        yt.lock("//tmp/t", mode="snapshot")
        yt.lock("//tmp/f", mode="snapshot")
    _write(yt, "<append=%true>//tmp/t", [{"a": 2}])
    yt.set("//tmp/t/@x", {"k": [1, 2]})
    yt.remove("//tmp/t/@y")
    yt.write_file("<append=%true>//tmp/f", b"def")
    other = yt.start_transaction()
    with in_transaction(yt, other):
        _write(yt, "//tmp/t", [{"a": 9}])
        yt.set("//tmp/t/@z", 3)
        yt.write_file("//tmp/f", b"xyz")
    yt.commit_transaction(other)
    assert _rows(yt, "//tmp/t") == [{"a": 9}]
    assert yt.read_file("//tmp/f").read() == b"xyz"
    assert (yt.get("//tmp/t/@x"), yt.get("//tmp/t/@z")) == ({"k": [1, 2]}, 3)
    with in_transaction(yt, tx):
        assert _rows(yt, "//tmp/t") == [{"a": 1}]
        assert yt.read_file("//tmp/f").read() == b"abc"
        assert (yt.get("//tmp/t/@x"), yt.get("//tmp/t/@y")) == ({"k": [1]}, "kept")
        assert not yt.exists("//tmp/t/@z")
        assert yt.get("//tmp/f/@uncompressed_data_size") == 3
    yt.abort_transaction(tx)


def test_a_nested_snapshot_keeps_what_its_parent_writes_after_it(yt):
    # TestCypressLocks.test_snapshot_lock with the writer the parent transaction: its
    # branch is copied on write too, so the parent's later append and attribute leave the
    # nested snapshot as it was, and the parent reads its own writes
    _write(yt, "//tmp/t", [{"a": 1}])
    parent = yt.start_transaction()
    with in_transaction(yt, parent):
        _write(yt, "<append=%true>//tmp/t", [{"a": 2}])
    child = yt.start_transaction(parent_transaction=parent)
    with in_transaction(yt, child):
        yt.lock("//tmp/t", mode="snapshot")
    with in_transaction(yt, parent):
        _write(yt, "<append=%true>//tmp/t", [{"a": 3}])
        yt.set("//tmp/t/@q", 1)
        assert _rows(yt, "//tmp/t") == [{"a": 1}, {"a": 2}, {"a": 3}]
    with in_transaction(yt, child):
        assert _rows(yt, "//tmp/t") == [{"a": 1}, {"a": 2}]
        assert not yt.exists("//tmp/t/@q")
    assert _rows(yt, "//tmp/t") == [{"a": 1}]
    yt.abort_transaction(parent)


def test_a_write_in_a_transaction_leaves_the_committed_table_and_snapshots_as_they_were(yt):
    # the other way round: a branch shares the rows it came from until it writes, and its
    # write gives it rows of its own (what the committed table and a concurrent snapshot
    # read is unchanged until the commit, TestCypressLocks.test_snapshot_lock's rule)
    _write(yt, "//tmp/t", [{"a": 1}])
    snapshot = _snapshot(yt, "//tmp/t")
    writer = yt.start_transaction()
    with in_transaction(yt, writer):
        _write(yt, "<append=%true>//tmp/t", [{"a": 2}])
        yt.set("//tmp/t/@w", 1)
    assert _rows(yt, "//tmp/t") == [{"a": 1}]
    assert not yt.exists("//tmp/t/@w")
    yt.commit_transaction(writer)
    assert _rows(yt, "//tmp/t") == [{"a": 1}, {"a": 2}]
    with in_transaction(yt, snapshot):
        assert _rows(yt, "//tmp/t") == [{"a": 1}]
        assert not yt.exists("//tmp/t/@w")
    yt.abort_transaction(snapshot)


def test_a_snapshot_of_a_node_whose_folder_is_removed_is_not_reached_by_its_path(yt):
    # TestCypressLocks.test_unlock_unreachable_node: a snapshot lock keeps the node, not its
    # place; once a folder above it is removed outside, its path resolves to nothing in the
    # transaction too
    yt.create("map_node", "//tmp/m1/m2/m3", recursive=True)
    tx = _snapshot(yt, "//tmp/m1/m2/m3")
    yt.remove("//tmp/m1", recursive=True)
    assert not yt.exists("//tmp/m1/m2/m3")
    with in_transaction(yt, tx):
        assert not yt.exists("//tmp/m1/m2/m3")
        assert not yt.exists("//tmp/m1")
    yt.abort_transaction(tx)


def test_a_snapshot_of_a_table_replaced_outside_reads_the_new_table_by_its_path(yt):
    # the same rule (test_unlock_unreachable_node): a path is resolved key by key through
    # the folders as the transaction sees them (GetMapNodeChildOrThrow / FindMapNodeChild in
    # yt/yt/server/master/cypress_server/helpers.cpp), and the transaction holds no branch
    # of //tmp, so //tmp/t is the table made there since
    _write(yt, "//tmp/t", [{"a": 1}])
    old_id = yt.get("//tmp/t/@id")
    tx = _snapshot(yt, "//tmp/t")
    yt.remove("//tmp/t")
    with in_transaction(yt, tx):
        assert not yt.exists("//tmp/t")
    _write(yt, "//tmp/t", [{"a": 2}])
    new_id = yt.get("//tmp/t/@id")
    assert new_id != old_id
    with in_transaction(yt, tx):
        assert yt.get("//tmp/t/@id") == new_id
        assert _rows(yt, "//tmp/t") == [{"a": 2}]
        # a write there locks and branches the new table, not the snapshot
        _write(yt, "<append=%true>//tmp/t", [{"a": 3}])
        assert _rows(yt, "//tmp/t") == [{"a": 2}, {"a": 3}]
    yt.commit_transaction(tx)
    assert _rows(yt, "//tmp/t") == [{"a": 2}, {"a": 3}]


def test_a_file_reports_its_codecs(yt):
    # TFileNodeTypeHandler::DoCreate (yt/yt/server/master/file_server/
    # file_node_type_handler.cpp) defaults a file's compression_codec and erasure_codec to
    # none, unless it is made with its own; a table's default codec is lz4
    yt.write_file("//tmp/f", b"abc")
    assert (yt.get("//tmp/f/@compression_codec"), yt.get("//tmp/f/@erasure_codec")) == (
        "none", "none")
    assert yt.get("//tmp/f/@")["compression_codec"] == "none"
    yt.create("file", "//tmp/z", attributes={"compression_codec": "zstd_3"})
    assert yt.get("//tmp/z/@compression_codec") == "zstd_3"
    yt.create("table", "//tmp/t")
    assert yt.get("//tmp/t/@compression_codec") == "lz4"


def test_a_yql_insert_read_through_a_link_keeps_the_unique_key_of_its_target(prod_client):
    # YQL reads a table through a link as Cypress resolves it, so a plain SELECT of a
    # unique-keys table sorted by its key writes unique keys whether it names the table or
    # a link to it (test_prod_dev_unique_keys.py's SOURCE_CASES give the YQL rule)
    pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")
    yt = prod_client.yt()
    columns = [{"name": "k", "type": "int64", "sort_order": "ascending"},
               {"name": "v", "type": "string"}]
    yt.create("table", "//tmp/u", attributes={"schema": yson.to_yson_type(
        columns, attributes={"strict": True, "unique_keys": True})})
    _write(yt, "//tmp/u", [{"k": 1, "v": "a"}, {"k": 3, "v": "c"}])
    yt.link("//tmp/u", "//tmp/l")
    for source, out in (("//tmp/u", "//tmp/direct"), ("//tmp/l", "//tmp/linked")):
        prod_client.run_yql(f"INSERT INTO `{out}` WITH TRUNCATE SELECT * FROM `{source}` "
                            "ORDER BY k;")
    for out in ("//tmp/direct", "//tmp/linked"):
        schema = prod_client.declared_schema(out)
        assert schema["unique_keys"] is True, out
        assert [c["name"] for c in schema["columns"] if c.get("sort_order")] == ["k"]
        assert _rows(yt, out) == [{"k": 1, "v": "a"}, {"k": 3, "v": "c"}]
