"""Progress inside a running operation: jobs done of planned, rows read so far.

Backends `report(...)` as an operation goes (dev: when each job ends, and every second
with how much of the input its jobs have read; prod: from the operation's brief progress at
each poll); the progress display (progress.py) listens and
shows it in the live table, or as a log line at most every `LOG_EVERY_S` seconds per
operation otherwise. A report costs nothing when nobody listens.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

import msgspec

#: seconds between two progress lines of one operation in the log (no live table)
LOG_EVERY_S = 10.0


class OperationProgress(msgspec.Struct, frozen=True, dict=True):
    # dict=True: rows_read is a cached_property, kept in the instance's __dict__
    stage: str
    operation: str
    kind: str
    jobs_done: int
    jobs_total: int
    #: rows the finished jobs read: a count, a function that counts them (asked only when
    #: the report is shown: most are not), or None where the backend does not know
    rows: int | Callable[[], int] | None = None
    #: the share (0 to 1) of the operation's input its jobs have been given so far, where
    #: the backend knows it (dev, from the bytes sent to the running jobs)
    input_share: float | None = None

    @functools.cached_property
    def rows_read(self) -> int | None:
        return self.rows() if callable(self.rows) else self.rows

    def describe(self) -> str:
        text = f"{self.kind} {self.operation}: {self.jobs_done}/{self.jobs_total} jobs"
        if self.input_share is not None and self.jobs_done < self.jobs_total:
            text += f", {int(self.input_share * 100)}% of the input read"
        if self.rows_read is not None:
            text += f", {self.rows_read:,} rows read"
        return text


Listener = Callable[[OperationProgress], None]
_listeners: list[Listener] = []
_lock = threading.Lock()


def listen(listener: Listener) -> None:
    with _lock:
        _listeners.append(listener)


def stop_listening(listener: Listener) -> None:
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)


def listening() -> bool:
    return bool(_listeners)


def report(progress: OperationProgress) -> None:
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(progress)
        except Exception:  # noqa: BLE001 - a display must never fail an operation
            pass
