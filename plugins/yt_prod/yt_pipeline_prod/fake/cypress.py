"""An in-memory Cypress: nodes by path, with transactions as copy-on-write overlays.

A transaction keeps its own changes (`path -> node`, or None for a removed node) on top of
its parent's view; commit folds them into the parent, abort drops them. So a table written
under a transaction appears to others only when it commits. There are no locks and no
conflicts: the last commit wins.
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from yt_pipeline_prod.fake.protocol import (
    NO_SUCH_TRANSACTION,
    YtFakeError,
    resolve_error,
)

ROOT = "/"


def new_id() -> str:
    raw = uuid.uuid4().hex
    return "-".join(raw[i:i + 8].lstrip("0") or "0" for i in range(0, 32, 8))


def split_path(path: str) -> tuple[str, str | None]:
    """`//a/b/@attr` -> ("//a/b", "attr"); `//a/b/@` -> ("//a/b", ""); no attribute -> None."""
    if "/@" in path:
        node, attribute = path.split("/@", 1)
        return (node or ROOT), attribute
    return path, None


def normalize(path: str) -> str:
    if path in ("/", "//"):
        return ROOT
    if not path.startswith("//"):
        raise YtFakeError(f"Path {path!r} does not start with //", code=500)
    return path.rstrip("/")


def parent_of(path: str) -> str:
    if path == ROOT:
        return ROOT
    head = path.rsplit("/", 1)[0]
    return head if head not in ("", "/") else ROOT


def name_of(path: str) -> str:
    return path.rsplit("/", 1)[-1] if path != ROOT else ""


@dataclass
class Node:
    type: str
    id: str = field(default_factory=new_id)
    attributes: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    data: bytes = b""
    value: Any = None
    revision: int = 0
    created: float = field(default_factory=time.time)
    modified: float = field(default_factory=time.time)


@dataclass
class Transaction:
    id: str
    parent: str | None
    attributes: dict[str, Any]
    changes: dict[str, Node | None] = field(default_factory=dict)
    started: float = field(default_factory=time.time)


class Cypress:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        # The folders every cluster has.
        self.base: dict[str, Node | None] = {
            path: Node("map_node") for path in (ROOT, "//tmp", "//home", "//sys")
        }
        self.transactions: dict[str, Transaction] = {}
        self._revisions = itertools.count(1)

    # -- transactions -----------------------------------------------------------------
    def start(self, parent: str | None, attributes: dict[str, Any]) -> str:
        with self.lock:
            if parent:
                self.transaction(parent)
            tx = Transaction(new_id(), parent or None, dict(attributes))
            self.transactions[tx.id] = tx
            return tx.id

    def transaction(self, tx_id: str) -> Transaction:
        tx = self.transactions.get(tx_id)
        if tx is None:
            raise YtFakeError(f"No such transaction {tx_id}", code=NO_SUCH_TRANSACTION)
        return tx

    def commit(self, tx_id: str) -> None:
        with self.lock:
            tx = self.transaction(tx_id)
            self._drop_children(tx_id)
            target = self.transactions[tx.parent].changes if tx.parent else self.base
            for path, node in tx.changes.items():
                if node is None and target is self.base:
                    target.pop(path, None)
                else:
                    target[path] = node
            del self.transactions[tx_id]

    def abort(self, tx_id: str) -> None:
        with self.lock:
            self.transaction(tx_id)
            self._drop_children(tx_id)
            del self.transactions[tx_id]

    def _drop_children(self, tx_id: str) -> None:
        for child in [t.id for t in self.transactions.values() if t.parent == tx_id]:
            self._drop_children(child)
            self.transactions.pop(child, None)

    def _layers(self, tx_id: str | None) -> list[dict[str, Node | None]]:
        """Change sets from the innermost transaction out to the committed tree."""
        layers = []
        while tx_id:
            tx = self.transaction(tx_id)
            layers.append(tx.changes)
            tx_id = tx.parent
        layers.append(self.base)
        return layers

    def _changes(self, tx_id: str | None) -> dict[str, Node | None]:
        return self.transaction(tx_id).changes if tx_id else self.base

    # -- reading ----------------------------------------------------------------------
    def lookup(self, path: str, tx_id: str | None) -> Node | None:
        with self.lock:
            for layer in self._layers(tx_id):
                if path in layer:
                    return layer[path]
            return None

    def resolve(self, path: str, tx_id: str | None, follow_last: bool = True) -> str:
        """The real path of `path`: links along the way are followed, `#id` found."""
        path = path.strip()
        if path.startswith("#"):
            node_id, _, rest = path[1:].partition("/")
            found = self.find_by_id(node_id, tx_id)
            if found is None:
                raise resolve_error(path)
            return normalize(found + ("/" + rest if rest else ""))
        path = normalize(path)
        if path == ROOT:
            return path
        parts = path[2:].split("/")
        current = ROOT
        for index, part in enumerate(parts):
            current = ("//" + part) if current == ROOT else f"{current}/{part}"
            node = self.lookup(current, tx_id)
            if node is not None and node.type == "link":
                if index < len(parts) - 1 or follow_last:
                    current = normalize(node.attributes["target_path"])
        return current

    def get_node(self, path: str, tx_id: str | None) -> Node:
        node = self.lookup(path, tx_id)
        if node is None:
            raise resolve_error(path)
        return node

    def find_by_id(self, node_id: str, tx_id: str | None) -> str | None:
        for path in self.paths(tx_id):
            node = self.lookup(path, tx_id)
            if node is not None and node.id == node_id:
                return path
        return None

    def paths(self, tx_id: str | None) -> list[str]:
        with self.lock:
            seen: set[str] = set()
            for layer in self._layers(tx_id):
                seen.update(layer)
            return sorted(p for p in seen if self.lookup(p, tx_id) is not None)

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
        with self.lock:
            node.revision = next(self._revisions)
            node.modified = time.time()
            self._changes(tx_id)[path] = node
            return node

    def mutable(self, path: str, tx_id: str | None) -> Node:
        """The node at `path`, copied into this transaction's layer if it lives below it."""
        with self.lock:
            changes = self._changes(tx_id)
            node = changes.get(path)
            if node is None:
                node = copy.deepcopy(self.get_node(path, tx_id))
            return self.put(path, node, tx_id)

    def delete(self, path: str, tx_id: str | None) -> None:
        with self.lock:
            changes = self._changes(tx_id)
            for sub in self.subtree(path, tx_id):
                if tx_id:
                    changes[sub] = None
                else:
                    changes.pop(sub, None)

    def ensure_parents(self, path: str, tx_id: str | None, recursive: bool) -> None:
        parent = parent_of(path)
        node = self.lookup(parent, tx_id)
        if node is not None:
            if node.type != "map_node":
                raise YtFakeError(f"Cannot create {path}: {parent} is a {node.type}")
            return
        if not recursive:
            raise resolve_error(parent)
        self.ensure_parents(parent, tx_id, recursive)
        self.put(parent, Node("map_node"), tx_id)
