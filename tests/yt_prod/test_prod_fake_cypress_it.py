"""The fake proxy against YTsaurus's own integration tests of Cypress: what the class
TestCypress of yt/yt/tests/integration/cypress/test_cypress.py (ytsaurus/ytsaurus) asserts a
cluster answers, asked through ytsaurus-client. Each test names the integration test it
follows and the master's source for the behaviour where one was found.
"""

from __future__ import annotations

import pytest
from yt.wrapper.errors import YtResponseError

NO_FORCE = '"set" command without "force" flag is forbidden; use "create" instead'
BOTH = 'Cannot specify both "ignore_existing" and "force" options simultaneously'


@pytest.fixture
def yt(prod_client):
    return prod_client.yt()


def _message(yt, action) -> str:
    with pytest.raises(YtResponseError) as caught:
        action()
    return str(caught.value.error["message"])


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
    expected = 'Node //tmp has no child with key "b"'
    assert _message(yt, lambda: yt.get("//tmp/b")) == expected
    assert _message(yt, lambda: yt.remove("//tmp/b")) == expected
    yt.remove("//tmp/b", force=True)
    assert _message(yt, lambda: yt.create("map_node", "//tmp/b/c")) == expected
    assert _message(yt, lambda: yt.copy("//tmp/b", "//tmp/c")) == expected
    yt.create("map_node", "//tmp/a")
    assert _message(yt, lambda: yt.copy("//tmp/a", "//tmp/b/c")) == expected
    assert _message(yt, lambda: yt.get("//tmp/a/x/y")) == 'Node //tmp/a has no child with key "x"'


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
