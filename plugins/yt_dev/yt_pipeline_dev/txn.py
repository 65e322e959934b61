"""A stage attempt's transaction in dev: staged writes, then one commit (see core txn.py).

`prepare` takes the lock of every table the stage changed, settles what a killed commit left
on them, rebuilds an append whose table others appended to meanwhile (their rows first, then
the stage's) and writes a marker per table; the runner then writes the journal record (the
commit point) and `commit` renames each staged file over its table. A kill after the record
leaves markers and staged files from which `recovery.finish_commit` (or the next writer of a
table, see tablelock.py) completes the commit; a kill before it leaves the tables untouched,
and the next dev run removes the transaction's folder (`recovery.sweep`).
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from yt_pipeline.crashpoints import crash_point
from yt_pipeline.errors import BackendError
from yt_pipeline.lock import close_lock_fd, open_lock
from yt_pipeline.secret_forms import mask_text
from yt_pipeline_dev import folder_changes, listing_counters
from yt_pipeline_dev.atomic import (
    CHUNK,
    copy_table,
    ends_with_newline,
    file_identity,
    replacing,
)
from yt_pipeline_dev.paths import folder, table_file
from yt_pipeline_dev.recovery import FOLDERS_PENDING, OWNER_LOCK, PREPARED, apply
from yt_pipeline_dev.staging import TXN_DIR, Staging, under
from yt_pipeline_dev.tablelock import (
    TableLocks,
    drop_marker,
    read_marker,
    record_refs,
    write_marker,
)
from yt_pipeline_dev.txnlocks import EXCLUSIVE, drop_mode, release, take
from yt_pipeline_dev.unique_keys import keep_unique
from yt_pipeline_dev.whole_lines import vouch, vouched
from yt_pipeline_dev.yql_schema import (
    DeclaredColumns,
    declare,
    declare_by_content,
    declared_file,
    declared_key,
    identity_held,
    keep_schema,
    load_entry,
    schema_of,
)

_numbers = itertools.count(1)


class DevTransaction:
    """Most stages write nothing: until its first write, a transaction is only this object
    (no folder, no name), so that it costs them nothing."""

    def __init__(self, root: Path, title: str = ""):
        self.root = root
        #: named in the error of a stage whose write conflicts with this transaction's lock
        self.title = title
        self._name: str | None = None
        self.lock = threading.Lock()
        self._staging: Staging | None = None
        self._owner_fd: int | None = None
        self._locks: TableLocks | None = None
        self._token: dict[str, Any] | None = None
        self.client: Any = None
        #: tables a YQL INSERT of the transaction filled whole, not written since: a later
        #: query may read them (prod reads them from the INSERT's staging table)
        self.yql_views: set[str] = set()
        self._table_guards: dict[str, threading.RLock] = {}
        #: the tables this transaction holds a Cypress-like lock on (txnlocks.py), and the
        #: strongest mode it holds each in
        self._held: dict[str, str] = {}
        #: staged files being appended to in place, each with its length before the append
        self._appending: dict[Path, int] = {}
        #: tables a running YQL query may still put back as they were (yql_undo.py), each
        #: with the thread running it: their staged file, kept under a second name, is
        #: never appended to in place, and another thread's write waits for the query
        self.undoable: dict[str, int] = {}
        self._query_ended = threading.Condition(self.lock)
        #: per thread running such a query: the locks its INSERTs take once it has ended
        #: well, as prod's stage locks a table when it puts the query's rows on it
        self._query_locks: dict[int, list[Any]] = {}
        self._guards_held = threading.local()
        #: called once the transaction has ended, its locks released (the run's books:
        #: run_operations.RunOperations.transaction_begun)
        self.on_end: Callable[[], None] | None = None
        #: set once the transaction is committed or aborted: see `refuse_if_ended`
        self.ended = False

    @property
    def dir(self) -> Path:
        if self._name is None:  # the time orders them; pid and number keep them apart
            self._name = f"{time.time_ns()}-{os.getpid()}-{next(_numbers)}"
        return self.root / TXN_DIR / self._name

    @property
    def staging(self) -> Staging:
        if self._staging is None:
            self._staging = Staging(self.dir)
        return self._staging

    def refuse_if_ended(self, action: str, path: str) -> None:
        """A call through this transaction's client once it has ended (code of a stage that
        outlives it: a thread it left running, a client kept for later) is refused, as a
        cluster refuses a request naming a transaction it no longer has ("No such
        transaction", the master's TTransactionManager::GetTransactionOrThrow). A write
        made the transaction's folder again and staged its rows there, for a commit that
        never came: reported written, they were lost."""
        if self.ended:
            raise BackendError(f"{action} {path}: no such transaction: the stage's "
                               "transaction has ended (committed or aborted); a call made "
                               "after the stage ended, by code it left running?")

    def started(self) -> None:
        """The folder, made at the first write; its flock tells `sweep` the owner lives.
        Under `lock`. Never made again once the transaction has ended: a write of a stage
        thread that began before the run's end aborted its transaction would have made it
        live again, its table locks held against the next run's stages."""
        if self._owner_fd is not None:
            return
        if self.ended:
            raise BackendError("no such transaction: the stage's transaction has ended "
                               "(committed or aborted) while a call of the stage was under way")
        self.dir.mkdir(parents=True, exist_ok=True)
        # not kept by a child the stage's code forks (open_lock): a killed run's child
        # would keep the transaction alive
        self._owner_fd = open_lock(self.dir / OWNER_LOCK)
        fcntl.flock(self._owner_fd, fcntl.LOCK_EX)

    # -- locks --------------------------------------------------------------------------
    def lock_table(self, path: str, *, mode: str, created: bool) -> None:
        """Lock table `path` as a cluster does when a write starts (`mode`: SHARED to
        append, EXCLUSIVE otherwise), held until the transaction ends; a concurrent
        transaction's lock that conflicts fails the write (txnlocks.py). `created`: the
        table does not exist outside this transaction."""
        with self.lock:
            self.started()
            name = self.dir.name
            # held already in this mode or a stronger one: no other transaction can have
            # taken a lock that conflicts since, so the write needs no second look (a stage
            # appending a thousand times to one table paid the look a thousand times)
            if self._held.get(path) in (mode, EXCLUSIVE):
                return
        take(self.root, path, mode, name, self.title, created)
        with self.lock:
            if self._held.get(path) != EXCLUSIVE:
                self._held[path] = mode

    def held_mode(self, path: str) -> str | None:
        """The mode this transaction holds table `path` in (None: not locked)."""
        with self.lock:
            return self._held.get(path)

    def restore_lock(self, path: str, mode: str | None) -> None:
        """Hold table `path` in `mode` again (None: not at all), as before a YQL query
        whose writes were put back (yql_undo.py): on a cluster its locks were the query's
        own transaction's, which ended with it."""
        with self.lock:
            now = self._held.get(path)
            if now == mode or self._owner_fd is None:
                return
            if mode is None:
                del self._held[path]
            else:
                self._held[path] = mode
        if mode is None:
            release(self.root, path, self.dir.name)
        else:  # an exclusive lock taken over a shared one: the shared one stays
            drop_mode(self.root, path, self.dir.name, EXCLUSIVE)

    # -- staging ------------------------------------------------------------------------
    def note_write(self, path: str, yql_whole: bool) -> None:
        """`path` was written: by a YQL INSERT that filled it whole (`yql_whole`), or
        otherwise (any other write, a removal)."""
        if yql_whole:
            self.yql_views.add(path)
        else:
            self.yql_views.discard(path)

    def changed_paths(self) -> list[str]:
        """The tables and folders the transaction has written, removed or created so far."""
        staging = self._staging
        if staging is None:
            return []
        return [*staging.tables, *staging.removed, *staging.created]

    @contextmanager
    def table_guard(self, path: str) -> Iterator[None]:
        """Held by a write of table `path` from reading the version it starts from to
        staging the new one: the stage's threads write a table one at a time."""
        with self.lock:
            guard = self._table_guards.setdefault(path, threading.RLock())
            self._wait_for_query(path)
        held = self._guards_held
        while True:
            guard.acquire()
            with self.lock:
                if not self._query_of_another_thread(path):
                    break
            guard.release()  # the query writes it again under this guard: wait unheld
            with self.lock:
                self._wait_for_query(path)
        held.count = getattr(held, "count", 0) + 1
        try:
            yield
        finally:
            held.count -= 1
            guard.release()

    def _query_of_another_thread(self, path: str, *, under_it: bool = False) -> bool:
        """Whether a query of another thread may put table `path` back (`under_it`: a
        table in folder `path`)."""
        me = threading.get_ident()
        if not under_it:
            owner = self.undoable.get(path)
            return owner is not None and owner != me
        return any(owner != me and under(table, path)
                   for table, owner in self.undoable.items())

    def wait_for_queries_under(self, folder_path: str) -> None:
        """Before a removal of folder `folder_path`: wait until no YQL query of another
        thread may put a table in it back (which brought the table, and its folder, back
        after the removal)."""
        with self.lock:
            self._wait_for_query(folder_path, under_it=True)

    def _wait_for_query(self, path: str, *, under_it: bool = False) -> None:
        """Under `lock`: wait until no YQL query of another thread may put table `path`
        back. Written meanwhile, the query's undo dropped the write with its own (a row
        another thread appended was lost): on a cluster the query writes in its own
        transaction, whose abort leaves the stage's other writes. A thread writing another
        table meanwhile (a write from the generator of a write) would wait on a query
        waiting for that table: it is refused instead."""
        while self._query_of_another_thread(path, under_it=under_it):
            if getattr(self._guards_held, "count", 0):
                raise BackendError(f"write or remove {path}: a YQL query of this stage still "
                                   "running writes it, and this thread is writing another "
                                   "table, which the query may wait for")
            self._query_ended.wait()

    def deferring_locks(self, locks: list[Any] | None) -> None:
        """From now on (None: no longer), the locks a YQL INSERT of this thread takes
        after its write go to `locks`, taken when its query has ended well."""
        with self.lock:
            if locks is None:
                self._query_locks.pop(threading.get_ident(), None)
            else:
                self._query_locks[threading.get_ident()] = locks

    def deferred_locks(self) -> list[Any] | None:
        """Where this thread's query puts the locks of its INSERTs (None: take them now)."""
        with self.lock:
            return self._query_locks.get(threading.get_ident())

    def query_ended(self, paths: list[str]) -> None:
        """The running query that kept tables `paths` undoable has ended."""
        with self.lock:
            for path in paths:
                self.undoable.pop(path, None)
            self._query_ended.notify_all()

    @contextmanager
    def writing(self, path: str, append: bool, source: Path | None, *,
                in_place: bool = True) -> Iterator[Path]:
        """A temporary file that becomes the staged table `path` when the block ends well;
        for an append it starts with `source`, the table as the stage sees it. An append
        to the transaction's own staged file of `path` writes that file in place instead
        (`_appending_in_place`), unless `in_place` is False (the block may replace the
        file, cutting it back would not restore it), a query of the stage may be reading
        the file (`yql_views`: DuckDB reads a file to its end) or a running query may put
        the file back (`undoable`: it is kept under a second name, as it was)."""
        with self.lock:
            self.started()
            name = self.staging.file_for(path)
            staged = self.dir / name
            if staged in self._appending:
                # a generator passed to a write of this table writes it too: the outer
                # write would drop the inner one's rows, or cut them off if it failed
                raise BackendError(f"write_table {path}: the table is being written by "
                                   "another write of this stage still running in this thread")
        if append and in_place and source == staged and path in self.staging.tables \
                and path not in self.yql_views and path not in self.undoable \
                and ends_with_newline(staged):
            with self._appending_in_place(staged):
                yield staged
            return
        base: list[int] | None = None
        offset = 0
        with replacing(staged) as tmp:
            if append and source is not None:
                with source.open("rb") as handle, tmp.open("wb") as out:
                    base = file_identity(os.fstat(handle.fileno()))
                    offset = copy_table(handle, out)
            yield tmp
        with self.lock:
            self.staging.wrote(path, name, append=append, base=base, offset=offset)
            self.staging.save()

    @contextmanager
    def _appending_in_place(self, staged: Path) -> Iterator[None]:
        """The second and later appends of a table in a transaction write its staged file
        in place: copied whole each time, a stage appending a row a thousand times to one
        table copied it a thousand times. All or nothing: a failed append cuts the file
        back to its length before it (with the schema and the whole-lines mark that file
        had), and until the append ends, readers of the stage see only that length
        (`open_staged`) and the schema the file had (`identity_held`). The staging record
        stays as it was: the staged file's name, and the base and offset of its first
        append. A kill meanwhile leaves the transaction uncommitted, and the next run
        removes its folder (recovery.sweep)."""
        status = staged.stat()
        length = status.st_size
        was_whole = vouched(self.root, status)
        schema = load_entry(declared_file(self.root, staged))
        with self.lock:
            self._appending[staged] = length
        try:
            with identity_held(staged):
                yield
            crash_point("dev: appended in place")
        except BaseException as exc:
            if isinstance(exc, OSError) and exc.filename is None:
                exc.filename = str(staged)  # a full disk: say which file it could not write
            os.truncate(staged, length)
            if was_whole:
                vouch(self.root, staged)
            if schema is not None:
                declare(self.root, staged, DeclaredColumns(
                    [(str(c[0]), str(c[1])) for c in schema["columns"]],
                    schema.get("required") or (), presorted=schema.get("presorted") or (),
                    utf8=schema.get("utf8") or ()),
                    schema.get("sorted_by"))
                # and its unique keys, which declare leaves out (unique_keys.py)
                keep_unique(self.root, staged, bool(schema.get("unique_keys")))
            raise
        finally:
            with self.lock:
                del self._appending[staged]

    def open_staged(self, staged: Path) -> tuple[BinaryIO, int]:
        """Staged file `staged` opened to be read, and how many of its bytes to read: all
        of them but an append still being written in place, so that a reader of the stage
        (another thread, or the generator of that append) sees the table before it. A
        reader reads no further than that length: an append begun after it opened the file
        writes past its end (a generator reading the table it appends to read its own rows
        on and on), and the bytes before it stay as they are until the file is replaced."""
        with self.lock:
            handle = staged.open("rb")
            return handle, self._appending.get(staged, os.fstat(handle.fileno()).st_size)

    def remove(self, path: str, *, is_table: bool) -> None:
        with self.lock:
            self.started()
            self._refuse_removing_appended(path, is_table)
            if is_table:
                self.staging.remove_table(path)
            else:
                self.staging.remove_folder(path)
            self.staging.save()

    def _refuse_removing_appended(self, path: str, is_table: bool) -> None:
        """A removal of a table (or of a folder holding one) that an append is writing in
        place: from the generator of that append, it deleted the staged file the append
        went on writing, and the rows the append then reported written were lost."""
        for table, entry in self.staging.tables.items():
            if entry.file and self.dir / entry.file in self._appending and (
                    table == path if is_table else under(table, path)):
                raise BackendError(f"remove {path}: table {table} is being written by a "
                                   "write of this stage still running")

    def create_folder(self, path: str) -> None:
        with self.lock:
            self.started()
            self.staging.created.append(path)
            self.staging.save()

    def tables_written(self) -> list[str]:
        """The tables this transaction made, replaced or appended to (not those it removed)."""
        staging = self._staging
        if staging is None:
            return []
        return [path for path, entry in staging.tables.items() if entry.kind != "remove"]

    def paths_removed(self) -> list[str]:
        """The tables and folders this transaction removed."""
        staging = self._staging
        if staging is None:
            return []
        tables = [path for path, entry in staging.tables.items() if entry.kind == "remove"]
        return [*tables, *staging.removed]

    # -- the commit ---------------------------------------------------------------------
    def prepare(self, record: Path) -> Any:
        staging = self._staging
        if staging is None or staging.empty:
            return None
        self._locks = TableLocks(self.root, staging.tables, settling=True)
        self._locks.__enter__()
        for path, entry in staging.tables.items():
            if entry.kind == "append":
                _rebase(self.root, path, self.dir / str(entry.file), entry)
            staged = self.dir / str(entry.file)
            if entry.file and staged.exists():  # the schema of the version to commit
                declare_by_content(self.root, staged)
        staging.created.extend(_folders_made(self.root, staging))
        staging.save()
        relative = str(self.dir.relative_to(self.root))
        token = {"txn": relative, "tables": sorted(staging.tables),
                 "removed": staging.removed, "created": staging.created}
        self._token = token  # from here on, abort drops the markers
        # whole or absent, never empty: a kill while it is written must not leave a name
        # that sweep cannot read
        partial = self.dir / f"{PREPARED}.tmp"
        refs = record_refs(self.root, record)
        partial.write_text("\n".join(refs), encoding="utf-8")
        os.replace(partial, self.dir / PREPARED)
        if staging.removed or staging.created:
            (self.dir / FOLDERS_PENDING).touch()
            folder_changes.write_marker(self.root, relative, staging.removed, staging.created,
                                        refs)
        for path, entry in staging.tables.items():
            write_marker(self.root, path, {"path": path, "kind": entry.kind, "txn": relative,
                                           "file": entry.file, "record": refs[-1],
                                           "records": refs})
        # the listings of the folders the commit changes list again if they began before it
        listing_counters.commit_begins(self.root, staging.tables, staging.removed,
                                       staging.created)
        crash_point("dev: prepared")
        return token if not self._holds_secret(token) else {"txn": relative}

    def _holds_secret(self, token: dict[str, Any]) -> bool:
        """Whether a path of the commit holds a secret (a table named after a key). The
        journal's record, kept in .runs/, then names the transaction's folder alone, whose
        manifest, saved before, lists them for a run finishing the commit
        (recovery.recorded_changes); any other names its tables itself, so a damaged
        marker of one can still be named when the manifest is damaged too."""
        client = self.client
        if client is None or not client.secret_values:
            return False
        text = json.dumps(token)
        return mask_text(text, client.masked_forms()) != text

    def commit(self) -> None:
        try:
            if self._token is not None:
                apply(self.root, self._token)
        except BaseException:
            self._end(keep=True)  # the journal record is there: the next run finishes it
            raise
        self._end()

    def abort(self) -> None:
        try:
            if self._token is not None:  # prepared, and the record was never written
                folder_changes.drop_marker(self.root, self._token["txn"])
                for path in self._token["tables"]:
                    marker = read_marker(self.root, path)
                    if marker is not None and marker["txn"] == self._token["txn"]:
                        drop_marker(self.root, path)
        finally:
            self._end()

    def _end(self, *, keep: bool = False) -> None:
        """Release the locks; remove the folder unless a recorded commit still needs it."""
        # taken over under `lock`: the run's end may abort the transaction while its stage
        # thread ends it too (each then has what to end once), or still writes in it
        # (`started` then refuses to make its folder again)
        with self.lock:
            self.ended = True
            held, self._held = self._held, {}
            locks, self._locks = self._locks, None
            owner_fd, self._owner_fd = self._owner_fd, None
            on_end, self.on_end = self.on_end, None
        # the tables' locks go first, while the commit still holds their flocks: a writer
        # waiting for one then finds the transaction ended, as on a cluster
        try:
            for path in sorted(held):
                release(self.root, path, self.dir.name)
            if locks is not None:
                locks.release()
            if owner_fd is not None:
                if not keep:
                    shutil.rmtree(self.dir, ignore_errors=True)
                close_lock_fd(owner_fd)
        finally:
            if on_end is not None:
                on_end()


def _folders_made(root: Path, staging: Staging) -> list[str]:
    """The folders the commit's tables make (a table written in a folder not there), made
    with its other folder changes: made by the table's rename, after a kill before it a
    listing showed the commit's other tables without the folder, and the folder was said
    not to exist, until the table's next reader made it live."""
    made = []
    for path, entry in staging.tables.items():
        parent = path.rsplit("/", 1)[0]
        if entry.kind == "remove" or parent in ("", "/") or parent in made or any(
                under(parent, folder_path) for folder_path in staging.created):
            continue
        if any(under(parent, gone) for gone in staging.removed) or not folder(
                root, parent).is_dir():
            made.append(parent)
    return made


def _rebase(root: Path, path: str, staged: Path, entry: Any) -> None:
    """An append staged on a version of the table that is no longer the live one (another
    stage or run appended meanwhile): the staged file becomes the live rows, then the
    stage's own. Under the table's lock, before the commit."""
    live = table_file(root, path)
    try:
        handle = live.open("rb")
    except FileNotFoundError:
        handle = None
    current = file_identity(os.fstat(handle.fileno())) if handle else None
    if current == entry.base:
        if handle:
            handle.close()
        return
    columns = schema_of(root, live)  # the table keeps the schema YQL gave it
    key = declared_key(root, live)  # and the sort order a sort gave that schema
    with replacing(staged) as tmp, tmp.open("wb") as out:
        offset = copy_table(handle, out) if handle else 0
        with staged.open("rb") as mine:
            mine.seek(entry.offset)
            shutil.copyfileobj(mine, out, CHUNK)
    if handle:
        handle.close()
    keep_schema(root, columns, staged, key)
    entry.base, entry.offset = current, offset
