"""Runs a pipeline's DAG: stages whose dependencies are done run in a thread pool.

Around the stages: the plan (selection, --resume), the run lock, state.<mode>.yml written
after every batch of stages that finished together, the run record, and the lifecycle hooks.
A failed stage stops what depends on it; independent branches go on, so a --resume has
less left to do. The same runner serves folder pipelines and function-step pipelines.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from yt_pipeline.cache import cache_enabled, decide
from yt_pipeline.errors import StageFailed
from yt_pipeline.events import CACHED, FAILED, SKIPPED, SUCCESS, RunInfo, StageOutcome
from yt_pipeline.lock import RunLock
from yt_pipeline.plan import Plan, describe_plan, make_plan
from yt_pipeline.records import RunRecord, new_run_id
from yt_pipeline.result import PipelineResult, StepResult
from yt_pipeline.stage import StageContext, StageDeps
from yt_pipeline.stage_run import RunContext, UnitRun, merge_debug, run_unit
from yt_pipeline.state import StateStore
from yt_pipeline.units import RunTarget

if TYPE_CHECKING:
    from collections.abc import Callable

    from yt_pipeline.pipeline import BasePipeline

log = logging.getLogger("yt_pipeline.runner")

__all__ = ["RunOptions", "Runner", "new_run_id", "stage_deps_for"]


@dataclass
class RunOptions:
    workers: int | None = None
    only: list[str] = field(default_factory=list)
    from_stage: str | None = None
    to_stage: str | None = None
    resume: bool = False
    force: bool = False
    refresh: list[str] = field(default_factory=list)
    dry_run: bool = False


class Runner:
    """Plans and runs one pipeline run. `pipeline` is a `BasePipeline`, or any object with a
    `run_target()` method (the function-step `Pipeline`)."""

    def __init__(self, pipeline: Any, options: RunOptions | None = None,
                 prepare: Callable[[], Any] | None = None):
        from yt_pipeline.stage_units import stage_target

        self.pipeline = pipeline
        self.options = options or RunOptions()
        #: work before the first stage that needs the run lock (building the code archive)
        self.prepare = prepare
        make_target = getattr(pipeline, "run_target", None)
        self.target: RunTarget = make_target() if make_target else stage_target(pipeline)
        self.hook = self.target.hook
        self.last_error: StageFailed | None = None

    @property
    def workers(self) -> int:
        return max(1, self.options.workers or self.target.workers)

    def run(self) -> PipelineResult:
        target = self.target
        state = StateStore(target.pipeline_dir, target.state_name, target.graph.names)
        plan = make_plan(target.graph, self.options, state.statuses)
        run_id = new_run_id()
        if self.options.dry_run:
            return self._dry_run(plan, state, run_id)
        with RunLock(target.pipeline_dir, target.state_name, run_id):
            if self.prepare is not None:  # under the lock: a refused run changes nothing
                self.prepare()
            return self._run_locked(plan, state, run_id)

    # -- a real run ---------------------------------------------------------------------
    def _run_locked(self, plan: Plan, state: StateStore, run_id: str) -> PipelineResult:
        target = self.target
        run = RunInfo(run_id, target.pipeline_dir, target.mode, plan.selected, target.settings,
                      time.time())
        record = RunRecord(
            target.pipeline_dir, run_id, mode=target.mode, state=state.state_name,
            options=asdict(self.options), workers=self.workers,
        )
        if not self.options.resume:
            for name in plan.to_run:  # the state now tells about this run
                state.set_status(name, None)
        state.write()
        record.write()
        ctx = RunContext(
            target, run, target.client(), state.memory, {},
            force=self.options.force, refresh=frozenset(self.options.refresh),
        )
        for name in plan.order:
            if name not in plan.to_run:
                ctx.outputs[name] = (state.memory.get(name) or {}).get("debug") or {}
        result = PipelineResult(run_id=run_id, success=True, duration_seconds=0.0)
        outcomes: list[StageOutcome] = []
        clock = time.perf_counter()
        self.hook.ytp_pipeline_started(run=run)
        status = "FAILED"
        try:
            for name in plan.selected:
                if name not in plan.to_run:
                    self._note_skipped(run, name, plan.skipped[name], outcomes, result, record)
            self._schedule(plan, state, ctx, record, outcomes, result)
            status = "SUCCESS" if result.success else "FAILED"
        except BaseException:
            status = "INTERRUPTED"
            result.success = False
            raise
        finally:
            result.duration_seconds = time.perf_counter() - clock
            merged: dict[str, Any] = {}
            for name in plan.order:
                merged.update(ctx.outputs.get(name) or {})
            result.debug, result.outputs = merged, dict(merged)
            result.record = str(record.path)
            state.write()
            record.finish(status)
            self.hook.ytp_pipeline_finished(run=run, outcomes=outcomes, success=result.success)
        return result

    def _schedule(self, plan: Plan, state: StateStore, ctx: RunContext, record: RunRecord,
                  outcomes: list[StageOutcome], result: PipelineResult) -> None:
        graph = self.target.graph
        units = self.target.units
        to_run = plan.to_run
        waiting = {n: sum(1 for d in graph.deps[n] if d in to_run) for n in to_run}
        finished: queue.SimpleQueue[tuple[str, UnitRun]] = queue.SimpleQueue()
        blocked: dict[str, str] = {}
        active = 0

        tasks: queue.SimpleQueue[str | None] = queue.SimpleQueue()

        def work() -> None:
            while (name := tasks.get()) is not None:
                finished.put((name, run_unit(ctx, units[name])))

        # Daemon threads, not an executor: after Ctrl-C the process exits at once instead of
        # waiting for running stages (their table writes are atomic either way).
        threads = [
            threading.Thread(target=work, name=f"ytp-stage-{i}", daemon=True)
            for i in range(min(self.workers, len(to_run)))
        ]
        for thread in threads:
            thread.start()

        def submit(name: str) -> None:
            nonlocal active
            active += 1
            tasks.put(name)

        for name in plan.order:
            if name in to_run and waiting[name] == 0:
                submit(name)
        while active:
            batch = [finished.get()]
            while True:
                try:
                    batch.append(finished.get_nowait())
                except queue.Empty:
                    break
            for name, done in batch:
                active -= 1
                self._record(name, done, state, record, outcomes, result, ctx)
                if done.outcome.status == FAILED:
                    for lost in graph.descendants([name]) & to_run:
                        if lost != name and lost not in blocked:
                            blocked[lost] = f"upstream stage {name} failed"
                    continue
                for user in graph.dependents[name]:
                    if user in waiting:
                        waiting[user] -= 1
                        if waiting[user] == 0 and user not in blocked:
                            submit(user)
            state.write()
        for _ in threads:
            tasks.put(None)
        for name in plan.order:
            if name in blocked:
                self._note_skipped(ctx.run, name, blocked[name], outcomes, result, record)

    def _record(self, name: str, done: UnitRun, state: StateStore, record: RunRecord,
                outcomes: list[StageOutcome], result: PipelineResult, ctx: RunContext) -> None:
        outcome = done.outcome
        outcomes.append(outcome)
        decision = done.cache
        record.stage(
            name, start=done.started_at, end=done.finished_at,
            duration_s=round(outcome.duration_s, 4), outcome=outcome.status,
            attempts=outcome.attempts, cache=decision.describe() if decision else "off",
            reason=outcome.reason, error=outcome.error,
        )
        result.step_results[name] = StepResult(
            name=name, status=outcome.status, duration_seconds=outcome.duration_s,
            cached=outcome.status == CACHED, skipped_reason=outcome.reason if outcome.status
            == SKIPPED else "", error=outcome.error, attempts=outcome.attempts,
        )
        if outcome.status == FAILED:
            state.set_status(name, FAILED)
            result.success = False
            if self.last_error is None:
                self.last_error = done.failure
                result.error = outcome.error
            return
        ctx.outputs[name] = outcome.debug
        state.set_status(name, SKIPPED if outcome.status == SKIPPED else SUCCESS)
        if outcome.status == CACHED:
            return  # the entry of its last success still stands
        entry: dict[str, Any] = {"status": state.statuses[name], "run_id": ctx.run.run_id,
                                 "finished_at": done.finished_at, "debug": outcome.debug}
        if decision is not None and decision.fingerprint and outcome.status == SUCCESS:
            entry["fingerprint"] = decision.fingerprint
            entry["components"] = decision.components
        state.remember(name, entry)

    def _note_skipped(self, run: RunInfo, name: str, reason: str, outcomes: list[StageOutcome],
                      result: PipelineResult, record: RunRecord) -> None:
        outcome = StageOutcome(stage=name, status=SKIPPED, reason=reason)
        outcomes.append(outcome)
        record.stage(name, outcome=SKIPPED, reason=reason)
        result.step_results[name] = StepResult(name=name, status=SKIPPED, skipped_reason=reason)
        self.hook.ytp_after_stage(run=run, stage=name, outcome=outcome)

    # -- a dry run ----------------------------------------------------------------------
    def _dry_run(self, plan: Plan, state: StateStore, run_id: str) -> PipelineResult:
        target = self.target
        notes = {}
        outputs = {n: (state.memory.get(n) or {}).get("debug") or {} for n in target.graph.names}
        client = None
        for name in plan.order:
            if name not in plan.to_run:
                continue
            unit = target.units[name]
            upstream_runs = any(d in plan.to_run for d in target.graph.deps[name])
            parts = []
            if unit.when is not None:
                parts.append(f"when: {unit.when.text}")
            if cache_enabled(unit, target):
                if upstream_runs:
                    parts.append("cache: decided after its upstream stages")
                else:
                    client = client or target.client()
                    decision = decide(
                        unit, target, merge_debug(target.graph.deps[name], outputs),
                        state.memory, client, force=self.options.force,
                        refresh=name in self.options.refresh,
                    )
                    parts.append(
                        f"would come from the cache, {decision.reason}" if decision.hit
                        else f"cache {decision.describe()}"
                    )
            notes[name] = "; ".join(parts)
        header = (
            f"plan for {target.pipeline_dir} ({state.path.name}): {len(plan.to_run)} of "
            f"{len(plan.order)} stages to run, {self.workers} worker(s)"
        )
        result = PipelineResult(run_id=run_id, success=True, duration_seconds=0.0)
        result.plan = describe_plan(plan, target.graph, notes, header)
        for name in plan.order:
            reason = plan.skipped.get(name, "dry run")
            result.step_results[name] = StepResult(name=name, status=SKIPPED,
                                                   skipped_reason=reason)
        return result


def stage_deps_for(pipeline: BasePipeline, name: str, run_id: str, config: Any = None) -> StageDeps:
    entry = pipeline.stage_registry.get_entry(name)
    deps = StageDeps(
        yt_client=pipeline.yt,
        pipeline_config=pipeline.config,
        configs_dir=pipeline.config.configs_dir,
    )
    deps.stage_context = StageContext(
        name=name,
        stage_dir=entry.stage_dir,
        pipeline_dir=pipeline.pipeline_dir,
        mode=pipeline.mode,
        run_id=run_id,
        plugin_manager=pipeline.plugin_manager,
        code_package=pipeline.code_package,
        logger=logging.getLogger(f"yt_pipeline.stage.{name}"),
        config=config,
    )
    return deps
