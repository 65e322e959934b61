"""Operations started without waiting: `run_map(..., sync=False)` returns a handle.

The operation runs in a thread of the stage (its client's calls go to the stage's
transaction as the stage's own do); `handle.wait()` returns its OperationResult or raises
its error. A stage that returns with operations still running waits for them before it
commits: a stage is all or nothing, so its operations belong to it (an operation still
running when its stage's transaction ends would be aborted on a cluster anyway).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yt_pipeline import read_tables

if TYPE_CHECKING:
    from concurrent.futures import Future

    from yt_pipeline.operations import OperationResult
    from yt_pipeline.stage import StageContext


class SubmittedOperation:
    """What yt-framework's `sync=False` returned (a `yt.wrapper.Operation`), as far as a
    stage uses it: `wait()`, `get_state()`, `id`."""

    def __init__(self, name: str, future: Future[OperationResult]):
        self.name = name
        self._future = future
        #: the stage called wait(): a failure was the stage's to handle
        self.waited = False

    def wait(self) -> OperationResult:
        self.waited = True
        return self._future.result()

    def get_state(self) -> str:
        if not self._future.done():
            return "running"
        return "failed" if self._future.exception() is not None else "completed"

    @property
    def id(self) -> str | None:
        done = self._future.done() and self._future.exception() is None
        return self._future.result().operation_id if done else None

    def __repr__(self) -> str:
        return f"SubmittedOperation({self.name!r}, {self.get_state()})"


def submit(context: StageContext | None, name: str, start: Any) -> SubmittedOperation:
    """Run `start()` in a thread; the stage waits for it before it ends."""
    # imported here: every stage waits for its submitted operations, few submit any
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"ytp-{name}")
    # the tables it reads count for the stage's cache as the stage's own reads do
    handle = SubmittedOperation(name, pool.submit(read_tables.carried(start)))
    pool.shutdown(wait=False)
    if context is not None:
        context.submitted.append(handle)
    return handle


def wait_all(context: StageContext | None, stage_failed: bool = False) -> None:
    """Wait for the stage's operations still running; the first failure the stage has not
    seen through wait() is raised. When the stage's code itself raised (`stage_failed`),
    that error stays the stage's (its type decides a retry): the operations' failures are
    only logged."""
    if context is None:
        return
    first: BaseException | None = None
    while context.submitted:
        handle = context.submitted.pop(0)
        seen = handle.waited
        try:
            handle.wait()
        except BaseException as error:  # noqa: BLE001 - the others are waited for too
            if seen:
                continue
            if stage_failed and context.logger is not None:
                context.logger.warning("operation %s, not waited for, failed too: %s",
                                       handle.name, error)
            first = first or error
    if first is not None and not stage_failed:
        raise first
