"""Mapper classes with the names and calls yt-framework's jobs use (`StreamMapper`,
`BatchMapper`, `read_input_rows`), on the fast row codec of ytjobs.

While the processing function runs, `print()` goes to stderr, so a stray print cannot
corrupt the output rows; the rows themselves go to the real stdout.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Dict

from ytjobs.logging.logger import redirect_stdout_to_stderr
from ytjobs.rows import read_rows, write_rows

# typing.Dict: evaluated at import, and jobs may run Python 3.8
Row = Dict[str, Any]


def read_input_rows() -> Iterator[Row]:
    """The job's input rows, from stdin (the same as `ytjobs.read_rows()`)."""
    return read_rows()


def _run(results: Callable[[], Iterable[Row]], redirect: bool) -> int:
    out = sys.stdout.buffer  # taken before any redirection: the rows always go here
    guard = redirect_stdout_to_stderr() if redirect else contextlib.nullcontext()
    with guard:
        return write_rows(results(), out)


class StreamMapper:
    """Calls `processing_func(row, **kwargs)` for each input row; it yields output rows."""

    def map(self, processing_func: Callable[..., Iterable[Row]], *,
            redirect_processing_output: bool = True, **kwargs: Any) -> int:
        def results() -> Iterator[Row]:
            for row in read_rows():
                yield from processing_func(row, **kwargs)

        return _run(results, redirect_processing_output)


class BatchMapper:
    """Calls `processing_func(rows, **kwargs)` with lists of `batch_size` rows (all rows
    at once when batch_size is None); it yields output rows."""

    def __init__(self, batch_size: int | None = None) -> None:
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.batch_size = batch_size

    def batches(self, rows: Iterable[Row]) -> Iterator[list[Row]]:
        if self.batch_size is None:
            everything = list(rows)
            if everything:
                yield everything
            return
        iterator = iter(rows)
        while batch := list(itertools.islice(iterator, self.batch_size)):
            yield batch

    def map(self, processing_func: Callable[..., Iterable[Row]], *,
            redirect_processing_output: bool = True, **kwargs: Any) -> int:
        def results() -> Iterator[Row]:
            for batch in self.batches(read_rows()):
                yield from processing_func(batch, **kwargs)

        return _run(results, redirect_processing_output)
