"""The operations a dev run has running, so that the run's end can stop their jobs.

An interrupt ends a run in the main thread while its stage threads wait on their jobs. From
the command line the process then exits, killing them (processes._kill_leftovers); from a
program's `pipeline.run()` the process goes on, and so did the jobs, to their end, their
output never committed, beside the next run (a resume at once). The run's end stops them
(DevClient.end_run), as prod's aborts a run's operations before it lets go of its lock.

It then waits for the stage transactions of the operations it stopped to end: a stage
thread aborts its attempt's transaction once the stopped operation has raised, and until
then the transaction holds its tables' locks (txnlocks.py), which a run resumed at once met
("Cannot take lock ... locked by concurrent transaction ... stage <name> attempt 1"). A
stage busy in its own code, with no operation to stop, is not waited for (from the command
line the process exits at once). Whatever transaction of the run is still open then (that
busy stage's, or one whose stopped operation was slow to raise) is aborted by the run's end,
as prod's end_run aborts its stages' open transactions: left to its stage thread, it held
its tables' locks against a run resumed at once, whose stage failed on them. The stage
thread's later calls in it are refused, as a cluster refuses those naming a transaction it
no longer has (DevTransaction.refuse_if_ended), and the run's closed commit gate (stage_run
.CommitGate) lets none of them commit.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

from yt_pipeline.errors import BackendError


class RunOperations:
    """The operations one run has running (each by the event that stops its jobs), ended
    with the run: once ended, no operation of the run starts."""

    #: how long the end of a run waits for the jobs it stopped to be gone
    STOP_WAIT_S = 10.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ended = False
        #: each running operation's stop -> (its done, the transaction it runs in)
        self._running: dict[threading.Event, tuple[threading.Event, Any]] = {}
        #: the run's stage transactions not ended yet (weak: one dropped unended by code
        #: outside a run holds no run's end)
        self._transactions: weakref.WeakSet[Any] = weakref.WeakSet()
        self._changed = threading.Condition(self._lock)

    def transaction_begun(self, txn: Any) -> None:
        """`txn` (a DevTransaction) is to end before the run's end returns, when the
        run's end stopped an operation in it."""
        with self._lock:
            self._transactions.add(txn)

        def ended() -> None:
            with self._lock:
                self._transactions.discard(txn)
                self._changed.notify_all()

        txn.on_end = ended

    def start(self, what: str, txn: Any = None) -> threading.Event:
        """The event set when the run ends before the operation starting now in the
        transaction `txn` (None: outside any); BackendError once the run has ended. The
        operation's `finish` says its jobs are gone."""
        with self._lock:
            if self._ended:
                raise BackendError(f"the run has ended: {what} was not started")
            stop = threading.Event()
            self._running[stop] = (threading.Event(), txn)
            return stop

    def finish(self, stop: threading.Event) -> None:
        with self._lock:
            entry = self._running.pop(stop, None)
        if entry is not None:
            entry[0].set()

    def end(self) -> None:
        """Stop every operation still running and wait (a while) for their jobs to be
        gone, and for the transactions they ran in to end; then abort the run's
        transactions still open."""
        with self._lock:
            self._ended = True
            running = list(self._running.items())
        for stop, _ in running:
            stop.set()
        deadline = time.monotonic() + self.STOP_WAIT_S
        for _, (done, _) in running:
            done.wait(max(0.0, deadline - time.monotonic()))
        stopped_in = {id(txn) for _, (_, txn) in running if txn is not None}
        with self._lock:
            while time.monotonic() < deadline and any(
                    id(txn) in stopped_in for txn in self._transactions):
                self._changed.wait(max(0.0, deadline - time.monotonic()))
            left = list(self._transactions)
        for txn in left:  # outside the lock: its end takes it (transaction_begun)
            txn.abort()
