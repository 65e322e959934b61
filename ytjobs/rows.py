"""Row I/O for jobs: JSON lines on stdin and stdout, and grouping for reducers.

Several input or output tables: see ytjobs.tables (`read_indexed_rows`, `table_index=`).
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from ytjobs import tally
from ytjobs.codec import dumps_line, iter_rows, not_an_input_row, whole_stdin, write_lines
from ytjobs.tables import switch_output

_NONE = object()


def read_rows(stream: BinaryIO | None = None) -> Iterator[dict[str, Any]]:
    """Rows from JSON lines (default: stdin), read in large chunks, in constant memory.

    The control rows YT puts between the rows of several input tables are left out; use
    `read_indexed_rows()` to know which table a row comes from.
    """
    if stream is not None:
        return iter_rows(stream, drop_control=True, bad_line=not_an_input_row)
    return iter_rows(sys.stdin.buffer, drop_control=True, bad_line=not_an_input_row,
                     whole=whole_stdin())


def write_rows(rows: Iterable[dict[str, Any]], stream: BinaryIO | None = None, *,
               table_index: int = 0) -> int:
    """Write rows as JSON lines (default: stdout) to output table `table_index`; returns
    how many."""
    out = stream if stream is not None else sys.stdout.buffer
    items = iter(rows)
    first = next(items, _NONE)
    count = 0
    if first is not _NONE:  # no rows, no switch: write_rows([]) only flushes
        switch_output(out, table_index)
        count = write_lines(itertools.chain([first], items), tally.counting(out),
                            tally.rows_counter(out))
    out.flush()
    return count


def write_row(row: dict[str, Any], stream: BinaryIO | None = None, *,
              table_index: int = 0) -> None:
    """Write one row to output table `table_index`. Buffered: call write_rows([]) or flush
    stdout before exiting abruptly."""
    out = stream if stream is not None else sys.stdout.buffer
    switch_output(out, table_index)
    line = dumps_line(row)
    tally.add(out, len(line), rows=1)
    out.write(line)


def groups(rows: Iterable[Any], key: str | list[str] | tuple[str, ...]
           ) -> Iterator[tuple[Any, Iterator[Any]]]:
    """Consecutive rows with the same key, as (key value, rows) — the reducer's view.

    Rows must arrive sorted (or at least grouped) by the key, as a reduce guarantees. For
    several columns the key value is a tuple; a missing column counts as None. The type is
    part of the key, so 1 and True (equal in Python) stay in separate groups.

    Given `read_indexed_rows()`, the groups hold its (table index, row) pairs, keyed by the
    row: a reducer joining two tables sees both tables' rows of a key in one group.
    """
    columns = [key] if isinstance(key, str) else list(key)
    items = iter(rows)
    first = next(items, None)
    if first is None:
        return
    indexed = type(first) is tuple
    if len(columns) == 1:
        column = columns[0]

        def key_of(item: Any) -> Any:
            value = (item[1] if indexed else item).get(column)
            return (type(value), value)
    else:
        def key_of(item: Any) -> Any:
            row = item[1] if indexed else item
            values = tuple(row.get(c) for c in columns)
            return (tuple(type(v) for v in values), values)

    for k, group in itertools.groupby(itertools.chain([first], items), key=key_of):
        yield k[1], group
