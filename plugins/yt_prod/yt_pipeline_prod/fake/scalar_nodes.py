"""Scalar nodes: what `set` makes of a value that is not a map, and what a later `set` may
change.

A master builds a node of the value's own type (TCypressNodeFactory behind the tree
builder: `set //x 5` makes an int64_node, `"a"` a string_node, `5u` a uint64_node, `1.5` a
double_node, `%true` a boolean_node, a list a list_node), and `@type` reads it back so
(test_link2, test_boolean, test_uint64 of yt/yt/tests/integration/cypress/test_cypress.py).
A `set` onto a scalar node changes its value in place, same id, and only with a value of
its type: TNodeSetter refuses another with "Cannot update %Qlv node with %Qlv value; types
must match" (TNodeSetterBase::ThrowInvalidType in yt/yt/core/ytree/ypath_detail.cpp),
`force` or not, as scalar proxies take the core's SetSelf, which reads `force` only to
validate it (TSupportsSetSelfMixin::SetSelf in yt/yt/core/ytree/node_detail.cpp;
TScalarNodeProxy and BEGIN_DEFINE_SCALAR_TYPE in yt/yt/server/master/cypress_server/
node_proxy_detail.h). A map or a list node takes a set only when forced. A list node is
kept here as one value; list_items addresses its items inside it.
"""

from __future__ import annotations

from typing import Any

import yt.yson as yson

from yt_pipeline_prod.fake.protocol import YtFakeError

#: the node type a value of each kind makes (ENodeType's names, as errors write them)
NODE_TYPE_OF_KIND = {
    "string": "string_node", "int64": "int64_node", "uint64": "uint64_node",
    "double": "double_node", "boolean": "boolean_node", "list": "list_node",
}
#: the kind of value each node type takes in a set onto it
KIND_OF_NODE_TYPE = {node_type: kind for kind, node_type in NODE_TYPE_OF_KIND.items()}
KIND_OF_NODE_TYPE["map_node"] = "map"
#: the value a scalar node made by `create` holds: a TScalarNode's value initialized as
#: its C++ type is (TScalarNode<TValue> in yt/yt/server/master/cypress_server/node_detail.h)
DEFAULT_VALUES: dict[str, Any] = {
    "string_node": "", "int64_node": 0, "uint64_node": yson.YsonUint64(0),
    "double_node": 0.0, "boolean_node": False, "list_node": [],
}
#: a set onto a composite node without `force` (TSupportsForcefulSetSelfMixin::
#: ValidateSetSelf in yt/yt/server/master/cypress_server/node_proxy_detail.cpp)
FORBIDDEN_SET = '"set" command without "force" flag is forbidden; use "create" instead'
#: node types that hold one value `get` returns (a document holds any value)
VALUE_NODE_TYPES = frozenset({"document", *NODE_TYPE_OF_KIND.values()})


def kind_of(value: Any) -> str:
    """The ENodeType of a parsed YSON value: boolean before the integers (YsonBoolean is
    an int), uint64 before int64."""
    if isinstance(value, (bool, yson.YsonBoolean)):
        return "boolean"
    if isinstance(value, yson.YsonUint64):
        return "uint64"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "double"
    if isinstance(value, (str, bytes)):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    return "entity"


def node_type_for(value: Any) -> str:
    """The node type `set` makes of a value that is not a map nor an entity."""
    return NODE_TYPE_OF_KIND[kind_of(value)]


def bare(value: Any) -> Any:
    """The value without its YSON attributes (those go to the node: test_attributes of
    test_cypress.py, `set //tmp/t "<attr=100> 123"` reads back 123 with @attr 100)."""
    if not getattr(value, "attributes", None):
        return value
    kind = kind_of(value)
    if kind == "boolean":
        return bool(value)
    if kind == "uint64":
        return yson.YsonUint64(int(value))
    if kind == "int64":
        return int(value)
    if kind == "double":
        return float(value)
    if kind == "list":
        return list(value)
    if isinstance(value, bytes):
        return bytes(value)
    return str(value)


def check_same_kind(node_type: str, value: Any) -> None:
    """Refuse a value of another kind than the node's."""
    kind = KIND_OF_NODE_TYPE[node_type]
    given = kind_of(value)
    if given != kind:
        raise YtFakeError(f'Cannot update "{kind}" node with "{given}" value; types must '
                          'match')
