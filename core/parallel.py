"""`parallel_map(fn, items, workers=)`: fan-out inside a step.

Calls `fn(item)` for every item on a pool of threads (a step's work is mostly waiting on
the cluster, on files, on the network) and returns the results in the order of `items`. The
first exception raised by a call is raised again once the calls already started have
ended; the calls not started yet are cancelled.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
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
    with ThreadPoolExecutor(max_workers=min(workers, len(todo)),
                            thread_name_prefix="ytp-parallel") as pool:
        futures: list[Future[Any]] = [pool.submit(fn, item) for item in todo]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        failed = next((f for f in futures if f in done and f.exception() is not None), None)
        if failed is not None:
            for future in pending:
                future.cancel()
            raise failed.exception()  # type: ignore[misc]
        return [future.result() for future in futures]
