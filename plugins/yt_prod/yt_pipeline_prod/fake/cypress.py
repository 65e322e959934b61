"""An in-memory Cypress: nodes by path, transactions as copy-on-write overlays, and locks.

A transaction keeps its own changes (`path -> node`, or None for a removed node) on top of
its parent's view; abort drops them, commit merges them into the parent (branches.py says
how: an append lands on the table as it is at commit time). Writes take the locks Cypress
takes for them (locks.py), so two transactions overwriting one node conflict as on a
cluster instead of the last commit winning.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from yt_pipeline_prod.fake.branches import Branch, apply_branch, branch_copy
from yt_pipeline_prod.fake.locks import Lock, LockTable
from yt_pipeline_prod.fake.paths import ROOT, name_of, new_id, normalize, parent_of, split_path
from yt_pipeline_prod.fake.protocol import (
    NO_SUCH_TRANSACTION,
    RESOLVE_ERROR,
    YtFakeError,
    resolve_error,
)
from yt_pipeline_prod.fake.versioned_view import branch_as_seen

__all__ = ["ROOT", "Cypress", "Node", "Transaction", "name_of", "new_id", "normalize",
           "parent_of", "split_path"]


def refuse_kept_only(path: str) -> None:
    """A node only `#id` reaches (Cypress._kept_by_snapshot) is read, never changed."""
    if path.startswith("#"):
        raise YtFakeError(f"the fake proxy only reads {path}, a removed node a snapshot "
                          "lock keeps")


class LinkCycle(YtFakeError):
    """A path's walk reached the node it was told to avoid (Cypress.refuse_cyclic_link)."""

    def __init__(self, path: str) -> None:
        super().__init__(f"Path {path} leads back to itself", code=RESOLVE_ERROR)


@dataclass
class Node:
    """One version of a node. Its `rows` list and `data` are shared between the versions a
    transaction branches (branches.branch_copy), so a write gives a node a new list or new
    bytes and never changes the old ones in place."""

    type: str
    id: str = field(default_factory=new_id)
    attributes: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    data: bytes = b""
    value: Any = None
    revision: int = 0
    created: float = field(default_factory=time.time)
    modified: float = field(default_factory=time.time)


#: how many links one path may pass through before it is taken for a cycle
MAX_LINK_HOPS = 32
#: where the scheduler's pool trees are, one child each
POOL_TREES = "//sys/pool_trees"
#: the lease of a transaction started without a timeout. ytsaurus-client always sends one
#: (`Transaction.__init__` in yt/wrapper/transaction.py: at least its `transaction_timeout`,
#: 30 s by default), so this value only matters for raw requests.
DEFAULT_TIMEOUT_S = 15.0
#: the lease of a transaction a cluster's own services ping while they need it (the
#: output transaction of a running operation): it never runs out
SCHEDULER_PINGED = float("inf")


@dataclass
class Transaction:
    id: str
    parent: str | None
    attributes: dict[str, Any]
    changes: dict[str, Node | None] = field(default_factory=dict)
    #: nodes of `changes` copied from the parent's view, and what was done to them; a node
    #: in `changes` without a branch was created (or replaced) by this transaction
    branches: dict[str, Branch] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    #: seconds without a ping after which the transaction is aborted (its lease)
    timeout_s: float = DEFAULT_TIMEOUT_S
    pinged: float = field(default_factory=time.monotonic)


class Cypress:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        # The folders every cluster has, and its pool trees: a stock cluster has one, named
        # `default` (each is //sys/pool_trees/<tree>, made by `create scheduler_pool_tree`;
        # a map node here)
        self.base: dict[str, Node | None] = {
            path: Node("map_node") for path in (ROOT, "//tmp", "//home", "//sys",
                                                POOL_TREES, f"{POOL_TREES}/default")
        }
        self.transactions: dict[str, Transaction] = {}
        self.locks = LockTable(self.describe_transaction, self.lineage)
        self._revisions = itertools.count(1)

    # -- transactions -----------------------------------------------------------------
    def start(self, parent: str | None, attributes: dict[str, Any],
              timeout_s: float | None = None) -> str:
        with self.lock:
            if parent:
                self.transaction(parent)
            tx = Transaction(new_id(), parent or None, dict(attributes),
                             timeout_s=DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s)
            self.transactions[tx.id] = tx
            return tx.id

    def ping(self, tx_id: str, ancestors: bool = False) -> None:
        with self.lock:
            for each in self.lineage(tx_id) if ancestors else [tx_id]:
                self.transaction(each).pinged = time.monotonic()

    def expire_transactions(self) -> list[str]:
        """Abort every transaction whose lease ran out, with its nested ones (and so the
        operations running in them). A client that dies stops pinging: this is how its
        transactions end on a cluster."""
        now = time.monotonic()
        with self.lock:
            due = [tx.id for tx in self.transactions.values()
                   if now - tx.pinged > tx.timeout_s]
            for tx_id in due:
                if tx_id in self.transactions:
                    self.abort(tx_id)
            return due

    def transaction(self, tx_id: str) -> Transaction:
        tx = self.transactions.get(tx_id)
        if tx is None:
            raise YtFakeError(f"No such transaction {tx_id}", code=NO_SUCH_TRANSACTION)
        return tx

    def commit(self, tx_id: str) -> None:
        with self.lock:
            tx = self.transaction(tx_id)
            # nested transactions still running are aborted first, their changes and
            # locks gone ("Aborting nested transaction on parent commit" in
            # TTransactionManager::CommitTransaction, yt/yt/server/master/
            # transaction_server/transaction_manager.cpp)
            self._end_children(tx_id)
            for path, node in tx.changes.items():
                self._merge(tx, path, node)
            del self.transactions[tx_id]
            self.locks.release(tx_id, parent=tx.parent)

    def abort(self, tx_id: str) -> None:
        with self.lock:
            self.transaction(tx_id)
            self._end_children(tx_id)
            del self.transactions[tx_id]
            self.locks.release(tx_id)

    def _end_children(self, tx_id: str) -> None:
        for child in [t.id for t in self.transactions.values() if t.parent == tx_id]:
            self._end_children(child)
            self.transactions.pop(child, None)
            self.locks.release(child)

    def _merge(self, tx: Transaction, path: str, node: Node | None) -> None:
        parent = self.transactions[tx.parent] if tx.parent else None
        target = parent.changes if parent else self.base
        branch = tx.branches.get(path)
        if node is None or branch is None:  # removed, or created here: as a whole
            if node is None and parent is None:
                target.pop(path, None)
            else:
                target[path] = node
            if parent:
                parent.branches.pop(path, None)
            return
        current = self.lookup(path, tx.parent)
        if not branch.changed or current is None or current.id != node.id:
            return  # read only (a snapshot), or a node no longer there
        apply_branch(self.mutable(path, tx.parent), node, branch)
        if parent and path in parent.branches:  # else the parent created it: a whole node
            parent.branches[path].absorb(branch)

    def describe_transaction(self, tx_id: str) -> dict[str, Any]:
        """A transaction as a lock conflict's `winner_transaction` names it: its id and
        title, and its ancestors', innermost first (`DumpTransaction` in yt/yt/server/
        master/transaction_server/transaction.cpp; a cluster adds start_time, owner and
        timeout, which the fake does not keep)."""
        def one(tx: str) -> dict[str, Any]:
            found = self.transactions.get(tx)
            title = found.attributes.get("title") if found else None
            return {"id": tx, **({"title": title} if title else {})}

        lineage = self.lineage(tx_id) if tx_id in self.transactions else [tx_id]
        return {**one(tx_id), "parents": [one(tx) for tx in lineage[1:]]}

    def lineage(self, tx_id: str | None) -> list[str]:
        """The transaction and its ancestors, innermost first."""
        found = []
        while tx_id:
            found.append(tx_id)
            tx_id = self.transaction(tx_id).parent
        return found

    def _layers(self, tx_id: str | None) -> list[dict[str, Node | None]]:
        """Change sets from the innermost transaction out to the committed tree."""
        return [self.transactions[t].changes for t in self.lineage(tx_id)] + [self.base]

    def _changes(self, tx_id: str | None) -> dict[str, Node | None]:
        return self.transaction(tx_id).changes if tx_id else self.base

    # -- locks ------------------------------------------------------------------------
    def take_lock(self, path: str, tx_id: str | None, mode: str, child_key: str | None = None,
                  attribute_key: str | None = None) -> Lock | None:
        with self.lock:
            node = self.get_node(path, tx_id)
            lock = self.locks.take(node.id, path, self.lineage(tx_id), mode, child_key,
                                   attribute_key)
            if tx_id and not path.startswith("#"):
                # a lock branches the node: the transaction works on the node as it is now
                # (`DoAcquireLock` in cypress_manager.cpp); a node only its id reaches was
                # branched by the snapshot that keeps it
                self._branch(path, tx_id, snapshot=mode == "snapshot")
            return lock

    # -- reading ----------------------------------------------------------------------
    def lookup(self, path: str, tx_id: str | None) -> Node | None:
        """The node at `path` as the transaction sees it (versioned_view): its own change
        (a snapshot only while the path still leads to that node), else a child a snapshot
        of the folder kept, else what its ancestors see."""
        with self.lock:
            if path.startswith("#"):
                return self._kept_by_snapshot(path[1:], tx_id)
            for tx in [self.transactions[t] for t in self.lineage(tx_id)]:
                if path in tx.changes:
                    node = tx.changes[path]
                    if self._snapshot_cut_off(tx, path, node):
                        return self._reached(tx, path)
                    return self._as_seen(tx, path, node)
                frozen, node = self._in_snapshot(tx, path)
                if frozen:
                    return node
            return self.base.get(path)

    def _reached(self, tx: Transaction, path: str) -> Node | None:
        """What `path` leads `tx` to through the folders above it, its own branch of the
        node at `path` left aside."""
        frozen, node = self._in_snapshot(tx, path)
        return node if frozen else self.lookup(path, tx.parent)

    def _snapshot_cut_off(self, tx: Transaction, path: str, node: Node | None) -> bool:
        """Whether the node `tx` holds a snapshot of at `path` is no longer reached by that
        path: a snapshot lock keeps the node's content, not its place. A master resolves a
        path key by key through the folders as the transaction sees them, so once the node
        (or a folder above it) is removed or replaced outside, the path leads to what is
        there now (test_unlock_unreachable_node of yt/yt/tests/integration/cypress/
        test_cypress_locks.py: the snapshot-locked node of a removed folder does not exist
        in the transaction by its path)."""
        branch = tx.branches.get(path)
        if node is None or branch is None or not branch.snapshot:
            return False
        reached = self._reached(tx, path)
        return reached is None or reached.id != node.id

    def _in_snapshot(self, tx: Transaction, path: str) -> tuple[bool, Node | None]:
        """Whether a folder above `path` that `tx` holds a snapshot of decides what is at
        `path`, and what. A master's snapshot branch of a map keeps the map's key-to-child
        table as it was (test_map_node_branch of yt/yt/tests/integration/cypress/
        test_cypress.py); below a child, the child's own versions are read (FindMapNodeChild
        in yt/yt/server/master/cypress_server/helpers.cpp walks the originators), so a child
        still there reads its subtree as the transaction's ancestors see it now, while a
        child removed or replaced since keeps the subtree it had (the removed node stays
        alive while the snapshot holds it, its own children with it)."""
        if path == ROOT or not tx.branches:
            return False, None
        folder, below = parent_of(path), name_of(path)
        while True:
            branch = tx.branches.get(folder)
            if branch is not None and branch.frozen_children is not None:
                key = below.split("/", 1)[0]
                child = branch.frozen_children.get(key)
                if "/" not in below or child is None:
                    return True, child
                now = self.lookup(("//" if folder == ROOT else folder + "/") + key, tx.parent)
                if now is not None and now.id == child.id:
                    return False, None
                return True, branch.frozen_descendants.get(below)
            if folder == ROOT:
                return False, None
            folder, below = parent_of(folder), f"{name_of(folder)}/{below}"

    def _as_seen(self, tx: Transaction, path: str, node: Node | None) -> Node | None:
        branch = tx.branches.get(path)
        if node is None or branch is None or branch.snapshot:
            return node
        return branch_as_seen(node, branch, self.lookup(path, tx.parent))

    def resolve(self, path: str, tx_id: str | None, follow_last: bool = True,
                _depth: int = 0, avoid: str | None = None) -> str:
        """The real path of `path`: links along the way are followed (a link's target may
        be a link again), `#id` found. A key ending in `&` names the link itself, not its
        target (TLinkNodeProxy::Resolve in yt/yt/server/master/cypress_server/
        link_node_proxy.cpp takes the Ampersand token so); after a node that is not a
        link the `&` means nothing (the core's resolve skips it). A walk that reaches
        `avoid` stops there with LinkCycle (refuse_cyclic_link)."""
        if _depth > MAX_LINK_HOPS:
            # a cyclic link is refused when made (refuse_cyclic_link), but a move or a
            # copy can still close a cycle: the walk stops rather than loop
            raise YtFakeError(f"Path {path} cannot be resolved: too many links on the way",
                              code=RESOLVE_ERROR)
        path = path.strip()
        if path.startswith("#"):
            node_id, _, rest = path[1:].partition("/")
            found = self.find_by_id(node_id.rstrip("&"), tx_id)
            if found is None:
                raise resolve_error(path)
            if found.startswith("#"):
                if rest:  # below a node no path reaches: the fake keeps no such subtree
                    raise resolve_error(path)
                return found
            # the node's own path, links and `&` in the rest taken as in any path
            suffix = "&" if node_id.endswith("&") else ""
            return self.resolve(found + suffix + ("/" + rest if rest else ""), tx_id,
                                follow_last, _depth + 1, avoid)
        path = normalize(path)
        if path == ROOT:
            return path
        parts = path[2:].split("/")
        current = ROOT
        for index, part in enumerate(parts):
            itself = part.endswith("&") and not part.endswith("\\&")
            name = part[:-1] if itself else part
            current = ("//" + name) if current == ROOT else f"{current}/{name}"
            if current == avoid:
                raise LinkCycle(current)
            node = self.lookup(current, tx_id)
            if node is not None and node.type == "link" and not itself:
                if index < len(parts) - 1 or follow_last:
                    current = self.resolve(str(node.attributes["target_path"]), tx_id,
                                           _depth=_depth + 1, avoid=avoid)
        return current

    def refuse_cyclic_link(self, link: str, target: str, tx_id: str | None) -> None:
        """Refuse a link at `link` (its own path, resolved up to its last key) whose
        `target` would lead back to it: the walk of the target, links followed, reaches the
        link's path on the way or at its end. A master checks so on making a link
        (TLinkNodeTypeHandler::DoCreate in yt/yt/server/master/cypress_server/
        link_node_type_handler.cpp, "Failed to create link: link is cyclic"; test_cyclic_link
        of yt/yt/tests/integration/cypress/test_cypress.py)."""
        try:
            cyclic = self.resolve(target, tx_id, avoid=link) == link
        except LinkCycle:
            cyclic = True
        except YtFakeError:
            cyclic = False  # a target that does not resolve makes a broken link, not a cycle
        if cyclic:
            raise YtFakeError("Failed to create link: link is cyclic", target_path=target,
                              path=link)

    def link_is_broken(self, node: Node, tx_id: str | None) -> bool:
        """A link's `@broken`: its target does not exist (TLinkNodeProxy::IsBroken asks
        Exists of the target path)."""
        try:
            target = self.resolve(str(node.attributes["target_path"]), tx_id)
        except YtFakeError:
            return True
        return self.lookup(target, tx_id) is None

    def get_node(self, path: str, tx_id: str | None) -> Node:
        node = self.lookup(path, tx_id)
        if node is None:
            raise self.no_such_node(path, tx_id)
        return node

    def no_such_node(self, path: str, tx_id: str | None) -> YtFakeError:
        """The resolve error a master gives for a missing node: "Error resolving path %v"
        (the wrapper of every resolve failure, ResolveYPath in yt/yt/core/ytree/
        ypath_client.cpp), holding the cause, which names the deepest node that exists and
        the key it lacks ("Node %v has no child with key %Qv", GetMapNodeChildOrThrow in
        yt/yt/server/master/cypress_server/helpers.cpp)."""
        existing = parent_of(path)
        while existing != ROOT and self.lookup(existing, tx_id) is None:
            existing = parent_of(existing)
        if not path.startswith("//") or self.lookup(existing, tx_id) is None:
            return resolve_error(path)
        rest = path[len(existing):].lstrip("/")
        key = rest.split("/", 1)[0]
        cause = YtFakeError(f'Node {existing} has no child with key "{key}"',
                            code=RESOLVE_ERROR)
        return YtFakeError(f"Error resolving path {path}", code=RESOLVE_ERROR, path=path,
                           inner_errors=[cause])

    def find_by_id(self, node_id: str, tx_id: str | None) -> str | None:
        """The path of the node with this id, or `#<id>` for a node no path reaches that a
        snapshot lock keeps alive (_kept_by_snapshot)."""
        for path in self.paths(tx_id):
            node = self.lookup(path, tx_id)
            if node is not None and node.id == node_id:
                return path
        if self._kept_by_snapshot(node_id, tx_id) is not None:
            return "#" + node_id
        return None

    def _kept_by_snapshot(self, node_id: str, tx_id: str | None) -> Node | None:
        """A node removed (or replaced) since a transaction took a snapshot lock of it or of
        a folder above it: a master keeps the node alive while the lock holds it, and `#id`
        still finds it, in the transaction and outside (test_unlock_unreachable_node of
        yt/yt/tests/integration/cypress/test_cypress_locks.py: `exists("#" + node_id)` after
        the folder above was removed; test_link4 of test_cypress.py reads it by id in the
        transaction). The requester's own snapshot comes first; outside, a holder's is
        read (the fake keeps no other version of a removed node)."""
        own = self.lineage(tx_id) if tx_id in self.transactions else []
        holders = [self.transactions[t] for t in own] + [
            tx for tx in self.transactions.values() if tx.id not in own]
        for tx in holders:
            for path, branch in tx.branches.items():
                kept = [tx.changes.get(path)] if branch.snapshot else []
                kept += [*(branch.frozen_children or {}).values(),
                         *branch.frozen_descendants.values()]
                for node in kept:
                    if node is not None and node.id == node_id:
                        return node
        return None

    def paths(self, tx_id: str | None) -> list[str]:
        with self.lock:
            seen: set[str] = set()
            for layer in self._layers(tx_id):
                seen.update(layer)
            seen.update(self._snapshot_paths(tx_id))
            return sorted(p for p in seen if self.lookup(p, tx_id) is not None)

    def _snapshot_paths(self, tx_id: str | None) -> set[str]:
        """The paths snapshots of folders in the transaction's lineage keep (their nodes
        may be gone from every layer since)."""
        kept: set[str] = set()
        for tx in [self.transactions[t] for t in self.lineage(tx_id)]:
            for folder, branch in tx.branches.items():
                if branch.frozen_children is not None:
                    prefix = "//" if folder == ROOT else folder + "/"
                    kept.update(prefix + below for below in
                                [*branch.frozen_children, *branch.frozen_descendants])
        return kept

    def children(self, path: str, tx_id: str | None) -> list[str]:
        prefix = "//" if path == ROOT else path + "/"
        return [
            p for p in self.paths(tx_id)
            if p != ROOT and p.startswith(prefix) and "/" not in p[len(prefix):]
        ]

    def subtree(self, path: str, tx_id: str | None) -> list[str]:
        prefix = "//" if path == ROOT else path + "/"
        return [p for p in self.paths(tx_id) if p == path or p.startswith(prefix)]

    # -- writing ----------------------------------------------------------------------
    def put(self, path: str, node: Node, tx_id: str | None) -> Node:
        """Store a node as a whole (new, or replacing one): no locks, see `create`."""
        with self.lock:
            refuse_kept_only(path)
            self._stamp(node)
            self._changes(tx_id)[path] = node
            if tx_id:
                self.transaction(tx_id).branches.pop(path, None)
            return node

    def _stamp(self, node: Node) -> None:
        node.revision = next(self._revisions)
        node.modified = time.time()

    def _branch(self, path: str, tx_id: str | None, snapshot: bool = False) -> Node:
        """The node at `path` in this transaction's own layer, copied there if it lives
        below it; a snapshot of a folder keeps its children as they are now."""
        refuse_kept_only(path)
        changes = self._changes(tx_id)
        node = changes.get(path)
        if node is not None and tx_id and \
                self._snapshot_cut_off(self.transaction(tx_id), path, node):
            node = None  # a snapshot of a node no longer there: branch the one there now
        if node is None:
            node = branch_copy(self.get_node(path, tx_id))
            branch = Branch.of(node)
            if snapshot:
                branch.snapshot = True
                if node.type == "map_node":
                    branch.frozen_children = {name_of(child): self.lookup(child, tx_id)
                                              for child in self.children(path, tx_id)}
                    prefix = "//" if path == ROOT else path + "/"
                    branch.frozen_descendants = {
                        sub[len(prefix):]: self.lookup(sub, tx_id)
                        for sub in self.subtree(path, tx_id)
                        if sub.startswith(prefix) and "/" in sub[len(prefix):]}
            changes[path] = node
            if tx_id:
                self.transaction(tx_id).branches[path] = branch
        return node

    def mutable(self, path: str, tx_id: str | None) -> Node:
        """The node at `path`, to change under this transaction (the caller holds the
        lock its change needs)."""
        with self.lock:
            node = self._branch(path, tx_id)
            self._stamp(node)
            return node

    def note_update(self, path: str, tx_id: str | None, mode: str) -> None:
        branch = self.transaction(tx_id).branches.get(path) if tx_id else None
        if branch is not None:
            branch.raise_mode(mode)

    def note_attribute(self, path: str, tx_id: str | None, name: str, value: Any) -> None:
        branch = self.transaction(tx_id).branches.get(path) if tx_id else None
        if branch is not None:
            branch.attributes[name] = value

    def create(self, path: str, node: Node, tx_id: str | None) -> Node:
        """A new node: a shared lock on its name in the parent folder, and the new node
        locked exclusively by the transaction that created it (`TNodeFactory::CreateNode`
        in cypress_manager.cpp)."""
        with self.lock:
            self.take_lock(parent_of(path), tx_id, "shared", child_key=name_of(path))
            self.put(path, node, tx_id)
            self.take_lock(path, tx_id, "exclusive")
            return node

    def delete(self, path: str, tx_id: str | None) -> None:
        """Remove a subtree: exclusive locks on every node of it and a shared lock on its
        name in the parent, all checked before anything changes."""
        with self.lock:
            refuse_kept_only(path)
            subtree = self.subtree(path, tx_id)
            for sub in subtree:
                self.locks.check(self.get_node(sub, tx_id).id, sub, self.lineage(tx_id),
                                 "exclusive")
            if path != ROOT:
                self.take_lock(parent_of(path), tx_id, "shared", child_key=name_of(path))
            for sub in subtree:
                self.take_lock(sub, tx_id, "exclusive")
            changes = self._changes(tx_id)
            for sub in subtree:
                if tx_id:
                    changes[sub] = None
                    self.transaction(tx_id).branches.pop(sub, None)
                else:
                    changes.pop(sub, None)

    def ensure_parents(self, path: str, tx_id: str | None, recursive: bool) -> None:
        parent = parent_of(path)
        node = self.lookup(parent, tx_id)
        if node is not None:
            if node.type != "map_node":
                # a node that is not a folder takes no child: "Node %v cannot have
                # children" (ThrowCannotHaveChildren in yt/yt/core/ytree/
                # exception_helpers.cpp, GetNodePath naming the node), from the master's
                # Create
                raise YtFakeError(f"Node {parent} cannot have children")
            return
        if not recursive:
            raise self.no_such_node(parent, tx_id)
        self.ensure_parents(parent, tx_id, recursive)
        self.create(parent, Node("map_node"), tx_id)
