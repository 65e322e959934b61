"""The fake proxy takes Cypress locks as a cluster does, so a test cannot pass only because
two transactions were allowed to write one node at once.

Where each fact comes from:
- which command takes which lock, and which locks conflict: the "Locks" section of the
  Transactions page of the Cypress docs (implicit locks, lock compatibility) and
  `DoCheckLock` in yt/yt/server/master/cypress_server/cypress_manager.cpp;
- the codes: 402 ConcurrentTransactionLockConflict, 400 SameTransactionLockConflict
  (yt/yt/client/cypress_client/public.h); ytsaurus-client's
  `YtError.is_concurrent_transaction_lock_conflict` checks for 402 (yt/common.py);
- the messages: the `TError`s of `DoCheckLock`;
- locks released on commit and abort, passed to the parent when a nested transaction
  commits: `ReleaseLocks` in cypress_manager.cpp;
- `lock` needs a transaction: "A valid master transaction is required"
  (`TClient::GetTransactionId` of the native client; test_invalid_cases in
  yt/yt/tests/integration/cypress/test_cypress_locks.py);
- a transaction committed with nested transactions still running aborts them:
  `TTransactionManager::CommitTransaction` in the master (test_prod_fake_locks_it.py).
"""

from __future__ import annotations

import re

import pytest
from yt.wrapper.errors import YtError, YtResponseError

from yt_pipeline_prod.testing import make_prod_client

CONFLICT = re.compile(r'Cannot take "(\w+)" lock for node (\S+) since "(\w+)" lock is taken by '
                      r"concurrent transaction [0-9a-f-]+")


@pytest.fixture
def two(fake_yt):
    """Two clients, each with its own transaction stack."""
    return make_prod_client(fake_yt).yt(), make_prod_client(fake_yt).yt()


def _conflict(error: YtResponseError) -> tuple[str, ...]:
    assert error.is_concurrent_transaction_lock_conflict(), error
    [message] = [e["message"] for e in _errors(error.error) if e.get("code") == 402]
    match = CONFLICT.search(message) or re.search(r"lock for (child|attribute) \"(\w+)\" of "
                                                  r"node (\S+)", message)
    assert match, message
    return match.groups()


def _errors(error: dict) -> list[dict]:
    return [error] + [e for inner in error.get("inner_errors", []) for e in _errors(inner)]


def test_two_transactions_overwriting_one_table_conflict(prod_client, fake_yt, two):
    a, b = two
    prod_client.write_table("//tmp/t", [{"v": 0}])
    with a.Transaction():
        a.write_table("//tmp/t", [{"v": 1}], format="json")
        with pytest.raises(YtResponseError) as caught, b.Transaction():
            b.write_table("//tmp/t", [{"v": 2}], format="json")
        assert _conflict(caught.value) == ("exclusive", "//tmp/t", "exclusive")
        with pytest.raises(YtResponseError) as caught, b.Transaction():
            b.write_table("<append=%true>//tmp/t", [{"v": 3}], format="json")
        assert _conflict(caught.value) == ("shared", "//tmp/t", "exclusive")
        # outside any transaction: conflicts with every transaction's lock too
        with pytest.raises(YtResponseError) as caught:
            b.set("//tmp/t/@note", "x")
        assert caught.value.is_concurrent_transaction_lock_conflict()
    assert fake_yt.rows("//tmp/t") == [{"v": 1}]
    with b.Transaction():  # released on commit
        b.write_table("//tmp/t", [{"v": 2}], format="json")
    assert fake_yt.rows("//tmp/t") == [{"v": 2}]


def test_appends_share_and_an_overwrite_waits_for_them(prod_client, two):
    a, b = two
    prod_client.write_table("//tmp/t", [])
    with a.Transaction(), b.Transaction():
        a.write_table("<append=%true>//tmp/t", [{"v": 1}], format="json")
        b.write_table("<append=%true>//tmp/t", [{"v": 2}], format="json")
    with a.Transaction():
        a.write_table("<append=%true>//tmp/t", [{"v": 3}], format="json")
        with pytest.raises(YtResponseError) as caught, b.Transaction():
            b.write_table("//tmp/t", [], format="json")
        assert _conflict(caught.value) == ("exclusive", "//tmp/t", "shared")


def test_files_lock_like_tables(two):
    a, b = two
    a.write_file("//tmp/f", b"x")
    with a.Transaction():
        a.write_file("//tmp/f", b"from a")
        with pytest.raises(YtResponseError) as caught, b.Transaction():
            b.write_file("//tmp/f", b"from b")
        assert _conflict(caught.value) == ("exclusive", "//tmp/f", "exclusive")
    assert a.read_file("//tmp/f").read() == b"from a"


def test_creating_one_name_from_two_transactions_conflicts(two):
    """A new node takes a shared lock on its name in the parent folder."""
    a, b = two
    with a.Transaction():
        a.create("table", "//tmp/new")
        a.create("table", "//tmp/dir/other", recursive=True)
        with pytest.raises(YtResponseError) as caught, b.Transaction():
            b.create("table", "//tmp/new")
        assert _conflict(caught.value) == ("child", "new", "//tmp")
        with b.Transaction():
            b.create("table", "//tmp/another")  # another name: no conflict
    assert a.exists("//tmp/new") and a.exists("//tmp/another") and a.exists("//tmp/dir/other")


def test_remove_and_attributes_take_locks(prod_client, two):
    a, b = two
    prod_client.write_table("//tmp/t", [{"v": 1}])
    with a.Transaction(), b.Transaction():
        a.set("//tmp/t/@one", 1)
        b.set("//tmp/t/@two", 2)  # another attribute: no conflict
        with pytest.raises(YtResponseError) as caught:
            b.set("//tmp/t/@one", 3)
        assert _conflict(caught.value) == ("attribute", "one", "//tmp/t")
    assert (a.get("//tmp/t/@one"), a.get("//tmp/t/@two")) == (1, 2)  # both land
    with a.Transaction():
        a.remove("//tmp/t")
        with pytest.raises(YtResponseError) as caught:
            b.set("//tmp/t/@one", 4)  # the removal holds an exclusive lock
        assert caught.value.is_concurrent_transaction_lock_conflict()
    assert not a.exists("//tmp/t")



@pytest.mark.parametrize("made, locked", [("//tmp/f/sub/new", "//tmp/f/sub"),
                                          ("//tmp/f/sub/x/y/new", "//tmp/f/sub")])
def test_a_removal_conflicts_with_a_node_a_transaction_made_below(prod_client, two, made,
                                                                    locked):
    # making a node locks its name in the deepest existing folder above it (shared, with
    # the child's key); a removal of a folder above, outside any transaction, takes an
    # exclusive lock of the subtree and conflicts with it; dev says the same
    # (tests/yt_dev/test_folder_removal.py)
    a, b = two
    prod_client.write_table("//tmp/f/old", [{"v": 1}])
    b.create("map_node", "//tmp/f/sub")
    with a.Transaction():
        a.create("table", made, recursive=True)
        with pytest.raises(YtResponseError) as caught:
            b.remove("//tmp/f", recursive=True)
        assert _conflict(caught.value) == ("exclusive", locked, "shared")
        assert sorted(b.list("//tmp/f")) == ["old", "sub"]
    b.remove("//tmp/f", recursive=True)
    assert not b.exists("//tmp/f")

def test_the_lock_command(prod_client, fake_yt, two):
    a, b = two
    prod_client.write_table("//tmp/t", [{"v": 1}])
    with pytest.raises(YtError, match="A valid master transaction is required"):
        a.lock("//tmp/t")
    with a.Transaction():
        assert a.lock("//tmp/t", mode="snapshot")
        with b.Transaction():
            b.lock("//tmp/t", mode="exclusive")  # a snapshot lock never conflicts
            b.write_table("//tmp/t", [{"v": 2}], format="json")
        assert [r["v"] for r in a.read_table("//tmp/t", format="json")] == [1]  # its snapshot
        with pytest.raises(YtResponseError) as caught:
            a.write_table("//tmp/t", [{"v": 3}], format="json")
        assert caught.value.contains_code(400)  # not after its own snapshot lock
    with a.Transaction():
        a.lock("//tmp/t")
        with pytest.raises(YtResponseError) as caught, b.Transaction():
            b.lock("//tmp/t", mode="shared")
        assert _conflict(caught.value) == ("shared", "//tmp/t", "exclusive")
        with b.Transaction():
            b.lock("//tmp/t", mode="snapshot")
    with pytest.raises(RuntimeError), a.Transaction():
        a.lock("//tmp/t")
        raise RuntimeError("abort")
    with b.Transaction():  # released on abort
        b.lock("//tmp/t")
    assert fake_yt.transaction_count() == 0


def test_a_nested_commit_passes_its_locks_to_the_parent(prod_client, two):
    a, b = two
    prod_client.write_table("//tmp/t", [{"v": 1}])
    with a.Transaction():
        with a.Transaction():
            a.write_table("//tmp/t", [{"v": 2}], format="json")
        a.write_table("<append=%true>//tmp/t", [{"v": 3}], format="json")  # its own lock
        with pytest.raises(YtResponseError) as caught, b.Transaction():
            b.write_table("<append=%true>//tmp/t", [{"v": 4}], format="json")
        assert caught.value.is_concurrent_transaction_lock_conflict()
    assert [r["v"] for r in b.read_table("//tmp/t", format="json")] == [2, 3]
