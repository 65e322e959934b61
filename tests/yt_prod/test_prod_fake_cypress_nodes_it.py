"""The fake proxy's scalar nodes, `remove //path/*` and links against YTsaurus's own
integration tests (class TestCypress of yt/yt/tests/integration/cypress/test_cypress.py in
ytsaurus/ytsaurus), asked through ytsaurus-client. Each test names the integration test
it follows and the source of the behaviour.
"""

from __future__ import annotations

import pytest
import yt.yson as yson
from yt_errors import refusal

NO_FORCE = '"set" command without "force" flag is forbidden; use "create" instead'


def _broken(yt, link: str) -> bool:
    """A link's `@broken`, a boolean."""
    value = yt.get(link + "&/@broken")
    assert isinstance(value, yson.YsonBoolean)
    return bool(value)


# -- scalar nodes ----------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "node_type", "value", "python_type"), [
    (b"5", "int64_node", 5, yson.YsonInt64),
    (b"123456u", "uint64_node", 123456, yson.YsonUint64),  # test_uint64
    (b"1.5", "double_node", 1.5, yson.YsonDouble),
    (b"%true", "boolean_node", True, yson.YsonBoolean),  # test_boolean
    (b'"abacaba"', "string_node", "abacaba", str),
])
def test_set_makes_a_node_of_the_value_type(yt, raw, node_type, value, python_type):
    # test_link2 (`set //tmp/t1 1` reads back as an int64_node), test_boolean, test_uint64:
    # the master's node factory makes a node of the value's own type (scalar_nodes)
    yt.set("//tmp/x", raw, format="yson")
    assert yt.get("//tmp/x/@type") == node_type
    assert yt.get("//tmp/x") == value
    # in YSON the value keeps its type (`123456u` stays unsigned)
    got = yson.loads(yt.get("//tmp/x", format="yson"))
    assert got == value
    assert isinstance(got, python_type)


def test_a_list_makes_a_list_node(yt):
    # test_list and test_copy_simple2: a list is a list_node, read back whole
    yt.set("//tmp/list", [1, 2, "some string"])
    assert yt.get("//tmp/list/@type") == "list_node"
    assert yt.get("//tmp/list") == [1, 2, "some string"]


def test_a_scalar_node_takes_a_value_of_its_own_type_only(yt):
    # the core's SetSelf for scalar nodes (YTREE_NODE_TYPE_OVERRIDES in yt/yt/core/ytree/
    # node_detail.h) sets the value in place, same node; a value of another type is
    # refused by TNodeSetterBase::ThrowInvalidType (yt/yt/core/ytree/ypath_detail.cpp),
    # with or without force
    yt.set("//tmp/n", 1)
    node_id = yt.get("//tmp/n/@id")
    yt.set("//tmp/n", 2)
    assert yt.get("//tmp/n") == 2
    assert yt.get("//tmp/n/@id") == node_id
    refused = 'Cannot update "int64" node with "string" value; types must match'
    assert refusal(lambda: yt.set("//tmp/n", "two"))[0] == refused
    assert refusal(lambda: yt.set("//tmp/n", "two", force=True))[0] == refused
    assert refusal(lambda: yt.set("//tmp/n", {"a": 1}))[0] == \
        'Cannot update "int64" node with "map" value; types must match'
    assert yt.get("//tmp/n") == 2


def test_a_set_onto_a_list_or_a_map_needs_force_and_a_value_of_its_type(yt):
    # a list or map node's proxy validates `force` (TSupportsForcefulSetSelfMixin::
    # ValidateSetSelf in yt/yt/server/master/cypress_server/node_proxy_detail.cpp), then
    # the value must be of its type as for a scalar (test_map: `set //tmp/map/list []
    # force`)
    yt.set("//tmp/list", [1, 2])
    list_id = yt.get("//tmp/list/@id")
    assert refusal(lambda: yt.set("//tmp/list", [3]))[0] == NO_FORCE
    yt.set("//tmp/list", [3], force=True)
    assert (yt.get("//tmp/list"), yt.get("//tmp/list/@id")) == ([3], list_id)
    assert refusal(lambda: yt.set("//tmp/list", 3, force=True))[0] == \
        'Cannot update "list" node with "int64" value; types must match'
    yt.create("map_node", "//tmp/m")
    assert refusal(lambda: yt.set("//tmp/m", 3, force=True))[0] == \
        'Cannot update "map" node with "int64" value; types must match'
    assert yt.get("//tmp/m/@type") == "map_node"


def test_create_makes_a_scalar_node_with_its_default_value(yt):
    # test_escaped_symbols: `create string_node` then `set` of a string; the node holds
    # its C++ type's default until then (TScalarNode in the master's node_detail.h)
    yt.create("string_node", "//tmp/s")
    assert yt.get("//tmp/s") == ""
    yt.set("//tmp/s", "abacaba")
    assert yt.get("//tmp/s") == "abacaba"
    yt.create("int64_node", "//tmp/i")
    assert (yt.get("//tmp/i"), yt.get("//tmp/i/@type")) == (0, "int64_node")
    yt.create("boolean_node", "//tmp/b")
    assert yt.get("//tmp/b") is not None and not yt.get("//tmp/b")


def test_a_scalar_value_s_attributes_go_to_its_node(yt):
    # test_attributes_tx_read_table: `set //tmp/t "<attr=100> 123"` reads back 123, with
    # @attr 100, in a transaction too
    yt.set("//tmp/t", b"<attr=100> 123", format="yson")
    assert yt.get("//tmp/t") == 123
    assert yt.get("//tmp/t/@attr") == 100
    tx = yt.start_transaction()
    with yt.Transaction(transaction_id=tx, ping=False, acquire=False):
        assert yt.get("//tmp/t/@attr") == 100


# -- remove //path/* -------------------------------------------------------------------
def test_remove_of_every_child_keeps_the_map(yt):
    # test_map_remove_all1: `remove //tmp/map/*` leaves the map, empty, whatever its
    # children hold (TCompositeNodeMixin::RemoveRecursive, yt/yt/core/ytree/node_detail.cpp)
    yt.set("//tmp/map", {"a": "b", "c": {"d": 1}}, force=True)
    node_id = yt.get("//tmp/map/@id")
    yt.remove("//tmp/map/*")
    assert yt.get("//tmp/map") == {}
    assert yt.get("//tmp/map/@count") == 0
    assert yt.get("//tmp/map/@id") == node_id


def test_remove_of_every_child_in_a_transaction(yt):
    # test_map_remove_all2
    yt.set("//tmp/map", {"a": 1}, force=True)
    tx = yt.start_transaction()
    with yt.Transaction(transaction_id=tx, ping=False, acquire=False):
        yt.set("//tmp/map", {"b": 2}, force=True)
        yt.remove("//tmp/map/*")
        assert yt.get("//tmp/map") == {}
        assert yt.get("//tmp/map/@count") == 0
    assert yt.get("//tmp/map") == {"a": 1}
    assert yt.get("//tmp/map/@count") == 1
    yt.commit_transaction(tx)
    assert yt.get("//tmp/map") == {}


def test_remove_of_every_child_of_a_list(yt):
    # test_list_remove_all
    yt.set("//tmp/list", [10, 20, 30])
    yt.remove("//tmp/list/*")
    assert yt.get("//tmp/list") == []


def test_remove_of_every_child_refusals(yt):
    # a node that is not composite has no children (ThrowCannotHaveChildren, yt/yt/core/
    # ytree/exception_helpers.cpp); a missing node is named as any missing node and
    # `force` forgives it; `*` is for remove only (TMapNodeMixin::ResolveRecursive)
    yt.create("table", "//tmp/t")
    assert refusal(lambda: yt.remove("//tmp/t/*"))[0] == "Node //tmp/t cannot have children"
    assert 'Node //tmp has no child with key "nope"' in refusal(
        lambda: yt.remove("//tmp/nope/*"))
    yt.remove("//tmp/nope/*", force=True)
    yt.create("map_node", "//tmp/m")
    assert refusal(lambda: yt.get("//tmp/m/*"))[0] == '"*" is only allowed for Remove method'


def test_remove_of_every_child_takes_every_lock_first(yt):
    # TMapNodeProxy::Clear (yt/yt/server/master/cypress_server/node_proxy_detail.cpp) locks
    # each child exclusively before it removes any: one child locked by another
    # transaction leaves them all
    yt.set("//tmp/m", {"a": 1, "b": 2, "c": 3})
    tx = yt.start_transaction()
    with yt.Transaction(transaction_id=tx, ping=False, acquire=False):
        yt.lock("//tmp/m/b")
    messages = refusal(lambda: yt.remove("//tmp/m/*"))
    assert any(m.startswith('Cannot take "exclusive" lock for node //tmp/m/b') for m in messages)
    assert yt.get("//tmp/m") == {"a": 1, "b": 2, "c": 3}


# -- links -----------------------------------------------------------------------------
def test_a_link_reads_its_target_and_ampersand_reads_the_link(yt):
    # test_link2: a read through the link is the target's; `&` names the link itself
    # (TLinkNodeProxy::Resolve in yt/yt/server/master/cypress_server/link_node_proxy.cpp)
    yt.set("//tmp/t1", 1)
    yt.link("//tmp/t1", "//tmp/t2")
    assert yt.get("//tmp/t2") == 1
    assert yt.get("//tmp/t2/@type") == "int64_node"
    assert yt.get("//tmp/t1/@id") == yt.get("//tmp/t2/@id")
    assert yt.get("//tmp/t2&/@type") == "link"
    assert yt.get("//tmp/t2&/@target_path") == "//tmp/t1"
    assert _broken(yt, "//tmp/t2") is False
    yt.set("//tmp/t1", 2)
    assert yt.get("//tmp/t2") == 2
    # test_resolve_suppress_via_object_id_yt_6694: `#id&` too
    link_id = yt.get("//tmp/t2&/@id")
    assert yt.get(f"#{link_id}/@type") == "int64_node"
    assert yt.get(f"#{link_id}&/@type") == "link"
    # `&` after a node that is not a link changes nothing
    assert yt.get("//tmp/t1&/@type") == "int64_node"


def test_a_link_whose_target_goes_is_broken(yt):
    # test_link3, test_link6: the link stays, reads through it fail, `@broken` says so
    # (TLinkNodeProxy::IsBroken asks Exists of the target)
    yt.create("table", "//tmp/a")
    yt.link("//tmp/a", "//tmp/b")
    assert yt.exists("//tmp/b/@row_count")
    yt.remove("//tmp/a")
    assert not yt.exists("//tmp/b")
    assert yt.exists("//tmp/b&")
    assert not yt.exists("//tmp/b/@id")
    assert yt.exists("//tmp/b&/@target_path")
    assert not yt.exists("//tmp/b&/x")
    assert _broken(yt, "//tmp/b") is True


def test_a_link_to_a_link_reads_the_last_target(yt):
    # test_link_to_link
    table_id = yt.create("table", "//tmp/t")
    yt.link("//tmp/t", "//tmp/l1")
    yt.link("//tmp/l1", "//tmp/l2")
    assert yt.get("//tmp/l2/@id") == table_id
    assert _broken(yt, "//tmp/l2") is False
    yt.remove("//tmp/l1")
    assert _broken(yt, "//tmp/l2") is True


def test_removing_a_link_leaves_its_target(yt):
    # TLinkNodeProxy::Resolve handles Remove at the link itself
    yt.create("map_node", "//tmp/a")
    yt.link("//tmp/a", "//tmp/b")
    yt.remove("//tmp/b")
    assert yt.exists("//tmp/a")
    assert not yt.exists("//tmp/b&")


def test_link_needs_an_existing_target_unless_forced(yt):
    # test_link_dst_doesnt_exist: the native client's TClient::DoLinkNode asks Exists of
    # the target first, unless `force`
    assert refusal(lambda: yt.link("//tmp/none", "//tmp/l"))[0] == \
        "Target //tmp/none for the link //tmp/l does not exist"
    assert not yt.exists("//tmp/l&")
    yt.link("//tmp/none", "//tmp/l", force=True)
    assert _broken(yt, "//tmp/l") is True
    tx = yt.start_transaction()
    with yt.Transaction(transaction_id=tx, ping=False, acquire=False):
        yt.set("//tmp/v", 1)
        yt.link("//tmp/v", "//tmp/l1")  # the target exists in the transaction
        assert yt.get("//tmp/l1") == 1
