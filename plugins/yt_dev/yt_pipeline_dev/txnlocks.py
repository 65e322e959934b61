"""Cypress locks in dev: a stage's transaction locks each table it writes, until it ends.

A cluster locks a table when a write starts, in the writing transaction, and keeps the lock
until that transaction ends (commit or abort): an overwrite, a removal, a sort takes an
exclusive lock, an append a shared one (`BeginUpload` in yt/yt/server/master/
chunk_server/chunk_owner_node_proxy.cpp locks the node in the upload's transaction, which
passes it to its parent on commit; the "Locks" section of the Transactions page of the
YTsaurus docs), but an exclusive one to a table of sorted strict schema, whose appended
rows must follow its last one (GetTableUploadOptions in yt/yt/ytlib/table_client/
table_upload_options.cpp). A lock conflicts with an exclusive one of a concurrent transaction, and an
exclusive one with any; two shared locks do not (`DoCheckLock` in cypress_manager.cpp).
The loser gets error 402, which ytsaurus-client does not retry (it is not among
`http_helpers.get_retriable_errors`):

    Cannot take "exclusive" lock for node //t since "exclusive" lock is taken by concurrent
    transaction <id>

or, when the winner created the table (so it exists only inside its transaction), the lock
on the name in the folder: `Cannot take lock for child "t" of node //a since this child is
locked by concurrent transaction <id>`. Dev says the same, adding the title of the winning
transaction (`yt-pipeline <run> stage <name> attempt <n>`), as prod reads it from the
error's `winner_transaction`.

A lock is a file `.dev/.locks/<table>.held/<txn>.<mode>` holding the transaction's title,
made and checked under the table's flock (tablelock.py), so runs of several processes
sharing the folder see each other's. A lock whose transaction's process is gone (its
`owner.lock` flock is free, recovery.py) is stale and dropped when met: a killed run never
blocks the next one. Each dev run also drops every stale lock as it starts (`drop_stale`),
so the folder does not keep a killed run's locks until a write of their table meets them.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path

from yt_pipeline.errors import BackendError
from yt_pipeline.lock import close_lock_fd, open_lock
from yt_pipeline_dev.recovery import OWNER_LOCK
from yt_pipeline_dev.staging import TXN_DIR
from yt_pipeline_dev.tablelock import LOCKS_DIR, TableLocks, lock_file

HELD_SUFFIX = ".held"
SHARED, EXCLUSIVE = "shared", "exclusive"


class LockConflict(BackendError):
    """Another live transaction holds a lock on the table that this one cannot share."""


def held_dir(root: Path, path: str) -> Path:
    return lock_file(root, path, HELD_SUFFIX)


def _alive(root: Path, txn: str) -> bool:
    """Whether the transaction's process still holds its folder's flock."""
    try:
        # not kept by a child forked meanwhile, which would keep the lock this probe
        # took, and the dead transaction alive to every later probe (yt_pipeline.lock)
        fd = open_lock(root / TXN_DIR / txn / OWNER_LOCK, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        close_lock_fd(fd)  # a lock this probe got is released with it
    return False


def _drop_dead(root: Path, folder: Path) -> list[str]:
    """Remove the locks in a table's `.held` folder whose transaction's process is gone;
    the names of those left."""
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return []
    kept = []
    for name in names:
        txn, _, mode = name.rpartition(".")
        if mode in (SHARED, EXCLUSIVE) and txn and not _alive(root, txn):
            (folder / name).unlink(missing_ok=True)
        else:
            kept.append(name)
    return kept


def drop_stale(root: Path) -> int:
    """Remove every lock of a transaction whose process died (a killed run's), each table's
    under its flock, and the `.held` folders left empty; how many locks went. Liveness is
    the owner's flock, not its pid: a pid the system gave since to another process does not
    keep a dead transaction's lock, and a live transaction of another pipeline sharing the
    folder keeps its own."""
    removed = 0
    base = root / LOCKS_DIR
    try:
        folders = sorted(p for p in base.iterdir() if p.name.endswith(HELD_SUFFIX))
    except (FileNotFoundError, NotADirectoryError):
        return 0  # no lock taken yet, or no folder to take one in (a write names it)
    for folder in folders:
        # the table's flock file: the `.held` folder's name with `.lock` in its place
        flock_file = folder.with_name(folder.name[:-len(HELD_SUFFIX)] + ".lock")
        fd = open_lock(flock_file)  # not kept by a forked child
        try:
            try:  # `take` writes a lock under it
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live process is at the table: its look drops the stale ones
            before = len(os.listdir(folder)) if folder.is_dir() else 0
            kept = _drop_dead(root, folder)
            removed += before - len(kept)
            if not kept:
                try:
                    folder.rmdir()
                except OSError:
                    pass  # not a folder, or filled since: it stays
        finally:
            close_lock_fd(fd)
    return removed


def _holders(root: Path, path: str) -> list[tuple[str, str, dict[str, object]]]:
    """(transaction, mode, details) of each lock on table `path`, stale ones dropped."""
    found = []
    folder = held_dir(root, path)
    for name in _drop_dead(root, folder):
        txn, _, mode = name.rpartition(".")
        if mode not in (SHARED, EXCLUSIVE) or not txn:
            continue
        try:
            details = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            details = {}
        found.append((txn, mode, details if isinstance(details, dict) else {}))
    return found


def _conflict(path: str, mode: str, txn: str, held: str,
              details: dict[str, object]) -> LockConflict:
    title = details.get("title")
    whose = f" ({title})" if title else ""
    if details.get("created"):
        parent, _, name = path.rpartition("/")
        return LockConflict(
            f'Cannot take lock for child "{name}" of node {parent or "/"} since this child '
            f"is locked by concurrent transaction {txn}{whose}")
    return LockConflict(
        f'Cannot take "{mode}" lock for node {path} since "{held}" lock is taken by '
        f"concurrent transaction {txn}{whose}")


def check(root: Path, path: str, mode: str, txn: str | None) -> None:
    """Raise the cluster's conflict if transaction `txn` (None: a write outside any) cannot
    take a `mode` lock on table `path` now (under the table's flock)."""
    for holder, held, details in _holders(root, path):
        if holder != txn and (held == EXCLUSIVE or mode == EXCLUSIVE):
            raise _conflict(path, mode, holder, held, details)


def check_made_under(root: Path, folder: str, exists: Callable[[str], bool]) -> None:
    """Raise the cluster's conflict for a removal of `folder` outside any transaction when
    a live transaction made a table under it. Making a node locks the name in its parent
    ("shared", with the child's key), the deepest folder of the table's path that exists
    outside the transaction (`exists`), and the removal's exclusive lock of the subtree
    conflicts with it (`DoCheckLock` in cypress_manager.cpp; the fake proxy's
    fake/locks.py says the same). Read without the tables' flocks: a lock taken after the
    look is that of a transaction that made its table after the removal, as the commit
    then makes the folder again."""
    try:
        helds = sorted(p for p in (root / LOCKS_DIR).iterdir() if p.name.endswith(HELD_SUFFIX))
    except (FileNotFoundError, NotADirectoryError):
        return
    for held in helds:
        try:
            names = sorted(os.listdir(held))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for name in names:
            txn, _, mode = name.rpartition(".")
            try:
                details = json.loads((held / name).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # being written, or gone: taken after this look
            path = details.get("path") if isinstance(details, dict) else None
            if (mode not in (SHARED, EXCLUSIVE) or not details.get("created")
                    or not isinstance(path, str) or not path.startswith(folder + "/")
                    or not _alive(root, txn)):
                continue
            parent = path.rpartition("/")[0]
            while parent != folder and not exists(parent):
                parent = parent.rpartition("/")[0]
            raise _conflict(parent, EXCLUSIVE, txn, SHARED, {"title": details.get("title")})


def take(root: Path, path: str, mode: str, txn: str, title: str, created: bool) -> None:
    """Lock table `path` for transaction `txn`, or raise the conflict; `created`: the
    table does not exist outside the transaction, which makes it."""
    with TableLocks(root, [path]):
        check(root, path, mode, txn)
        folder = held_dir(root, path)
        folder.mkdir(parents=True, exist_ok=True)
        mine = folder / f"{txn}.{mode}"
        if not mine.exists():
            mine.write_text(json.dumps({"title": title, "created": created, "path": path}),
                            encoding="utf-8")


def release(root: Path, path: str, txn: str) -> None:
    """Drop the transaction's locks on table `path` (its end: commit or abort)."""
    for mode in (SHARED, EXCLUSIVE):
        drop_mode(root, path, txn, mode)


def drop_mode(root: Path, path: str, txn: str, mode: str) -> None:
    """Drop the transaction's lock of `mode` on table `path`."""
    (held_dir(root, path) / f"{txn}.{mode}").unlink(missing_ok=True)
