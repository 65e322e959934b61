"""Sorting JSON-lines files by columns, in bounded memory (sorted runs, then a merge).

Lines are kept as bytes and written back unchanged, so sorting never alters a row. Values of
different types are ordered as YT orders them, by type first: null (or a missing column),
then integers, doubles, booleans, strings; a list or a map in a key column fails the sort
when it is compared, as on a cluster (yt_pipeline.column_types.sort_key).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

from yt_pipeline.column_types import NON_FINITE_TEXTS, check_key_weight, sort_key
from yt_pipeline.crashpoints import crash_point
from yt_pipeline.yson_size import may_reach
from yt_pipeline_dev.sort_work import work_folder
from ytjobs.codec import iter_chunks, loads_line, loads_lines

#: rows held in memory before a sorted run is written out
RUN_BYTES = 64 << 20
#: lines a merge writes between two looks at whether it was stopped
MERGE_CHECK_LINES = 8192


class SortStopped(Exception):
    """The sort or the merge was stopped before its end (the `stopped` of `sort_files` or
    `merge_sorted`): its target is incomplete."""


def row_key(columns: Sequence[str], doubles: Collection[str] = ()
            ) -> Callable[[Any], tuple]:
    """A row's key by `columns`. `doubles`: the columns of a double type, where the texts
    "nan", "inf" and "-inf" stand for the non-finite double a dev table keeps so
    (yql_doubles.py) and sort as it does: -inf first, NaN last."""
    def key(row: Any) -> tuple:
        if not isinstance(row, dict):
            return tuple((0, 0) for _ in columns)
        return tuple(sort_key(row.get(c)) for c in columns)

    if not doubles:
        return key

    def value(row: dict, column: str) -> Any:
        found = row.get(column)
        if column in doubles and isinstance(found, str):
            return NON_FINITE_TEXTS.get(found, found)
        return found

    def typed_key(row: Any) -> tuple:
        if not isinstance(row, dict):
            return tuple((0, 0) for _ in columns)
        return tuple(sort_key(value(row, c)) for c in columns)

    return typed_key


def line_key(columns: Sequence[str], doubles: Collection[str] = ()
             ) -> Callable[[bytes], tuple]:
    key = row_key(columns, doubles)
    return lambda line: key(loads_line(line))


def sort_files(sources: Sequence[Path], target: Path, columns: Sequence[str],
               work_dir: Path, run_bytes: int | None = None,
               key_limit: int | None = None, doubles: Collection[str] = (),
               stopped: Callable[[], bool] | None = None) -> int:
    """Write the lines of `sources` to `target`, sorted by `columns` (stable); rows counted.
    With `key_limit`, a row whose key weighs that much or more is HeavyKey, as a cluster's
    sorted writer refuses it (a key weighs at most 2.5 times its line, a list of doubles in
    binary YSON: only lines that long are weighed, yson_size.may_reach). The sorted runs are
    written in a folder of their own made in `work_dir`, claimed while the sort runs: dev
    passes its `.sort/` (sort_work.sort_area), where a later run removes the folder of a
    sort that was killed (sort_work.py).
    `run_bytes`: rows held in memory before a run is written (RUN_BYTES as it is then).
    `doubles`: columns of a double type (row_key). `stopped()` is asked between two pieces
    of the work: once true, SortStopped is raised (the run ended before the sort: its
    operation stops as its jobs would, rather than hold its table's lock to its end)."""
    run_bytes = RUN_BYTES if run_bytes is None else run_bytes

    def check() -> None:
        if stopped is not None and stopped():
            raise SortStopped


    key = row_key(columns, doubles)
    runs: list[Path] = []
    pending: list[tuple[tuple, bytes]] = []
    held = 0
    count = 0
    with work_folder(work_dir) as work:
        for source in sources:
            with source.open("rb") as handle:
                for lines in iter_chunks(handle):
                    check()
                    rows = loads_lines(lines)
                    if key_limit is not None:
                        for row, line in zip(rows, lines, strict=True):
                            if may_reach(len(line), key_limit) and isinstance(row, dict):
                                check_key_weight(row, columns, key_limit)
                    pending.extend(zip(map(key, rows), lines, strict=True))
                    held += sum(map(len, lines))
                    count += len(lines)
                    if held >= run_bytes:
                        runs.append(_write_run(work / f"run{len(runs)}", pending))
                        pending, held = [], 0
                        crash_point("dev: sort run written")
        check()
        if not runs:
            _write_run(target, pending)
            return count
        runs.append(_write_run(work / f"run{len(runs)}", pending))
        pending = []
        line_of = line_key(columns, doubles)
        with target.open("wb") as out:
            merged = heapq.merge(*(_lines(run) for run in runs), key=line_of)
            _write_lines(out, merged, check)
        return count


def merge_sorted(parts: Sequence[Path], target: Path, columns: Sequence[str],
                 doubles: Collection[str] = (),
                 stopped: Callable[[], bool] | None = None) -> list[tuple[int, int]]:
    """Merge files each sorted by `columns` into `target`, sorted by the columns and then by
    the part's position, as a reduce orders the rows of several input tables ("first
    according to the sort_by fields, and then by input table index": YTsaurus docs, Reduce).
    Returns (offset, part index) where each stretch of one part's lines starts.
    `doubles`: columns of a double type (row_key). `stopped()` is asked every
    MERGE_CHECK_LINES lines: once true, SortStopped is raised, as `sort_files` does."""
    line_of = line_key(columns, doubles)

    def keyed(index: int, path: Path) -> Iterator[tuple[tuple, int, bytes]]:
        for line in _lines(path):
            yield line_of(line), index, line

    runs: list[tuple[int, int]] = []
    offset = 0
    with target.open("wb") as out:
        merged = heapq.merge(*(keyed(i, p) for i, p in enumerate(parts)),
                             key=lambda item: (item[0], item[1]))
        for number, (_, index, line) in enumerate(merged):
            if stopped is not None and number % MERGE_CHECK_LINES == 0 and stopped():
                raise SortStopped
            if not runs or runs[-1][1] != index:
                runs.append((offset, index))
            out.write(line + b"\n")
            offset += len(line) + 1
    return runs


def _write_run(path: Path, pending: list[tuple[tuple, bytes]]) -> Path:
    pending.sort(key=lambda pair: pair[0])
    with path.open("wb") as out:
        _write_lines(out, (line for _, line in pending))
    return path


def _write_lines(out: Any, lines: Iterator[bytes],
                 check: Callable[[], None] | None = None) -> None:
    batch: list[bytes] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= 8192:
            out.write(b"\n".join(batch) + b"\n")
            batch.clear()
            if check is not None:
                check()
    if batch:
        out.write(b"\n".join(batch) + b"\n")


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        for lines in iter_chunks(handle):
            yield from lines
