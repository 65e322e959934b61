"""A failed YQL query of several statements leaves the tables its INSERTs wrote as they were.

On a cluster a whole query runs in one transaction (COMMIT only orders its parts: the YQL
docs' COMMIT page), so a statement that fails, or a deadline, undoes the INSERTs before it.
Dev writes each INSERT as it runs (later statements read it), so a query that may fail
after one of its writes keeps each table as it was before its first write, and puts it back
if the query fails.

A version kept is the file itself, under a second name (a hard link): a write never changes
a table's file in place but renames a new one over it, and the file's identity (inode,
size, time) keys its schema, its sort key, its unique keys and its whole-lines mark, which
the version put back thus finds again. In a stage's transaction the version is the staged
file and the staging entry, and the stage's lock on the table as it held it: the query's
writes reach the stage only when it succeeds, as prod's stage puts the rows of the query's
staging tables on the tables only then: so the locks of its INSERTs are taken then too
(`take_locks`; a query that fails locks nothing). A staged table such a query writes is
never appended to in place (txn.writing), which would change the file kept, and another
thread of the stage writing it, or removing its folder, waits for the query to end
(txn.table_guard): put back, the table lost that write, or came back after the removal.

A one-statement query keeps nothing: its INSERT, the last thing it does, is all or nothing
already (client.writing).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from yt_pipeline_dev import folder_locks
from yt_pipeline_dev.atomic import kept_name_suffix
from yt_pipeline_dev.client import DevClient, normal
from yt_pipeline_dev.staging import Entry
from yt_pipeline_dev.tablelock import TableLocks


@dataclass
class _Kept:
    #: the version's file under its second name (None: there was no table, or no staged
    #: file in the transaction)
    link: Path | None = None
    #: outside a transaction: the top folder the write made for the table (none: None)
    made_folder: Path | None = None
    #: in a transaction: the staging entry (None: the transaction had not touched the
    #: table), whether a later query could read the table, and the lock held on it
    entry: Entry | None = None
    yql_view: bool = False
    held: str | None = None


class QueryWrites:
    """The tables a query's INSERTs write, each as it was before the first of them."""

    def __init__(self, client: DevClient):
        self.client = client
        self.kept: dict[str, _Kept] = {}
        #: outside a transaction: the top folder missing before the write of each table
        self._missing: dict[str, Path | None] = {}
        #: outside a transaction: the identity of the file the query's last write of each
        #: table became, to tell a table another writer wrote since (kept as it is)
        self._written: dict[str, tuple[int, int]] = {}
        #: in a transaction: the locks of the INSERTs, taken once the query ended well
        self._locks: list[Callable[[], None]] = []
        if client.txn is not None:
            client.txn.deferring_locks(self._locks)

    def take_locks(self) -> None:
        """The query has run: lock the tables its INSERTs wrote (a conflict fails it,
        and its writes are put back)."""
        for take in self._locks:
            take()

    def keep(self, path: str) -> None:
        """Before an INSERT into table `path` starts its write: in a transaction, the
        table as the stage sees it (its lock is taken before the write for some)."""
        path = normal(path)
        txn = self.client.txn
        if path in self.kept:
            return
        if txn is None:
            # the write makes the table's folder before it takes the table's lock
            self._missing[path] = _first_missing(self.client.table_path(path).parent,
                                                 self.client.root)
            return
        held = txn.held_mode(path)
        with txn.lock:
            entry = txn.staging.tables.get(path)
            kept = _Kept(entry=None if entry is None else Entry(
                entry.kind, entry.file, None if entry.base is None else list(entry.base),
                entry.offset), yql_view=path in txn.yql_views, held=held)
            txn.undoable[path] = threading.get_ident()
        if entry is not None and entry.file:
            staged = txn.dir / entry.file
            if staged.exists():
                kept.link = _linked(staged, txn.dir)
        self.kept[path] = kept

    def keep_live(self, path: str) -> None:
        """Inside the INSERT's write, outside a transaction: the live table, as the write
        (holding the table's lock) is about to replace it."""
        path = normal(path)
        if path in self.kept or self.client.txn is not None:
            return
        target = self.client.table_path(path)
        kept = _Kept()
        if target.is_file():
            kept.link = _linked(target, target.parent)
        else:
            kept.made_folder = self._missing.get(path)
        self.kept[path] = kept

    def wrote(self, path: str, written: Path) -> None:
        """The file an INSERT's write of table `path` becomes, at the end of the write."""
        if self.client.txn is None:
            try:
                stat = written.stat()
            except OSError:
                return
            self._written[normal(path)] = (stat.st_dev, stat.st_ino)

    def undo(self) -> None:
        """Put every table kept back as it was, the last written first."""
        txn = self.client.txn
        for path, kept in reversed(list(self.kept.items())):
            if txn is None:
                changed = self._undo_live(path, kept)
            else:
                changed = self._undo_staged(path, kept)
                # a lock may be taken before a write that then fails (an append to a
                # sorted table)
                txn.restore_lock(path, kept.held)
            if changed:  # not an INSERT that failed before its write
                self.client.log("yql_undone", path)

    def close(self) -> None:
        """Drop the second names of the versions kept (those not put back)."""
        txn = self.client.txn
        for kept in self.kept.values():
            if kept.link is not None:
                kept.link.unlink(missing_ok=True)
        if txn is not None:
            txn.deferring_locks(None)
            txn.query_ended(list(self.kept))
        self.kept = {}

    def _undo_live(self, path: str, kept: _Kept) -> bool:
        """Put the live table back; False when it is as it was."""
        root = self.client.root
        with folder_locks.writing_in(root, path), TableLocks(root, [path]):
            target = self.client.table_path(path)
            if self._written_since(path, target):
                # another writer replaced or appended to the table after the query wrote
                # it: putting the old version back would lose that writer's rows, so the
                # table stays as it is, the query's rows in it (a cluster's query would have
                # held the table's lock till it ended)
                self.client.log("yql_undo_skipped", path)
                return False
            if kept.link is not None:
                if _same_file(kept.link, target):
                    return False
                os.replace(kept.link, target)
                kept.link = None
                return True
            if not target.is_file():
                return False
            target.unlink()
        if kept.made_folder is not None:
            _remove_empty(target.parent, kept.made_folder)
        return True

    def _written_since(self, path: str, target: Path) -> bool:
        """Whether table `path`'s file is no longer the one the query's write made."""
        made = self._written.get(path)
        if made is None:  # the write failed before its file became the table
            return False
        try:
            stat = target.stat()
        except FileNotFoundError:
            return True  # removed since
        return (stat.st_dev, stat.st_ino) != made

    def _undo_staged(self, path: str, kept: _Kept) -> bool:
        """Put the stage's version of the table back; False when it is as it was."""
        txn = self.client.txn
        assert txn is not None
        with txn.table_guard(path), txn.lock:
            staging = txn.staging
            now = staging.tables.get(path)
            if now == kept.entry and (kept.link is None or _same_file(
                    kept.link, txn.dir / str(now and now.file))):
                return False
            if now is not None and now.file and (kept.entry is None
                                                 or now.file != kept.entry.file):
                (txn.dir / now.file).unlink(missing_ok=True)
            if kept.entry is None:
                staging.tables.pop(path, None)
            else:
                if kept.link is not None and kept.entry.file:
                    os.replace(kept.link, txn.dir / kept.entry.file)
                    kept.link = None
                staging.tables[path] = kept.entry
            staging.save()
            if kept.yql_view:
                txn.yql_views.add(path)
            else:
                txn.yql_views.discard(path)
        return True


def _linked(table_file: Path, folder: Path) -> Path:
    """A second name for `table_file` in `folder`: a temporary file's (`.<name>.<random>
    .<pid>.kept.tmp`), which the next run's start removes if a killed process left it
    (and not while this process lives: atomic.remove_leftovers)."""
    fd, name = tempfile.mkstemp(prefix=f".{table_file.name}.", suffix=kept_name_suffix(),
                                dir=folder)
    os.close(fd)
    link = Path(name)
    link.unlink()
    os.link(table_file, link)
    return link


def _same_file(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _first_missing(folder: Path, root: Path) -> Path | None:
    """The top folder on the way from `root` to `folder` that does not exist yet."""
    missing = None
    while folder != root and not folder.is_dir():
        missing, folder = folder, folder.parent
    return missing


def _remove_empty(folder: Path, top: Path) -> None:
    """Remove `folder` and those above it up to `top`, a write having made them, while
    they are empty (another writer may have put something there meanwhile)."""
    while True:
        try:
            folder.rmdir()
        except OSError:
            return
        if folder == top:
            return
        folder = folder.parent
