"""`remove //node/@name`: what a master does when a remove names an attribute.

TSupportsAttributes::DoRemoveAttribute (yt/yt/core/ytree/ypath_detail.cpp) removes a custom
(user) attribute; a builtin one only when its descriptor says Removable (of the node's
builtins, `expiration_time` and `expiration_timeout`: ListSystemAttributes in yt/yt/server/
master/cypress_server/cypress_node_proxy.cpp), any other builtin is refused with
ThrowCannotRemoveAttribute ('Attribute "x" cannot be removed'); a name that is neither is
ThrowNoSuchAttribute ('Attribute "x" is not found', a resolve error), which `force` silences.
The node itself stays: only the attribute goes.

A remove or a set of a path inside an attribute (`//node/@x/k`) changes a custom attribute's
value as attribute_paths says and stores it whole; a builtin attribute the node type does
not let anyone set is refused ('Attribute "x" cannot be removed', 'Builtin attribute "x"
cannot be set'), a custom one that is not there too ('Attribute "x" is not found' unless
forced, 'Custom attribute "x" is not found' for a set: DoRemoveAttribute and
DoSetAttribute).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yt_pipeline_prod.fake.attribute_paths import remove_in, set_in, split_attribute
from yt_pipeline_prod.fake.attributes import system_attributes
from yt_pipeline_prod.fake.branches import REMOVED, set_attribute
from yt_pipeline_prod.fake.builtin_checks import read_only
from yt_pipeline_prod.fake.protocol import RESOLVE_ERROR, YtFakeError

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.cypress import Cypress, Node

#: builtin attributes a remove may take away
REMOVABLE_BUILTINS = frozenset({"expiration_time", "expiration_timeout"})
#: builtin attributes the fake keeps among a node's own attributes (given at create or set):
#: a master never takes them for custom ones
STORED_BUILTINS = frozenset({
    "replication_factor", "compression_codec", "erasure_codec", "optimize_for", "schema",
    "sorted_by", "target_path", "account", "primary_medium", "vital", "dynamic",
})


def remove_attribute(cypress: Cypress, path: str, name: str, tx: str | None,
                     force: bool) -> None:
    """Remove the attribute `name` of the node at `path`, or the part of its value a path
    after the name names (`x/k`)."""
    node = cypress.get_node(path, tx)
    if "/" in name:
        _remove_at_path(cypress, path, node, *split_attribute(name), tx, force)
        return
    if name in REMOVABLE_BUILTINS or (
            name in node.attributes and name not in STORED_BUILTINS):
        if name in node.attributes:
            set_attribute(cypress, path, name, REMOVED, tx)
        return
    if name in STORED_BUILTINS or name in system_attributes(cypress, path, node, tx):
        raise YtFakeError(f'Attribute "{name}" cannot be removed')
    if not force:
        raise YtFakeError(f'Attribute "{name}" is not found', code=RESOLVE_ERROR)


def set_at_path(cypress: Cypress, path: str, attribute: str, value: Any,
                tx: str | None) -> None:
    """`set //node/@x/k value`: key k of the custom attribute x becomes `value`."""
    node = cypress.get_node(path, tx)
    name, tokens = split_attribute(attribute)
    if is_custom(node, name):
        set_attribute(cypress, path, name, set_in(node.attributes[name], tokens, value), tx)
        return
    if _is_builtin(cypress, path, node, tx, name):
        if _read_only(node, name):
            raise YtFakeError(f'Builtin attribute "{name}" cannot be set')
        raise YtFakeError(f"the fake proxy sets the builtin attribute @{name} as a whole only")
    raise YtFakeError(f'Custom attribute "{name}" is not found', code=RESOLVE_ERROR)


def _remove_at_path(cypress: Cypress, path: str, node: Node, name: str, tokens: list[str],
                    tx: str | None, force: bool) -> None:
    if is_custom(node, name):
        set_attribute(cypress, path, name, remove_in(node.attributes[name], tokens, force),
                      tx)
        return
    if _is_builtin(cypress, path, node, tx, name):
        if _read_only(node, name):
            raise YtFakeError(f'Attribute "{name}" cannot be removed')
        raise YtFakeError(f"the fake proxy changes the builtin attribute @{name} as a whole "
                          "only")
    if not force:
        raise YtFakeError(f'Attribute "{name}" is not found', code=RESOLVE_ERROR)


def remove_custom_attributes(cypress: Cypress, path: str, tx: str | None) -> None:
    """`remove //node/@*`: every custom attribute goes, the builtins stay (the Asterisk
    case of DoRemoveAttribute; test_attr_remove_all1/2 of test_cypress.py)."""
    node = cypress.get_node(path, tx)
    for name in sorted(n for n in node.attributes if is_custom(node, n)):
        set_attribute(cypress, path, name, REMOVED, tx)


def is_custom(node: Node, name: str) -> bool:
    """A user attribute of the node, not a builtin the fake keeps among its attributes."""
    return name in node.attributes and name not in STORED_BUILTINS \
        and name not in REMOVABLE_BUILTINS


def _is_builtin(cypress: Cypress, path: str, node: Node, tx: str | None, name: str) -> bool:
    return name in STORED_BUILTINS or name in REMOVABLE_BUILTINS or (
        not is_custom(node, name) and name in system_attributes(cypress, path, node, tx))


def _read_only(node: Node, name: str) -> bool:
    """A builtin attribute no one writes (builtin_checks.read_only): its descriptor is not
    Writable, so a path inside it is neither set nor removed."""
    return name in read_only(node.type)
