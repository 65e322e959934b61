"""A dev commit killed after its record, before its folder changes, is finished before
anything uses a path in those folders: a write outside a transaction too.

A table written outside a transaction into a folder such a commit removes went into the
folder still there; the next reader of the folder then made the recorded removal, and the
table just written was gone."""

from __future__ import annotations

import json
import os

import pytest

from yt_pipeline.errors import YtPipelineError
from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.recovery import sweep


def killed_after_record(root, tmp_path, changes) -> dict:
    """A transaction making `changes` whose process died right after its journal record."""
    killed = DevClient(root).begin_transaction("killed")
    changes(killed.client)
    record = tmp_path / "record"
    token = killed.prepare(record)
    record.write_text(json.dumps(token))
    killed._locks.release()  # the kernel drops a killed process's locks, nothing more
    os.close(killed._owner_fd)
    return token


def removes_folder(txn_client) -> None:
    txn_client.remove("//f", recursive=True)
    txn_client.write_table("//o/x", [{"n": 1}])


@pytest.fixture
def removing(tmp_path) -> DevClient:
    """A client of a folder holding //f/old and //o/x, where a commit removing //f (and
    writing //o/x) was killed right after its record."""
    root = tmp_path / ".dev"
    client = DevClient(root)
    client.write_table("//f/old", [{"n": 0}])
    client.write_table("//o/x", [{"n": 0}])
    killed_after_record(root, tmp_path, removes_folder)
    return client


def test_a_write_outside_a_transaction_into_a_folder_a_recorded_commit_removes(removing):
    client = removing
    client.write_table("//f/new", [{"n": 5}, {"n": 6}])
    assert client.list("//f") == ["new"]
    assert [row["n"] for row in client.read_table("//f/new")] == [5, 6]
    assert [row["n"] for row in client.read_table("//o/x")] == [1]
    assert not client.exists("//f/old")


def test_a_folder_only_commit_whose_prepared_file_a_crash_emptied_is_still_finished(
        tmp_path):
    """A machine crash leaves a file renamed into place empty (dev's writes are not forced
    to disk). A commit removing a folder and writing no table has no table marker naming
    its record: with its `prepared` file empty, a reader dropped its folder marker as one
    never recorded and read the removed table, and sweep (another pipeline's run) removed
    its transaction, so the next run had nothing left to finish."""
    root = tmp_path / ".dev"
    client = DevClient(root)
    client.write_table("//f/old", [{"n": 0}])
    client.write_table("//o/x", [{"n": 0}])
    token = killed_after_record(root, tmp_path, lambda txn: txn.remove("//f", recursive=True))
    assert token["tables"] == []
    (root / token["txn"] / "prepared").write_text("")
    assert sweep(root) == 0
    assert (root / token["txn"]).is_dir()
    assert not client.exists("//f/old")
    assert not client.exists("//f")
    assert client.list("//") == ["o"]
    DevClient(root).finish_commit(token)  # the next run of its pipeline
    assert client.list("//") == ["o"]
    assert [row["n"] for row in client.read_table("//o/x")] == [0]


def test_a_listing_sees_the_folders_a_killed_commit_makes_with_its_tables(tmp_path):
    """A table written into a folder not there makes the folder when it is made live. After
    a kill before that, `ls //x` made the commit's table `//x/b` live and showed it without
    the folder `sub` of its table `//x/sub/t`, and `sub` was said not to exist: half a
    commit."""
    root = tmp_path / ".dev"
    client = DevClient(root)
    client.write_table("//x/a", [{"n": 0}])

    def writes(txn_client) -> None:
        txn_client.write_table("//x/b", [{"n": 1}])
        txn_client.write_table("//x/sub/t", [{"n": 2}])
        txn_client.write_table("//top/deep/t", [{"n": 3}])

    killed_after_record(root, tmp_path, writes)
    assert client.list("//x") == ["a", "b", "sub"]
    assert client.list("//") == ["top", "x"]
    assert client.list("//x/sub") == ["t"]
    assert [row["n"] for row in client.read_table("//x/sub/t")] == [2]


def test_a_folder_a_killed_commit_makes_with_its_table_exists(tmp_path):
    root = tmp_path / ".dev"
    client = DevClient(root)
    client.write_table("//x/a", [{"n": 0}])
    killed_after_record(root, tmp_path,
                        lambda txn_client: txn_client.write_table("//x/sub/t", [{"n": 2}]))
    assert client.exists("//x/sub")
    assert client.list("//x") == ["a", "sub"]
    assert [row["n"] for row in client.read_table("//x/sub/t")] == [2]


def test_a_folder_removed_after_a_killed_commit_of_a_table_in_it_stays_removed(tmp_path):
    """The table a killed commit still had to make live in a folder removed after that
    commit's record came back, in a folder made again around it, at its next reader."""
    for in_transaction in (False, True):
        root = tmp_path / f"in-txn-{in_transaction}" / ".dev"
        client = DevClient(root)
        client.write_table("//f/sub/a", [{"n": 0}])
        client.write_table("//o/x", [{"n": 0}])
        killed_after_record(root, root.parent, lambda txn_client: txn_client.write_table(
            "//f/sub/t", [{"n": 1}]))
        if in_transaction:
            txn = client.begin_transaction("remove")
            txn.client.remove("//f", recursive=True)
            assert txn.prepare(root.parent / "record-2") is not None
            (root.parent / "record-2").write_text("{}")
            txn.commit()
        else:
            client.remove("//f", recursive=True)
        assert client.list("//") == ["o"], in_transaction
        assert not client.exists("//f/sub/t"), in_transaction
        assert not client.exists("//f"), in_transaction


def test_a_missing_path_is_told_without_looking_through_every_table_marker(
        tmp_path, monkeypatch):
    """A folder a commit's table makes is one of its folder changes, so that telling a path
    missing needs no look through `.dev/.locks/`, which holds a lock file per table: with
    two thousand tables such a look made `exists` of a missing path 25 times slower."""
    import yt_pipeline_dev.tablelock as tablelock

    root = tmp_path / ".dev"
    client = DevClient(root)
    client.write_table("//x/a", [{"n": 0}])
    killed_after_record(root, tmp_path,
                        lambda txn_client: txn_client.write_table("//y/sub/t", [{"n": 2}]))

    def looked(_root):
        raise AssertionError("looked through every table marker")

    monkeypatch.setattr(tablelock, "_marked_tables", looked)
    assert not client.exists("//x/missing")
    assert not client.exists("//z")
    assert client.exists("//y/sub")  # made by the folder changes of the killed commit


def test_a_damaged_manifest_of_a_killed_folder_change(tmp_path):
    """A machine crash may leave the transaction's manifest empty: the folder marker names
    the changes too. With both damaged the reader stops naming both files, not with a bare
    JSON error."""
    root = tmp_path / ".dev"
    client = DevClient(root)
    client.write_table("//f/old", [{"n": 0}])
    client.write_table("//g/old", [{"n": 0}])
    token = killed_after_record(root, tmp_path, lambda txn: txn.remove("//f", recursive=True))
    (root / token["txn"] / "manifest.json").write_text("")
    assert not client.exists("//f/old")
    assert client.list("//") == ["g"]

    token = killed_after_record(root, tmp_path, lambda txn: txn.remove("//g", recursive=True))
    (root / token["txn"] / "manifest.json").write_text("")
    marker = root / ".locks" / "folders" / (token["txn"].rsplit("/", 1)[1] + ".json")
    marker.write_text("")
    with pytest.raises(YtPipelineError) as failure:
        client.exists("//g/old")
    message = str(failure.value)
    assert str(root / token["txn"] / "manifest.json") in message, message
    assert str(marker) in message and "\n" not in message, message


def test_a_folder_made_outside_a_transaction_in_a_folder_a_recorded_commit_removes(removing):
    client = removing
    client.create_path("//f/sub")
    assert client.list("//f") == ["sub"]
    assert client.exists("//f/sub")
    assert [row["n"] for row in client.read_table("//o/x")] == [1]


def test_sweep_drops_the_folder_marker_of_a_commit_never_recorded(tmp_path):
    """Killed before its record, a commit left its folder marker; sweep removed its
    transaction and kept the marker, which every later read then looked into, until a read
    near its folders dropped it."""
    root = tmp_path / ".dev"
    client = DevClient(root)
    client.write_table("//f/old", [{"n": 0}])
    killed = client.begin_transaction("killed")
    killed.client.remove("//f", recursive=True)
    killed.prepare(tmp_path / "record")  # the record was never written
    killed._locks.release()
    os.close(killed._owner_fd)
    markers = root / ".locks" / "folders"
    assert [path.name for path in markers.iterdir()] == [f"{killed.dir.name}.json"]
    assert sweep(root) == 1
    assert not markers.exists()
    assert [row["n"] for row in client.read_table("//f/old")] == [0]
