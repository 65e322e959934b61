"""What a rich path given to `read_table` selects (`//t{a,b}[#10:#20]`), read as a cluster
reads it: the rows of each row range in the order the ranges are written (a row in two
ranges comes twice), each with the selected columns only (YTsaurus docs, YPath: "Row
ranges", "Column selection"). The same selectors as an operation's input paths
(yt_pipeline.table_paths); a key range, which depends on the table's sort order, is refused.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator, Iterator
from typing import Any

from yt_pipeline import table_paths
from yt_pipeline.errors import InvalidTablePath

Row = dict[str, Any]
Ranges = tuple[tuple[int, int | None], ...]


def selection_of(path: str) -> table_paths.TablePath | None:
    """The table and selectors of a rich path; None for a plain one (or for a path no read
    takes, which the read refuses in its own words)."""
    if not isinstance(path, str) or not path.startswith("//") or (
            "{" not in path and "[" not in path):
        return None
    try:
        return table_paths.parse(path)
    except table_paths.PathProblem as problem:
        raise InvalidTablePath(str(problem)) from None


class InRanges(Iterator[Row]):
    """The rows of one pass over a table that fall in `ranges`, closable as the pass is.
    One range streams; several keep the rows from the first range's start to the last
    one's end (a cluster reads each range on its own, from the one snapshot: so does this,
    from the one pass)."""

    def __init__(self, rows: Iterator[Row], ranges: Ranges):
        self._rows = rows
        self._picked = _picked(rows, ranges)

    def __next__(self) -> Row:
        return next(self._picked)

    def close(self) -> None:
        close = getattr(self._rows, "close", None)
        if callable(close):
            close()
        # several ranges hand out rows kept from the pass: closed, they hand out no more
        self._picked.close()


def _picked(rows: Iterator[Row], ranges: Ranges) -> Generator[Row, None, None]:
    low = min(first for first, _ in ranges)
    ends = [end for _, end in ranges]
    high = None if None in ends else max(end for end in ends if end is not None)
    if len(ranges) == 1:
        yield from itertools.islice(rows, low, high)
        return
    kept = list(itertools.islice(rows, low, high))
    for first, end in ranges:
        # a range ending before it starts (`[#4:#1]`) holds no row, as on a cluster
        yield from kept[first - low:None if end is None else max(end - low, 0)]
