"""`parallel_map(fn, items, workers=)`: fan-out inside a step.

Calls `fn(item)` for every item on a pool of threads (a step's work is mostly waiting on
the cluster, on files, on the network) and returns the results in the order of `items`. The
first exception raised by a call is raised again once the calls already started have
ended; the calls not started yet are not made.

The threads are daemon threads, as the runner's own: Ctrl-C during a step ends the script
at once, where a `ThreadPoolExecutor` would hold it at exit until every item, started or
not, had run (its threads are joined when the interpreter ends).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def parallel_map(fn: Callable[[T], R], items: Iterable[T], workers: int | None = None) -> list[R]:
    todo = list(items)
    if workers is None:
        workers = min(32, (os.cpu_count() or 1) + 4)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"parallel_map(workers=...): a whole number >= 1, got {workers!r}")
    if not todo:
        return []
    return _Fan(fn, todo).run(min(workers, len(todo)))


class _Fan:
    def __init__(self, fn: Callable[[Any], Any], todo: list[Any]) -> None:
        self.fn, self.todo = fn, todo
        self.results: list[Any] = [None] * len(todo)
        self.lock = threading.Lock()
        self.next = 0
        #: (index, error) of the first call that raised, by the order of the items
        self.error: tuple[int, BaseException] | None = None

    def take(self) -> int | None:
        with self.lock:
            if self.error is not None or self.next == len(self.todo):
                return None
            self.next += 1
            return self.next - 1

    def work(self) -> None:
        while (index := self.take()) is not None:
            try:
                self.results[index] = self.fn(self.todo[index])
            except BaseException as exc:  # noqa: BLE001 - raised again by run()
                with self.lock:
                    if self.error is None or index < self.error[0]:
                        self.error = (index, exc)

    def run(self, workers: int) -> list[Any]:
        threads = [threading.Thread(target=self.work, name=f"ytp-parallel-{i}", daemon=True)
                   for i in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self.error is not None:
            raise self.error[1]
        return self.results
