"""Mapper classes with the names and calls yt-framework's jobs use (`StreamMapper`,
`BatchMapper`), on the fast row codec of ytjobs.

While the processing function runs, `print()` goes to stderr, so a stray print cannot
corrupt the output rows; the rows themselves go to the real stdout. A line of input that
is not JSON is skipped and reported on stderr. When the processing function raises, a JSON
line on stderr says so (`{"error": "Processing failed: ...", "row": ...}`) and the error goes
on up, failing the job.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ytjobs.mapper.utils import Row, emit, input_rows, log_error, row_text


class StreamMapper:
    """Calls `processing_func(row, **kwargs)` for each input row; it yields output rows."""

    def map(self, processing_func: Callable[..., Iterable[Row]], *,
            redirect_processing_output: bool = True, **kwargs: Any) -> int:
        """Run the job; returns how many rows were written."""
        def results() -> Iterator[Row]:
            for row in input_rows():
                try:
                    yield from processing_func(row, **kwargs)
                except Exception as exc:
                    log_error({"error": f"Processing failed: {exc}", "row": row_text(row)})
                    raise

        return emit(results, redirect_processing_output)


class BatchMapper:
    """Calls `processing_func(rows, **kwargs)` with lists of `batch_size` rows (all rows
    at once when batch_size is None); it yields output rows. No input, no call."""

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
        while True:
            batch = list(itertools.islice(iterator, self.batch_size))
            if not batch:
                return
            yield batch

    def map(self, processing_func: Callable[..., Iterable[Row]], *,
            redirect_processing_output: bool = True, **kwargs: Any) -> int:
        """Run the job; returns how many rows were written."""
        if self.batch_size is None:
            return self._process_all_rows(
                processing_func, redirect_processing_output=redirect_processing_output, **kwargs)
        return self._process_in_batches(
            processing_func, redirect_processing_output=redirect_processing_output, **kwargs)

    def _process_all_rows(self, processing_func: Callable[..., Iterable[Row]], *,
                          redirect_processing_output: bool, **kwargs: Any) -> int:
        def results() -> Iterator[Row]:
            rows = list(input_rows())
            if rows:
                try:
                    yield from processing_func(rows, **kwargs)
                except Exception as exc:
                    log_error({"error": f"Batch processing failed: {exc}",
                               "total_rows": len(rows)})
                    raise

        return emit(results, redirect_processing_output)

    def _process_in_batches(self, processing_func: Callable[..., Iterable[Row]], *,
                            redirect_processing_output: bool, **kwargs: Any) -> int:
        if self.batch_size is None:
            raise ValueError("Batch size must be set to process rows in batches")

        def results() -> Iterator[Row]:
            for number, batch in enumerate(self.batches(input_rows())):
                try:
                    yield from processing_func(batch, **kwargs)
                except Exception as exc:
                    log_error({"error": f"Batch {number} processing failed: {exc}",
                               "batch_size": len(batch), "batch_number": number})
                    raise

        return emit(results, redirect_processing_output)
