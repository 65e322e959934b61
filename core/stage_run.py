"""One stage in one run: its input debug, its condition, the cache, and attempts with retries,
each attempt a transaction committed with the state entry that records its success.

Runs in a worker thread and never raises: what happens is posted to the scheduler as events
(`before`, `error`, then one `done` with the `UnitRun`), and the scheduler calls the
lifecycle hooks, so a plugin's hook never runs in a worker thread nor fails a stage. A unit
waits for its `before` to be answered (`StartSignal`): what the hooks do or log comes
before the stage's own work, and a hook that failed stops the unit from starting.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import msgspec

from yt_pipeline import opened_files, read_tables
from yt_pipeline.cache import CacheDecision, data_file_digests, decide
from yt_pipeline.errors import CommitIncomplete, StageFailed, StageSkipped, YtPipelineError
from yt_pipeline.events import CACHED, FAILED, SKIPPED, SUCCESS, RunInfo, StageOutcome
from yt_pipeline.journal import Journal, Record
from yt_pipeline.keep import keep_debug
from yt_pipeline.logs import masked_bytes_within, masked_data
from yt_pipeline.state import kept_debug
from yt_pipeline.txn import begin, commit_stage, removed_paths, written_tables
from yt_pipeline.units import Debug, RunTarget, RunUnit

if TYPE_CHECKING:
    from yt_pipeline.client import TableClient

    #: what runs a unit in an attempt: (debug in, run id, the attempt's client) -> debug out
    Execute = Callable[[Debug, str, TableClient], Debug]

log = logging.getLogger("yt_pipeline.runner")


class DebugConflict(YtPipelineError):
    """Two upstream stages handed on different values for the same debug key."""


class UnitRun(msgspec.Struct):
    """How a unit ended: the one outcome type the run's book takes (see `run_book.py`)."""

    outcome: StageOutcome
    started_at: float = 0.0
    finished_at: float = 0.0
    cache: CacheDecision | None = None
    failure: StageFailed | None = None
    #: the state entry to keep (a success, a `when:` skip); its debug in the kept form
    entry: dict[str, Any] | None = None
    #: the commit record of a stage that wrote tables
    record: Record | None = None
    #: False for a stage this run did not run at all: its state stays as it was
    ran: bool = True
    commit_error: CommitIncomplete | None = None

    @classmethod
    def not_run(cls, name: str, reason: str) -> UnitRun:
        return cls(StageOutcome(stage=name, status=SKIPPED, reason=reason), ran=False)


class Event(NamedTuple):
    """What a worker tells the scheduler: `before` (a `StartSignal` to answer), `error`
    (the exception and the attempt number) or `done` (the UnitRun)."""

    kind: str
    stage: str
    payload: Any = None


class StartSignal:
    """The answer to a `before` event, given once the `ytp_before_stage` hooks have run:
    None to start, or why the unit must not (a lifecycle hook failed, so the run is
    ending and no new stage starts)."""

    def __init__(self) -> None:
        self._answered = threading.Event()
        self._refusal: str | None = None

    def answer(self, refusal: str | None = None) -> None:
        self._refusal = refusal
        self._answered.set()

    def wait(self, gate: CommitGate) -> str | None:
        # an interrupted run's scheduler answers no more: the gate, closed then, says so
        while not self._answered.wait(0.2):
            if gate.closed:
                return "not run: the run was interrupted"
        return self._refusal


def _no_scheduler(event: Event) -> None:
    """Where nobody calls hooks (a unit run on its own), a `before` is answered at once."""
    if event.kind == "before":
        event.payload.answer()


class RunInterrupted(BaseException):
    """A stage finished after its run was interrupted (Ctrl-C, sys.exit in the run's
    thread): its writes are dropped, as a kill would have dropped them. A BaseException, so
    no retry policy takes it for a failure to try again."""


#: what an attempt's beginning gives (CommitGate.admit)
T = TypeVar("T")


class CommitGate:
    """Stages commit through the gate; an interrupted run closes it before it lets go of
    the run lock. The run's worker threads are daemons that go on with the stages they
    had begun (a thread cannot be stopped): without the gate they committed after the lock
    was released, and a `--resume` started meanwhile (in a notebook, the next cell) ran the
    same stages again, every appended row twice. Closing waits for the commits under way;
    a later one is refused and its transaction aborted."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._committing = 0
        self.closed = False

    @contextmanager
    def passing(self, stage: str) -> Iterator[None]:
        with self._cond:
            if self.closed:
                raise RunInterrupted(f"stage {stage} finished after the run was interrupted: "
                                     "its writes are dropped; --resume runs it again")
            self._committing += 1
        try:
            yield
        finally:
            with self._cond:
                self._committing -= 1
                self._cond.notify_all()

    def admit(self, stage: str, begin: Callable[[], T]) -> T:
        """Begin an attempt of `stage` (`begin()`, its transaction) unless the gate is
        closed. A stage thread of an interrupted run goes on (a retry of the attempt whose
        operation the run's end aborted): an attempt begun after the run let go of its
        lock would start its transaction and operations beside the next run's. Begun under
        the gate's lock, an attempt either comes before the close, and the run's end finds
        it (prod: ProdClient.end_run), or is refused."""
        with self._cond:
            if self.closed:
                raise RunInterrupted(f"stage {stage} was not tried again: the run was "
                                     "interrupted; --resume runs it")
            return begin()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            while self._committing:
                self._cond.wait()


class RunContext(msgspec.Struct):
    """What every unit of one run shares."""

    target: RunTarget
    run: RunInfo
    client: TableClient
    memory: dict[str, dict[str, Any]]
    #: debug each finished unit handed on, this run or (for units not run) the last one
    outputs: dict[str, Debug]
    journal: Journal
    post: Callable[[Event], None] = _no_scheduler
    force: bool = False
    refresh: frozenset[str] = msgspec.field(default_factory=frozenset)
    gate: CommitGate = msgspec.field(default_factory=CommitGate)


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


class _Attempts:
    """The state of one unit's run, so each step is a small method."""

    def __init__(self, ctx: RunContext, unit: RunUnit):
        self.ctx, self.unit, self.name = ctx, unit, unit.name
        self.started_at, self.clock = time.time(), time.perf_counter()
        self.attempt = 1
        self.decision: CacheDecision | None = None
        #: what the unit's code raised in the last attempt (None: it returned)
        self.execute_error: BaseException | None = None

    def finish(self, status: str, debug: Debug | None = None, reason: str = "", *,
               failure: StageFailed | None = None, entry: dict[str, Any] | None = None,
               record: Record | None = None,
               commit_error: CommitIncomplete | None = None) -> UnitRun:
        outcome = StageOutcome(
            stage=self.name, status=status, duration_s=time.perf_counter() - self.clock,
            attempts=self.attempt, reason=reason, error=str(failure) if failure else None,
            debug=debug or {},
        )
        return UnitRun(outcome, self.started_at, time.time(), self.decision, failure, entry,
                       record, commit_error=commit_error)

    def entry(self, status: str, kept: Any, wrote: list[str] | None = None,
              opened: Any = None, tables_read: dict[str, str | None] | None = None,
              removed: list[str] | None = None, made: list[str] | None = None
              ) -> dict[str, Any]:
        entry: dict[str, Any] = {"status": status, "run_id": self.ctx.run.run_id,
                                 "finished_at": time.time(), "debug": kept}
        # The tables it wrote and the paths it removed, kept with every success, the cache
        # on or off: --resume runs a stage again when a table it wrote is gone, unless a
        # stage that succeeded after it removed that table (gone_outputs.py); a cache hit
        # needs them all still there (cache.py). Masked, as the components below.
        if status == SUCCESS and wrote:
            entry["wrote"] = masked_data(wrote)
        if status == SUCCESS and removed:
            entry["removed"] = masked_data(removed)
        if status == SUCCESS and made is not None:
            entry["made"] = masked_data(made)
        decision = self.decision
        if status == SUCCESS and decision is not None and decision.fingerprint:
            entry["fingerprint"] = decision.fingerprint
            # The components name tables and files by path, as "wrote" does: a path may
            # hold a secret (a table named after a key), and the
            # entry is kept on disk (the state files, a commit record), so they are kept
            # masked. A masked path is never found again: the cache runs such a stage
            # again (cache.py), where it would have kept the secret.
            entry["components"] = masked_data(decision.components)
            if getattr(self, "debug_masked", False):
                entry["debug_masked"] = True
            # the tables its code read by a name of its making: a hit needs each unchanged
            # (cache.py); those the fingerprint holds, and its own, are left out
            own = {*(wrote or ()), *self.unit.outputs, *self.unit.writes,
                   *self.unit.inputs, *self.unit.reads}
            read = {path: value for path, value in (tables_read or {}).items()
                    if path not in own}
            if read:
                entry["read"] = masked_data(read)
            if opened is not None:
                # the data files its code read: a cache hit needs each unchanged (cache.py)
                # the dev client's table folder, wherever it is ("root" of another client
                # may be no folder at all)
                root = getattr(self.ctx.client, "root", None)
                tables = [Path(root)] if isinstance(root, (str, os.PathLike)) else []
                secrets = [p for p in [self.ctx.target.settings.secrets_file] if p is not None]
                files = opened_files.data_files(opened, self.ctx.target.pipeline_dir, tables,
                                                secrets)
                if files:
                    entry["opened"] = masked_data(data_file_digests(
                        self.ctx.target, files,
                        functools.partial(opened_files.identities_read, opened)))
        return entry

    def _caching(self) -> bool:
        return self.decision is not None and bool(self.decision.fingerprint)

    def keep(self, debug: Debug) -> Any:
        """The form stored in the state and the journal: kept types, and secrets masked (a
        stage that returns a token must not write it to disk; a later stage given this
        value after --resume or from the cache sees *** where the secret was)."""
        kind, what = self.unit.kind
        # bytes are masked before they are kept as base64, which no longer reads as them
        unmasked = keep_debug(f"{kind} {self.name}", debug, what)
        kept = keep_debug(f"{kind} {self.name}", masked_bytes_within(debug), what)
        masked = masked_data(kept)
        #: what was kept is not what the stage returned: served from the cache, it would
        #: hand *** on where a secret was (entry, cache.py)
        self.debug_masked = masked != unmasked
        return masked

    def failed(self, exc: BaseException) -> UnitRun:
        self.ctx.post(Event("error", self.name, (exc, self.attempt)))
        return self.finish(FAILED, failure=_failure(self.name, exc, self.unit.kind[0]))

    def run(self) -> UnitRun:
        ctx, unit = self.ctx, self.unit
        try:
            debug_in = merge_debug(ctx.target.graph.deps[self.name], ctx.outputs)
            if unit.when is not None and not unit.when.evaluate(unit.condition_names(debug_in)):
                entry = self.entry(SKIPPED, self.keep(debug_in))
                return self.finish(SKIPPED, debug_in, f"when: {unit.when.text} is false",
                                   entry=entry)
            self.decision = decide(unit, ctx.target, debug_in, ctx.memory, ctx.client,
                                   force=ctx.force, refresh=self.name in ctx.refresh)
            if self.decision.hit:
                return self.finish(CACHED, kept_debug(ctx.memory.get(self.name)),
                                   self.decision.reason)
        except BaseException as exc:  # noqa: BLE001 - reported as this stage's failure
            return self.failed(exc)
        start = StartSignal()
        ctx.post(Event("before", self.name, start))
        refusal = start.wait(ctx.gate)
        if refusal is not None:
            return UnitRun.not_run(self.name, refusal)
        while True:
            try:
                return self.once(debug_in)
            except StageSkipped as skipped:
                return self.finish(SKIPPED, debug_in, str(skipped),
                                   entry=self.entry(SKIPPED, self.keep(debug_in)))
            except BaseException as exc:  # noqa: BLE001 - a worker must always report back
                if not (isinstance(exc, Exception) and unit.retry.should_retry(exc, self.attempt)):
                    if unit.fallback is not None and exc is self.execute_error:
                        return self.fall_back(exc, debug_in)
                    return self.failed(exc)
                ctx.post(Event("error", self.name, (exc, self.attempt)))
                delay = unit.retry.delay(self.attempt)
                log.warning(
                    "[%s] attempt %d of %d failed (%s); retrying in %.2fs", self.name,
                    self.attempt, unit.retry.max_attempts, _short(exc), delay,
                )
                time.sleep(delay)
                self.attempt += 1

    def fall_back(self, exc: BaseException, debug_in: Debug) -> UnitRun:
        """The unit's fallback gives its debug after its last attempt failed; like an
        attempt, it commits in a transaction of its own, so no failed attempt's writes are
        kept (an append retried three times would land three times)."""
        self.ctx.post(Event("error", self.name, (exc, self.attempt)))
        log.warning("[%s] failed (%s); its on_failure fallback gives the outputs", self.name,
                    _short(exc))
        fallback = self.unit.fallback
        assert fallback is not None
        try:
            return self.once(debug_in, lambda debug, run_id, client: fallback(exc, debug))
        except BaseException as error:  # noqa: BLE001 - the fallback failed too
            return self.failed(error)

    def once(self, debug_in: Debug, execute: Execute | None = None) -> UnitRun:
        """One attempt in its own transaction; a failed attempt leaves every table as it was."""
        ctx = self.ctx
        title = f"yt-pipeline {ctx.run.run_id} stage {self.name} attempt {self.attempt}"
        txn = ctx.gate.admit(self.name, lambda: begin(ctx.client, title))
        try:
            try:
                with _opened_by_code(self._caching()) as opened, \
                        _tables_read(self._caching(), ctx.client) as tables_read:
                    debug_out = (execute or self.unit.execute)(dict(debug_in),
                                                               ctx.run.run_id, txn.client)
            except BaseException as exc:
                # the unit's own error, which its fallback may replace; not one of keeping
                # its debug or committing
                self.execute_error = exc
                raise
            wrote = written_tables(txn)
            entry = self.entry(SUCCESS, self.keep(debug_out), wrote, opened,
                               _not_its_own(tables_read, txn.client), removed_paths(txn),
                               _declared_made(self.unit, wrote, txn.client))
        except BaseException:
            txn.abort()
            raise
        try:
            with ctx.gate.passing(self.name):
                record = commit_stage(ctx.journal, txn, self.name, entry)
        except RunInterrupted:
            txn.abort()
            raise
        except CommitIncomplete as unfinished:
            return self.finish(SUCCESS, debug_out, entry=entry, commit_error=unfinished)
        return self.finish(SUCCESS, debug_out, entry=entry, record=record)


@contextmanager
def _opened_by_code(caching: bool) -> Iterator[Any]:
    """The files the unit's code opens, recorded when its cache is on (else None)."""
    if not caching:
        yield None
        return
    with opened_files.recording() as record:
        yield record


@contextmanager
def _tables_read(caching: bool, client: Any) -> Iterator[dict[str, str | None] | None]:
    """The tables the code reads through its client (read_tables.py), when the cache is
    on; fingerprinted by the run's client, outside the stage's transaction."""
    if not caching:
        yield None
        return
    with read_tables.recording(client.table_fingerprint) as found:
        yield found


def _declared_made(unit: RunUnit, wrote: list[str], client: Any) -> list[str] | None:
    """The tables the unit declares (its outputs, its operations' output tables) that exist
    as it ends, less those it wrote (kept apart): --resume runs it again when one is gone
    since, not when it never made one (an operation it let fail), which running it again
    would not make either (gone_outputs.py). None when it declares none."""
    declared = dict.fromkeys([*unit.outputs, *unit.writes])
    if not declared:
        return None
    return [path for path in declared if path not in wrote and client.exists(path)]


def _not_its_own(tables_read: dict[str, str | None] | None, client: Any
                 ) -> dict[str, str | None] | None:
    """The tables read that were others' rows: not one missing for others as it was read
    (the stage made it), nor one gone for the stage as it ends (it removed it: a scratch
    table, whose absence next time would run it again each time)."""
    if not tables_read:
        return tables_read
    return {path: value for path, value in tables_read.items()
            if value is not None and client.exists(path)}


def run_unit(ctx: RunContext, unit: RunUnit) -> UnitRun:
    return _Attempts(ctx, unit).run()


def _failure(name: str, exc: BaseException, kind: str = "stage") -> StageFailed:
    if isinstance(exc, StageFailed):
        return exc
    if not isinstance(exc, YtPipelineError):
        log.debug("%s %s raised", kind, name, exc_info=exc)
    return StageFailed(name, exc, kind)


def _short(exc: BaseException) -> str:
    if isinstance(exc, YtPipelineError):
        return exc.one_line()
    return f"{exc.__class__.__name__}: {exc}"
