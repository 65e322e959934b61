"""The progress display, a built-in plugin on the lifecycle hooks.

When stderr is a terminal, a live table shows each stage's state and time while the run
goes, and for a running operation its jobs done and rows read (op_progress.py); otherwise
each start and end is a plain log line, and a running operation's progress a line every
ten seconds. `YTP_PROGRESS=plain` (or `rich`) chooses explicitly. rich is imported only
when the live table is used, so plain runs never pay for it.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import Any

from yt_pipeline import hookimpl, op_progress
from yt_pipeline.events import CACHED, FAILED, SKIPPED, SUCCESS, RunInfo, StageOutcome
from yt_pipeline.op_progress import LOG_EVERY_S, OperationProgress

log = logging.getLogger("yt_pipeline.progress")

RUNNING = "running"
WAITING = "waiting"
_STYLE = {SUCCESS: "green", FAILED: "bold red", CACHED: "cyan", SKIPPED: "dim",
          RUNNING: "yellow", WAITING: "dim"}


def wants_rich() -> bool:
    choice = os.environ.get("YTP_PROGRESS", "auto").strip().lower()
    if choice == "plain":
        return False
    if choice != "rich" and not sys.stderr.isatty():
        return False
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


class StageBoard:
    """Each stage's state and times; rendered as a rich table."""

    def __init__(self, run: RunInfo):
        self.run = run
        self.lock = threading.Lock()
        self.rows: dict[str, list[Any]] = {name: [WAITING, None, None, ""] for name in run.stages}

    def start(self, stage: str) -> None:
        with self.lock:
            self.rows[stage] = [RUNNING, time.perf_counter(), None, ""]

    def progress(self, progress: OperationProgress) -> None:
        """A running stage's note: its operation's jobs and rows so far."""
        with self.lock:
            row = self.rows.get(progress.stage)
            if row is not None and row[0] == RUNNING:
                row[3] = progress.describe()

    def end(self, stage: str, outcome: StageOutcome) -> None:
        from yt_pipeline.logs import masked  # here: --help loads this module, not logs

        with self.lock:
            row = self.rows.setdefault(stage, [WAITING, None, None, ""])
            row[0], row[2] = outcome.status, outcome.duration_s
            note = outcome.reason if outcome.status != FAILED else (outcome.error or "")
            # masked here, before the table cuts it: the table is drawn on the console by
            # rich, past the handler that masks log lines, and a cut secret is masked no more
            row[3] = masked(note)

    def __rich__(self) -> Any:
        from rich.table import Table

        table = Table(title=f"run {self.run.run_id}", title_justify="left", expand=False)
        for column in ("stage", "state", "time", ""):
            table.add_column(column)
        now = time.perf_counter()
        with self.lock:
            for name, (status, started, duration, note) in self.rows.items():
                if duration is None and started is not None:
                    duration = now - started
                shown = "" if duration is None else f"{duration:.1f}s"
                style = _STYLE.get(status, "")
                table.add_row(name, f"[{style}]{status}[/]", shown, note.splitlines()[0][:60]
                              if note else "")
        return table


class ProgressLines:
    """Operation progress as log lines, at most one per operation every LOG_EVERY_S."""

    def __init__(self, stages: list[str]):
        self.stages = set(stages)
        self.last: dict[tuple[str, str], float] = {}

    def __call__(self, progress: OperationProgress) -> None:
        if progress.stage not in self.stages:
            return  # another run's operation (tests run several in one process)
        key = (progress.stage, progress.operation)
        now = time.monotonic()
        if now - self.last.setdefault(key, now) < LOG_EVERY_S:
            return
        self.last[key] = now
        log.info("[%s] %s", progress.stage, progress.describe())


class ProgressPlugin:
    def __init__(self) -> None:
        self.live: dict[str, tuple[Any, StageBoard, list[tuple[Any, Any]]]] = {}
        self.listeners: dict[str, Any] = {}

    @hookimpl(trylast=True)
    def ytp_pipeline_started(self, run: RunInfo) -> None:
        if not wants_rich():
            log.info("run %s: %d stage(s), mode %s", run.run_id, len(run.stages), run.mode)
            self.listeners[run.run_id] = ProgressLines(list(run.stages))
            op_progress.listen(self.listeners[run.run_id])
            return
        from rich.live import Live

        board = StageBoard(run)
        live = Live(board, console=_stderr_console(), refresh_per_second=4,
                    redirect_stderr=True, redirect_stdout=False)
        original = sys.stderr
        # the console the log handler writes to, under the run's masking of what stages
        # print (masked_streams)
        consoles = (original, getattr(original, "wrapped", original))
        live.start()
        swapped = []
        # Log lines go above the table instead of through it.
        for handler in logging.getLogger("yt_pipeline").handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream in consoles:
                swapped.append((handler, handler.setStream(sys.stderr)))
        self.live[run.run_id] = (live, board, swapped)
        self.listeners[run.run_id] = board.progress
        op_progress.listen(board.progress)

    @hookimpl(trylast=True)
    def ytp_before_stage(self, run: RunInfo, stage: str) -> None:
        shown = self.live.get(run.run_id)
        if shown:
            shown[1].start(stage)
        else:
            log.info("[%s] started", stage)

    @hookimpl(trylast=True)
    def ytp_after_stage(self, run: RunInfo, stage: str, outcome: StageOutcome) -> None:
        shown = self.live.get(run.run_id)
        if shown:
            shown[1].end(stage, outcome)
            return
        status = outcome.status
        if status == SUCCESS:
            log.info("[%s] done in %.2fs", stage, outcome.duration_s)
        elif status == CACHED:
            log.info("[%s] from the cache (%s)", stage, outcome.reason)
        elif status == SKIPPED:
            log.info("[%s] skipped: %s", stage, outcome.reason)
        else:
            # the run's error names its first failure only: each failed stage says why here
            why = (outcome.error or "").strip().splitlines()
            log.error("[%s] FAILED after %.2fs (attempt %d)%s", stage, outcome.duration_s,
                      outcome.attempts, f": {why[0]}" if why else "")

    @hookimpl(trylast=True)
    def ytp_pipeline_finished(self, run: RunInfo, outcomes: list[StageOutcome],
                              success: bool) -> None:
        listener = self.listeners.pop(run.run_id, None)
        if listener is not None:
            op_progress.stop_listening(listener)
        shown = self.live.pop(run.run_id, None)
        if not shown:
            return
        live, _board, swapped = shown
        live.stop()
        if not live.console.is_terminal:
            live.console.line()  # a terminal ends the table's line itself
        for handler, stream in swapped:
            handler.setStream(stream)


def _stderr_console() -> Any:
    """rich's console on stderr. rich asks fds 0, 1 and 2 for the terminal's size; while
    they are masked (masked_fds) 1 and 2 are pipes, and the size is the terminal's behind
    them, asked at each redraw as rich does (the window may be resized); COLUMNS and LINES
    still choose, as rich lets them."""
    from rich.console import Console, ConsoleDimensions

    from yt_pipeline import masked_fds  # with rich: a command without a run needs neither

    class MaskedTerminalConsole(Console):
        @property
        def size(self) -> ConsoleDimensions:
            terminal = masked_fds.terminal_size(2)
            chosen = "COLUMNS" in self._environ or "LINES" in self._environ
            if terminal is None or chosen or self.is_dumb_terminal or (
                    self._width is not None and self._height is not None):
                return Console.size.fget(self)  # type: ignore[attr-defined,no-any-return]
            return ConsoleDimensions(self._width or terminal.columns,
                                     self._height or terminal.lines)

        @size.setter
        def size(self, new_size: tuple[int, int]) -> None:
            Console.size.fset(self, new_size)  # type: ignore[attr-defined]

    return MaskedTerminalConsole(stderr=True)


plugin = ProgressPlugin()


# The module is the registered plugin object: expose the instance's hooks at module level.
ytp_pipeline_started = plugin.ytp_pipeline_started
ytp_before_stage = plugin.ytp_before_stage
ytp_after_stage = plugin.ytp_after_stage
ytp_pipeline_finished = plugin.ytp_pipeline_finished
