"""A dev folder removed outside any transaction: refused while a transaction holds a lock
on one of its tables, as on a cluster, and never failing a commit that makes a table live
in it at that moment."""

from __future__ import annotations

import json

import pytest

from yt_pipeline_dev import tablelock
from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.folder_removal import remove_folder
from yt_pipeline_dev.paths import folder
from yt_pipeline_dev.txnlocks import LockConflict


def test_a_removal_waits_for_no_lock_but_conflicts_with_a_transactions(tmp_path):
    client = DevClient(tmp_path / ".dev")
    client.write_table("//f/a", [{"n": 1}])
    client.write_table("//f/sub/b", [{"n": 2}])
    txn = client.begin_transaction("yt-pipeline run stage s attempt 1")
    txn.client.write_table("//f/sub/b", [{"n": 3}])
    with pytest.raises(LockConflict) as caught:
        client.remove("//f", recursive=True)
    name = txn.dir.name
    assert str(caught.value) == (
        f'Cannot take "exclusive" lock for node //f/sub/b since "exclusive" lock is taken '
        f"by concurrent transaction {name} (yt-pipeline run stage s attempt 1)")
    assert client.list("//f") == ["a", "sub"]  # nothing of it was removed
    assert list(client.read_table("//f/sub/b")) == [{"n": 2}]
    txn.abort()
    client.remove("//f", recursive=True)
    assert not client.exists("//f")
    assert list((tmp_path / ".dev" / ".removed").iterdir()) == []


def test_a_commit_making_a_table_live_in_a_folder_removed_meanwhile_lands(tmp_path,
                                                                           monkeypatch):
    root = tmp_path / ".dev"
    client = DevClient(root)
    client.write_table("//f/old", [{"n": 1}])
    txn = client.begin_transaction("t")
    txn.client.write_table("//f/new", [{"n": 2}])
    record = tmp_path / "record"
    record.write_text(json.dumps(txn.prepare(record)))
    real_crash_point = tablelock.crash_point

    def removed_now(name: str) -> None:
        # the commit has made the table's folder; a removal (of another process, which
        # looked for the commit's markers before they were written) moves it aside before
        # the table's rename, which found no folder and failed the recorded commit
        if name == "dev: before a staged table becomes live":
            monkeypatch.setattr(tablelock, "crash_point", real_crash_point)
            remove_folder(root, folder(root, "//f"))
        real_crash_point(name)

    monkeypatch.setattr(tablelock, "crash_point", removed_now)
    txn.commit()
    assert client.list("//f") == ["new"]
    assert list(client.read_table("//f/new")) == [{"n": 2}]


@pytest.mark.parametrize("made, locked", [("//f/sub/new", "//f/sub"),
                                          ("//f/sub/x/y/new", "//f/sub")])
def test_a_removal_conflicts_with_a_table_a_transaction_made_in_the_folder(tmp_path, made,
                                                                            locked):
    # A table made in a transaction exists only there, but making it locked its name in
    # the deepest folder of its path that exists outside ("shared", keyed by the child):
    # a removal of the folder above outside any transaction cannot take its exclusive lock
    # (DoCheckLock in cypress_manager.cpp; tests/yt_prod/test_prod_fake_locks.py shows the
    # fake proxy saying the same). Dev removed the folder, and the commit made it again.
    client = DevClient(tmp_path / ".dev")
    client.write_table("//f/old", [{"n": 1}])
    client.create_path("//f/sub", "map_node")
    txn = client.begin_transaction("yt-pipeline run stage s attempt 1")
    txn.client.write_table(made, [{"n": 2}])
    with pytest.raises(LockConflict) as caught:
        client.remove("//f", recursive=True)
    assert str(caught.value) == (
        f'Cannot take "exclusive" lock for node {locked} since "shared" lock is taken by '
        f"concurrent transaction {txn.dir.name} (yt-pipeline run stage s attempt 1)")
    assert client.list("//f") == ["old", "sub"]  # nothing of it was removed
    txn.abort()
    client.remove("//f", recursive=True)  # the lock went with the transaction
    assert not client.exists("//f")
