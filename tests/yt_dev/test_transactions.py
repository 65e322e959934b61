"""The dev client inside a transaction: what the stage sees, what others see, the commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from txn_helpers import commit

from yt_pipeline.errors import BackendError, TableNotFound
from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.tablelock import read_marker


@pytest.fixture
def live(tmp_path) -> DevClient:
    client = DevClient(tmp_path / ".dev")
    client.write_table("//data/a", [{"x": 1}])
    client.write_table("//data/b", [{"x": 2}])
    client.write_table("//data/sub/c", [{"x": 3}])
    return client


def rows(client: DevClient, path: str) -> list[dict]:
    return list(client.read_table(path))


def test_a_removed_folder_is_gone_inside_and_there_outside_until_the_commit(live, tmp_path):
    txn = live.begin_transaction("t")
    inside = txn.client
    inside.remove("//data/sub", recursive=True)
    inside.create_path("//data/sub")
    inside.write_table("//data/sub/d", [{"x": 4}])
    assert inside.list("//data/sub") == ["d"]
    assert not inside.exists("//data/sub/c")
    assert live.list("//data/sub") == ["c"]  # others see the folder as it was
    commit(txn, tmp_path)
    assert live.list("//data/sub") == ["d"] and rows(live, "//data/sub/d") == [{"x": 4}]


def test_remove_then_write_then_append_is_one_new_table(live, tmp_path):
    txn = live.begin_transaction("t")
    inside = txn.client
    inside.remove("//data/a")
    with pytest.raises(TableNotFound):
        inside.row_count("//data/a")
    inside.write_table("//data/a", [{"x": 10}], append=True)
    inside.write_table("//data/a", [{"x": 11}], append=True)
    assert rows(inside, "//data/a") == [{"x": 10}, {"x": 11}]
    assert rows(live, "//data/a") == [{"x": 1}]
    commit(txn, tmp_path)
    assert rows(live, "//data/a") == [{"x": 10}, {"x": 11}]


def test_an_append_is_rebased_on_rows_appended_meanwhile(live, tmp_path):
    txn = live.begin_transaction("t")
    txn.client.write_table("//data/a", [{"x": "mine"}], append=True)
    live.write_table("//data/a", [{"x": "theirs"}], append=True)  # another run, meanwhile
    commit(txn, tmp_path)
    assert rows(live, "//data/a") == [{"x": 1}, {"x": "theirs"}, {"x": "mine"}]


def test_an_abort_leaves_nothing_behind(live, tmp_path):
    txn = live.begin_transaction("t")
    txn.client.write_table("//data/new", [{"x": 1}])
    txn.client.remove("//data/b")
    txn.prepare(tmp_path / "never-written.json")
    assert read_marker(live.root, "//data/new") is not None
    txn.abort()
    assert not live.exists("//data/new") and rows(live, "//data/b") == [{"x": 2}]
    assert read_marker(live.root, "//data/new") is None
    assert list((live.root / ".txn").iterdir()) == []


def test_a_folder_with_tables_needs_recursive_inside_too(live):
    inside = live.begin_transaction("t").client
    with pytest.raises(BackendError, match="folder is not empty"):
        inside.remove("//data/sub")
    inside.remove("//data/sub/c")
    inside.remove("//data/sub")  # empty as the transaction sees it
    assert not inside.exists("//data/sub")


def test_a_commit_a_killed_process_left_is_finished_by_the_next_writer(live, tmp_path):
    txn = live.begin_transaction("t")
    txn.client.write_table("//data/a", [{"x": "committed"}], append=True)
    record = tmp_path / "record.json"
    record.write_text(json.dumps(txn.prepare(record)))
    txn._locks.release()  # the process dies here: the kernel drops its locks, nothing more
    live.write_table("//data/a", [{"x": "next"}], append=True)
    assert rows(live, "//data/a") == [{"x": 1}, {"x": "committed"}, {"x": "next"}]
    assert read_marker(live.root, "//data/a") is None


def test_a_transaction_whose_prepared_file_a_kill_left_empty_is_swept(tmp_path):
    # a kill while `prepared` was written left it empty; Path("") is the working folder,
    # which exists, so the folder once stayed forever
    from yt_pipeline_dev.recovery import sweep

    txn = tmp_path / ".dev" / ".txn" / "1-999999999-1"
    txn.mkdir(parents=True)
    (txn / "owner.lock").write_text("")
    (txn / "prepared").write_text("")
    (txn / "1.jsonl").write_text("{}\n")
    assert sweep(tmp_path / ".dev") == 1
    assert not txn.exists()


def test_a_query_reading_what_its_stage_wrote_is_refused_as_in_prod(live):
    # prod's query tracker cannot see the stage's transaction and would read the old rows;
    # dev refuses the same query with the same message, instead of answering it
    from yt_pipeline.errors import QueryFailed

    txn = live.begin_transaction("t")
    inside = txn.client
    assert inside.run_yql("SELECT x FROM `//data/a`") == [{"x": 1}]
    inside.write_table("//data/a", [{"x": 9}])
    for query in ("SELECT x FROM `//data/a`", "SELECT * FROM RANGE(`//data`)"):
        with pytest.raises(QueryFailed, match="reads //data/a, which this stage wrote"):
            inside.run_yql(query)
    assert inside.run_yql("SELECT x FROM `//data/b`") == [{"x": 2}]
    inside.run_yql("INSERT INTO `//data/a` WITH TRUNCATE SELECT 3 AS x")  # a write, not a read
    # a table an INSERT of the stage filled whole may be read (prod reads it from the
    # INSERT's staging table), until something else writes it or an INSERT appends to it
    assert inside.run_yql("SELECT x FROM `//data/a`") == [{"x": 3}]
    with pytest.raises(QueryFailed, match="reads //data/a, which this stage wrote"):
        inside.run_yql("SELECT * FROM RANGE(`//data`)")  # a folder: only exact names
    inside.run_yql("INSERT INTO `//data/a` SELECT 4 AS x")
    with pytest.raises(QueryFailed, match="reads //data/a, which this stage wrote"):
        inside.run_yql("SELECT x FROM `//data/a`")
    txn.abort()
    assert live.run_yql("SELECT x FROM `//data/a`") == [{"x": 1}]


def test_a_half_made_transaction_of_a_killed_unreaped_run_is_swept(tmp_path):
    """A run killed while it made or removed a transaction's folder leaves the folder without
    its lock file; the sweep then asks whether the process of the folder's name still runs.
    A killed run whose parent has not waited for it (a zombie) answers kill(pid, 0) all the
    same, and such a folder stayed behind every later run."""
    import subprocess
    import time

    from yt_pipeline_dev.recovery import sweep
    from yt_pipeline_dev.staging import TXN_DIR

    zombie = subprocess.Popen(["true"])
    live = subprocess.Popen(["sleep", "30"])
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{zombie.pid}/stat").read_text().split(") ")[1][0] != "Z":
            assert time.monotonic() < deadline, "the child did not end"
            time.sleep(0.01)
        base = tmp_path / TXN_DIR
        for pid in (zombie.pid, live.pid):
            (base / f"1796000000000000000-{pid}-2").mkdir(parents=True)
            (base / f"1796000000000000000-{pid}-2" / "1.jsonl").write_text('{"a":1}\n')
        assert sweep(tmp_path) == 1
        assert [p.name for p in base.iterdir()] == [f"1796000000000000000-{live.pid}-2"]
    finally:
        live.kill()
        live.wait()
        zombie.wait()
