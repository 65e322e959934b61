"""Row I/O for jobs: JSON lines on stdin and stdout, and grouping for reducers."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from ytjobs.codec import dumps_line, iter_rows, write_lines


def read_rows(stream: BinaryIO | None = None) -> Iterator[dict[str, Any]]:
    """Rows from JSON lines (default: stdin), read in large chunks, in constant memory."""
    return iter_rows(stream if stream is not None else sys.stdin.buffer)


def write_rows(rows: Iterable[dict[str, Any]], stream: BinaryIO | None = None) -> int:
    """Write rows as JSON lines (default: stdout); returns how many."""
    out = stream if stream is not None else sys.stdout.buffer
    count = write_lines(rows, out.write)
    out.flush()
    return count


def write_row(row: dict[str, Any], stream: BinaryIO | None = None) -> None:
    """Write one row. Buffered: call write_rows([]) or flush stdout before exiting abruptly."""
    out = stream if stream is not None else sys.stdout.buffer
    out.write(dumps_line(row))


def groups(
    rows: Iterable[dict[str, Any]], key: str | list[str] | tuple[str, ...]
) -> Iterator[tuple[Any, Iterator[dict[str, Any]]]]:
    """Consecutive rows with the same key, as (key value, rows) — the reducer's view.

    Rows must arrive sorted (or at least grouped) by the key, as a reduce guarantees. For
    several columns the key value is a tuple; a missing column counts as None. The type is
    part of the key, so 1 and True (equal in Python) stay in separate groups.
    """
    columns = [key] if isinstance(key, str) else list(key)
    if len(columns) == 1:
        column = columns[0]

        def key_of(row: dict[str, Any]) -> Any:
            value = row.get(column)
            return (type(value), value)

        return ((k[1], g) for k, g in itertools.groupby(rows, key=key_of))

    def keys_of(row: dict[str, Any]) -> Any:
        values = tuple(row.get(c) for c in columns)
        return (tuple(type(v) for v in values), values)

    return ((k[1], g) for k, g in itertools.groupby(rows, key=keys_of))
