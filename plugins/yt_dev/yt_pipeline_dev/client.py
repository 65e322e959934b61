"""The dev table client: each table is a JSON-lines file under .dev/.

Writes stream into a temporary file and replace the table in one rename (see atomic.py),
under the table's lock (tablelock.py). A stage is given a client bound to its transaction
(`begin_transaction`, txn.py): its writes are staged and become tables when it commits, and
its reads see its own writes. Rows are encoded and decoded by ytjobs.codec, which jobs use
too, so a row round-trips exactly (integers beyond 2^53 and 2^64 included).
"""

from __future__ import annotations

import builtins
import copy
import errno
import functools
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, cast

from yt_pipeline import column_types, table_paths, yql_wait
from yt_pipeline.client import table_path_keyword
from yt_pipeline.compat.yql_methods import YqlRequests
from yt_pipeline.digests import blake2b
from yt_pipeline.errors import BackendError, RefusedByCluster, TableNotFound
from yt_pipeline.secret_forms import all_forms, mask_text
from yt_pipeline.table_rows import TableRows
from yt_pipeline.yql_rules import (
    own_columns,
    own_writes_read,
    own_writes_refused,
    read_through,
)
from yt_pipeline.yson_size import may_reach
from yt_pipeline_dev import folder_locks, listing_counters, sort_work
from yt_pipeline_dev.atomic import CHUNK, Bounded, count_lines, count_rows, make_folder, replacing
from yt_pipeline_dev.folder_changes import settle_before_using as settle_folders_before
from yt_pipeline_dev.folder_removal import remove_folder
from yt_pipeline_dev.job_output import MAX_ROW_WEIGHT, row_weight
from yt_pipeline_dev.output_schema import heavy_key
from yt_pipeline_dev.paths import (
    TABLE_SUFFIX,
    folder,
    folder_name,
    folder_part,
    split_yt_path,
    stored_name,
    table_file,
    table_name,
)
from yt_pipeline_dev.read_ranges import InRanges, selection_of
from yt_pipeline_dev.recovery import finish_commit
from yt_pipeline_dev.run_operations import RunOperations
from yt_pipeline_dev.sorted_schema import refusal
from yt_pipeline_dev.staging import UNTOUCHED
from yt_pipeline_dev.tablelock import (
    TableLocks,
    settle,
    settle_before_listing,
    settle_before_reading,
    settle_tables_under,
)
from yt_pipeline_dev.txn import DevTransaction
from yt_pipeline_dev.txnlocks import EXCLUSIVE, SHARED, LockConflict, check_made_under
from yt_pipeline_dev.txnlocks import check as check_lock
from yt_pipeline_dev.unique_keys import is_unique, keep_unique, seen_unique
from yt_pipeline_dev.whole_lines import vouch, vouched, vouched_file
from yt_pipeline_dev.yql_schema import (
    declared_key,
    declared_with_key,
    keep_schema,
    presorted_of,
    refuse_rows_off_schema,
    required_of,
    schema_of,
    yt_types,
)
from ytjobs.codec import NotARow, RowReader, iter_blocks, loads_line, write_lines
from ytjobs.row_rules import RowRefused

#: bytes read at a time by read_table: a block's decoded rows then stay in the CPU's caches
#: while the stage's loop goes over them. A million-row table read in 64 KiB blocks took
#: 0.285 s, in 256 KiB ones 0.314 s (medians of 8 alternating reads, a 2-core VM)
READ_CHUNK = 1 << 16


def normal(path: str) -> str:
    """One spelling per YT path (`//a/b/` is `//a/b`), checked."""
    return "//" + "/".join(split_yt_path(path))



@functools.lru_cache(maxsize=4096)  # every `exists` looks it up
def _parent_folder(path: str) -> str | None:
    """The folder holding `path` (normal), None for the root."""
    parts = split_yt_path(path)
    return "//" + "/".join(parts[:-1]) if parts else None


def weighed_writer(out: BinaryIO, path: str) -> Callable[[bytes], Any]:
    """`out.write`, refusing a row heavier than YT's row weight limit, as a prod write would.

    Data comes a row or a batch of rows at a time; only a batch whose text may weigh the
    limit can hold a row that heavy (a row weighs at most 2.5 times its text: yson_size.
    may_reach), so the common case costs one length check. Rows are not counted as they
    go: the number of a refused one is counted from the file, which holds every row before
    it.
    """
    start = out.tell()

    def write_checked(data: bytes | memoryview) -> Any:
        if may_reach(len(data), MAX_ROW_WEIGHT):
            for index, line in enumerate(bytes(data).split(b"\n")):
                if may_reach(len(line), MAX_ROW_WEIGHT) and (
                        weight := row_weight(loads_line(line))) >= MAX_ROW_WEIGHT:
                    out.flush()
                    number = count_lines(Path(out.name), start) + index + 1
                    raise BackendError(
                        f"write_table {path}: row {number} is {weight} bytes of data, over "
                        f"the row weight limit of {MAX_ROW_WEIGHT} bytes (16 MiB)")
        return out.write(data)

    return write_checked


def not_json_line(path: str, line: bytes, error: Exception) -> BackendError:
    shown = line[:80].decode("utf-8", "replace")
    return BackendError(f"table {path} holds a line that is not JSON: {shown!r} ({error})")


def _check_json_line(path: str, line: bytes) -> None:
    """A table's last line, which has no newline, is a row only when it is JSON (a file cut
    short ends in half a row): counted as one, it would say a row is there that no read
    gives, so the count fails as the read does."""
    try:
        json.loads(line)
    except ValueError as error:
        raise not_json_line(path, line, error) from None


class UnsortedWrite(BackendError):
    """Rows written out of the key order of a table of sorted strict schema: the cluster's
    words in `refusal`."""

    def __init__(self, path: str, refused: str):
        super().__init__(f"write_table {path}: {refused}")
        self.refusal = refused


def _refuse_unsorted(key: list[str] | None, sorted_by: list[str] | None, tmp: Path,
                     path: str, start: int, by_jobs: bool, kept: Any,
                     unique: bool = False) -> None:
    """UnsortedWrite for rows out of a sorted table's key order, or repeating a key of a
    table whose schema says unique_keys (`unique`: unique_keys.py), or a row whose key
    weighs max_key_weight; the rows were checked against the table's schema `kept` before
    (each job's, or the write's own).

    A sort (`sorted_by`) writes its rows in order; into a table that keeps its unique keys
    (_stays_unique) its writer refuses two rows of one key of the sort's columns, as the
    sort's output writer does with the schema made sorted by them (the sort controller's
    PrepareOutputTables: ToSorted(sort_by), in yt/yt/server/controller_agent/controllers/
    sort_controller.cpp; "Duplicate key %v", which unlike a sort order violation does not
    explode the job: ValidateSortOrderAndUniqueness in schemaless_chunk_writer.cpp)."""
    if sorted_by is not None:
        # (`key` None: a table of no schema before, whose schema the sort gave, unique
        # keys or not: sorted_schema.sort_output_schema)
        if _stays_unique(unique, sorted_by, key):
            refused = refusal(tmp, sorted_by, path, start, by_jobs=False, unique=True)
            if refused is not None:
                raise UnsortedWrite(path, refused)
        return
    if key is None:
        return
    if not by_jobs:  # (a job's rows were weighed as it ended: output_schema.heavy_key)
        # the table's sorted writer weighs each row's key before it looks at its order,
        # as the fake proxy's write_table does (its row_weight.too_heavy)
        heavy = heavy_key(tmp, [key], start=start)
        if heavy is not None:
            raise UnsortedWrite(path, heavy)
    types = yt_types(kept or [])
    refused = refusal(tmp, key, path, start, by_jobs=by_jobs, types=types, unique=unique)
    if refused is not None:
        raise UnsortedWrite(path, refused)


def _stays_unique(unique: bool, sorted_by: list[str] | None, key: list[str] | None) -> bool:
    """Whether a table of unique keys keeps them after a write: any but a sort whose
    columns leave out one of its key columns (a new table's declared key is `sorted_by`,
    `key` None). A sort makes the schema sorted by its columns, unique when every old key
    column is among them (TTableSchema::ToSorted: `UniqueKeys_ && oldKeyColumnCount ==
    GetKeyColumnCount()`, yt/yt/client/table_client/schema.cpp)."""
    return unique and (sorted_by is None or key is None or set(key) <= set(sorted_by))


#: listings of a folder that commits changed meanwhile before `list` gives up: each waits
#: for the commits its look finds, so only commits coming faster than it lists exhaust them
LIST_TRIES = 100
#: the errors of a full disk or quota
NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _shared_lock(append: bool, key: list[str] | None) -> bool:
    """Whether a write takes a shared lock: an append does, unless its table has a sorted
    strict schema (`key`), whose appended rows must follow the last one there: then it is
    exclusive, as on a cluster (GetTableUploadOptions in yt/yt/ytlib/table_client/
    table_upload_options.cpp). Shared, two stages' in-order appends both landed, the later
    one's rows after the other's, and the table kept its sort key with its rows out of
    order."""
    return append and not key


class PresortRefused(RefusedByCluster):
    """A read of a table whose hidden sort column holds presort bytes a cluster's JSON
    writer refuses (yql_presort.unreadable_presort); `column`: that column."""

    def __init__(self, message: str, column: str):
        super().__init__(message)
        self.column = column


def _resumed(first: list[Any], blocks: Iterator[list[Any]]) -> Iterator[list[Any]]:
    """The blocks of a reader again, its first one (already read) included; closing it
    closes the reader's stream."""
    try:
        yield first
        yield from blocks
    finally:
        _close(blocks)


class _Selected(Iterator[dict[str, Any]]):
    """The rows of a reader with only some columns, closable as the reader is."""

    def __init__(self, columns: list[str], rows: Iterator[dict[str, Any]]):
        self._columns, self._rows = columns, rows

    @classmethod
    def of(cls, columns: list[str], rows: Iterator[dict[str, Any]]) -> _Selected:
        return cls(columns, rows)

    def __next__(self) -> dict[str, Any]:
        row = next(self._rows)
        return {name: row[name] for name in self._columns if name in row}

    def close(self) -> None:
        _close(self._rows)


class _WhileStageRuns(Iterator[Any]):
    """The blocks (or rows) of a read begun in a stage's transaction, refused once it has
    ended: prod's reads end with the stage (table_reads.TableRead), so rows asked for
    later (rows the stage returned unread, a loop of a thread it left running) fail there,
    and dev handed them on. Looked at a block at a time: rows of a block already taken may
    still come."""

    def __init__(self, txn: DevTransaction, path: str, items: Iterator[Any]):
        self._txn, self._path, self._items = txn, path, items

    def __next__(self) -> Any:
        if self._txn.ended:
            self.close()
            raise BackendError(f"read_table {self._path}: the stage's transaction has ended "
                               "(a read in a stage ends with the stage); no more rows were "
                               "read")
        return next(self._items)

    def close(self) -> None:
        _close(self._items)


def _close(rows: Iterator[Any]) -> None:
    close = getattr(rows, "close", None)
    if callable(close):
        close()


def _another_kind(action: str, named: str, path: str, there: str, kind: str) -> str:
    return (f'{action} {named}: {path} already exists and has type "{there}" while node of '
            f'"{kind}" type is about to be created')


class _TableThere(Exception):
    """`writing(..., only_new=True)` found its table there: nothing was written."""


class DevClient(YqlRequests):
    """Tables as files under `root` (the pipeline's .dev/ folder)."""

    mode = "dev"

    def __init__(self, root: Path, *, hidden_env: Iterable[str] = (),
                 secret_values: Iterable[str] = (),
                 yql_timeout_s: float | None = yql_wait.DEFAULT_YQL_TIMEOUT_S):
        self.root = Path(root)
        #: how long one YQL query may run before DuckDB is interrupted (None: no limit)
        self.yql_timeout_s = yql_timeout_s
        #: names of variables jobs must not inherit (the keys of secrets.env)
        self.hidden_env = frozenset(hidden_env)
        #: values masked in job output shown in errors and logs
        self.secret_values = tuple(secret_values)
        self._masked_forms: list[str] | None = None
        #: the transaction this client writes in (None: writes are visible at once)
        self.txn: DevTransaction | None = None
        # what sorts killed before they ended left: a client's writes outside a run (a
        # YQL append to a sorted table merges by a sort) have no run start to sweep it
        sort_work.sweep(self.root)
        self.operations = RunOperations()

    def end_run(self) -> None:
        """The run ends (core/client.end_run_work): stop the jobs of its operations still
        running, and keep fresh books for the next run. An interrupt ends a run in the main
        thread while stage threads wait on their jobs: from a program's `pipeline.run()`,
        whose process goes on, the jobs ran to their end, their output never committed,
        beside the next run (a resume at once). The stage clients of the ended run keep its
        closed books: an operation they launch later is refused."""
        self.operations.end()
        self.operations = RunOperations()

    # -- transactions -----------------------------------------------------------------
    def begin_transaction(self, title: str) -> DevTransaction:
        txn = DevTransaction(self.root, title)
        txn.client = self.in_transaction(txn)
        # the run's end waits for it to end: a stage thread of an interrupted run aborts
        # its attempt's transaction only once its stopped operation has raised
        self.operations.transaction_begun(txn)
        return txn

    def in_transaction(self, txn: DevTransaction) -> DevClient:
        bound = copy.copy(self)
        bound.txn = txn
        return bound

    def finish_commit(self, token: dict[str, Any]) -> bool:
        finish_commit(self.root, token)
        return True  # a dev commit, once recorded, can always be completed

    # -- paths ------------------------------------------------------------------------
    def table_path(self, path: str) -> Path:
        """The live file of table `path` (whether it exists or not)."""
        return table_file(self.root, path)

    def visible_file(self, path: str) -> Path | None:
        """The file of table `path` as this client sees it (a staged one in a transaction);
        None when there is no such table."""
        if self.txn is not None:
            seen = self.txn.staging.lookup(normal(path))
            if seen is not UNTOUCHED:
                return seen  # type: ignore[no-any-return]
        settle_folders_before(self.root, normal(path))
        settle_before_reading(self.root, normal(path))
        live = self.table_path(path)
        return live if live.is_file() else None

    def vouched_for(self, path: str) -> bool:
        """True when the file of table `path`, as this client sees it, is known to hold one
        row a line (whole_lines)."""
        return vouched_file(self.root, self.visible_file(path))

    def existing_table(self, path: str) -> Path:
        target = self.visible_file(path)
        if target is None:
            raise TableNotFound(path)
        return target

    def open_table(self, path: str, action: str = "read_table"
                   ) -> tuple[BinaryIO, os.stat_result]:
        """Table `path`'s file as this client sees it, opened to be read, and its identity
        (the table as a reader of this stage sees it: without an append still being
        written in place, nor one made after it was opened: txn.open_staged)."""
        self._refuse_ended(action, path)
        target = self.visible_file(path)
        if target is None:
            # a folder is there, not nothing: prod fails such a read as one of a node that
            # is no table (ytsaurus-client's _check_attributes_for_read_table), where
            # TableNotFound would let code that skips a missing table skip it in dev alone
            if split_yt_path(path) and self.folder_exists(path):
                raise BackendError(f"{action} {path}: it is a map_node, not a table")
            raise TableNotFound(path)
        try:
            if self.txn is not None and target.parent == self.txn.dir:
                handle, length = self.txn.open_staged(target)
                # bounded even when no append runs now: one may start while it is read
                return cast(BinaryIO, Bounded(handle, length)), os.fstat(handle.fileno())
            handle = target.open("rb")
        except FileNotFoundError:
            raise TableNotFound(path) from None  # removed this instant
        return handle, os.fstat(handle.fileno())

    def _refuse_ended(self, action: str, path: str) -> None:
        if self.txn is not None:
            self.txn.refuse_if_ended(action, path)

    @contextmanager
    def _refused_if_ended_meanwhile(self, action: str, path: str) -> Iterator[None]:
        """A write in the transaction that ended while it ran (the run's end aborts the
        stage transactions still open: run_operations.py) is refused, as a cluster refuses
        one in a transaction it no longer has: it failed on dev's staged file, gone with
        the transaction's folder, or, appending to that file in place, wrote to it unseen
        and was reported written."""
        try:
            yield
        except OSError:
            self._refuse_ended(action, path)
            raise
        self._refuse_ended(action, path)

    def folder_exists(self, path: str) -> bool:
        if self.txn is not None:
            seen = self.txn.staging.folder_state(normal(path))
            if seen is not None:
                return seen
        settle_folders_before(self.root, normal(path))
        return folder(self.root, path).is_dir()

    @contextmanager
    def writing(self, path: str, append: bool = False, *, schema_checked: bool = True,
                sorted_by: list[str] | None = None, by_jobs: bool = False,
                action: str = "write_table",
                schema: list[tuple[str, str]] | None = None,
                only_new: bool = False,
                stored_doubles: frozenset[str] = frozenset()) -> Iterator[Path]:
        """A temporary file that becomes table `path` when the block ends without an error:
        at the commit in a transaction, at once (under the table's lock) outside one.

        A table keeps the schema YQL gave it through later writes, as on a cluster, and
        (`schema_checked`) rows that schema does not take are refused, as a cluster's
        table writer refuses them; a YQL INSERT, which gives the schema, is not checked,
        nor are an operation's outputs (`by_jobs`), whose jobs' rows were checked as each
        job ended (output_schema.py), failing the job rather than the operation.
        A schema a sort made sorted stays so, and rows out of its key order are refused
        (UnsortedWrite, in the words for an operation's outputs with `by_jobs`) unless the
        write is a sort, which sorts the schema by its own columns (`sorted_by`). `schema`:
        the columns the write gives a table of no schema (a sort's, from its inputs).
        `only_new`: the table is made only if it is not there, looked at under its lock
        (_TableThere when it is), as a cluster's create with `ignore_existing` makes it.
        `stored_doubles`: columns whose non-finite texts the rows hold as doubles (a sort's,
        from its inputs' double columns: yql_schema.refused_row)."""
        self._refuse_ended(action, path)
        if self.txn is not None:
            # one write of a table at a time in a transaction: two threads of a stage
            # (parallel_map) appending to one table each copied the same staged version,
            # and the second's rename dropped the first's rows
            with self.txn.table_guard(normal(path)):
                current, kept, key = self._seen(path, schema)
                unique = seen_unique(self.root, current, schema)
                if only_new and current is not None:
                    raise _TableThere(path)
                # a write locks its table when it starts; a YQL INSERT when the query has
                # run, as prod's stage transaction copies the query's staging table then,
                # unless it merges its rows into a sorted table (below)
                lock_at_start = schema_checked or bool(append and key)
                if lock_at_start:
                    shared = _shared_lock(append, key)
                    self._lock_for_write(path, shared, action)
                    # the table as it is once locked: a stage that committed it meanwhile
                    # is in it. Read before, an append to a sorted table was merged into
                    # the version before that commit, which the commit's rebase then put
                    # after it: rows lost, doubled and out of order.
                    current, kept, key = self._seen(path, schema)
                    unique = seen_unique(self.root, current, schema)
                    if shared and not _shared_lock(append, key):
                        self._lock_for_write(path, False, action)  # now sorted
                # a sorted table's rows merged in by a YQL INSERT (sorted_schema.merge_in)
                # or its jobs' outputs put in key order (order_job_outputs) replace the
                # file: such an append is made on a copy
                in_place = key is None or (schema_checked and not by_jobs)
                with self._refused_if_ended_meanwhile(action, path), \
                        self.txn.writing(normal(path), append, current if append else None,
                                         in_place=in_place) as tmp:
                    start = tmp.stat().st_size
                    yield tmp
                    if schema_checked:
                        if not by_jobs:  # each job's rows were checked as it ended
                            refuse_rows_off_schema(kept, tmp, path, start, stored_doubles)
                        _refuse_unsorted(key, sorted_by, tmp, path, start, by_jobs, kept,
                                         unique)
                    if not lock_at_start:
                        self._lock_after_write(path, _shared_lock(append, key), action)
                keep_schema(self.root, kept, self.visible_file(path),
                            sorted_by if sorted_by is not None else key)
                keep_unique(self.root, self.visible_file(path),
                            _stays_unique(unique, sorted_by, key))
                # a YQL INSERT (not schema_checked) filling the table whole can be read by a
                # later query of the stage, as prod reads it from the INSERT's staging table
                self.txn.note_write(normal(path), not schema_checked and
                                    (not append or current is None))
            return
        self._refuse_made_folder(path)
        # a removal of a folder above the table waits for this write (folder_locks.py)
        with folder_locks.writing_in(self.root, normal(path)), \
                TableLocks(self.root, [normal(path)]):
            # a recorded commit removing the folder the table is in removes it first: made
            # after this write, that removal took the table just written with it
            settle_folders_before(self.root, normal(path))
            settle(self.root, normal(path))
            target = self.table_path(path)
            if only_new and target.is_file():
                raise _TableThere(path)
            kept = schema_of(self.root, target) or schema
            key = declared_key(self.root, target) if kept is not None else None
            unique = seen_unique(self.root, target if target.is_file() else None, schema)
            # outside any transaction, a write conflicts with every transaction's lock
            check_lock(self.root, normal(path),
                       SHARED if _shared_lock(append, key) else EXCLUSIVE, None)
            with replacing(target, append=append) as tmp:
                start = tmp.stat().st_size
                yield tmp
                if schema_checked:
                    if not by_jobs:  # each job's rows were checked as it ended
                        refuse_rows_off_schema(kept, tmp, path, start, stored_doubles)
                    _refuse_unsorted(key, sorted_by, tmp, path, start, by_jobs, kept, unique)
                # the schema is kept by the file's identity, which its rename keeps: kept
                # after the rename, a reader between the two found the table of no schema
                # (declared_schema None), which a cluster's table never is while written
                keep_schema(self.root, kept, tmp, sorted_by if sorted_by is not None else key)
                keep_unique(self.root, tmp, _stays_unique(unique, sorted_by, key))

    def _seen(self, path: str, schema: Any = None
              ) -> tuple[Path | None, Any, list[str] | None]:
        """Table `path` as this client sees it: its file, the schema YQL gave it (else
        `schema`, what the write gives a table of none) and the key a sort gave that schema
        (None when there is none)."""
        current = self.visible_file(path)
        kept = schema_of(self.root, current) or schema
        return current, kept, declared_key(self.root, current) if kept is not None else None

    def strict_columns(self, path: str) -> dict[str, str] | None:
        """The columns (name: YT type) of the strict schema a YQL write gave table `path`,
        as this client sees it; None when it has none (any row goes)."""
        columns = schema_of(self.root, self.visible_file(path))
        if columns is None:
            return None
        return column_types.SchemaColumns(yt_types(columns), required_of(columns))

    def sort_order(self, path: str) -> list[str] | None:
        """The key columns of table `path` if its strict schema is sorted (sorted_schema)."""
        current = self.visible_file(path)
        return declared_key(self.root, current) if schema_of(self.root, current) else None

    def unique_keys(self, path: str) -> bool:
        """Whether the declared schema of table `path` says unique_keys (unique_keys.py)."""
        return is_unique(self.root, self.visible_file(path))

    def _tables_under(self, path: str) -> list[str]:
        """The tables of folder `path` and its subfolders, outside any transaction."""
        base = folder(self.root, path)
        return [normal(path) + "/" + "/".join([*map(folder_name, file.relative_to(base).parts[:-1]),
                                                table_name(file.name)])
                for file in sorted(base.rglob("*" + TABLE_SUFFIX))
                if file.is_file() and not file.name.startswith(".")]

    def _lock_after_write(self, path: str, shared: bool, action: str) -> None:
        """The lock of a YQL INSERT, taken as its write ends, or, in a query of several
        statements, once the query has ended well (yql_undo.py): prod's stage takes it as
        it puts the query's rows on the table, which a query that fails never does."""
        assert self.txn is not None
        deferred = self.txn.deferred_locks()
        if deferred is None:
            self._lock_for_write(path, shared, action)
        else:
            deferred.append(lambda: self._lock_for_write(path, shared, action))

    def _lock_for_write(self, path: str, shared: bool, action: str) -> None:
        assert self.txn is not None
        try:
            self.txn.lock_table(normal(path), mode=SHARED if shared else EXCLUSIVE,
                                created=not shared and not self.table_path(path).exists())
        except LockConflict as conflict:
            # worded as prod's error: the action, the table, then the cluster's message
            raise LockConflict(f"{action} {path}: {conflict}") from None

    def _made_folder(self, path: str, *, itself: bool = False) -> str | None:
        """The topmost folder above `path` (with `itself`: or `path` itself) that is not
        there outside any transaction, which making `path` makes; None when there is none
        (one stat when the folder holding it is there)."""
        parts = split_yt_path(path)
        last = len(parts) if itself else len(parts) - 1
        if last <= 0 or folder(self.root, "//" + "/".join(parts[:last])).is_dir():
            return None
        for depth in range(1, last + 1):
            above = "//" + "/".join(parts[:depth])
            if not folder(self.root, above).is_dir():
                return above
        return None

    def _lock_made_folder(self, path: str, *, itself: bool = False) -> None:
        """In a transaction, making `path` locks the name of the topmost folder it makes in
        the folder above (a shared lock keyed by the child, on a cluster: the "Locks"
        section of the YTsaurus docs' Transactions page), as making a table locks its own:
        a removal of the folder above, or a node of that name made outside the
        transaction, conflicts with it (txnlocks.check_made_under, _refuse_made_folder).
        Only create_path's folders: prod makes the folder of a table it writes outside the
        stage's transaction (yt_pipeline_prod.client.create_folder_of)."""
        assert self.txn is not None
        made = self._made_folder(path, itself=itself)
        if made is not None:
            self.txn.lock_table(made, mode=EXCLUSIVE, created=True)

    def _refuse_made_folder(self, path: str, *, itself: bool = False) -> None:
        """Outside any transaction: making `path` conflicts with a live transaction that
        made the topmost folder it would make (_lock_made_folder)."""
        made = self._made_folder(path, itself=itself)
        if made is not None:
            with TableLocks(self.root, [made]):
                check_lock(self.root, made, EXCLUSIVE, None)

    # -- tables -----------------------------------------------------------------------
    @table_path_keyword
    def write_table(self, path: str, rows: Iterable[dict[str, Any]], append: bool = False, *,
                    replication_factor: int | None = None) -> int:
        started = time.perf_counter()
        # prod makes the table's folder, then the table (yt_pipeline_prod.client)
        self._refuse_another_kind("write_table", path, "table", folder_first=True)
        try:
            with self.writing(path, append) as tmp:
                # an append keeps the rows there were: whole lines only if they were
                whole = not append or tmp.stat().st_size == 0 or self.vouched_for(path)
                with tmp.open("ab", buffering=CHUNK) as out:
                    try:
                        count = write_lines(rows, weighed_writer(out, path))
                    except (NotARow, RowRefused) as exc:
                        raise BackendError(f"write_table {path}: {exc}") from None
                if whole:
                    vouch(self.root, tmp)
        except OSError as exc:
            # a full disk: say which table could not be written, not which of dev's files;
            # any other error names dev's file at fault (a `.dev/.locks` that cannot be
            # written, where the write takes its lock, was named as the table)
            if exc.errno in NO_SPACE and (
                    exc.filename is None or str(exc.filename).startswith(str(self.root))):
                exc.filename = path
            raise
        self.log("append_table" if append else "write_table", path, rows=count, started=started)
        return count

    @table_path_keyword
    def read_table(self, path: str) -> TableRows:
        selected = selection_of(path)
        if selected is not None:
            return self._read_selected(path, selected, None)
        return TableRows(functools.partial(self._table_pass, path), path)

    @table_path_keyword
    def read_columns(self, path: str, columns: list[str] | None) -> TableRows:
        """The table's rows with only `columns` when given, as a read through a path that
        selects them (`<columns=[...]>`) gives them on a cluster: a column left out is
        never written in the JSON read, so its presort bytes do not fail it."""
        selected = selection_of(path)
        if selected is not None:
            return self._read_selected(path, selected, columns)
        if columns is None:
            return self.read_table(path)
        return TableRows(functools.partial(self._columns_pass, path, list(columns)), path)

    def _read_selected(self, path: str, selected: table_paths.TablePath,
                       columns: list[str] | None) -> TableRows:
        """The rows rich path `path` selects (read_ranges.py), as a cluster reads it;
        `columns`, when given, replace the path's own, as ytsaurus-client's
        `TablePath(path, columns=...)` sets them over those the path names."""
        table = selected.path
        wanted = list(columns) if columns is not None else (
            None if selected.columns is None else list(selected.columns))

        def one_pass() -> Iterator[dict[str, Any]]:
            rows = self._table_pass(table) if wanted is None else self._columns_pass(table,
                                                                                     wanted)
            return rows if selected.ranges is None else InRanges(rows, selected.ranges)

        return TableRows(one_pass, path)

    def _table_pass(self, path: str) -> Iterator[dict[str, Any]]:
        def bad_line(line: bytes, error: Exception) -> Exception:
            return not_json_line(path, line, error)

        handle, status = self.open_table(path)
        whole = vouched(self.root, status)
        blocks = iter_blocks(handle, READ_CHUNK, close=True, bad_line=bad_line, whole=whole)
        return self._in_stage(path, self._presort_checked(path, blocks))

    def _columns_pass(self, path: str, wanted: list[str]) -> Iterator[dict[str, Any]]:
        handle, status = self.open_table(path)
        blocks = iter_blocks(handle, READ_CHUNK, close=True,
                             whole=vouched(self.root, status),
                             bad_line=lambda line, error: not_json_line(path, line, error))
        # only a hidden column among those read can hold presort bytes
        rows = (self._presort_checked(path, blocks, wanted)
                if any(name.startswith("_yql_") for name in wanted)
                else RowReader.over(blocks))
        return _Selected.of(wanted, self._in_stage(path, rows))

    def _in_stage(self, path: str, rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The rows of a read, ending with the stage when made in one (_WhileStageRuns)."""
        if self.txn is None:
            return rows
        if isinstance(rows, RowReader):
            return RowReader.over(_WhileStageRuns(self.txn, path, rows.blocks()))
        return _WhileStageRuns(self.txn, path, rows)

    def presorted_columns(self, path: str) -> frozenset[str]:
        """The hidden sort columns of table `path` that hold presort bytes, as the YQL
        INSERT that wrote it recorded them (yql_schema.DeclaredColumns)."""
        return presorted_of(schema_of(self.root, self.visible_file(path)))

    def _presort_checked(self, path: str, blocks: Iterator[list[dict[str, Any]]],
                         columns: list[str] | None = None) -> Iterator[dict[str, Any]]:
        """The rows of `blocks`, refused as a cluster's JSON read refuses a hidden sort
        column's presort bytes that are no UTF-8 (yql_presort.unreadable_presort). Only a
        table whose first row has a `_yql_` column (a name no query gives a column itself:
        yql_rules.hidden_key_columns) is looked at further, and only then is its recorded
        schema read (some 0.1 ms, as much as a read of a small table); the first block is
        read now, so a read refused at its first row fails the read_table call, as on a
        cluster. Other tables' rows are handed on a block at a time, as iter_rows does:
        nothing is paid a row."""
        first = next(blocks, None)
        if first is None:
            return RowReader.over(blocks)
        if first and not any(name.startswith("_yql_") for name in first[0]):
            return RowReader.over(_resumed(first, blocks))
        presorted = self.presorted_columns(path)
        if columns is not None:
            presorted = presorted.intersection(columns)
        if not presorted:
            return RowReader.over(_resumed(first, blocks))
        try:
            for row in first:
                self._refuse_presort(path, row, presorted)
        except RefusedByCluster:
            _close(blocks)
            raise

        def checked() -> Iterator[dict[str, Any]]:
            try:
                yield from first
                for block in blocks:
                    for row in block:
                        self._refuse_presort(path, row, presorted)
                        yield row
            finally:
                _close(blocks)

        return checked()

    def _refuse_presort(self, path: str, row: dict[str, Any], presorted: frozenset[str]
                        ) -> None:
        # here: only a table a YQL query wrote with a hidden sort column gets this far, and
        # the module's YQL rules take 2 ms to load (hello world never reads one)
        from yt_pipeline.yql_presort import refused_presort, unreadable_presort

        column = refused_presort(row, presorted)
        if column is not None:
            raise PresortRefused(unreadable_presort(normal(path), column, self.own_columns(path)),
                                 column)

    def own_columns(self, path: str) -> list[str]:
        """The columns of table `path` a query sees, in its schema's order (the key first,
        as a cluster shows a sorted schema): all but its hidden key columns."""
        schema = self.declared_schema(path) or {"columns": []}
        return own_columns(str(c["name"]) for c in schema["columns"])

    @table_path_keyword
    def exists(self, path: str) -> bool:
        """Whether table or folder `path` exists, as one moment saw it. A commit that
        removes a folder and makes it again (or replaces a table in it) made `exists`
        answer false between its removal and its making: a false answer stands only when
        no commit changed the folder holding `path` while it was looked for (the listing
        counters, as `list` reads them). A true one always stands: a commit removes before
        it makes, so what is found is there before it or after it."""
        self._refuse_ended("exists", path)
        parent = _parent_folder(path)
        if parent is None:
            return True
        for _ in range(LIST_TRIES):
            before = listing_counters.counts(self.root, parent)
            if self.visible_file(path) is not None or self.folder_exists(path):
                return True
            if listing_counters.counts(self.root, parent) == before:
                return False
        raise BackendError(f"cannot tell whether {path} exists: dev commits changed its "
                           f"folder each of the {LIST_TRIES} times it was looked for; look "
                           "again")

    def remove(self, path: str, *, recursive: bool = False, force: bool = True) -> None:
        self._refuse_ended("remove", path)
        if self.visible_file(path) is not None:
            if self.txn is not None:
                # after a write of the table another thread of the stage is making
                with self.txn.table_guard(normal(path)):
                    self._lock_for_write(path, False, "remove")
                    self.txn.remove(normal(path), is_table=True)
                    self.txn.note_write(normal(path), False)
            else:
                with TableLocks(self.root, [normal(path)]):
                    check_lock(self.root, normal(path), EXCLUSIVE, None)
                    settle(self.root, normal(path))
                    self.table_path(path).unlink(missing_ok=True)
            self.log("remove", path)
            return
        if split_yt_path(path) and self.folder_exists(path):
            settle_tables_under(self.root, normal(path))
            try:
                if self.txn is not None:
                    self.txn.wait_for_queries_under(normal(path))
                    self._refuse_non_empty(path, recursive)
                    # a removal locks every node of the subtree exclusively
                    for table in self._tables_under(path):
                        self.txn.lock_table(table, mode=EXCLUSIVE, created=False)
                    self.txn.remove(normal(path), is_table=False)
                else:
                    self._remove_folder_now(path, recursive)
            except TableNotFound:
                # removed meanwhile by another removal: with `force` a cluster's remove of
                # a node that is not there succeeds (TCompositeNodeMixin::RemoveRecursive in
                # yt/yt/core/ytree/node_detail.cpp; "Remove" on the YTsaurus docs' Cypress
                # commands page)
                if not force:
                    raise
                return
            self.log("remove", path)
            return
        if not force:
            raise TableNotFound(path)

    def _refuse_non_empty(self, path: str, recursive: bool) -> None:
        if not recursive and self.list(path):
            raise BackendError(f"cannot remove {path}: folder is not empty (use recursive)")

    def _remove_folder_now(self, path: str, recursive: bool) -> None:
        """Outside any transaction: in one step (folder_removal.py), once no commit is
        making a table of the folder live, and unless a transaction holds a lock on one or
        made one in it. Writes into the folder outside any transaction finish first
        (folder_locks.py)."""
        with folder_locks.removing(self.root, normal(path)):
            # looked at once no write nor making of a folder goes on in it: on a cluster a
            # remove without `recursive` checks the node has no child and removes it in one
            # request (TNodeBase::RemoveSelf in yt/yt/core/ytree/node_detail.cpp); looked at
            # before, a table written (or a folder made) in it meanwhile went with it
            self._refuse_non_empty(path, recursive)
            check_made_under(self.root, normal(path),
                             lambda above: folder(self.root, above).is_dir())
            tables = self._tables_under(path)
            with TableLocks(self.root, tables, settling=True):
                for table in tables:
                    check_lock(self.root, table, EXCLUSIVE, None)
                try:
                    remove_folder(self.root, folder(self.root, path))
                except FileNotFoundError:
                    pass  # removed meanwhile, as this removal would have

    @table_path_keyword
    def row_count(self, path: str) -> int:
        handle, status = self.open_table(path, "row_count")
        with handle:
            # a file dev wrote has a row a line; another may hold blank lines, which a read
            # skips
            if vouched(self.root, status):
                return count_lines(handle)
            return count_rows(handle, unended=lambda line: _check_json_line(path, line))

    def _list_once(self, path: str) -> list[str]:
        if not (not split_yt_path(path) or self.folder_exists(path)):
            if split_yt_path(path) and self.visible_file(path) is not None:
                raise BackendError(f"{path} is a table, not a folder")
            raise TableNotFound(path)
        settle_folders_before(self.root, normal(path))
        settle_before_listing(self.root, normal(path) if split_yt_path(path) else "/")
        live: dict[str, bool] = {}
        try:
            # read through the folder's descriptor: removed (folder_removal.py) while it is
            # read, its subfolders, looked up by their paths, were no longer found, and a
            # listing showed its tables without them
            fd = os.open(folder(self.root, path), os.O_RDONLY | os.O_DIRECTORY)
        except (FileNotFoundError, NotADirectoryError):
            if self.txn is None:
                raise TableNotFound(path) from None  # removed this instant
            fd = None
        if fd is not None:
            try:
                with os.scandir(fd) as children:
                    for child in children:
                        if child.name.startswith("."):
                            continue
                        if child.is_dir():
                            live[folder_name(child.name)] = True
                        elif child.name.endswith(TABLE_SUFFIX):
                            live.setdefault(table_name(child.name), False)
            finally:
                os.close(fd)
        if self.txn is None:
            return sorted(live)
        return sorted(self.txn.staging.children(normal(path) if split_yt_path(path) else "//",
                                                live))

    def list(self, path: str) -> list[str]:
        """The folder's tables and folders, as one moment saw them: a commit that began
        while they were listed is seen whole or not at all (listing_counters.py)."""
        self._refuse_ended("list", path)
        where = normal(path)
        for _ in range(LIST_TRIES):
            before = listing_counters.counts(self.root, where)
            try:
                names = self._list_once(path)
            except (TableNotFound, BackendError, OSError):
                # the folder (or one holding it) removed or made by a commit meanwhile
                if listing_counters.counts(self.root, where) != before:
                    continue
                raise
            if listing_counters.counts(self.root, where) == before:
                return names
        raise BackendError(f"cannot list {path}: dev commits changed it each of the "
                           f"{LIST_TRIES} times it was listed; list it again")

    def _refuse_another_kind(self, action: str, path: str, kind: str, *,
                             folder_first: bool = False) -> None:
        """A node of `kind` ("table" or "map_node") made at `path` as a cluster's create
        with `recursive` and `ignore_existing` makes it (what prod asks for): refused in
        the master's words where a table is above it, which takes no child, or where a
        node of the other kind has the name (TNontemplateCypressNodeProxyBase::Create in
        the master's cypress_node_proxy.cpp; ThrowCannotHaveChildren in
        yt/yt/core/ytree/node_detail.cpp). Dev keeps tables and folders apart on disk and
        made both. `folder_first`: the folder of `path` is made first, on its own (as prod's
        write_table does), so a table there is refused as that folder's create refuses it.
        A stat a folder on the way: a write pays some microseconds for it."""
        parts = split_yt_path(path)
        node, disk = "", os.fspath(self.root)
        for depth, part in enumerate(parts):
            node = f"{node}/{part}" if node else f"//{part}"
            last = depth == len(parts) - 1
            # a node of this kind at `path` is what `ignore_existing` leaves as it is
            if (not last or kind == "map_node") and self._table_seen(
                    node, os.path.join(disk, stored_name(part) + TABLE_SUFFIX)):
                if last:
                    raise BackendError(_another_kind(action, path, node, "table", kind))
                if folder_first and depth == len(parts) - 2:
                    raise BackendError(_another_kind(action, path, node, "table", "map_node"))
                # the master's words (ThrowCannotHaveChildren in yt/yt/core/ytree/
                # exception_helpers.cpp)
                raise BackendError(f"{action} {path}: Node {node} cannot have children")
            disk = os.path.join(disk, folder_part(part))
        if parts and kind == "table" and self._folder_seen(node, disk):
            raise BackendError(_another_kind(action, path, node, "map_node", kind))

    def _table_seen(self, path: str, file: str) -> bool:
        """Whether table `path` (normal; its live file `file`) is there, looked at as
        visible_file does only when a first look (a stat, or the transaction's staging)
        finds it: visible_file's look for unfinished commits costs 10-50 µs."""
        if self.txn is not None:
            seen = self.txn.staging.lookup(path)
            if seen is not UNTOUCHED:
                return seen is not None
        return os.path.isfile(file) and self.visible_file(path) is not None

    def _folder_seen(self, path: str, directory: str) -> bool:
        """Whether folder `path` (normal; its directory `directory`) is there, as
        _table_seen looks."""
        if self.txn is not None and self.txn.staging.folder_state(path) is not None:
            return self.folder_exists(path)
        return os.path.isdir(directory) and self.folder_exists(path)

    def create_path(self, path: str, node_type: str = "map_node", *,
                    schema: Any = None) -> None:
        self._refuse_ended("create_path", path)
        if node_type in ("table", "map_node"):
            self._refuse_another_kind("create_path", path, node_type)
        if schema is not None:
            self._create_with_schema(path, node_type, schema)
            return
        if node_type == "table":
            if self.visible_file(path) is None:
                if self.txn is not None:
                    # prod's create of the table makes its folders in the transaction too
                    # (write_table's and a schema's are made outside it: create_folder_of)
                    self._lock_made_folder(path)
                self._create_table(path)
            return
        if node_type != "map_node":
            raise BackendError(f"create_path {path}: dev mode creates a map_node or a table, "
                               f"not a {node_type}")
        if self.txn is not None and split_yt_path(path):
            self._lock_made_folder(path, itself=True)
            self.txn.create_folder(normal(path))
            return
        if not split_yt_path(path):
            make_folder(self.root)
            return
        # made after it, a recorded removal of a folder holding it took it along
        settle_folders_before(self.root, normal(path))
        self._refuse_made_folder(path, itself=True)
        # a removal of a folder above it waits for it, as for a write (folder_locks.py): a
        # removal without `recursive` then finds it there and is refused
        with folder_locks.writing_in(self.root, normal(path)):
            # a removal of a folder above it racing it comes first (atomic.make_folder)
            make_folder(folder(self.root, path))

    def _create_table(self, path: str) -> None:
        """An empty table, unless one is there by the time its lock is taken: a cluster's
        create with `ignore_existing`, which prod's create_path asks for, leaves a table
        that is there as it is (ytsaurus-client's `create`). Looked for before the lock
        only, a table written meanwhile by another process lost its rows to the empty one."""
        try:
            with self.writing(path, action="create_path", only_new=True) as tmp:
                vouch(self.root, tmp)
        except _TableThere:
            return
        self.log("create_path", path)

    def _create_with_schema(self, path: str, node_type: str, schema: Any) -> None:
        """An empty table of the strict schema stage code declares, kept as a YQL write's
        (yql_schema.declare), sorted by its key columns if it has any."""
        from yt_pipeline.stage_schema import (
            checked_schema,
            key_of,
            refuse_another_schema,
            unique_of,
        )
        from yt_pipeline_dev.stage_schema import kept_columns

        if node_type != "table":
            raise BackendError(f"create_path {path}: a schema is for a table, not a "
                               f"{node_type}")
        columns = checked_schema(path, schema)
        kept = kept_columns(columns)
        kept.unique_keys = unique_of(columns)  # type: ignore[attr-defined]  # unique_keys.py
        # the write of no rows gives the new file this schema (`writing`'s `schema`), kept
        # with it through the stage's commit, and `sorted_by` its key; a table there is
        # left as it is if it has this schema (refuse_another_schema)
        for _ in range(LIST_TRIES):
            try:
                with self.writing(path, schema=kept,
                                  sorted_by=key_of(columns), action="create_path",
                                  only_new=True) as tmp:
                    vouch(self.root, tmp)
            except _TableThere:  # made meanwhile (see _create_table)
                try:
                    declared = self.declared_schema(path)
                except TableNotFound:
                    continue  # and removed since: made now
                refuse_another_schema(path, declared, columns)
                return
            self.log("create_path", path, extra="schema")
            return
        raise BackendError(f"create_path {path}: the table was made and removed again each "
                           f"of the {LIST_TRIES} times it was made; make it again")

    @table_path_keyword
    def table_fingerprint(self, path: str) -> str | None:
        if self.visible_file(path) is None:
            return None
        digest = blake2b(digest_size=16)
        try:
            handle, _ = self.open_table(path)
        except TableNotFound:
            return None  # removed this instant: prod answers None for a table not there
        with handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    @table_path_keyword
    def declared_schema(self, path: str) -> dict[str, Any] | None:
        """The strict schema a YQL write gave the table (yql_schema.declared), in a
        cluster's shape; None for a table YQL did not write. Every YQL column reads as
        optional (required false) but those it found not Optional (yql_required: a COUNT, a
        literal); once a sort sorted it, its key columns come first,
        marked `sort_order`, as a cluster shows a sorted schema (TTableSchema::ToSorted)."""
        table = self.existing_table(path)
        try:
            # one look at the file: schema_of answered None for a table removed this
            # instant, as for one of no schema, where a cluster's `get` of its @schema
            # fails to resolve the path
            columns, key = declared_with_key(self.root, table)
        except FileNotFoundError:
            raise TableNotFound(path) from None  # removed this instant
        if columns is None:
            return None
        required = required_of(columns)
        types = yt_types(columns)  # a column YQL wrote as Utf8 is `utf8`
        shown = {name: {"name": name, "type": types[name], "required": name in required}
                 for name, kind in columns}
        first = [dict(shown.get(name, {"name": name, "type": "any", "required": False}),
                      sort_order="ascending") for name in key]
        # from the same look at the entry as the columns: a second look at a table
        # replaced or removed meanwhile found another version's flag, or no file
        return {"strict": True, "unique_keys": columns.unique_keys,
                "columns": first + [c for name, c in shown.items() if name not in key]}

    def run_yql(self, query: str, pool: str | None = None,
                max_row_weight: str | None = None) -> builtins.list[dict[str, Any]]:
        from yt_pipeline.yql_commit import warn_of_writes_outside_stage
        from yt_pipeline_dev.yql_duckdb import run_query

        if self.txn is not None:
            # dev keeps the writes of a query with COMMIT in the stage's transaction, where
            # prod makes them at once: the stage's author learns it here, before prod
            warn_of_writes_outside_stage(query)
            # as in prod, where the query tracker cannot see the stage's transaction: only
            # a table a YQL INSERT of the stage filled whole may be read (by its exact name;
            # prod reads it from the INSERT's staging table)
            views = {path: "//.yql-view" + path for path in self.txn.yql_views}
            stale = own_writes_read(read_through(query, views), self.txn.changed_paths())
            if stale:
                raise own_writes_refused(stale)
        # entered in the run's books as an operation is: a stage thread going on after its
        # run ended is refused the query, and one running as the run ends is interrupted
        # (prod aborts it): left to run, it went on in DuckDB beside the next run, up to
        # pipeline.yql_timeout_s (a day by default)
        run_ended = self.operations.start("the YQL query", self.txn)
        try:
            return run_query(self, query, run_ended)
        finally:
            self.operations.finish(run_ended)

    # -- bookkeeping ------------------------------------------------------------------
    def log(self, action: str, subject: str, *, rows: int | None = None,
            started: float | None = None, extra: str = "") -> None:
        """One line of .dev/operation.log: time, action, what, rows, duration."""
        self.root.mkdir(parents=True, exist_ok=True)
        parts = [time.strftime("%Y-%m-%dT%H:%M:%S"), action, subject]
        if rows is not None:
            parts.append(f"rows={rows}")
        if started is not None:
            parts.append(f"duration={time.perf_counter() - started:.3f}s")
        if extra:
            parts.append(extra)
        line = " ".join(parts)
        if self.secret_values:  # a YQL statement, a path: anything logged may quote one
            line = mask_text(line, self.masked_forms())
        try:
            with (self.root / "operation.log").open("a", encoding="utf-8") as log:
                log.write(line + "\n")
        except OSError as exc:
            if exc.filename is None:  # a full disk: say which file could not be written
                exc.filename = str(self.root / "operation.log")
            raise

    def masked_forms(self) -> builtins.list[str]:
        """The forms of the secret values, as masking finds them (computed once)."""
        if self._masked_forms is None:
            self._masked_forms = all_forms(self.secret_values)
        return self._masked_forms

    def close(self) -> None:
        pass
