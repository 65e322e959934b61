"""One stage in one run: its input debug, its condition, the cache, attempts with retries,
and the lifecycle hooks around them. Runs in a worker thread; never raises."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from yt_pipeline.cache import CacheDecision, decide
from yt_pipeline.errors import StageFailed, YtPipelineError
from yt_pipeline.events import CACHED, FAILED, SKIPPED, SUCCESS, RunInfo, StageOutcome
from yt_pipeline.units import Debug, RunTarget, RunUnit

log = logging.getLogger("yt_pipeline.runner")


class DebugConflict(YtPipelineError):
    """Two upstream stages handed on different values for the same debug key."""


@dataclass
class UnitRun:
    """What happened to a unit, for state, records, hooks and the result."""

    outcome: StageOutcome
    started_at: float
    finished_at: float
    cache: CacheDecision | None = None
    failure: StageFailed | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunContext:
    """What every unit of one run shares."""

    target: RunTarget
    run: RunInfo
    client: Any
    memory: dict[str, dict[str, Any]]
    #: debug each finished unit handed on, this run or (for units not run) the last one
    outputs: dict[str, Debug]
    force: bool = False
    refresh: frozenset[str] = frozenset()


def merge_debug(deps: tuple[str, ...], outputs: dict[str, Debug]) -> Debug:
    """The debug a unit receives: its dependencies' debug merged; a key two of them set to
    different values is an error naming both."""
    if len(deps) == 1:
        return dict(outputs.get(deps[0]) or {})
    merged: Debug = {}
    owner: dict[str, str] = {}
    for dep in deps:
        for key, value in (outputs.get(dep) or {}).items():
            if key in merged and merged[key] != value:
                raise DebugConflict(
                    f"debug key {key!r} differs between upstream stages "
                    f"{owner[key]} ({merged[key]!r}) and {dep} ({value!r})"
                )
            merged[key] = value
            owner.setdefault(key, dep)
    return merged


def run_unit(ctx: RunContext, unit: RunUnit) -> UnitRun:
    started_at = time.time()
    clock = time.perf_counter()
    hook = ctx.target.hook
    name = unit.name
    attempt = 1
    decision: CacheDecision | None = None

    def finish(status: str, debug: Debug | None = None, reason: str = "",
               failure: StageFailed | None = None) -> UnitRun:
        outcome = StageOutcome(
            stage=name, status=status, duration_s=time.perf_counter() - clock, attempts=attempt,
            reason=reason, error=str(failure) if failure else None, debug=debug or {},
        )
        hook.ytp_after_stage(run=ctx.run, stage=name, outcome=outcome)
        return UnitRun(outcome, started_at, time.time(), decision, failure)

    try:
        debug_in = merge_debug(ctx.target.graph.deps[name], ctx.outputs)
        if unit.when is not None and not unit.when.evaluate(unit.condition_names(debug_in)):
            return finish(SKIPPED, debug_in, f"when: {unit.when.text} is false")
        decision = decide(
            unit, ctx.target, debug_in, ctx.memory, ctx.client,
            force=ctx.force, refresh=name in ctx.refresh,
        )
        if decision.hit:
            return finish(CACHED, (ctx.memory.get(name) or {}).get("debug") or {}, decision.reason)
    except BaseException as exc:  # noqa: BLE001 - reported as this stage's failure
        hook.ytp_on_stage_error(run=ctx.run, stage=name, error=exc, attempt=attempt)
        return finish(FAILED, failure=_failure(name, exc))

    hook.ytp_before_stage(run=ctx.run, stage=name)
    while True:
        try:
            debug_out = unit.execute(dict(debug_in), ctx.run.run_id)
            return finish(SUCCESS, debug_out)
        except BaseException as exc:  # noqa: BLE001 - a worker thread must always report back
            hook.ytp_on_stage_error(run=ctx.run, stage=name, error=exc, attempt=attempt)
            if isinstance(exc, Exception) and unit.retry.should_retry(exc, attempt):
                delay = unit.retry.delay(attempt)
                log.warning(
                    "[%s] attempt %d of %d failed (%s); retrying in %.2fs", name, attempt,
                    unit.retry.max_attempts, _short(exc), delay,
                )
                time.sleep(delay)
                attempt += 1
                continue
            return finish(FAILED, failure=_failure(name, exc))


def _failure(name: str, exc: BaseException) -> StageFailed:
    if isinstance(exc, StageFailed):
        return exc
    if not isinstance(exc, YtPipelineError):
        log.debug("stage %s raised", name, exc_info=exc)
    return StageFailed(name, exc)


def _short(exc: BaseException) -> str:
    if isinstance(exc, YtPipelineError):
        return exc.one_line()
    return f"{exc.__class__.__name__}: {exc}"
