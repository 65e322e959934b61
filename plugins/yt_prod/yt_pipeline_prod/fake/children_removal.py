"""`remove //path/*`: every child of a composite node goes, the node itself stays.

The core's TCompositeNodeMixin::RemoveRecursive (yt/yt/core/ytree/node_detail.cpp) takes
the `*` token, which must end the path, and clears the node, whatever `recursive` says
(test_map_remove_all1/2 and test_list_remove_all of yt/yt/tests/integration/cypress/
test_cypress.py). A map's Clear (TMapNodeProxy::Clear in yt/yt/server/master/
cypress_server/node_proxy_detail.cpp) first takes a shared lock on the map, a shared lock
on each child's key and an exclusive one on each child, then removes them: a lock
conflict leaves every child in place. A node that is not composite cannot have children
(TNodeBase::ResolveRecursive: ThrowCannotHaveChildren, "Node %v cannot have children",
yt/yt/core/ytree/exception_helpers.cpp), and `*` in any other command than remove is
refused by the map's resolve (TMapNodeMixin::ResolveRecursive: '"*" is only allowed for
Remove method').
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from yt_pipeline_prod.fake.branches import set_value
from yt_pipeline_prod.fake.cypress import name_of
from yt_pipeline_prod.fake.protocol import YtFakeError

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.cypress import Cypress

#: the token that names every child
ALL_CHILDREN = "*"


def names_all_children(node_path: str) -> bool:
    return node_path.rstrip().endswith("/" + ALL_CHILDREN)


def refuse_all_children(node_path: str) -> None:
    """A path ending in `/*` given to a command other than remove."""
    if names_all_children(node_path):
        raise YtFakeError('"*" is only allowed for Remove method')


def remove_children(cypress: Cypress, path: str, tx: str | None) -> None:
    """Remove every child of the node at `path` (resolved, existing)."""
    node = cypress.get_node(path, tx)
    if node.type == "list_node":
        set_value(cypress, path, [], tx)
        return
    if node.type != "map_node":
        raise YtFakeError(f"Node {path} cannot have children")
    lineage = cypress.lineage(tx)
    children = cypress.children(path, tx)
    # every lock checked before anything goes
    for child in children:
        cypress.locks.check(node.id, path, lineage, "shared", child_key=name_of(child))
        for sub in cypress.subtree(child, tx):
            cypress.locks.check(cypress.get_node(sub, tx).id, sub, lineage, "exclusive")
    cypress.take_lock(path, tx, "shared")
    for child in children:
        cypress.delete(child, tx)
    cypress.mutable(path, tx)  # the map's own modification time and revision
