"""The bookkeeping of one run: state, commit journal, run record, outcomes and result.

Everything the runner learns about a stage arrives here as one `UnitRun` (`take`), and this
object alone turns it into the state entry, the run record's line, the hooks' outcome list,
the `StepResult` and the debug handed to later stages. `flush` makes it durable once per
batch of stages that finished together: the state files first, then the removal of the
commit records they now hold (see `journal.py`).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from yt_pipeline.errors import YtPipelineError
from yt_pipeline.events import CACHED, FAILED, SKIPPED, SUCCESS, StageOutcome
from yt_pipeline.journal import Record
from yt_pipeline.plan import Plan
from yt_pipeline.records import RunRecord
from yt_pipeline.result import PipelineResult, StepResult
from yt_pipeline.stage_run import UnitRun
from yt_pipeline.state import DONE, StateStore, kept_debug
from yt_pipeline.txn import finish_commit
from yt_pipeline.units import Debug, RunTarget

if TYPE_CHECKING:
    from collections.abc import Callable

    from yt_pipeline.client import TableClient

log = logging.getLogger("yt_pipeline.runner")


class RunBook:
    def __init__(self, target: RunTarget, state: StateStore, run_id: str,
                 options: dict[str, Any], workers: int):
        self.state = state
        self.resume_command = target.resume_command
        # the graph too: a page about the run can be drawn from the record alone (a
        # function-step pipeline has no folder configuration to draw it from)
        self.record = RunRecord(target.pipeline_dir, run_id, mode=target.mode,
                                state=state.state_name, options=options, workers=workers,
                                graph={name: list(deps) for name, deps in target.graph.deps.items()})
        self.result = PipelineResult(run_id=run_id, success=True, duration_seconds=0.0)
        self.outcomes: list[StageOutcome] = []
        #: debug each stage hands on: this run's, or for stages not run, their last one
        self.outputs: dict[str, Debug] = {}
        #: the first error of the run: a stage's failure, or a plugin's
        self.error: YtPipelineError | None = None
        self._committed: list[Record] = []
        #: the run's own files that could not be saved after it failed (logged once each)
        self._unsaved: set[str] = set()

    def recover(self, client: TableClient) -> bool:
        """Finish the commits a killed run recorded, and fold them into the state files.
        True when a recorded commit turned out lost (its stage now counts as not run)."""
        self.state.remove_leftovers()
        folded = self.state.folded
        if not folded:
            return False
        lost = False
        log.info("finishing %d commit(s) of an interrupted run: %s", len(folded),
                 ", ".join(record.stage for record in folded))
        for record in folded:
            if not finish_commit(client, record.token):
                log.warning("stage %s did not commit before the run was interrupted: it "
                            "runs again", record.stage)
                self.state.forget(record.stage)
                lost = True
        self.state.write()
        self.state.journal.remove(folded)
        self.state.folded = []
        return lost

    def begin(self, plan: Plan, resume: bool) -> None:
        for name in plan.to_run:  # the state now tells about this run
            # --resume leaves a failure shown until the stage runs; one that succeeded and
            # runs again (a table of it gone, or of a stage before it) is reset as in a full
            # run: killed before it, the next resume would take its success of before,
            # made of what the stages before it wrote then
            if not resume or self.state.statuses.get(name) in DONE:
                self.state.set_status(name, None)
        self.state.write()
        self.record.write()
        for name in plan.order:
            if name not in plan.to_run:
                self.outputs[name] = kept_debug(self.state.memory.get(name))

    def take(self, done: UnitRun) -> None:
        outcome = done.outcome
        name = outcome.stage
        self.outcomes.append(outcome)
        self.result.step_results[name] = StepResult(
            name=name, status=outcome.status, duration_seconds=outcome.duration_s,
            cached=outcome.status == CACHED,
            skipped_reason=outcome.reason if outcome.status == SKIPPED else "",
            error=outcome.error, attempts=outcome.attempts,
        )
        if not done.ran:
            self.record.stage(name, outcome=SKIPPED, reason=outcome.reason)
            return
        decision = done.cache
        self.record.stage(
            name, start=done.started_at, end=done.finished_at,
            duration_s=round(outcome.duration_s, 4), outcome=outcome.status,
            attempts=outcome.attempts, cache=decision.describe() if decision else "off",
            reason=outcome.reason, error=outcome.error,
        )
        if outcome.status == FAILED:
            self.state.set_status(name, FAILED)
            self.fail(done.failure)
            return
        self.outputs[name] = outcome.debug
        self.state.set_status(name, SKIPPED if outcome.status == SKIPPED else SUCCESS)
        if done.entry is not None:  # a cached stage's entry of its last success stands
            self.state.remember(name, done.entry)
        elif outcome.status == CACHED and name in self.state.memory:
            # but it is current as of this run: a dependency that ran before it in this run
            # did not leave it behind (stale_successes.py), and --resume does not run it, and
            # what follows it, again
            self.state.remember(name, {**self.state.memory[name], "served_at": time.time(),
                                       "served_in": self.result.run_id})
        if done.record is not None:
            self._committed.append(done.record)
        if done.commit_error is not None:  # its record stays for the next run to finish
            self.fail(done.commit_error)

    def fail(self, error: YtPipelineError | None) -> None:
        self.result.success = False
        if self.error is None and error is not None:
            self.error = error
            self.result.error = str(error)

    def save_own(self, write: Callable[[], None], *, failed: bool) -> None:
        """`write` one of the run's own files (its state, its record). When it cannot (an
        OSError, which names the file) after the run failed or while it is interrupted,
        that is logged, once a file, and the run's own failure stays its error: the stage's
        error and the command that resumes say more than the file that could not be
        written. After a successful run it is the run's error."""
        try:
            write()
        except OSError as exc:
            if not failed:
                raise
            where = str(exc.filename or "")
            if where not in self._unsaved:
                self._unsaved.add(where)
                log.error("could not save %s after the run failed: %s", where or "a file",
                          exc.strerror or exc)

    def flush(self) -> None:
        self.state.write()
        self.state.journal.remove(self._committed)
        self._committed = []

    def finish(self, status: str, order: list[str], duration_s: float,
               save: Callable[[Callable[[], None]], None] | None = None) -> PipelineResult:
        """The result, and the run record's last write (after a last `flush`), done through
        `save` when given (which may keep a failed run's error when the record cannot be
        written)."""
        result = self.result
        result.duration_seconds = duration_s
        merged: Debug = {}
        for name in order:
            merged.update(self.outputs.get(name) or {})
        result.debug, result.outputs = merged, dict(merged)
        result.record = str(self.record.path)
        if status == SUCCESS and not result.success:
            status = FAILED
        if not result.success:
            result.failure = self.error
            result.resume_hint = f"to resume: {self.resume_command}"
        if save is None:
            self.record.finish(status)
        else:
            save(lambda: self.record.finish(status))
        return result
