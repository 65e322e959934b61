"""Runs the stages of a pipeline in order, with hooks around each stage."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from yt_pipeline.errors import StageFailed, YtPipelineError
from yt_pipeline.events import FAILED, SUCCESS, RunInfo, StageOutcome
from yt_pipeline.result import PipelineResult, StepResult
from yt_pipeline.stage import StageContext, StageDeps

if TYPE_CHECKING:
    from yt_pipeline.pipeline import BasePipeline

log = logging.getLogger("yt_pipeline.runner")


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


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]


class Runner:
    """Plans and runs one pipeline run."""

    def __init__(self, pipeline: BasePipeline, options: RunOptions | None = None):
        self.pipeline = pipeline
        self.options = options or RunOptions()
        self.hook = pipeline.plugin_manager.hook

    def run(self) -> PipelineResult:
        pipeline = self.pipeline
        order = pipeline.stage_order()
        run = RunInfo(
            run_id=new_run_id(),
            pipeline_dir=pipeline.pipeline_dir,
            mode=pipeline.mode,
            stages=order,
            settings=pipeline.config,
            started_at=time.time(),
        )
        result = PipelineResult(run_id=run.run_id, success=True, duration_seconds=0.0)
        outcomes: list[StageOutcome] = []
        self.hook.ytp_pipeline_started(run=run)
        debug: dict[str, Any] = {}
        started = time.perf_counter()
        try:
            for name in order:
                outcome, debug = self._run_stage(run, name, debug)
                outcomes.append(outcome)
                result.step_results[name] = StepResult(
                    name=name,
                    status=outcome.status,
                    duration_seconds=outcome.duration_s,
                    error=outcome.error,
                )
                if outcome.status == FAILED:
                    result.success = False
                    result.error = outcome.error
                    break
        finally:
            result.duration_seconds = time.perf_counter() - started
            result.debug = dict(debug)
            result.outputs = dict(debug)
            self.hook.ytp_pipeline_finished(run=run, outcomes=outcomes, success=result.success)
        return result

    def _run_stage(
        self, run: RunInfo, name: str, debug: dict[str, Any]
    ) -> tuple[StageOutcome, dict[str, Any]]:
        pipeline = self.pipeline
        started = time.perf_counter()
        self.hook.ytp_before_stage(run=run, stage=name)
        log.info("[%s] started", name)
        try:
            stage = pipeline.make_stage(name, run.run_id)
            returned = stage.run(dict(debug))
            new_debug = dict(debug)
            if returned:
                new_debug.update(returned)
        except Exception as exc:
            self.hook.ytp_on_stage_error(run=run, stage=name, error=exc, attempt=1)
            failure = exc if isinstance(exc, StageFailed) else StageFailed(name, exc)
            if not isinstance(exc, YtPipelineError):
                log.debug("stage %s raised", name, exc_info=exc)
            outcome = StageOutcome(
                stage=name,
                status=FAILED,
                duration_s=time.perf_counter() - started,
                error=str(failure),
            )
            self.hook.ytp_after_stage(run=run, stage=name, outcome=outcome)
            self.last_error: BaseException = failure
            return outcome, debug
        outcome = StageOutcome(
            stage=name, status=SUCCESS, duration_s=time.perf_counter() - started, debug=new_debug
        )
        log.info("[%s] done in %.2fs", name, outcome.duration_s)
        self.hook.ytp_after_stage(run=run, stage=name, outcome=outcome)
        return outcome, new_debug


def stage_deps_for(pipeline: BasePipeline, name: str, run_id: str) -> StageDeps:
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
    )
    return deps
