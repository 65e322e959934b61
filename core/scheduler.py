"""Scheduling one run: stages whose dependencies are done run in a pool of worker threads.

Workers only run stages (`stage_run.run_unit`) and post events; everything else happens
in the scheduler's thread, in the order events arrive: the lifecycle hooks, the run's book,
what to submit next. A failed stage stops what depends on it; independent branches go on,
so a --resume has less left to do. A plugin's hook that fails ends the run: nothing new is
submitted, the stages already running finish and commit as usual. Ctrl-C (or sys.exit) in
the scheduler's thread ends the run at once: the stages still running in the workers may
no longer commit (`stage_run.CommitGate`), so nothing changes after the run lock is
released. The state files are written in batches (`SAVE_EVERY_S`).
"""

from __future__ import annotations

import queue
import threading
import time
from typing import TYPE_CHECKING

from yt_pipeline import masked_streams
from yt_pipeline.errors import StageFailed
from yt_pipeline.events import FAILED, StageOutcome
from yt_pipeline.stage_run import Event, UnitRun, run_unit

#: the state files are written once the outcomes that came in this long ago are all taken:
#: one write for many stages that finish close together. Waiting costs nothing on a kill:
#: a stage that wrote tables is already in the commit journal, and one that did not only
#: runs again on --resume.
SAVE_EVERY_S = 0.1
#: the longest the scheduler's thread waits for an event: a signal another thread of the
#: process took (a stopped run sent SIGTERM, then SIGCONT, as `timeout` and a shell's
#: `kill %1` do: the thread that wakes first takes it) is handled by Python in the main
#: thread only, once that thread runs again; waiting with no limit, the run went on until
#: a stage ended
SIGNAL_LOOK_S = 0.5

if TYPE_CHECKING:
    from yt_pipeline.hookcalls import LifecycleHooks
    from yt_pipeline.plan import Plan
    from yt_pipeline.run_book import RunBook
    from yt_pipeline.runner import Runner
    from yt_pipeline.stage_run import RunContext


class Scheduler:
    def __init__(self, runner: Runner, plan: Plan, ctx: RunContext, book: RunBook,
                 hooks: LifecycleHooks):
        self.runner, self.plan, self.ctx, self.book, self.hooks = runner, plan, ctx, book, hooks
        self.graph = runner.target.graph
        self.units = runner.target.units
        self.events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self.tasks: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self.waiting = {n: sum(1 for d in self.graph.deps[n] if d in plan.to_run)
                        for n in plan.to_run}
        self.blocked: dict[str, str] = {}
        self.submitted: set[str] = set()
        self.active = 0
        #: the worker threads started so far: one more each time a stage is submitted while
        #: every one started is taken, up to the run's --workers
        self.threads: list[threading.Thread] = []
        #: the run was interrupted: a worker starts no other stage
        self.stopping = False
        ctx.post = self.events.put

    def work(self) -> None:
        while (name := self.tasks.get()) is not None and not self.stopping:
            try:
                done = run_unit(self.ctx, self.units[name])
            except BaseException as exc:  # noqa: BLE001 - the scheduler must hear of every stage
                done = UnitRun(StageOutcome(stage=name, status=FAILED, error=repr(exc)),
                               failure=StageFailed(name, exc, self.units[name].kind[0]))
            self.events.put(Event("done", name, done))

    def submit(self, name: str) -> None:
        self.active += 1
        self.submitted.add(name)
        # `active` counts the stages submitted and not yet reported done, so a thread per
        # active stage is never too few; a chain of stages runs on one thread
        if len(self.threads) < min(self.runner.workers, self.active):
            self._start_worker()
        self.tasks.put(name)

    def run(self) -> None:
        for name in self.plan.order:
            if name in self.plan.to_run and self.waiting[name] == 0:
                self._maybe_submit(name)
        unsaved = 0.0  # when the oldest outcome not yet in the state files came
        try:
            while self.active:
                wait = (SIGNAL_LOOK_S if not unsaved
                        else max(0.0, unsaved + SAVE_EVERY_S - time.monotonic()))
                batch = self._next_batch(wait)
                for event in batch:
                    self.handle(event)
                if not unsaved and any(event.kind == "done" for event in batch):
                    unsaved = time.monotonic()
                if unsaved and (not batch or time.monotonic() - unsaved >= SAVE_EVERY_S):
                    # once a stage failed, a state that cannot be saved (a full disk) does
                    # not become the run's error (RunBook.save_own)
                    self.book.save_own(self.book.flush, failed=not self.book.result.success)
                    unsaved = 0.0
        except BaseException:
            # Ctrl-C or sys.exit here: the workers go on with their stages, but none may
            # commit once the run lets go of its lock (stage_run.CommitGate), nor start
            # another stage
            self.stopping = True
            for _ in self.threads:
                self.tasks.put(None)
            self.ctx.gate.close()
            # what the stages still running print after the run has returned is masked
            masked_streams.keep_masked_while(self.threads)
            raise
        for _ in self.threads:
            self.tasks.put(None)
        self._note_not_run()

    def _start_worker(self) -> None:
        # Daemon threads, not an executor: after Ctrl-C the process exits at once instead of
        # waiting for running stages (their writes are transactions either way). Started as
        # stages need them, not all at once: a thread started while DuckDB's process or a
        # job holds the other core waits for a time slice, and a run of four stages in a
        # chain spent 7-14 ms starting the three it never used (bench/compare, 2 cores).
        thread = threading.Thread(target=self.work, name=f"ytp-stage-{len(self.threads)}",
                                  daemon=True)
        self.threads.append(thread)
        thread.start()

    def _next_batch(self, wait: float | None) -> list[Event]:
        """The next event, and every other one already waiting; none when `wait` seconds
        pass first."""
        try:
            batch = [self.events.get(timeout=wait)]
        except queue.Empty:
            return []
        while True:
            try:
                batch.append(self.events.get_nowait())
            except queue.Empty:
                return batch

    def _maybe_submit(self, name: str) -> None:
        if name not in self.blocked and self.hooks.error is None:
            self.submit(name)

    def _note_not_run(self) -> None:
        failed_plugin = self.hooks.error
        for name in self.plan.order:
            if name in self.blocked:
                self.done(UnitRun.not_run(name, self.blocked[name]))
            elif (failed_plugin is not None and name in self.plan.to_run
                  and name not in self.submitted):
                self.done(UnitRun.not_run(name, f"not run: plugin {failed_plugin.plugin} failed"))

    def handle(self, event: Event) -> None:
        run = self.ctx.run
        if event.kind == "before":
            # the unit waits for this answer, so it must come whatever the hooks do
            try:
                self.hooks.before_stage(run, event.stage)
            finally:
                failed = self.hooks.error
                event.payload.answer(None if failed is None
                                     else f"not run: plugin {failed.plugin} failed")
        elif event.kind == "error":
            error, attempt = event.payload
            self.hooks.on_stage_error(run, event.stage, error, attempt)
        else:
            self.active -= 1
            self.done(event.payload)
            self._release_dependents(event.payload)

    def _release_dependents(self, done: UnitRun) -> None:
        name = done.outcome.stage
        if done.outcome.status == FAILED:
            for lost in self.graph.descendants([name]) & self.plan.to_run:
                if lost != name and lost not in self.blocked:
                    self.blocked[lost] = f"upstream {self.units[name].kind[0]} {name} failed"
            return
        for user in self.graph.dependents[name]:
            if user in self.waiting:
                self.waiting[user] -= 1
                if self.waiting[user] == 0:
                    self._maybe_submit(user)

    def done(self, done: UnitRun) -> None:
        self.book.take(done)
        self.hooks.after_stage(self.ctx.run, done.outcome.stage, done.outcome)
