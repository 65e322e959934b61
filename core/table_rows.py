"""What `read_table` returns: rows streamed from the table, and a sequence when asked.

Iterating streams the rows (a new pass over the table each time, so a loop can run
twice); `next()` takes rows from one pass. `len()`, indexing and slicing read the whole
table once into a list and keep it, as code written against yt-framework's `read_table`
(which returned a list) expects. The common case, one loop over the rows, holds no row
longer than the loop does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

Row = dict[str, Any]


class TableRows(Iterator[Row]):
    """`open_rows()` starts a pass over the table; the first pass is started at once, so
    that a missing table fails the `read_table` call itself."""

    __slots__ = ("_open", "_first", "_stream", "_rows", "path")

    def __init__(self, open_rows: Callable[[], Iterator[Row]], path: str):
        self._open = open_rows
        self._first: Iterator[Row] | None = open_rows()
        self._stream: Iterator[Row] | None = None
        self._rows: list[Row] | None = None
        self.path = path

    def _pass(self) -> Iterator[Row]:
        first, self._first = self._first, None
        return first if first is not None else self._open()

    def __iter__(self) -> Iterator[Row]:
        if self._stream is not None:
            return self._stream  # iteration already began with next(): go on from there
        if self._rows is not None:
            return iter(self._rows)
        return self._pass()

    def __next__(self) -> Row:
        if self._stream is None:
            self._stream = self._pass()
        return next(self._stream)

    def close(self) -> None:
        """Stop reading (the table file or the request is released), as a generator's
        close() does; stage code may call it half-way."""
        for stream in (self._first, self._stream):
            closer = getattr(stream, "close", None)
            if callable(closer):
                closer()
        self._first = self._stream = None

    def _all(self) -> list[Row]:
        if self._rows is None:
            self._rows = list(self._pass())
        return self._rows

    def __len__(self) -> int:
        return len(self._all())

    def __getitem__(self, index: Any) -> Any:
        return self._all()[index]

    def __bool__(self) -> bool:
        return bool(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, TableRows)):
            return self._all() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<rows of {self.path}>"
