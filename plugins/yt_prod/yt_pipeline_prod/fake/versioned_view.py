"""What a transaction sees of a node it branched, when others change the node meanwhile.

A master's branch holds the transaction's own changes and reads fall through to the
version it came from for the rest, except under a snapshot lock, whose branch is the whole
node as it was (the walk over GetNodeOriginators stops at a snapshot branch:
FindMapNodeChild in yt/yt/server/master/cypress_server/helpers.cpp, and the versioned
attribute dictionary the same way):

- attributes: a transaction that set `@b` still sees the `@a` another transaction committed
  after it branched the node (test_attr_locks2 of yt/yt/tests/integration/cypress/
  test_cypress_locks.py); an attribute it changed itself reads as it left it;
- a folder's children under a snapshot lock: the keys the folder had when locked, whatever
  others add or remove later (test_map_node_branch of test_cypress.py: the child a
  parent transaction removes is still read in the snapshot).

A table's rows and a file's bytes are the branch's own: shared with the version it came
from until either is written, then each has its own (branches.branch_copy).

A snapshot keeps the node, not its place: the path still resolves through the folders as
the transaction sees them, so a snapshot-locked node removed or replaced outside (or below
a folder removed outside) is no longer reached by its path (Cypress._snapshot_cut_off).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.branches import Branch
    from yt_pipeline_prod.fake.cypress import Node


def seen_attributes(own: dict[str, Any], base: dict[str, Any],
                    origin: dict[str, Any]) -> dict[str, Any]:
    """A branch's attributes as read: those the transaction changed (set, or removed)
    since it branched the node from `base` are its own; the others are the origin's now."""
    seen: dict[str, Any] = {}
    for name in {*origin, *own, *base}:
        changed = (name in own) != (name in base) or (
            name in own and own[name] is not base[name] and own[name] != base[name])
        if changed:
            if name in own:
                seen[name] = own[name]
        elif name in origin:
            seen[name] = origin[name]
    return seen


def branch_as_seen(node: Node, branch: Branch, origin: Node | None) -> Node:
    """The branched `node` with the attributes `origin` (the version it came from, as it
    is now) lends it; a snapshot, or a node the origin no longer has, as it is."""
    if branch.snapshot or origin is None or origin.id != node.id:
        return node
    attributes = seen_attributes(node.attributes, branch.base_attributes, origin.attributes)
    if attributes == node.attributes:
        return node
    return dataclasses.replace(node, attributes=attributes)
