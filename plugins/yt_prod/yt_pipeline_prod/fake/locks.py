"""Cypress locks: who holds which lock on which node, and when a new one conflicts.

The rules and the errors are the master's (`DoCheckLock` in
yt/yt/server/master/cypress_server/cypress_manager.cpp; the "Locks" section of the
Transactions page of the Cypress docs):

- a snapshot lock cannot be taken by a transaction that holds a shared or exclusive lock on
  the node (error 400, SameTransactionLockConflict), nor by one a descendant of which holds
  one (error 401, DescendantTransactionLockConflict); an ancestor's or a concurrent
  transaction's locks do not stop it;
- a shared or exclusive lock cannot be taken when the transaction or one of its ancestors
  holds a snapshot lock on the node (error 400, SameTransactionLockConflict);
- no shared or exclusive lock while a concurrent transaction (one that is not the
  requester or its ancestor) holds an exclusive lock; no exclusive lock while a concurrent
  transaction holds a shared one; shared locks conflict only when they name the same child
  key or the same attribute key (error 402, ConcurrentTransactionLockConflict); the
  concurrent exclusive locks are looked at first, so a conflict with both kinds names the
  exclusive one;
- a command run outside any transaction conflicts with every transaction's locks, and
  keeps none itself;
- on commit, a transaction's shared and exclusive locks pass to its parent (released for a
  topmost one) and its snapshot locks go; on abort, all of them go (`ReleaseLocks`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from yt_pipeline_prod.fake.paths import new_id
from yt_pipeline_prod.fake.protocol import YtFakeError

SAME_TRANSACTION_LOCK_CONFLICT = 400
DESCENDANT_TRANSACTION_LOCK_CONFLICT = 401
CONCURRENT_TRANSACTION_LOCK_CONFLICT = 402
MODES = ("snapshot", "shared", "exclusive")


@dataclass
class Lock:
    id: str
    node_id: str
    tx: str
    mode: str
    child_key: str | None = None
    attribute_key: str | None = None


def _conflict(path: str, mode: str, existing: Lock, child_key: str | None,
              attribute_key: str | None, winner: dict[str, Any]) -> YtFakeError:
    # The message depends on the key of the lock asked for, as the master words it.
    if child_key is not None:
        message = (f'Cannot take lock for child "{child_key}" of node {path} since this child '
                   f"is locked by concurrent transaction {existing.tx}")
    elif attribute_key is not None:
        message = (f'Cannot take lock for attribute "{attribute_key}" of node {path} since '
                   f"this attribute is locked by concurrent transaction {existing.tx}")
    else:
        message = (f'Cannot take "{mode}" lock for node {path} since "{existing.mode}" lock '
                   f"is taken by concurrent transaction {existing.tx}")
    return YtFakeError(message, code=CONCURRENT_TRANSACTION_LOCK_CONFLICT,
                       winner_transaction=winner)


class LockTable:
    def __init__(self, describe: Callable[[str], dict[str, Any]] | None = None,
                 lineage: Callable[[str], list[str]] | None = None) -> None:
        self._by_node: dict[str, list[Lock]] = {}
        #: the `winner_transaction` attribute of a conflict, from the holder's id
        self._describe = describe or (lambda tx: {"id": tx})
        #: a holder's transaction and its ancestors, innermost first (who is a descendant)
        self._lineage = lineage or (lambda tx: [tx])

    def held(self, node_id: str) -> list[Lock]:
        return list(self._by_node.get(node_id, ()))

    def check(self, node_id: str, path: str, lineage: list[str], mode: str,
              child_key: str | None = None, attribute_key: str | None = None) -> None:
        """Raise the master's error if the lock cannot be taken. `lineage` is the
        requesting transaction and its ancestors, innermost first (empty: no transaction)."""
        if mode not in MODES:
            raise YtFakeError(f"Invalid lock mode {mode!r}")
        held = self._by_node.get(node_id, [])
        tx = lineage[0] if lineage else None
        snapshots = {lock.tx for lock in held if lock.mode == "snapshot"}
        if mode == "snapshot":
            if tx is not None and tx not in snapshots:
                self._check_new_snapshot(held, path, tx)
            return
        for holder in lineage:
            if holder in snapshots:
                whose = "same" if holder == tx else "parent"
                raise YtFakeError(
                    f'Cannot take "{mode}" lock for node {path} since "snapshot" lock is '
                    f"already taken by {whose} transaction {holder}",
                    code=SAME_TRANSACTION_LOCK_CONFLICT)
        concurrent = [lock for lock in held if lock.tx not in lineage]
        # exclusive locks first, as `DoCheckLock` walks them before the shared ones
        concurrent.sort(key=lambda lock: lock.mode != "exclusive")
        for lock in concurrent:
            conflicts = (
                lock.mode == "exclusive"
                or (mode == "exclusive" and lock.mode == "shared")
                or (mode == "shared" and lock.mode == "shared" and (
                    (child_key is not None and lock.child_key == child_key)
                    or (attribute_key is not None and lock.attribute_key == attribute_key)))
            )
            if conflicts:
                raise _conflict(path, mode, lock, child_key, attribute_key,
                                self._describe(lock.tx))

    def _check_new_snapshot(self, held: list[Lock], path: str, tx: str) -> None:
        """A snapshot lock for `tx`, which holds none on the node yet: refused when `tx`
        holds a stronger one (the exclusive one looked at first) or a descendant does,
        naming the strongest a descendant holds (`DoCheckLock`)."""
        own = {lock.mode for lock in held if lock.tx == tx}
        for strong in ("exclusive", "shared"):
            if strong in own:
                raise YtFakeError(
                    f'Cannot take "snapshot" lock for node {path} since "{strong}" lock is '
                    f"already taken by same transaction {tx}",
                    code=SAME_TRANSACTION_LOCK_CONFLICT)
        below = [lock.mode for lock in held if lock.mode != "snapshot" and lock.tx != tx
                 and tx in self._lineage(lock.tx)]
        if below:
            strongest = "exclusive" if "exclusive" in below else "shared"
            raise YtFakeError(
                f'Cannot take "snapshot" lock for node {path} since "{strongest}" lock is '
                "already taken by a descendant transaction",
                code=DESCENDANT_TRANSACTION_LOCK_CONFLICT)

    def take(self, node_id: str, path: str, lineage: list[str], mode: str,
             child_key: str | None = None, attribute_key: str | None = None) -> Lock | None:
        """Check, then record the lock for the transaction (nothing is kept without one)."""
        self.check(node_id, path, lineage, mode, child_key, attribute_key)
        if not lineage:
            return None
        tx = lineage[0]
        for lock in self._by_node.get(node_id, []):
            if (lock.tx, lock.mode, lock.child_key, lock.attribute_key) == (
                    tx, mode, child_key, attribute_key):
                return lock  # already held
        lock = Lock(new_id(), node_id, tx, mode, child_key, attribute_key)
        self._by_node.setdefault(node_id, []).append(lock)
        return lock

    def release(self, tx: str, parent: str | None = None) -> None:
        """The locks of a transaction that ended: passed to `parent` (a commit of a nested
        transaction) except snapshot locks, or dropped."""
        for node_id, locks in list(self._by_node.items()):
            kept = []
            for lock in locks:
                if lock.tx != tx:
                    kept.append(lock)
                elif parent is not None and lock.mode != "snapshot":
                    lock.tx = parent
                    kept.append(lock)
            if kept:
                self._by_node[node_id] = kept
            else:
                del self._by_node[node_id]

    def blocks_removal(self, node_id: str) -> bool:
        """A node under a shared or exclusive lock is not removed when it expires."""
        return any(lock.mode != "snapshot" for lock in self._by_node.get(node_id, ()))
