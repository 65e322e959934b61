"""What `read_table` returns: rows streamed from the table, and a sequence when asked.

Iterating streams the rows (a new pass over the table each time, so a loop can run
twice); `next()` takes rows from one pass. `len()`, indexing and slicing read the whole
table once into a list and keep it, as code written against yt-framework's `read_table`
(which returned a list) expects. The common case, one loop over the rows, holds no row
longer than the loop does.

`list(rows)` asks for an iterator first and for the length next (to size its list): the
length then takes the pass the iterator was given over whole, before a row of it was
taken, and the iterator hands out the rows it read. Reading a second pass for the length
made `list(client.read_table(path))` read the table twice (300,000 rows in dev: 220-240 ms
against 60 ms for a loop). Those rows are the loop's, not kept: a later loop reads the
table again, as after a `for` loop.
"""

from __future__ import annotations

import itertools
import operator
import weakref
from collections.abc import Callable, Iterator
from typing import Any, cast

from yt_pipeline import read_tables
from ytjobs.codec import BlockInHand, RowReader

Row = dict[str, Any]


class TableRows(Iterator[Row]):
    """`open_rows()` starts a pass over the table; the first pass is started at once, so
    that a missing table fails the `read_table` call itself: `first`, when the caller
    started it (see `opened`), else here."""

    __slots__ = ("_open", "_first", "_stream", "_rows", "_handed", "_loops", "path")

    def __init__(self, open_rows: Callable[[], Iterator[Row]], path: str,
                 first: Iterator[Row] | None = None):
        # recorded before the first pass, so that its fingerprint is of rows it reads
        read_tables.note(path)
        self._open = open_rows
        self._first: Iterator[Row] | None = open_rows() if first is None else first
        self._stream: Iterator[Row] | None = None
        self._rows: list[Row] | None = None
        #: the pass __iter__ last handed out, while its loop holds it (weak: a loop left
        #: half-way releases its read as before)
        self._handed: weakref.ref[_HandedPass] | None = None
        #: every pass __iter__ handed out that a loop still holds, for close() to end
        self._loops: weakref.WeakSet[_HandedPass] = weakref.WeakSet()
        self.path = path

    @classmethod
    def opened(cls, open_rows: Callable[[], Iterator[Row]], path: str) -> TableRows:
        """The rows, their first pass started before they are made. A pass that holds
        something to release when dropped (a prod read's transaction) is started so: a
        frame on the stack while a pass starts can outlive its call, with its locals, when
        code below it keeps an exception in a reference cycle (a client's may), until the
        cyclic collector runs; `__init__`'s `self` would keep the rows, and the pass, as
        long. Here the pass is never a local of a frame on that stack."""
        read_tables.note(path)
        return cls(open_rows, path, open_rows())

    def _pass(self) -> Iterator[Row]:
        first, self._first = self._first, None
        return first if first is not None else self._open()

    def __iter__(self) -> Iterator[Row]:
        if self._stream is not None:
            return self._stream  # iteration already began with next(): go on from there
        if self._rows is not None:
            # the rows kept by len() or indexing, handed out so that close() ends the loop
            # as it ends one over a pass
            kept = _HandedPass.of_kept(self._rows)
            self._loops.add(kept)
            return kept
        # the pass is handed out by a frame of its own, not on the stack while it starts
        # (see `opened`)
        return self._hand_out(self._pass())

    def _hand_out(self, rows: Iterator[Row]) -> _HandedPass:
        handed = _HandedPass.of(rows)
        self._handed = weakref.ref(handed)
        self._loops.add(handed)
        return handed

    def __next__(self) -> Row:
        if self._stream is None:
            self._stream = self._pass()
        return next(self._stream)

    def close(self) -> None:
        """Stop reading (the table file or the request is released), as a generator's
        close() does; stage code may call it half-way. A loop over the rows stops at its
        next step, as one over a closed generator does: closed, the pass it holds gives no
        more rows. A later loop is a new pass."""
        loops = list(self._loops)
        self._loops.clear()
        self._handed = None
        for stream in (self._first, self._stream, *loops):
            closer = getattr(stream, "close", None)
            if callable(closer):
                closer()
        self._first = self._stream = None

    def _all(self) -> list[Row]:
        if self._rows is None:
            taken = self._take_handed()
            self._rows = taken if taken is not None else list(self._pass())
        return self._rows

    def _take_handed(self) -> list[Row] | None:
        """The rows of the pass a loop was last given, read whole now, while the loop took
        none of them (None otherwise); taken once: they are that loop's."""
        handed = self._handed() if self._handed is not None else None
        self._handed = None
        return handed.take_all() if handed is not None else None

    def __len__(self) -> int:
        if self._stream is not None and self._rows is None:
            # list(rows) after next(rows) asks for the length once it has the rest of the
            # stream: a TypeError makes it go on without one, where the length read the
            # whole table a second time, into memory, for a hint
            raise TypeError(f"rows of {self.path} that next() began reading have no length: "
                            "take list(rows) for the rest of them")
        if self._rows is None:
            # list(rows), tuple(rows) and sorted(rows) ask for it just after they were given
            # a loop: the length of that loop's rows, which are not kept, as a loop's rows
            # are not (kept, the next loop gave them again after the table had changed)
            taken = self._take_handed()
            if taken is not None:
                return len(taken)
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


class _HandedPass(itertools.chain):  # type: ignore[type-arg]
    """A pass over a table as a loop gets it, which `take_all` may still read to the end at
    once while no row of it was taken: the loop then gets the rows it read.

    Each row comes out of itertools in C, as from the pass itself: what the loop reads
    comes from a list of one item (the pass's blocks, or its rows), which `take_all`
    replaces before the list's iterator has given it out."""

    _pass: Iterator[Row]
    _parts: list[Any]
    _parts_left: Iterator[Any]
    _in_hand: BlockInHand

    @classmethod
    def of(cls, rows: Iterator[Row]) -> _HandedPass:
        # a RowReader's own blocks, so that nothing more is paid a row; else the rows as
        # one block. The block being read is kept, for close() to end it half-way (not the
        # pass as one block: it ends itself once closed)
        in_hand = BlockInHand()
        parts: list[Any] = [map(in_hand.take, rows.blocks()) if isinstance(rows, RowReader)
                            else [rows]]
        return cls._made(rows, parts, in_hand)

    @classmethod
    def of_kept(cls, rows: list[Row]) -> _HandedPass:
        """A loop over rows read already (kept by len() or indexing), as one block."""
        in_hand = BlockInHand()
        return cls._made(iter(()), [[in_hand.take(rows)]], in_hand)

    @classmethod
    def _made(cls, rows: Iterator[Row], parts: list[Any], in_hand: BlockInHand
              ) -> _HandedPass:
        left = iter(parts)
        reader = cast(_HandedPass, cls.from_iterable(itertools.chain.from_iterable(left)))
        reader._pass, reader._parts, reader._parts_left = rows, parts, left
        reader._in_hand = in_hand
        return reader

    def take_all(self) -> list[Row] | None:
        """Every row of the pass, read now, or None once the loop took a row."""
        if operator.length_hint(self._parts_left) == 0:
            return None
        rows = list(self._pass)
        self._parts[0] = [self._in_hand.take(rows)]
        return rows

    def close(self) -> None:
        close = getattr(self._pass, "close", None)
        try:
            if callable(close):
                close()
        finally:
            self._in_hand.drop_rest()
