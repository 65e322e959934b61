"""What a transaction did to a node it branched, and what its commit does with that.

A transaction that changes an existing node works on its own copy (the branch). On commit
the master merges the branch into the version it came from as that version is *then*
(the "Versioning" section of the Transactions page of the Cypress docs): an append, taken
under a shared lock, adds the branch's new rows or bytes to the end of the table or file as
it is at commit time, so two transactions appending at once both land; an overwrite, under
an exclusive lock, replaces the content; attributes set under the transaction replace only
those attributes. Copying the whole branch back instead would drop what concurrent
transactions appended meanwhile.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.cypress import Cypress, Node

#: how a branch changed the content, weakest first
UPDATE_MODES = ("none", "append", "overwrite")


class _Removed:
    def __repr__(self) -> str:
        return "REMOVED"


#: an attribute the transaction removed
REMOVED: Any = _Removed()


@dataclass
class Branch:
    mode: str = "none"
    #: rows of a table, bytes of a file, when the branch was made
    base_rows: int = 0
    base_bytes: int = 0
    #: attributes set (or REMOVED) under the transaction
    attributes: dict[str, Any] = field(default_factory=dict)
    #: the node's attributes when the branch was made (versioned_view)
    base_attributes: dict[str, Any] = field(default_factory=dict)
    #: made by a snapshot lock: the whole node as it was, nothing read through
    snapshot: bool = False
    #: a folder's children when a snapshot lock branched it: key -> node
    frozen_children: dict[str, Node | None] | None = None
    #: and the nodes below those children then: path relative to the folder -> node
    frozen_descendants: dict[str, Node | None] = field(default_factory=dict)

    @classmethod
    def of(cls, node: Node) -> Branch:
        return cls(base_rows=len(node.rows), base_bytes=len(node.data),
                   base_attributes=copy.deepcopy(node.attributes))

    def raise_mode(self, mode: str) -> None:
        if UPDATE_MODES.index(mode) > UPDATE_MODES.index(self.mode):
            self.mode = mode

    @property
    def changed(self) -> bool:
        return self.mode != "none" or bool(self.attributes)

    def absorb(self, child: Branch) -> None:
        """A nested transaction committed into the transaction owning this branch."""
        self.raise_mode(child.mode)
        self.attributes.update(child.attributes)


def branch_copy(node: Node) -> Node:
    """The version a transaction branches from `node`, copied on write. The rows list and
    the bytes are shared with `node`, not copied on every lock (a table of 100k rows):
    writes give a version new ones (write_rows and write_data below, apply_branch). The
    attributes, which set_attribute changes in place, and a document's value are the
    branch's own copies. A change to either version afterwards leaves the other as it
    was, as a master's branch does (test_snapshot_lock of yt/yt/tests/integration/cypress/
    test_cypress_locks.py)."""
    return dataclasses.replace(node, attributes=copy.deepcopy(node.attributes),
                               value=copy.deepcopy(node.value))


def apply_branch(dest: Node, branch_node: Node, branch: Branch) -> None:
    """Merge a committed branch into `dest`, the version it came from as it is now."""
    if branch.mode == "overwrite":
        dest.rows = list(branch_node.rows)
        dest.data = branch_node.data
        dest.value = copy.deepcopy(branch_node.value)
    elif branch.mode == "append":
        dest.rows = dest.rows + branch_node.rows[branch.base_rows:]
        dest.data = dest.data + branch_node.data[branch.base_bytes:]
    for name, value in branch.attributes.items():
        if value is REMOVED:
            dest.attributes.pop(name, None)
        else:
            dest.attributes[name] = copy.deepcopy(value)


# -- changes that take the lock Cypress takes for them ------------------------------------
def write_rows(cypress: Cypress, path: str, rows: list[dict[str, Any]], append: bool,
               tx: str | None, lock: str | None = None) -> Node:
    """Rows written to a table: a shared lock to append, an exclusive one to overwrite,
    unless `lock` says otherwise (an append to a table of strong sorted schema)."""
    cypress.take_lock(path, tx, lock or ("shared" if append else "exclusive"))
    node = cypress.mutable(path, tx)
    node.rows = node.rows + list(rows) if append else list(rows)
    cypress.note_update(path, tx, "append" if append else "overwrite")
    return node


def write_data(cypress: Cypress, path: str, data: bytes, append: bool, tx: str | None) -> Node:
    """Bytes written to a file, locked as rows are."""
    cypress.take_lock(path, tx, "shared" if append else "exclusive")
    node = cypress.mutable(path, tx)
    node.data = node.data + data if append else data
    cypress.note_update(path, tx, "append" if append else "overwrite")
    return node


def set_value(cypress: Cypress, path: str, value: Any, tx: str | None) -> None:
    """A new value for a document: an exclusive lock."""
    cypress.take_lock(path, tx, "exclusive")
    cypress.mutable(path, tx).value = value
    cypress.note_update(path, tx, "overwrite")


def set_attribute(cypress: Cypress, path: str, name: str, value: Any, tx: str | None,
                  locked: bool = False) -> None:
    """A user attribute set (or REMOVED): a shared lock on that attribute's name, unless the
    change is part of a write that holds its own lock (`locked`)."""
    if not locked:
        cypress.take_lock(path, tx, "shared", attribute_key=name)
    node = cypress.mutable(path, tx)
    if value is REMOVED:
        node.attributes.pop(name, None)
    else:
        node.attributes[name] = value
    cypress.note_attribute(path, tx, name, value)
