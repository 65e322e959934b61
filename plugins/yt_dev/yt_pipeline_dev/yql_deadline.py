"""pipeline.yql_timeout_s in dev: a query's statements are interrupted once it is up.

DuckDB stops a statement that `connection.interrupt()` is called on from another thread
(it raises `duckdb.InterruptException`, a `duckdb.Error`). An interrupt that comes before
the statement has started is lost (DuckDB clears it as a statement begins), so the watch
repeats it until the statement's connection is given up. A query also stops between two
statements once the time is up, so Python's own part of a statement (a sample read, a
sorted merge) delays the end by that part at most.

The run's end stops a query the same way (`run_ended`, set by run_operations.RunOperations.
end), as prod aborts the run's queries: left to its end after an interrupt, a query ran on
in DuckDB beside the next run, up to the limit (a day by default).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from yt_pipeline import yql_wait
from yt_pipeline.errors import QueryFailed

#: seconds between two interrupts of a statement that has not stopped yet
REPEAT_S = 0.05
#: seconds between two looks at whether the run has ended, while a statement runs
RUN_END_LOOK_S = 0.1


class Deadline:
    def __init__(self, limit_s: float | None, run_ended: threading.Event | None = None):
        self.limit_s = limit_s
        self.run_ended = run_ended
        self.started = time.monotonic()
        #: set once the limit was reached (or the run ended) while a statement ran
        self.reached = False

    def _over(self) -> bool:
        remaining = self.remaining()
        return ((remaining is not None and remaining <= 0)
                or (self.run_ended is not None and self.run_ended.is_set()))

    def remaining(self) -> float | None:
        if self.limit_s is None:
            return None
        return self.started + self.limit_s - time.monotonic()

    def failure(self) -> QueryFailed:
        if self.run_ended is not None and self.run_ended.is_set():
            return QueryFailed("YQL query interrupted in DuckDB: the run ended before it")
        assert self.limit_s is not None
        return QueryFailed(yql_wait.too_long("YQL query interrupted in DuckDB, still running",
                                             time.monotonic() - self.started, self.limit_s))

    def check(self) -> None:
        """Fail the query when its time is up (before each statement)."""
        if self._over():
            self.reached = True
            raise self.failure()

    @contextmanager
    def watching(self, connection: Any) -> Iterator[None]:
        """Interrupt `connection` when the time is up or the run has ended, until the block
        ends."""
        if self.limit_s is None and self.run_ended is None:
            yield
            return
        done = threading.Event()

        def watch() -> None:
            while not self._over():
                remaining = self.remaining()
                waits = [w for w in (remaining, None if self.run_ended is None
                                     else RUN_END_LOOK_S) if w is not None]
                if done.wait(max(0.0, min(waits))):
                    return
            self.reached = True
            while not done.is_set():
                try:
                    connection.interrupt()
                except Exception:  # noqa: BLE001 - a closed connection has nothing to stop
                    return
                done.wait(REPEAT_S)

        watcher = threading.Thread(target=watch, name="ytp-yql-deadline", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            done.set()
            watcher.join()
