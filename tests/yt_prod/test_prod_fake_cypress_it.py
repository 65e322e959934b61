"""The fake proxy against YTsaurus's own integration tests of Cypress: what the class
TestCypress of yt/yt/tests/integration/cypress/test_cypress.py (ytsaurus/ytsaurus) asserts a
cluster answers, asked through ytsaurus-client. Each test names the integration test it
follows and the master's source for the behaviour where one was found.
"""

from __future__ import annotations

import time

import pytest
from yt.wrapper.errors import YtResponseError

NO_FORCE = '"set" command without "force" flag is forbidden; use "create" instead'
BOTH = 'Cannot specify both "ignore_existing" and "force" options simultaneously'


def _message(yt, action) -> str:
    with pytest.raises(YtResponseError) as caught:
        action()
    return str(caught.value.error["message"])


def _unresolved(yt, action) -> tuple[str, str]:
    """The messages of a resolve error and of its cause: every resolve failure is wrapped as
    "Error resolving path %v" (ResolveYPath in yt/yt/core/ytree/ypath_client.cpp) around
    what the master found (integration tests match the cause with raises_yt_error, which
    looks through the inner errors)."""
    with pytest.raises(YtResponseError) as caught:
        action()
    error = caught.value.error
    (inner,) = error["inner_errors"]
    return str(error["message"]), str(inner["message"])


def test_set_of_a_map_makes_a_map_node_with_children(yt):
    # test_map, test_copy_simple4/5, test_get_with_attributes and test_set_map: a map set
    # on a new path becomes a map_node whose keys are child nodes (TMapNodeProxy::SetSelf in
    # yt/yt/server/master/cypress_server/node_proxy_detail.cpp builds the subtree)
    yt.set("//tmp/map", {"hello": "world", "m": {"n": 0, "s": "string"}})
    assert yt.get("//tmp/map/@type") == "map_node"
    assert yt.get("//tmp/map/@count") == 2
    assert sorted(yt.list("//tmp/map/m")) == ["n", "s"]
    assert yt.get("//tmp/map/m/s") == "string"
    assert yt.get("//tmp/map/m/@path") == "//tmp/map/m"
    yt.set("//tmp/map/hello", "not_world")
    assert yt.get("//tmp/map") == {"hello": "not_world", "m": {"n": 0, "s": "string"}}
    yt.remove("//tmp/map/m", recursive=True)
    assert yt.get("//tmp/map") == {"hello": "not_world"}
    # test_map: a recursive set makes the missing parents
    yt.set("//tmp/missing/node", {}, recursive=True)
    assert yt.get("//tmp/missing") == {"node": {}}


def test_set_over_a_map_node_needs_force_and_keeps_its_id(yt):
    # test_set_map_force (and test_list_command's set(..., force=True)); "set" without
    # force onto a map node is refused by TMapNodeProxy::SetSelf
    yt.create("map_node", "//tmp/m/m", recursive=True)
    node_id = yt.get("//tmp/m/@id")
    assert _message(yt, lambda: yt.set("//tmp/m", {"a": 0})) == NO_FORCE
    assert yt.list("//tmp/m") == ["m"]
    yt.set("//tmp/m", {"a": 0}, force=True)
    assert yt.list("//tmp/m") == ["a"]
    assert yt.get("//tmp/m/@id") == node_id
    # test_invalid_cases: the root is a map node too
    assert _message(yt, lambda: yt.set("/", [])) == NO_FORCE


def test_entity_nodes_are_not_created(yt):
    # test_invalid_cases; TCypressNodeFactory::CreateEntity in the master's
    # yt/yt/server/master/cypress_server/cypress_manager.cpp
    assert _message(yt, lambda: yt.set("//tmp/entity", None)) == \
        "Entity nodes cannot be created inside Cypress"
    assert not yt.exists("//tmp/entity")


def test_a_missing_node_is_named_by_its_parent_and_key(yt):
    # test_invalid_cases, test_remove, test_create_recursive_fail, test_copy_unexisting_path,
    # test_copy_recursive_fail: GetMapNodeChildOrThrow in yt/yt/server/master/
    # cypress_server/helpers.cpp ("Node %v has no child with key %Qv", a resolve error)
    cause = 'Node //tmp has no child with key "b"'
    assert _unresolved(yt, lambda: yt.get("//tmp/b")) == ("Error resolving path //tmp/b", cause)
    assert _unresolved(yt, lambda: yt.remove("//tmp/b"))[1] == cause
    yt.remove("//tmp/b", force=True)
    assert _unresolved(yt, lambda: yt.create("map_node", "//tmp/b/c"))[1] == cause
    assert _unresolved(yt, lambda: yt.copy("//tmp/b", "//tmp/c"))[1] == cause
    yt.create("map_node", "//tmp/a")
    assert _unresolved(yt, lambda: yt.copy("//tmp/a", "//tmp/b/c"))[1] == cause
    assert _unresolved(yt, lambda: yt.get("//tmp/a/x/y")) == \
        ("Error resolving path //tmp/a/x/y", 'Node //tmp/a has no child with key "x"')


def test_the_root_is_neither_removed_nor_replaced(yt):
    # test_invalid_cases ("Node / cannot be removed") and test_move_force4 ("Node / cannot
    # be replaced"); the tree is left whole
    assert _message(yt, lambda: yt.remove("/", recursive=True)) == "Node / cannot be removed"
    assert _message(yt, lambda: yt.copy("//tmp", "/", force=True)) == \
        "Node / cannot be replaced"
    assert yt.exists("//tmp")
    assert sorted(yt.list("/")) == ["home", "sys", "tmp"]


def test_ignore_existing_and_force_together_are_refused(yt):
    # test_create_ignore_existing_force_fail, test_copy_ignore_existing,
    # test_link_ignore_existing_force_fail
    yt.create("table", "//tmp/t")
    assert _message(yt, lambda: yt.create("table", "//tmp/t", ignore_existing=True,
                                          force=True)) == BOTH
    assert _message(yt, lambda: yt.copy("//tmp/t", "//tmp/new", ignore_existing=True,
                                        force=True)) == BOTH
    assert _message(yt, lambda: yt.link("//tmp/t", "//tmp/l", ignore_existing=True,
                                        force=True)) == BOTH
    assert not yt.exists("//tmp/new")
    assert not yt.exists("//tmp/l")


def test_copy_with_ignore_existing_keeps_the_destination(yt):
    # test_copy_ignore_existing: the existing destination is left as it is
    yt.create("map_node", "//tmp/a")
    yt.create("map_node", "//tmp/b/c", recursive=True)
    yt.copy("//tmp/b", "//tmp/a", ignore_existing=True)
    assert not yt.exists("//tmp/a/c")
    yt.copy("//tmp/b", "//tmp/a", force=True)
    assert yt.exists("//tmp/a/c")
    assert "Node //tmp/a already exists" in _message(yt, lambda: yt.copy("//tmp/b", "//tmp/a"))


def test_a_node_path_with_an_attribute_part_makes_nothing(yt):
    # test_create_recursive, test_copy_recursive_fail, test_move_recursive_fail: the
    # path fails in YPath parsing before any parent is made
    parse_error = 'Expected "literal" in YPath but found "at" token "@"'
    assert _message(yt, lambda: yt.create("map_node", "//tmp/a/b/c/d/@d",
                                          recursive=True)) == parse_error
    assert not yt.exists("//tmp/a")
    yt.create("map_node", "//tmp/x")
    assert _message(yt, lambda: yt.copy("//tmp/x", "//tmp/b/c/d/@e",
                                        recursive=True)) == parse_error
    assert _message(yt, lambda: yt.move("//tmp/x", "//tmp/b/c/d/@e",
                                        recursive=True)) == parse_error
    assert not yt.exists("//tmp/b")
    assert yt.exists("//tmp/x")



def test_an_expiration_time_reads_back_as_a_master_writes_it(yt):
    # test_effective_expiration_time_and_timeout: "2044-01-01" comes back as
    # "2044-01-01T00:00:00.000000Z" (a master keeps a TInstant), given at create or set
    yt.create("map_node", "//tmp/m1", attributes={"expiration_time": "2044-01-01"})
    assert yt.get("//tmp/m1/@expiration_time") == "2044-01-01T00:00:00.000000Z"
    yt.set("//tmp/m1/@expiration_time", "2045-02-03T04:05:06Z")
    assert yt.get("//tmp/m1/@expiration_time") == "2045-02-03T04:05:06.000000Z"


def test_expiration_time_is_versioned_by_transactions(yt):
    # test_expiration_time_versioning2/3/4: set or removed under a transaction, seen there
    # only, and the removal lands on commit
    later = "2030-03-07T13:18:55.000000Z"
    yt.create("table", "//tmp/t1", attributes={"expiration_time": later})
    with yt.Transaction():
        yt.set("//tmp/t1/@expiration_time", "2031-03-07T13:18:55.000000Z")
        assert yt.get("//tmp/t1/@expiration_time") == "2031-03-07T13:18:55.000000Z"
        yt.remove("//tmp/t1/@expiration_time")
        assert not yt.exists("//tmp/t1/@expiration_time")
        with yt.Transaction():
            yt.set("//tmp/t1/@expiration_time", "2032-03-07T13:18:55.000000Z")
            yt.remove("//tmp/t1/@expiration_time")
            assert not yt.exists("//tmp/t1/@expiration_time")
    assert not yt.exists("//tmp/t1/@expiration_time")


def test_an_expired_node_goes_once_its_transaction_commits(yt):
    # test_expiration_time_versioning5 and test_copy_preserve_expiration_time_in_tx2: a
    # node whose expiration time passed under a transaction stays until the commit
    past = "2020-01-01T00:00:00.000000Z"
    yt.create("table", "//tmp/u1")
    with yt.Transaction():
        yt.create("table", "//tmp/t1", attributes={"expiration_time": past})
        yt.set("//tmp/u1/@expiration_time", past)
        yt.copy("//tmp/u1", "//tmp/u2", preserve_expiration_time=True)
        assert yt.get("//tmp/u2/@expiration_time") == past
        assert yt.exists("//tmp/t1")
        assert yt.exists("//tmp/u1")
    yt.exists("//tmp")  # the fake expires nodes when a command arrives
    assert [name for name in yt.list("//tmp") if name in ("t1", "u1", "u2")] == []


@pytest.mark.parametrize("preserve", [False, True])
def test_a_copy_is_made_now_unless_told_to_keep_the_times(yt, preserve):
    # test_preserve_creation_time, test_preserve_modification_time: creation and
    # modification times are a copy's own unless preserve_*; times are to the microsecond
    yt.create("table", "//tmp/t1")
    created = yt.get("//tmp/t1/@creation_time")
    modified = yt.get("//tmp/t1/@modification_time")
    time.sleep(0.01)
    yt.copy("//tmp/t1", "//tmp/t2", preserve_creation_time=preserve,
            preserve_modification_time=preserve)
    assert preserve == (created == yt.get("//tmp/t2/@creation_time"))
    assert preserve == (modified == yt.get("//tmp/t2/@modification_time"))
    created = yt.get("//tmp/t1/@creation_time")
    time.sleep(0.01)
    yt.move("//tmp/t2", "//tmp/t1", preserve_creation_time=preserve, force=True)
    assert preserve == (created == yt.get("//tmp/t1/@creation_time"))


def test_a_move_keeps_the_creation_time_by_default(yt):
    # test_move_preserves_creation_time_by_default1/2, of the node and of its children
    yt.set("//tmp/t1", {"x": "y"})
    created, child_created = (yt.get("//tmp/t1/@creation_time"),
                              yt.get("//tmp/t1/x/@creation_time"))
    time.sleep(0.01)
    yt.move("//tmp/t1", "//tmp/t2")
    assert yt.get("//tmp/t2/@creation_time") == created
    assert yt.get("//tmp/t2/x/@creation_time") == child_created


def test_lock_existing_needs_ignore_existing_and_locks_what_a_copy_keeps(yt):
    # test_lock_existing_errors, test_lock_existing_copy; the refusal is in
    # TNontemplateCypressNodeProxyBase::Create and ::Copy (cypress_node_proxy.cpp)
    alone = 'Cannot specify "lock_existing" without "ignore_existing"'
    yt.create("table", "//tmp/x")
    yt.create("table", "//tmp/m")
    assert _message(yt, lambda: yt.create("map_node", "//tmp/x", lock_existing=True)) == alone
    assert _message(yt, lambda: yt.copy("//tmp/m", "//tmp/y", lock_existing=True)) == alone
    assert not yt.exists("//tmp/y")
    # the fake keeps no @locks: the lock shows as a conflict for another transaction
    holder, other = _nested(yt, 1)[0], _nested(yt, 1)[0]
    with yt.Transaction(transaction_id=holder):
        yt.copy("//tmp/m", "//tmp/x", ignore_existing=True, lock_existing=True)
    with yt.Transaction(transaction_id=other):
        assert "lock" in _message(yt, lambda: yt.lock("//tmp/x", mode="exclusive"))
    yt.commit_transaction(holder)
    with yt.Transaction(transaction_id=other):
        yt.lock("//tmp/x", mode="exclusive")


def _nested(yt, depth):
    ids = [yt.start_transaction()]
    for _ in range(depth - 1):
        ids.append(yt.start_transaction(parent_transaction=ids[-1]))
    return ids


def test_removals_in_nested_transactions(yt):
    # test_user_attribute_removal3_yt_10192, test_map_child_removal3_yt_10192: what tx2
    # removed is gone in tx3 and in copies made there, but not in tx1 or its copies
    yt.create("map_node", "//tmp/n")
    tx1, tx2, tx3 = _nested(yt, 3)
    with yt.Transaction(transaction_id=tx1):
        yt.set("//tmp/n/@a", "s1")
        yt.create("table", "//tmp/n/child")
    with yt.Transaction(transaction_id=tx2):
        yt.remove("//tmp/n/@a")
        yt.remove("//tmp/n/child")
    with yt.Transaction(transaction_id=tx3):
        assert _message(yt, lambda: yt.remove("//tmp/n/@a")) == 'Attribute "a" is not found'
        assert "has no child with key" in _unresolved(yt, lambda: yt.remove("//tmp/n/child"))[1]
        yt.copy("//tmp/n", "//tmp/c3")
        assert not yt.exists("//tmp/c3/@a") and not yt.exists("//tmp/c3/child")
    yt.copy("//tmp/n", "//tmp/c0")
    assert not yt.exists("//tmp/c0/@a") and not yt.exists("//tmp/c0/child")
    with yt.Transaction(transaction_id=tx1):
        yt.copy("//tmp/n", "//tmp/c1")
        assert yt.get("//tmp/c1/@a") == "s1"
        assert yt.exists("//tmp/c1/child")
