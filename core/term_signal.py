"""SIGTERM ends a run as Ctrl-C does.

`kill <pid>`, a CI job's timeout, `docker stop` and systemd all send SIGTERM first. Left to
its default, the signal ends the process on the spot: the run's record and state still say
it is running, nothing says how to go on, and in prod its cluster transactions and
operations wait for their timeouts. Raised as a KeyboardInterrupt in the main thread
instead, the run takes the path Ctrl-C takes (stages stop, nothing more commits, the run is
recorded as interrupted, locks and transactions are let go) and the command says how to
resume, with exit code 143 (128 + SIGTERM), as a shell reports a process SIGTERM ended.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

#: the exit code of a command ended by SIGTERM, as a shell gives it
SIGTERM_EXIT_CODE = 128 + signal.SIGTERM

#: what is said of a SIGTERM held as a run that had finished by itself wrote its end
AFTER_END = "a SIGTERM came as the run ended: the run had finished, nothing was stopped"
#: the same of a first Ctrl-C
AFTER_END_CTRL_C = ("a Ctrl-C came as the run ended: the run had finished, nothing was "
                    "stopped")


class Terminated(KeyboardInterrupt):
    """A SIGTERM, raised where the main thread was, to take Ctrl-C's way out."""

    #: raised once a run that had finished by itself returned (_after_the_end): nothing of
    #: it was stopped, and nothing is left to resume
    after_end = False


class _Stop:
    """The run's handlers while it runs. The first interrupt stops it; from then on (and
    while it writes its end: hold_sigterm) a SIGTERM is held back, not raised inside the
    stop: raised there (`kill` typed twice, a wrapper and its service manager both
    signalling), it cut the stop short, and the run lock's transaction, the stages' and the
    operations' were left to their timeouts, the record said RUNNING, the lock file stayed.
    A SIGTERM held back is raised as the run returns, should the run have gone on (an
    interrupt a plugin swallowed); one after a SIGTERM is dropped, as is a Ctrl-C after a
    SIGTERM. A stop that hangs is ended by SIGKILL, which a service manager sends after its
    own timeout. A second Ctrl-C after Ctrl-C is still raised: a person at the terminal who
    insists. A first Ctrl-C as a run that finished by itself writes its end is held as a
    SIGTERM is, a second raised (on_sigint)."""

    def __init__(self, sigint: Any) -> None:
        #: SIGINT's handler before the run, put back after it
        self.sigint = sigint
        #: the signal that stopped the run, None while it runs
        self.taken: int | None = None
        #: the run is stopping or writing its end: a SIGTERM now is held back
        self.holding = False
        #: a SIGTERM was held back: raised as run_end_held ends, unless an exception (the
        #: stop's own) is on its way out
        self.pending = False
        #: set once this run took a SIGTERM (run_sigterm_flag)
        self.sigterm_taken = threading.Event()
        #: a SIGTERM came while the run wrote its end, which it had reached by itself: it
        #: had nothing left to stop (run_end_held); raised, if at all, as the outermost
        #: block ends (sigterm_interrupts). Not `pending` alone, which a later run_end_held
        #: block in the same command clears as it begins
        self.after_end = False
        #: a first Ctrl-C came as a run that had finished by itself wrote its end: held as
        #: a SIGTERM is (on_sigint)
        self.ctrl_c_after_end = False
        #: the run_end_held blocks under way (a run may start one within its own)
        self.runs = 0

    def on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        self.sigterm_taken.set()
        if self.taken == signal.SIGTERM:
            return  # stopping already, for a SIGTERM
        if self.holding:
            self.pending = True
            return
        self.taken, self.holding = signum, True
        raise Terminated(f"signal {signum}")

    def on_sigint(self, signum: int, frame: FrameType | None) -> None:
        if self.taken == signal.SIGTERM:
            return  # stopping already, for a SIGTERM
        if self.pending and self.taken is None:
            # after a SIGTERM held as a run that had finished wrote its end: raised, it cut
            # the end short (the record left RUNNING), or, the end written, made the command
            # say "interrupted" and how to resume a run recorded SUCCESS, exit code 130
            return
        if self.holding and self.taken is None and not self.ctrl_c_after_end:
            # a run that had finished by itself writes its end (hold_sigterm), or has:
            # raised in the middle, a first Ctrl-C left its record RUNNING for good; it is
            # held as a SIGTERM is (_after_the_end). A second is raised: a person at the
            # terminal who insists, on an end that hangs
            self.ctrl_c_after_end = True
            return
        self.taken, self.holding = signum, True
        raise KeyboardInterrupt  # as Python's own handler does


@contextmanager
def sigterm_interrupts(then: Any = signal.SIG_DFL, *, command: bool = False
                       ) -> Iterator[None]:
    """While the block runs, SIGTERM raises Terminated in the main thread, once (_Stop);
    after it, SIGTERM does `then` (the `yt-pipeline` command, which only exits after it,
    ignores it: a SIGTERM landing as it exits, its run stopped or done, ended the process
    by the signal, not with its exit code). `command`: the caller is a command, which only
    exits after the block (_after_the_end).

    Only where the handler is Python's default: a program that embeds a run and set its own
    handler keeps it, and so does the block of a caller that already holds this one (the
    command line holds it around the run and the closing of its client; the run itself
    ends its operations and transactions before it lets go of its lock: runner.py). Off
    the main thread nothing changes (Python lets the main thread alone set handlers)."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        yield
        return
    global _active
    stop = _Stop(signal.getsignal(signal.SIGINT))
    signal.signal(signal.SIGTERM, stop.on_sigterm)
    # SIGINT only where it raises KeyboardInterrupt: an ignored one (a background job's)
    # or a program's own handler is left as it is
    if stop.sigint is signal.default_int_handler:
        signal.signal(signal.SIGINT, stop.on_sigint)
    _active = stop
    try:
        yield
    finally:
        _active = None
        signal.signal(signal.SIGTERM, then)
        if stop.sigint is signal.default_int_handler:
            signal.signal(signal.SIGINT, stop.sigint)
    if stop.after_end or (stop.pending and stop.taken is None):
        # held since a run that ended by itself wrote its end (run_end_held)
        _after_the_end(command)
    elif stop.ctrl_c_after_end and stop.taken is None:
        _after_the_end(command, ctrl_c=True)


def _after_the_end(command: bool, ctrl_c: bool = False) -> None:
    """A SIGTERM came as a run that had finished wrote its end (its state, its record, its
    locks let go): nothing of the run was left to stop, and nothing is left to resume. The
    command, which only exits after its block, says so and exits with the run's own code
    (it said "interrupted by SIGTERM", exit code 143, and a resume line for a run recorded
    SUCCESS). A program that embeds the run gets the SIGTERM as an interrupt once the run
    has returned, as it would have on any other line."""
    if command:
        sys.stderr.write((AFTER_END_CTRL_C if ctrl_c else AFTER_END) + "\n")
        return
    interrupt = KeyboardInterrupt() if ctrl_c else Terminated(f"signal {int(signal.SIGTERM)}")
    interrupt.after_end = True  # type: ignore[attr-defined]
    raise interrupt


def after_end_line(interrupt: BaseException) -> str:
    """What is said of `interrupt`, one after the end (after_the_end)."""
    return AFTER_END if by_sigterm(interrupt) else AFTER_END_CTRL_C


def after_the_end(interrupt: BaseException) -> bool:
    """Whether `interrupt` is a SIGTERM held as a run that had finished wrote its end: the
    caller says the run had finished (AFTER_END), not how to resume it."""
    return getattr(interrupt, "after_end", False) or getattr(interrupt.__cause__, "after_end",
                                                                 False)


#: the handlers of the run under way in this process (sigterm_interrupts), if any
_active: _Stop | None = None


def run_sigterm_flag() -> threading.Event | None:
    """The flag set once the run under way takes a SIGTERM, for the threads of its dev
    jobs: a service manager (systemd's control-group kill) or a container's stop signals
    every process at once, jobs too, and the thread that sees such a job end must tell a
    job stopped with the run from one that failed (yt_pipeline_dev.processes). Taken as
    the jobs start, it stays the run's once the run has ended.

    None where no run of this process set the handler (a program's own, a run off the
    main thread with none under way): a SIGTERM is then not the run's to take, and a job it
    ended is a failed one. One flag for the whole process was cleared only by a run that
    set the handler, so a run after an earlier one's SIGTERM took a job SIGTERM ended alone
    for stopped with the run."""
    stop = _active
    return stop.sigterm_taken if stop is not None else None


def hold_sigterm() -> None:
    """From here to the end of the run_end_held block, a first SIGTERM is raised only as the
    block ends (for a run that ended by itself, dealt with as the outermost
    sigterm_interrupts block ends: _after_the_end): the run writes its end (its state, its
    record) and lets go of its locks. Raised in the middle, it left the record saying
    RUNNING for good, the lock file, or in prod the cluster's run lock held until its
    timeout. Where this process did not set the handler (a program's own, a run off the
    main thread), nothing changes."""
    if _active is not None and threading.current_thread() is threading.main_thread():
        _active.holding = True


@contextmanager
def run_end_held() -> Iterator[None]:
    """The block within which hold_sigterm holds a SIGTERM back; the SIGTERM held is
    raised as it ends (unless an exception is on its way out already)."""
    stop = _active
    if stop is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    if stop.taken is None and not stop.runs:
        stop.holding = stop.pending = False  # a run of its own, should the block hold two
    stop.runs += 1
    try:
        yield
    finally:
        stop.runs -= 1
        if stop.runs and stop.taken is None and not stop.pending:
            # a run within a run (a hook's, on the main thread) ended: the outer one goes
            # on, and a SIGTERM stops it
            stop.holding = False
    # a run that ended by itself keeps SIGTERM held (hold_sigterm) to the end of the
    # outermost block: what follows it there (the command closing its client, its summary,
    # a failure's report) has nothing of the run to stop, and a SIGTERM raised in it made
    # the command say "interrupted by SIGTERM", exit code 143, and how to resume a run
    # recorded SUCCESS; it is dealt with as the block ends (_after_the_end)
    if stop.pending:
        if stop.taken is None:
            # the run had reached its end by itself: the SIGTERM stays held (so do any
            # after it) and is dealt with as the outermost block ends
            stop.after_end = True
            return
        stop.pending = False
        stop.taken = signal.SIGTERM
        raise Terminated(f"signal {int(signal.SIGTERM)}")


def by_sigterm(interrupt: BaseException) -> bool:
    """Whether `interrupt` is a SIGTERM's, or click's Abort made of one (click turns a
    KeyboardInterrupt into Abort, raised from it)."""
    return isinstance(interrupt, Terminated) or isinstance(interrupt.__cause__, Terminated)


def exit_code(interrupt: BaseException) -> int:
    """The command's exit code for a run ended by `interrupt`: 143 for SIGTERM, else 130."""
    return SIGTERM_EXIT_CODE if by_sigterm(interrupt) else 130
