"""Tables of a sorted strict schema in dev, as a cluster keeps them.

A table YQL wrote has a strict schema (yql_schema); a sort into it makes that schema sorted
by the sort's columns (PrepareOutputTables in yt/yt/server/controller_agent/controllers/
sort_controller.cpp: a strong output's schema becomes `ToSorted(sort_by)`), and a later
write without `sorted_by` keeps it, an overwrite or an append alike (GetTableUploadOptions
in yt/yt/ytlib/table_client/table_upload_options.cpp). So on a cluster such a table takes
rows in key order only, appended ones after its last row, and refuses the whole write
otherwise, with the words of yt_pipeline.sorted_writes; dev checks the same (`refusal`).
A table of no schema has no sort order to keep, in dev as on a cluster, where any write
without `sorted_by` leaves it unsorted.

YQL's INSERT into such a table keeps it sorted ("In the case of a sorted table, YQL tries
to preserve sorting by running a sorted merge": YQL docs, INSERT INTO; the yt gateway's
publish step, ExecPublish in yt/yql/providers/yt/gateway/native/yql_yt_native.cpp, merges
the table and the new rows with a merge of mode sorted): `merge_in`.

A table whose declared schema says `unique_keys` (unique_keys.py) refuses a repeated key in
the same checks (`unique`): a row whose key equals the previous one's, an append's first row
with the table's last key, jobs' outputs meeting at one key, in the words of
yt_pipeline.sorted_writes.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO, cast

from yt_pipeline.column_types import IncomparableKey, double_columns
from yt_pipeline.crashpoints import crash_point
from yt_pipeline.sorted_writes import (
    appended_before_last,
    duplicate_key,
    duplicates_table,
    inferred_columns,
    jobs_duplicate,
    jobs_overlap,
    overlaps_table,
    sort_order_violation,
)
from yt_pipeline_dev.atomic import Bounded
from yt_pipeline_dev.schema_fast_check import keys_in_order
from yt_pipeline_dev.sort_work import work_folder
from yt_pipeline_dev.sorting import merge_sorted, row_key, sort_files
from ytjobs.codec import iter_rows, loads_line

#: how far back from an append's first byte the table's last row is looked for at first (then
#: twice as far): an append of a row at a time to a sorted table read 64 KiB for each
TAIL_BYTES = 1 << 12


def refusal(table_file: Path, key: list[str], path: str, start: int, *,
            by_jobs: bool, types: Mapping[str, str] | None = None,
            unique: bool = False) -> str | None:
    """The cluster's words refusing the rows written to `table_file` from byte `start`
    (where an append's rows begin; 0 for an overwrite) to a table sorted by `key`: a row
    before the one written before it, or a first row before the table's last one. None
    when the rows keep the table sorted. `types`: the table's columns (name: YT type),
    whose rows were checked against them: keys of simple types are compared by a typed
    decode first (schema_fast_check), a tenth of the look row by row.

    write_table's writer starts from the table's last key and checks its first row against
    it before any other, in the words of any row out of order (yt_pipeline.sorted_writes:
    `appended_before_last`); an operation's jobs check their own rows, then the controller
    their outputs against the table (`by_jobs`: `overlaps_table`). `unique`: the table's
    schema says unique_keys, and a repeated key is refused too (`duplicate_key`, for the
    controller `duplicates_table`). A double column's non-finite texts sort as the doubles
    they stand for (sorting.row_key)."""
    doubles = double_columns(types)
    order = row_key(key, doubles)
    if start and not by_jobs:
        refused = _before_table(table_file, start, _first_row_from(table_file, start), order,
                                lambda last, first: appended_before_last(last, first, key),
                                (lambda last: duplicate_key(last, key)) if unique else None)
        if refused is not None:
            return refused
    # the typed look takes equal keys as in order: a table of unique keys is read row by row
    if types is not None and not unique and keys_in_order(table_file, key, types, start):
        first = _first_row_from(table_file, start)
    else:
        found = _first_violation(table_file, key, start, unique, doubles)
        if isinstance(found, str):
            return found
        first = found
    if start and by_jobs:
        return _before_table(table_file, start, first, order,
                             lambda last, first: overlaps_table(path),
                             (lambda last: duplicates_table(path)) if unique else None)
    return None


def _before_table(table_file: Path, start: int, first: Any, order: Callable[[Any], Any],
                  words: Callable[[Any, Any], str],
                  same: Callable[[Any], str] | None = None) -> str | None:
    """`words(last, first)` when `first`, the first row from byte `start`, sorts before the
    table's last row before that byte (the words of an incomparable key when the two cannot
    be compared), `same(last)` when it has that row's key and `same` is given (unique keys);
    None when it may follow it, or there is no such row."""
    if first is None:
        return None
    last = _last_row_before(table_file, start)
    try:
        if last is not None and order(first) < order(last):
            return words(last, first)
        if last is not None and same is not None and order(first) == order(last):
            return same(last)
    except IncomparableKey as exc:
        return str(exc)
    return None


def _first_violation(table_file: Path, key: list[str], start: int,
                     unique: bool = False, doubles: frozenset[str] = frozenset()) -> str | Any:
    """The words refusing the first row out of key order from byte `start` (or, `unique`,
    of the key of the one before it), or else the first row there (None when there is
    none)."""
    order = row_key(key, doubles)
    previous: Any = None
    first: Any = None
    with table_file.open("rb") as handle:
        handle.seek(start)
        for row in iter_rows(handle, drop_control=True):
            try:
                if previous is not None and order(previous) > order(row):
                    return sort_order_violation(previous, row, key)
                if unique and previous is not None and order(previous) == order(row):
                    return duplicate_key(previous, key)
            except IncomparableKey as exc:
                return str(exc)
            if first is None:
                first = row
            previous = row
    return first


def _first_row_from(table_file: Path, start: int) -> Any:
    with table_file.open("rb") as handle:
        handle.seek(start)
        return next(iter(iter_rows(handle, drop_control=True)), None)


def _last_row_before(table_file: Path, start: int) -> Any:
    """The last row in the first `start` bytes of the file (they end with a newline)."""
    size = TAIL_BYTES
    with table_file.open("rb") as handle:
        while True:
            begin = max(0, start - size)
            handle.seek(begin)
            body = handle.read(start - begin).rstrip(b"\n")
            cut = body.rfind(b"\n")
            if cut >= 0 or begin == 0:
                line = body[cut + 1:]
                return loads_line(line) if line.strip() else None
            size *= 2


def merge_in(table_file: Path, new_rows: Path, key: list[str], work_dir: Path,
             doubles: frozenset[str] = frozenset()) -> None:
    """Put the rows of `new_rows` into `table_file` (sorted by `key`) by key, as YQL's
    sorted merge does: the new rows sorted, then merged with the table's, whose rows come
    first among equal keys (the merge takes its inputs in order, the table first). The
    sorted rows and the merge are made in a folder of their own in `work_dir`, claimed while
    the merge runs (sort_work.py: dev's `.sort/`, on the tables' file system, where a later
    run removes what a killed merge left). `doubles`: the columns of a double type, whose
    non-finite values the files hold as texts (sorting.row_key)."""
    with work_folder(work_dir) as work:
        ordered = work / "new-sorted"
        merged = work / "merged"
        sort_files([new_rows], ordered, key, work_dir=work_dir, doubles=doubles)
        merge_sorted([table_file, ordered], merged, key, doubles)
        os.replace(merged, table_file)


def sort_output_schema(inputs: list[list[tuple[str, str]] | None],
                       first_key: list[str] | None = None, sort_by: list[str] | None = None,
                       kept: set[str] | None = None) -> list[tuple[str, str]] | None:
    """The columns a sort gives an output table of no schema, from its inputs' (None for
    one of no schema): the first input's when all have a strict schema of the same columns
    (compared by name, as the cluster compares canonical schemas), None when none has one.
    ValueError with the cluster's words for inputs of both kinds, or of different columns
    (InferSchemaFromInput, yt_pipeline.sorted_writes).

    The inputs are compared without their sort order and unique_keys (ToStrippedColumn
    Attributes), but the output takes the first input's schema made sorted by the sort's
    columns (`->ToSorted(sortColumns)->ToSortedStrippedColumnAttributes()`, InferSchemaFrom
    Input in yt/yt/server/controller_agent/controllers/operation_controller_detail.cpp): it
    says unique_keys when the first input's does and every column of that input's key
    (`first_key`) is among `sort_by` (TTableSchema::ToSorted, yt/yt/client/table_client/
    schema.cpp), whatever the other inputs' say. `kept`: the columns the inputs' paths
    select, when each selects some (sorted_writes.selected_only): the schema has only those,
    and is unique only if it keeps the first input's whole key."""
    found = inferred_columns(inputs)
    if found is None:
        return None
    from yt_pipeline_dev.yql_schema import DeclaredColumns, presorted_of, required_of, utf8_of

    unique = bool(getattr(found, "unique_keys", False)) and bool(first_key) and \
        set(first_key or []) <= set(sort_by or [])
    columns, required, presorted = list(found), required_of(found), presorted_of(found)
    if kept is not None:
        columns = [(name, kind) for name, kind in found if name in kept]
        required, presorted = required & kept, presorted & kept
        unique = unique and set(first_key or []) <= kept
    utf8 = utf8_of(found) & {name for name, _ in columns}
    return DeclaredColumns(_key_then_by_name(columns, sort_by or []), required, unique,
                           presorted, utf8)


def _key_then_by_name(columns: list[tuple[str, str]], sort_by: list[str]
                      ) -> list[tuple[str, str]]:
    """The columns as ToSorted and ToCanonical leave them (yt/yt/client/table_client/
    schema.cpp): the sort's columns first, in its order, then the others by name."""
    by_name = dict(columns)
    key = [(name, by_name[name]) for name in sort_by if name in by_name]
    return key + sorted((c for c in columns if c[0] not in set(sort_by)), key=lambda c: c[0])


def order_job_outputs(table_file: Path, key: list[str], path: str, start: int,
                      ends: list[int], unique: bool = False) -> str | None:
    """Put the jobs' outputs, the rows of `table_file` from byte `start` (each job's ending
    at one of `ends`, in job order), in key order, as the controller attaches the sorted
    outputs of an operation's jobs (VerifySortedOutput in yt/yt/server/controller_agent/
    controllers/operation_controller_detail.cpp): ordered by first key, then last key
    (a stable sort); an append's first output must not sort before the table's last row,
    checked first, then no output may begin before the previous one ends. Returns the
    cluster's words refusing them (a job's own rows out of order too), or None. `unique`
    (the table's schema says unique_keys): a job's repeated key, an append's first output
    beginning with the table's last key and outputs meeting at one key are refused too."""
    order = row_key(key)
    spans = []  # (first row's key, last row's key, begin, end) of each job's non-empty output
    begin = start
    try:
        for end in ends:
            if end <= begin:
                continue
            first = last = None
            with table_file.open("rb") as handle:
                handle.seek(begin)
                job_rows = cast(BinaryIO, Bounded(handle, end - begin))
                for row in iter_rows(job_rows, drop_control=True):
                    if last is not None and order(last) > order(row):
                        return sort_order_violation(last, row, key)
                    if unique and last is not None and order(last) == order(row):
                        return duplicate_key(last, key)
                    first = row if first is None else first
                    last = row
            if first is not None:
                spans.append((order(first), order(last), begin, end))
            begin = end
        spans.sort(key=lambda span: (span[0], span[1]))
        if start and spans:
            before = _last_row_before(table_file, start)
            if before is not None and spans[0][0] < order(before):
                return overlaps_table(path)
            if unique and before is not None and spans[0][0] == order(before):
                return duplicates_table(path)
        for current, following in zip(spans, spans[1:]):
            if following[0] < current[1]:
                return jobs_overlap(path)
            if unique and following[0] == current[1]:
                return jobs_duplicate(path)
    except IncomparableKey as exc:
        return str(exc)
    if [span[2] for span in spans] != sorted(span[2] for span in spans):
        _rewrite(table_file, start, [(span[2], span[3]) for span in spans])
    return None


def _rewrite(table_file: Path, start: int, ranges: list[tuple[int, int]]) -> None:
    """Keep the first `start` bytes of the file, then its byte ranges in the order given."""
    # a temporary file's name (.*.tmp): one a killed run left beside a table, outside a
    # transaction, is removed at the next run's start (atomic.remove_leftovers)
    ordered = table_file.with_name(f".{table_file.name}.{os.getpid()}.ordered.tmp")
    try:
        with table_file.open("rb") as source, ordered.open("wb") as out:
            _copy(source, out, 0, start)
            for begin, end in ranges:
                _copy(source, out, begin, end)
        crash_point("dev: job outputs put in order")
        os.replace(ordered, table_file)
    finally:
        ordered.unlink(missing_ok=True)


def _copy(source: Any, out: Any, begin: int, end: int) -> None:
    source.seek(begin)
    shutil.copyfileobj(Bounded(source, end - begin), out)
