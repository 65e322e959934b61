"""The fake proxy's Cypress against YTsaurus's integration tests (yt/yt/tests/integration/
cypress/test_cypress.py and test_cypress_locks.py in ytsaurus/ytsaurus) and the master's
source, asked through ytsaurus-client, on paths the fake once took too lightly: a path
into an attribute's value (`//t/@x/k`), a lock of what is no node, a node a snapshot lock
keeps after its removal (`#id`), and the id of a moved node. Each test names the
integration test or the source that decides it.
"""

from __future__ import annotations

import time

import pytest
from yt_calls import in_transaction
from yt_errors import refusal


# -- a path into an attribute's value ----------------------------------------------------
def test_a_set_inside_an_attribute_changes_that_key_only(yt):
    # TestCypress.test_embedded_attributes sets //tmp/a/@attr/key/... and reads the rest of
    # @attr back; TSupportsAttributes::DoSetAttribute (yt/yt/core/ytree/ypath_detail.cpp)
    # sets the path in the attribute's value and stores the value whole
    yt.set("//tmp/a", {})
    yt.set("//tmp/a/@attr", {"key": "value", "other": 1, "list": [1]})
    yt.set("//tmp/a/@attr/key", "new")
    yt.set("//tmp/a/@attr/added", {"deep": True})
    yt.set("//tmp/a/@attr/list/end", 2)
    yt.set("//tmp/a/@attr/list/0", 0)
    assert yt.get("//tmp/a/@attr") == {"key": "new", "other": 1, "list": [0, 2],
                                       "added": {"deep": True}}
    assert yt.get("//tmp/a/@attr/added") == {"deep": True}


def test_a_set_inside_an_attribute_is_refused_as_a_master_refuses_it(yt):
    # DoSetAttribute: a custom attribute that is not there ('Custom attribute "x" is not
    # found', ThrowNoSuchCustomAttribute), a builtin one no one writes
    # (ThrowCannotSetBuiltinAttribute); in the value, a missing key before the last one and
    # a step below a scalar are the ephemeral tree's errors, named from "Root node"
    # (TMapNodeMixin::PrepareSetChild, TNodeBase::ResolveRecursive in
    # yt/yt/core/ytree/node_detail.cpp), and a value replaced keeps its type (TNodeSetter)
    yt.set("//tmp/a", {})
    yt.set("//tmp/a/@attr", {"key": "value", "n": 1, "list": [1]})
    cases = {
        "//tmp/a/@nothere/k": 'Custom attribute "nothere" is not found',
        "//tmp/a/@id/k": 'Builtin attribute "id" cannot be set',
        "//tmp/a/@attr/missing/deeper": 'Root node has no child with key "missing"',
        "//tmp/a/@attr/key/deeper": "Node /key cannot have children",
        "//tmp/a/@attr/list/5": "Node /list has no child with index 5",
        "//tmp/a/@attr/n": 'Cannot update "int64" node with "string" value; types must match',
    }
    for path, message in cases.items():
        assert message in refusal(lambda path=path: yt.set(path, "x")), path
    assert yt.get("//tmp/a/@attr") == {"key": "value", "n": 1, "list": [1]}


def test_a_get_inside_an_attribute_names_what_is_missing(yt):
    # TSupportsAttributes::DoGetAttributeFragment: a missing attribute is ThrowNoSuchAttribute,
    # a missing part of its value the ephemeral tree's resolve error
    # (ThrowNoSuchChildKey, ThrowNoSuchChildIndex in yt/yt/core/ytree/exception_helpers.cpp);
    # TestCypress.test_exists: exists of a list index inside an attribute
    yt.set("//tmp/a", {})
    yt.set("//tmp/a/@attr", {"key": "value", "list": [10]})
    assert yt.get("//tmp/a/@attr/list/-1") == 10
    assert yt.exists("//tmp/a/@attr/list/0")
    assert not yt.exists("//tmp/a/@attr/list/1")
    assert not yt.exists("//tmp/a/@attr/missing")
    cases = {
        "//tmp/a/@nothere/k": 'Attribute "nothere" is not found',
        "//tmp/a/@attr/missing": 'Root node has no child with key "missing"',
        "//tmp/a/@attr/list/5": "Node /list has no child with index 5",
        "//tmp/a/@attr/key/deeper": "Node /key cannot have children",
    }
    for path, message in cases.items():
        assert message in refusal(lambda path=path: yt.get(path)), path


def test_a_remove_inside_an_attribute_takes_that_part_only(yt):
    # TestCypress.test_remove: a missing attribute, a builtin one (even forced), a missing
    # custom one forced; DoRemoveAttribute removes the path from the custom attribute's
    # value (TCompositeNodeMixin::RemoveRecursive: a missing key refused unless forced)
    yt.set("//tmp/a", {})
    yt.set("//tmp/a/@attr", {"key": "value", "other": 1, "list": [1, 2]})
    yt.remove("//tmp/a/@attr/key")
    yt.remove("//tmp/a/@attr/list/0")
    assert yt.get("//tmp/a/@attr") == {"other": 1, "list": [2]}
    assert 'Root node has no child with key "key"' in refusal(
        lambda: yt.remove("//tmp/a/@attr/key"))
    yt.remove("//tmp/a/@attr/key", force=True)
    assert 'Attribute "nothere" is not found' in refusal(
        lambda: yt.remove("//tmp/a/@nothere/inner"))
    yt.remove("//tmp/a/@nothere/inner", force=True)
    assert 'Attribute "key" cannot be removed' in refusal(
        lambda: yt.remove("//tmp/a/@key/inner", force=True))
    assert yt.get("//tmp/a/@attr") == {"other": 1, "list": [2]}


def test_a_path_inside_an_attribute_is_locked_and_versioned_as_the_attribute(yt):
    # TestCypressLocks.test_attr_locks3: a set of @a takes the shared lock on attribute key
    # a; a set inside @a is a set of @a (DoSetAttribute stores the whole value), so it
    # takes that lock, and the transaction's value is the whole attribute on commit
    yt.set("//tmp/a", {})
    yt.set("//tmp/a/@attr", {"k": 1, "other": 1})
    tx1 = yt.start_transaction()
    with in_transaction(yt, tx1):
        yt.set("//tmp/a/@attr/k", 2)
        assert yt.get("//tmp/a/@attr") == {"k": 2, "other": 1}
    assert yt.get("//tmp/a/@attr") == {"k": 1, "other": 1}
    tx2 = yt.start_transaction()
    with in_transaction(yt, tx2):
        found = refusal(lambda: yt.set("//tmp/a/@attr/other", 3))
    assert (f'Cannot take lock for attribute "attr" of node //tmp/a since this attribute is '
            f"locked by concurrent transaction {tx1}") in found
    yt.abort_transaction(tx2)
    yt.commit_transaction(tx1)
    assert yt.get("//tmp/a/@attr") == {"k": 2, "other": 1}


# -- locks of what is no node ------------------------------------------------------------
def test_an_attribute_is_not_locked(yt):
    # TestCypressLocks.test_invalid_cases: a lock of //tmp/value/@attr/@lock_mode is
    # refused; the fake once locked the node the path starts at
    yt.set("//tmp/value", 42)
    yt.set("//tmp/value/@attr", "some")
    tx = yt.start_transaction()
    with in_transaction(yt, tx):
        assert '"Lock" method is not supported' in refusal(
            lambda: yt.lock("//tmp/value/@attr"))
    other = yt.start_transaction()
    with in_transaction(yt, other):
        yt.lock("//tmp/value")  # no lock was left by the refused one
    yt.abort_transaction(other)
    yt.abort_transaction(tx)


def test_a_list_item_is_not_locked_by_the_fake(yt):
    # a master locks a list item as the node it is (each item is a node of its own:
    # TListNodeMixin in yt/yt/core/ytree/node_detail.cpp); the fake keeps a list as one
    # value (list_items) and says so, where it once answered that the item was missing
    yt.set("//tmp/list", [1, 2])
    tx = yt.start_transaction()
    with in_transaction(yt, tx):
        found = refusal(lambda: yt.lock("//tmp/list/0"))
    assert found == ["the fake proxy does not lock list items (//tmp/list/0)"]
    yt.abort_transaction(tx)


# -- a node a snapshot lock keeps ---------------------------------------------------------
def test_a_removed_node_a_snapshot_lock_keeps_is_found_by_its_id(yt):
    # TestCypressLocks.test_unlock_unreachable_node: the folder above a snapshot-locked node
    # is removed outside; the node is no longer reached by its path, in the transaction or
    # out of it, but `#id` still finds it while the lock holds it, and no longer once the
    # transaction ends; TestCypress.test_link4 reads it by id in the transaction
    yt.create("map_node", "//tmp/m1/m2", recursive=True)
    node_id = yt.create("int64_node", "//tmp/m1/m2/m3")
    yt.set("//tmp/m1/m2/m3", 7)
    tx = yt.start_transaction()
    with in_transaction(yt, tx):
        yt.lock("//tmp/m1/m2/m3", mode="snapshot")
    yt.remove("//tmp/m1", recursive=True)
    assert not yt.exists("//tmp/m1/m2/m3")
    assert yt.exists(f"#{node_id}")
    with in_transaction(yt, tx):
        assert not yt.exists("//tmp/m1/m2/m3")
        assert yt.exists(f"#{node_id}")
        assert yt.get(f"#{node_id}") == 7
        assert yt.get(f"#{node_id}/@type") == "int64_node"
        # the snapshot is read only, as a snapshot of a node still there is
        assert (f'Cannot take "exclusive" lock for node #{node_id} since "snapshot" lock is '
                f"already taken by same transaction {tx}") in refusal(
            lambda: yt.set(f"#{node_id}", 8))
    yt.abort_transaction(tx)
    assert not yt.exists(f"#{node_id}")


# -- move ---------------------------------------------------------------------------------
def test_a_move_makes_new_nodes_of_new_ids(yt):
    # TNontemplateCypressNodeProxyBase::Copy (yt/yt/server/master/cypress_server/
    # cypress_node_proxy.cpp) clones the source for a move as for a copy
    # (factory->CloneNode(sourceNode, mode), no hint id) and then removes the source;
    # CloneCorePrologue (cypress_server/node_detail.cpp) generates the clone's id, and
    # CloneCoreEpilogue keeps the creation time for a move only. The fake once kept the ids.
    yt.set("//tmp/a", {"b": 1})
    yt.set("//tmp/a/@user", "kept")
    a_id, b_id = yt.get("//tmp/a/@id"), yt.get("//tmp/a/b/@id")
    created = yt.get("//tmp/a/@creation_time")
    time.sleep(0.01)
    yt.move("//tmp/a", "//tmp/c")
    assert yt.get("//tmp/c/@id") != a_id
    assert yt.get("//tmp/c/b/@id") != b_id
    assert not yt.exists(f"#{a_id}") and not yt.exists(f"#{b_id}")
    assert yt.get("//tmp/c/@creation_time") == created
    assert (yt.get("//tmp/c"), yt.get("//tmp/c/@user")) == ({"b": 1}, "kept")


@pytest.mark.parametrize("force", [False, True])
def test_a_moved_table_keeps_its_rows_under_its_new_id(yt, force):
    # the same in a transaction and onto an existing node (test_move_force1/3,
    # test_move_tx_commit of test_cypress.py): the rows go with the new node
    yt.write_table("//tmp/t1", [{"x": 1}], format="json")
    if force:
        yt.create("table", "//tmp/t2")
    old_id = yt.get("//tmp/t1/@id")
    tx = yt.start_transaction()
    with in_transaction(yt, tx):
        yt.move("//tmp/t1", "//tmp/t2", force=force)
        new_id = yt.get("//tmp/t2/@id")
    yt.commit_transaction(tx)
    assert new_id != old_id and yt.get("//tmp/t2/@id") == new_id
    assert list(yt.read_table("//tmp/t2", format="json")) == [{"x": 1}]
    assert not yt.exists("//tmp/t1")


# -- every attribute at once -----------------------------------------------------------------
def test_a_set_of_every_attribute_replaces_the_custom_ones(yt):
    # TestCypress.test_attributes and test_attributes_yt_11973: `set //t/@ {...}` sets the
    # map's keys, drops the custom attributes it lacks and the expiration time, keeps the
    # builtins; a value that is no map is refused; a read-only builtin in the map fails it
    # whole (TSupportsAttributes::DoSetAttribute, one mutation)
    yt.create("table", "//tmp/t", attributes={"expiration_time": "2100-01-01T00:00:00.000000Z"})
    yt.set("//tmp/t/@old", 1)
    yt.set("//tmp/t/@", {"key1": "value1", "key2": "value2"})
    assert (yt.get("//tmp/t/@key1"), yt.get("//tmp/t/@key2")) == ("value1", "value2")
    assert not yt.exists("//tmp/t/@old")
    assert not yt.exists("//tmp/t/@expiration_time")
    assert yt.get("//tmp/t/@type") == "table"
    for value in (1, "a", [1, 2]):
        assert "Attributes can only be set from a map" in refusal(
            lambda value=value: yt.set("//tmp/t/@", value))
    assert 'Builtin attribute "row_count" cannot be set' in refusal(
        lambda: yt.set("//tmp/t/@", {"key3": 3, "row_count": 5}))
    assert not yt.exists("//tmp/t/@key3") and yt.get("//tmp/t/@key1") == "value1"


def test_a_remove_of_every_attribute_takes_the_custom_ones(yt):
    # TestCypress.test_attr_remove_all1/2: `remove //t/@*` takes every custom attribute, in
    # a transaction only there until it commits
    yt.set("//tmp/attr", 42)
    yt.set("//tmp/attr/@_foo", "bar")
    yt.set("//tmp/attr/@_key", "value")
    tx = yt.start_transaction()
    with in_transaction(yt, tx):
        yt.remove("//tmp/attr/@*")
        assert not yt.exists("//tmp/attr/@_foo")
    assert yt.get("//tmp/attr/@_foo") == "bar"
    yt.commit_transaction(tx)
    assert not yt.exists("//tmp/attr/@_foo") and not yt.exists("//tmp/attr/@_key")
    assert (yt.get("//tmp/attr"), yt.get("//tmp/attr/@type")) == (42, "int64_node")


# -- an attribute as a source ------------------------------------------------------------
@pytest.mark.parametrize("verb", ["copy", "move"])
def test_an_attribute_is_no_source_of_a_copy_or_a_move(yt, verb):
    # a master resolves the source of a copy or a move to a node (ResolvePathToNodeProxy in
    # TNontemplateCypressNodeProxyBase::Copy, yt/yt/server/master/cypress_server/
    # cypress_node_proxy.cpp); the fake once copied, or moved away, the node //tmp/t
    yt.set("//tmp/t", {"child": 1})
    yt.set("//tmp/t/@a", 1)
    found = refusal(lambda: getattr(yt, verb)("//tmp/t/@a", "//tmp/x"))
    assert found == ["the fake proxy copies and moves nodes, not attributes (//tmp/t/@a)"]
    assert not yt.exists("//tmp/x") and yt.get("//tmp/t") == {"child": 1}


# -- list items ---------------------------------------------------------------------------
def test_an_attribute_of_a_list_item_is_refused_by_exists_as_by_get(yt):
    # each item of a list is a node of its own on a master, with its attributes
    # (TListNodeMixin in yt/yt/core/ytree/node_detail.cpp; test_list of test_cypress.py);
    # the fake keeps a list as one value and refuses to answer of an item's attributes, in
    # exists as in get and set, where exists once answered false
    yt.set("//tmp/list", [1, {"k": 2}])
    message = ["the fake proxy keeps no attributes of list items (//tmp/list/0)"]
    assert refusal(lambda: yt.exists("//tmp/list/0/@type")) == message
    assert refusal(lambda: yt.get("//tmp/list/0/@type")) == message
    assert yt.exists("//tmp/list/1/k") and not yt.exists("//tmp/list/2")
