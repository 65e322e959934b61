"""What a transaction reads of a node it branched while other transactions change it, in
the fake proxy, against YTsaurus's own integration tests (yt/yt/tests/integration/cypress/
test_cypress_locks.py and test_cypress.py of ytsaurus/ytsaurus). A master's branch keeps
the transaction's own changes and reads the rest through from the version it came from,
except a snapshot lock's branch, a copy of the whole node (GetNodeOriginators stops at a
snapshot: FindMapNodeChild in yt/yt/server/master/cypress_server/helpers.cpp; the fake's
versioned_view.py).
"""

from __future__ import annotations

import pytest
from yt.wrapper.errors import YtResponseError
from yt_calls import in_transaction


def test_an_attribute_another_transaction_commits_is_read_through_a_branch(yt):
    # TestCypressLocks.test_attr_locks2: tx2 branched //tmp to set @b before tx1 committed
    # @a; tx2 still reads @a, and both land
    tx1, tx2 = yt.start_transaction(), yt.start_transaction()
    with in_transaction(yt, tx1):
        yt.set("//tmp/@a", 1)
    with in_transaction(yt, tx2):
        yt.set("//tmp/@b", 2)
    for name in ("a", "b"):
        # ThrowNoSuchAttribute (yt/yt/core/ytree/exception_helpers.cpp), a resolve error
        with pytest.raises(YtResponseError) as caught:
            yt.get(f"//tmp/@{name}")
        assert caught.value.is_resolve_error()
        assert caught.value.error["message"] == f'Attribute "{name}" is not found'
    yt.commit_transaction(tx1)
    assert yt.get("//tmp/@a") == 1
    with in_transaction(yt, tx2):
        assert (yt.get("//tmp/@a"), yt.get("//tmp/@b")) == (1, 2)
    yt.commit_transaction(tx2)
    assert (yt.get("//tmp/@a"), yt.get("//tmp/@b")) == (1, 2)


def test_a_transaction_reads_its_own_attribute_change_not_the_later_commit(yt):
    # an attribute the branch changed (or removed) reads as the branch left it
    yt.create("table", "//tmp/t", attributes={"x": 0, "y": 0})
    tx = yt.start_transaction()
    with in_transaction(yt, tx):
        yt.set("//tmp/t/@x", 1)
        yt.remove("//tmp/t/@y")
    yt.set("//tmp/t/@z", 3)  # a name the transaction holds no lock on
    with in_transaction(yt, tx):
        assert yt.get("//tmp/t/@x") == 1
        assert not yt.exists("//tmp/t/@y")
        assert yt.get("//tmp/t/@z") == 3
    yt.abort_transaction(tx)


def test_a_snapshot_lock_reads_the_node_as_it_was(yt):
    # TestCypressLocks.test_snapshot_lock: the value set outside after the lock is not read
    # in it, and the snapshot cannot be written; its attributes stay as they were too (a
    # snapshot branch is the whole node)
    yt.set("//tmp/node", 42, recursive=True)
    yt.set("//tmp/node/@x", 1)
    tx = yt.start_transaction()
    with in_transaction(yt, tx):
        yt.lock("//tmp/node", mode="snapshot")
    yt.set("//tmp/node", 100)
    yt.set("//tmp/node/@x", 2)
    yt.set("//tmp/node/@y", 3)
    with in_transaction(yt, tx):
        assert yt.get("//tmp/node") == 42
        assert yt.get("//tmp/node/@x") == 1
        assert not yt.exists("//tmp/node/@y")
        with pytest.raises(YtResponseError) as caught:
            yt.set("//tmp/node", 200)
    assert caught.value.error["message"] == (
        'Cannot take "exclusive" lock for node //tmp/node since "snapshot" lock is already '
        f"taken by same transaction {tx}")
    yt.abort_transaction(tx)


def test_a_snapshot_of_a_folder_keeps_its_children(yt):
    # TestCypress.test_map_node_branch: the child the parent transaction removes after
    # the snapshot is still there in it; a child made after it is not (a snapshot branch
    # of a map holds its whole key-to-child map)
    yt.create("map_node", "//tmp/m")
    tx1 = yt.start_transaction()
    tx2 = yt.start_transaction(parent_transaction=tx1)
    with in_transaction(yt, tx1):
        yt.create("table", "//tmp/m/t")
    with in_transaction(yt, tx2):
        yt.lock("//tmp/m", mode="snapshot")
        assert yt.get("//tmp/m/t/@key") == "t"
    with in_transaction(yt, tx1):
        yt.remove("//tmp/m/t")
    yt.create("table", "//tmp/m/later")
    with in_transaction(yt, tx2):
        assert yt.get("//tmp/m/t/@key") == "t"
        assert yt.list("//tmp/m") == ["t"]
        assert yt.get("//tmp/m/@count") == 1
        assert not yt.exists("//tmp/m/later")
    with in_transaction(yt, tx1):
        assert yt.list("//tmp/m") == ["later"]
    yt.abort_transaction(tx1)


def test_a_shared_lock_of_a_folder_reads_later_children(yt):
    # a branch that is not a snapshot reads the children others add (FindMapNodeChild
    # walks on to the originator)
    yt.create("map_node", "//tmp/m")
    tx = yt.start_transaction()
    with in_transaction(yt, tx):
        yt.lock("//tmp/m", mode="shared")
    yt.create("table", "//tmp/m/later")
    with in_transaction(yt, tx):
        assert yt.list("//tmp/m") == ["later"]
    yt.abort_transaction(tx)


def test_a_snapshot_of_a_folder_keeps_a_child_replaced_outside(yt):
    # TestCypressLocks.test_map_snapshot_lock: a child removed and made again outside the
    # snapshot is read in it as it was, by its old id
    yt.create("map_node", "//tmp/a")
    yt.create("string_node", "//tmp/a/s")
    doc_id = yt.create("document", "//tmp/a/d")
    tx = yt.start_transaction()
    with in_transaction(yt, tx):
        yt.lock("//tmp/a", mode="snapshot")
    yt.remove("//tmp/a/d")
    assert not yt.exists("//tmp/a/d")
    with in_transaction(yt, tx):
        assert yt.exists("//tmp/a/d")
    yt.create("document", "//tmp/a/d")
    with in_transaction(yt, tx):
        assert yt.get("//tmp/a/d/@id") == doc_id
    assert yt.get("//tmp/a/d/@id") != doc_id
    yt.abort_transaction(tx)
