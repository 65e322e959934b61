"""Stages appending at once to a table whose strict schema a sort made sorted: a cluster
gives such an append an exclusive lock, not the shared one of an append to any other table
(GetTableUploadOptions in yt/yt/ytlib/table_client/table_upload_options.cpp: `IsSorted()`
makes it Exclusive), since the appended rows must follow the table's last one. So the
second appender fails with the lock conflict, and once the first has committed its retry
lands after it: the table holds every committed row, once, in key order."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from yt_pipeline.operations import OperationSpec
from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.launcher import launch
from yt_pipeline_dev.txnlocks import LockConflict

pytest.importorskip("duckdb", reason="YQL runs on DuckDB in dev")

TABLE = "//t/s"


def sorted_table(tmp_path: Path, keys: list[int]) -> DevClient:
    """TABLE written by YQL with `keys`, then sorted by k in place."""
    (tmp_path / "stages" / "s").mkdir(parents=True)
    client = DevClient(tmp_path / ".dev")
    values = ", ".join(f"({k}, 'base')" for k in keys)
    # k an Int64, as YQL reads the integers of the table a later INSERT appends
    client.run_yql(f"INSERT INTO `{TABLE}` WITH TRUNCATE SELECT CAST(k AS Int64) AS k, v "
                   f"FROM (VALUES {values}) AS t(k, v)")
    launch(client, OperationSpec(kind="sort", stage_name="s", name="sort",
                                 stage_dir=tmp_path / "stages" / "s", pipeline_dir=tmp_path,
                                 input_tables=[TABLE], output_tables=[TABLE], sort_by=["k"]))
    assert client.sort_order(TABLE) == ["k"]
    return client


@pytest.mark.parametrize("seed", range(20))
def test_a_second_append_to_a_sorted_table_conflicts_and_its_retry_lands_after(seed,
                                                                               tmp_path):
    rng = random.Random(seed)
    base = sorted(rng.sample(range(100), rng.randint(1, 6)))
    client = sorted_table(tmp_path, base)
    stages = rng.sample(["a", "b", "c", "d"], rng.randint(2, 4))
    # each stage's rows come after the table's last row, in order: alone, each is taken
    rows = {name: [{"k": k, "v": name} for k in sorted(rng.sample(range(100, 200), 3))]
            for name in stages}
    txns = {name: client.begin_transaction(f"yt-pipeline R stage {name} attempt 1")
            for name in stages}
    first, *others = stages
    txns[first].client.write_table(TABLE, rows[first], append=True)
    for name in others:
        with pytest.raises(LockConflict, match=(
                rf'write_table {TABLE}: Cannot take "exclusive" lock for node {TABLE} since '
                rf'"exclusive" lock is taken by concurrent transaction \S+ '
                rf"\(yt-pipeline R stage {first} attempt 1\)")):
            txns[name].client.write_table(TABLE, rows[name], append=True)
        txns[name].abort()
    txns[first].prepare(tmp_path / "record-first")
    txns[first].commit()
    expected = [{"k": k, "v": "base"} for k in base] + rows[first]
    assert list(client.read_table(TABLE)) == expected
    # a retry after the winner's commit: rows before its last are refused, later ones land
    for number, name in enumerate(others):
        retry = client.begin_transaction(f"yt-pipeline R stage {name} attempt 2")
        tail = expected[-1]["k"]
        mine = [{"k": tail + 1 + i, "v": name} for i in range(2)]
        retry.client.write_table(TABLE, mine, append=True)
        retry.prepare(tmp_path / f"record-{number}")
        retry.commit()
        expected += mine
    found = list(client.read_table(TABLE))
    assert found == expected
    assert [row["k"] for row in found] == sorted(row["k"] for row in found)
    assert client.sort_order(TABLE) == ["k"]


@pytest.mark.parametrize("seed", range(20))
def test_a_stage_committing_while_a_yql_insert_runs_leaves_the_sorted_table_whole(
        seed, tmp_path, monkeypatch):
    """Stage a's YQL INSERT appends to the sorted table, which YQL does by a sorted merge;
    while its query runs, stage b writes the table and tries to commit. Whichever lands,
    the table holds the base rows and the committed stages' rows, each once, in key
    order. (The merge went into the table as a read before b's commit, which a's commit
    then put after b's rows: rows lost, doubled and out of order.)"""
    import yt_pipeline_dev.yql_duckdb as executor

    rng = random.Random(seed)
    base = sorted(rng.sample(range(0, 100, 2), rng.randint(1, 6)))
    client = sorted_table(tmp_path, base)
    a_rows = [{"k": k, "v": "a"} for k in sorted(rng.sample(range(1, 300, 2), 3))]
    client.write_table("//t/src", a_rows)
    overwrite = rng.random() < 0.3
    b_rows = [{"k": k, "v": "b"} for k in sorted(rng.sample(range(100, 200), 2))]
    a = client.begin_transaction("yt-pipeline R stage a attempt 1")
    b = client.begin_transaction("yt-pipeline R stage b attempt 1")
    committed = {}
    merge_in = executor.merge_in

    def stage(name: str, txn, rows: list[dict], write) -> None:
        """The stage's write, then its commit; a lock conflict aborts it."""
        try:
            write()
        except LockConflict:
            txn.abort()
        else:
            txn.prepare(tmp_path / f"record-{name}")
            txn.commit()
            committed[name] = rows

    def b_commits_meanwhile(*args: object, **kwargs: object) -> None:
        stage("b", b, b_rows, lambda: b.client.write_table(TABLE, b_rows, append=not overwrite))
        merge_in(*args, **kwargs)

    monkeypatch.setattr(executor, "merge_in", b_commits_meanwhile)
    stage("a", a, a_rows,
          lambda: a.client.run_yql(f"INSERT INTO `{TABLE}` SELECT * FROM `//t/src`"))
    assert committed, "neither stage committed"
    expected = [] if overwrite and "b" in committed else [{"k": k, "v": "base"} for k in base]
    expected += committed.get("b", []) + committed.get("a", [])
    found = list(client.read_table(TABLE))
    by_key = sorted(expected, key=lambda row: (row["k"], row["v"] != "base"))
    assert found == by_key, (committed, found)
    assert client.sort_order(TABLE) == ["k"]
