"""Runs a pipeline's DAG: stages whose dependencies are done run in a thread pool.

Around the stages: the plan (selection, --resume), the run lock, the run's book (state,
commit journal, run record, result; `run_book.py`), the scheduler (`scheduler.py`) and the
lifecycle hooks, called from this thread only (`hookcalls.py`). The same runner serves
folder pipelines and function-step pipelines.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Protocol

from yt_pipeline.cache import cache_enabled, decide
from yt_pipeline.client import cluster_run_lock, end_run_work, run_lock_name
from yt_pipeline.definition import check_definition
from yt_pipeline.errors import YtPipelineError
from yt_pipeline.events import SKIPPED, RunInfo
from yt_pipeline.gone_outputs import stages_with_gone_tables
from yt_pipeline.hookcalls import LifecycleHooks
from yt_pipeline.journal import RUNS_DIR
from yt_pipeline.lock import RunLock
from yt_pipeline.logs import mask_secrets, run_log, stage_logger
from yt_pipeline.masked_streams import masked_console
from yt_pipeline.owned_process import freeze_startup_objects
from yt_pipeline.plan import Plan, describe_plan, make_plan
from yt_pipeline.records import new_run_id
from yt_pipeline.result import PipelineResult, StepResult
from yt_pipeline.run_book import RunBook
from yt_pipeline.scheduler import Scheduler
from yt_pipeline.stage import StageContext, StageDeps
from yt_pipeline.stage_run import RunContext, UnitRun, merge_debug
from yt_pipeline.stale_successes import stages_behind_upstream
from yt_pipeline.state import StateStore, kept_debug
from yt_pipeline.term_signal import hold_sigterm, run_end_held, sigterm_interrupts
from yt_pipeline.units import RunTarget

if TYPE_CHECKING:
    from collections.abc import Callable

    from yt_pipeline.client import TableClient
    from yt_pipeline.confignode import ConfigNode
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


class Runnable(Protocol):
    """What the runner runs: a folder pipeline (`BasePipeline`) or a function-step one."""

    def run_target(self) -> RunTarget: ...


class Runner:
    """Plans and runs one pipeline run."""

    def __init__(self, pipeline: Runnable, options: RunOptions | None = None,
                 prepare: Callable[[], object] | None = None):
        self.pipeline = pipeline
        self.options = options or RunOptions()
        #: work before the first stage that needs the run lock (building the code archive)
        self.prepare = prepare
        self.target: RunTarget = pipeline.run_target()
        self.hook = self.target.hook
        #: why the last run failed: a stage's StageFailed, or a plugin's PluginHookFailed
        self.last_error: YtPipelineError | None = None

    @property
    def workers(self) -> int:
        return max(1, self.options.workers or self.target.workers)

    def run(self) -> PipelineResult:
        target = self.target
        # every run masks the secrets its settings know, however it was started (the command
        # line does it as it loads the configuration; a function-step script did not)
        mask_secrets(target.settings.secret_values())
        # what a stage prints itself (print, sys.stderr.write) is masked as the log is;
        # SIGTERM (kill, a CI timeout) ends the run as Ctrl-C does (term_signal.py)
        with masked_console(), sigterm_interrupts(), run_end_held():
            return self._run_masked()

    def _run_masked(self) -> PipelineResult:
        target = self.target
        run_id = new_run_id()
        if self.options.dry_run:
            self._check_definition(write=False)
            state = StateStore(target.pipeline_dir, target.state_name, target.graph.names)
            plan = make_plan(target.graph, self.options, state.statuses)
            return self._dry_run(self._with_done_again(plan, state), state, run_id)
        with RunLock(target.pipeline_dir, target.state_name, run_id) as local_lock:
            # the state and the commit journal are read under the lock: read before it, a
            # run that ended in between would leave this one planning from what it found
            # undone, and a stage that run committed would run (and append) again
            self._check_definition(write=True)
            state = StateStore(target.pipeline_dir, target.state_name, target.graph.names)
            plan = make_plan(target.graph, self.options, state.statuses)
            with run_log(target.pipeline_dir / RUNS_DIR / f"{run_id}.log"):
                return self._run_planned(plan, state, run_id, local_lock)

    def _check_definition(self, *, write: bool) -> None:
        target = self.target
        if target.definition is not None:
            check_definition(target.pipeline_dir, target.state_name, target.definition,
                             write=write)

    def _run_planned(self, plan: Plan, state: StateStore, run_id: str,
                     local_lock: RunLock) -> PipelineResult:
        """`local_lock`: the run's lock of this folder; the run it took over from a dead run
        is handed to the cluster's lock (yt_pipeline.client.cluster_run_lock)."""
        target = self.target
        code_files = target.code_files
        if code_files is not None:
            # before the archive is built: a file changed meanwhile is newer than its
            # digest, so the next run sees the change
            code_files.read_ahead(
                name for name in plan.to_run if cache_enabled(target.units[name], target)
            )
        started = False
        # A dead run taken over here is handed on until its side on the cluster is ended
        # too (its lock, its stages' transactions: the cluster lock does it as it is
        # taken). A run that stops before (Ctrl-C or SIGTERM while it packages the code, a
        # refused lock) leaves its local lock, which names the dead run (`took_over`), for
        # the next run to take over; released, the next run knew nothing of the dead run
        # and was refused by its locks until their leases ran out.
        hand_on = local_lock.taken_over is not None
        try:
            if self.prepare is not None:  # under the lock: a refused run changes nothing
                self.prepare()
            started = True
            # the cluster's lock after the archive is built: a run stopped by its own files
            # (a secret in the code, a broken config) touches nothing on the cluster
            client = target.client()
            cluster_lock = cluster_run_lock(
                client, run_id, run_lock_name(target.pipeline_dir, target.state_name),
                local_lock.taken_over)
            try:
                with cluster_lock:
                    hand_on = False
                    try:
                        return self._run_locked(plan, state, run_id)
                    finally:
                        # under the lock still: a run interrupted while its stages wait on
                        # operations ends them and its stages' transactions first, however
                        # it was started, so the next run (a resume at once) is alone
                        end_run_work(client)
            finally:
                if getattr(cluster_lock, "left_held", False):
                    # the cluster did not hear the release: the local lock stays, naming
                    # this run, so that the next run of this folder takes the cluster's
                    # over at once as a dead run's (core/lock.py DeadRun), not waiting
                    # out its timeout
                    local_lock.leave_for_take_over()
        finally:
            if hand_on:
                local_lock.leave_for_take_over()
            if code_files is not None:
                code_files.save()
            if started:
                from yt_pipeline.yaml_memo import write_kept

                write_kept()

    # -- a real run ---------------------------------------------------------------------
    def _run_locked(self, plan: Plan, state: StateStore, run_id: str) -> PipelineResult:
        target = self.target
        run = RunInfo(run_id, target.pipeline_dir, target.mode, plan.selected, target.settings,
                      time.time())
        book = RunBook(target, state, run_id, asdict(self.options), self.workers)
        client = target.client()
        if book.recover(client):  # a stage the plan took as done did not commit after all
            plan = make_plan(target.graph, self.options, state.statuses)
        plan = self._with_done_again(plan, state, client)
        state.check_handed_on({dep for name in plan.to_run for dep in target.graph.deps[name]
                               if dep not in plan.to_run})
        book.begin(plan, self.options.resume)
        hooks = LifecycleHooks(self.hook, on_error=book.fail)
        ctx = RunContext(
            target, run, client, state.memory, book.outputs, state.journal,
            force=self.options.force, refresh=frozenset(self.options.refresh),
        )
        clock = time.perf_counter()
        status = "FAILED"
        try:
            hooks.pipeline_started(run)  # if it fails, no stage starts
            for name in plan.selected:
                if name not in plan.to_run:
                    self._take(book, hooks, run, UnitRun.not_run(name, plan.skipped[name]))
            freeze_startup_objects()  # the command's own process only
            Scheduler(self, plan, ctx, book, hooks).run()
            status = "SUCCESS"
        except BaseException:
            status = "INTERRUPTED"
            book.result.success = False
            raise
        finally:
            # its end is written and its locks let go whatever SIGTERM comes meanwhile: it is
            # raised once they are (term_signal.hold_sigterm)
            hold_sigterm()
            # a run that failed (or is being interrupted) keeps its own error when its state
            # or record cannot be saved after it (a full disk): the stage's failure, with the
            # command that resumes, says more than the file that could not be written
            failed = status != "SUCCESS" or not book.result.success
            book.save_own(book.flush, failed=failed)
            hooks.pipeline_finished(run, book.outcomes,
                                    success=book.result.success and hooks.error is None)
            result = book.finish(status, plan.order, time.perf_counter() - clock,
                                 save=lambda write: book.save_own(write, failed=failed))
            self.last_error = book.error
        return result

    def _with_done_again(self, plan: Plan, state: StateStore,
                         client: TableClient | None = None) -> Plan:
        """With --resume, a stage done earlier runs again, with the stages after it, when a
        stage it depends on succeeded after it (stale_successes.py) or a table of it is
        gone since (gone_outputs.py). A dry run without a client (no credentials, no
        cluster) does not look at the tables."""
        if not self.options.resume:
            return plan
        target = self.target
        done = [name for name in plan.selected if name not in plan.to_run]
        again = stages_behind_upstream(target.graph, done, state.statuses, state.memory)
        if client is None:
            try:
                client = target.client()
            except YtPipelineError as error:
                log.warning("tables of the stages done earlier not checked: %s",
                            error.one_line())
        if client is not None:
            again |= stages_with_gone_tables(target, [n for n in done if n not in again],
                                             state.statuses, state.memory, client)
        return make_plan(target.graph, self.options, state.statuses, again) if again else plan

    @staticmethod
    def _take(book: RunBook, hooks: LifecycleHooks, run: RunInfo, done: UnitRun) -> None:
        book.take(done)
        hooks.after_stage(run, done.outcome.stage, done.outcome)

    # -- a dry run ----------------------------------------------------------------------
    def _dry_run(self, plan: Plan, state: StateStore, run_id: str) -> PipelineResult:
        target = self.target
        notes = {}
        outputs = {n: kept_debug(state.memory.get(n)) for n in target.graph.names}
        client = None
        hits = 0
        for name in plan.order:
            if name not in plan.to_run:
                continue
            unit = target.units[name]
            upstream_runs = any(d in plan.to_run for d in target.graph.deps[name])
            parts = []
            if unit.when is not None:
                parts.append(f"when: {unit.when.text}")
            if cache_enabled(unit, target):
                if self.options.force or name in self.options.refresh:
                    parts.append("cache: not used (--force)" if self.options.force
                                 else f"cache: not used (--refresh {name})")
                elif upstream_runs:
                    parts.append("cache: decided after its upstream stages")
                else:
                    try:
                        client = client or target.client()
                    except YtPipelineError as error:  # no credentials or no cluster: still a plan
                        parts.append(f"cache: not checked ({error.one_line()})")
                        notes[name] = "; ".join(parts)
                        continue
                    decision = decide(
                        unit, target, merge_debug(target.graph.deps[name], outputs),
                        state.memory, client, force=self.options.force,
                        refresh=name in self.options.refresh,
                    )
                    parts.append(
                        f"would come from the cache, {decision.reason}" if decision.hit
                        else f"cache {decision.describe()}"
                    )
                    hits += decision.hit
            notes[name] = "; ".join(parts)
        cached = f" ({hits} would come from the cache)" if hits else ""
        header = (
            f"plan for {target.pipeline_dir} ({state.path.name}): {len(plan.to_run)} of "
            f"{len(plan.order)} stages to run{cached}, {self.workers} worker(s)"
        )
        result = PipelineResult(run_id=run_id, success=True, duration_seconds=0.0)
        result.plan = describe_plan(plan, target.graph, notes, header)
        for name in plan.order:
            reason = plan.skipped.get(name, "dry run")
            result.step_results[name] = StepResult(name=name, status=SKIPPED,
                                                   skipped_reason=reason)
        return result


def stage_deps_for(pipeline: BasePipeline, name: str, run_id: str,
                   config: ConfigNode | None = None,
                   client: TableClient | None = None) -> StageDeps:
    """What stage `name` is given; `client` is its transaction's (default: the pipeline's)."""
    entry = pipeline.stage_registry.get_entry(name)
    deps = StageDeps(
        yt_client=client if client is not None else pipeline.yt,
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
        logger=stage_logger(name),
        config=config,
    )
    return deps

