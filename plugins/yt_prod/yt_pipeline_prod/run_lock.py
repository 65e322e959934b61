"""The run lock on the cluster: one prod run of a pipeline at a time, whatever machine.

The local lock (core/lock.py) sees only runs of one state folder on one machine. In prod
the cluster arbitrates: a run starts a transaction of its own, pinged for the whole run,
and takes an exclusive Cypress lock on `<build_folder>/.run_locks/<name>` in it, `<name>`
being the pipeline folder's name and its state (`etl.prod`: yt_pipeline.client.run_lock_name),
so that pipelines sharing a build folder do not stop each other. A second run asking
for the same lock is refused at once by the master with error 402 (`Cannot take "exclusive"
lock for node ... since "exclusive" lock is taken by concurrent transaction ...`, with a
`winner_transaction` attribute holding the holder's id and title: `CheckLock` in
yt/yt/server/master/cypress_server/cypress_manager.cpp, and the "Locks" section of the
Transactions page of the Cypress docs), and stops before it writes anything.

The lock goes with its transaction: aborted when the run ends (success, failure, Ctrl-C, or
SIGTERM, which the run takes as Ctrl-C: yt_pipeline.term_signal), or, when the run is
killed outright (SIGKILL, the machine lost), aborted by the master once nobody pings it for
`run_lock_timeout_s` (`pipeline.prod.run_lock_timeout_s`, 120 s unless set: the next run
after a SIGKILL waits at most two minutes). ytsaurus-client pings every third of the
timeout, each ping retried for another third (`Transaction.__init__` and `PingTransaction`
in yt/wrapper/transaction.py), so a proxy that answers again within about two thirds of it
(80 s) does not cost a long run its lock.
A ping that still fails stops the pinger for good (it sets `failed`, and with
`interrupt_on_failed=False` does nothing else): from then on `alive()` is False and no stage
commits (stage_txn.py), since the lock may already be another run's.

A run killed outright and resumed at once (an OOM kill, kill -9, then `--resume`) need not
wait for its old lock to time out. The local lock knows that run is gone (core/lock.py: its
pid is dead or another process, on this host) and hands it over as `dead_run`; when the
cluster's refusal names that very run as the holder (the title of the conflict's
`winner_transaction`: same run id, pid and host), the new run aborts the holder's
transaction and takes the lock. Any other holder (another run id, another host: a run the
local lock cannot see, alive or not) is refused as before, and waits for its timeout.
The dead run's stage transactions are ended the same way once the lock is taken: those it
noted locally and left without a commit record (dead_attempts.py), so that their table locks
do not refuse the new run's stages either.
A run that ends while the proxy does not answer its release (the abort fails: `left_held`)
leaves its local lock in place, naming it, so the next run of this checkout finds that
run gone and takes the cluster's lock over the same way instead of being refused by it.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from yt_pipeline.errors import PipelineLocked
from yt_pipeline.hostname import host_name
from yt_pipeline_prod.failures import lock_winner, lock_winner_transaction, translated

if TYPE_CHECKING:
    from yt_pipeline.lock import DeadRun
    from yt_pipeline_prod.client import ProdClient

log = logging.getLogger("yt_pipeline.prod.run_lock")

#: the folder of the nodes runs lock, in the build folder: one per pipeline
#: (yt_pipeline.client.run_lock_name)
RUN_LOCKS = ".run_locks"


def run_lock_node(client: ProdClient, name: str) -> str:
    return f"{client.build_folder}/{RUN_LOCKS}/{name}"


def run_lock_title(run_id: str, pid: int, host: str) -> str:
    """The title of a run lock's transaction: the refusal shows it, and a take-over
    (module docstring) matches it against the dead run's."""
    return f"yt-pipeline run {run_id}, pid {pid} on host {host}"


class ClusterRunLock:
    def __init__(self, client: ProdClient, run_id: str, name: str,
                 dead_run: DeadRun | None = None):
        self.client = client
        self.run_id = run_id
        self.dead_run = dead_run
        self.node = run_lock_node(client, name)
        self.title = run_lock_title(run_id, os.getpid(), host_name())
        self._transaction: Any = None
        #: True once an abort of the lock's transaction failed: the cluster may hold the
        #: lock until its timeout (the runner then leaves the local lock for a take-over)
        self.left_held = False

    def acquire(self) -> ClusterRunLock:
        # SIGTERM is an interrupt for the whole run (yt_pipeline.term_signal), so also from
        # before the transaction starts: a run stopped while a slow proxy answers its lock
        # aborts what it took, rather than dying with the lock held for run_lock_timeout_s
        self._acquire()
        self.client.root.held_run_lock = self
        return self

    def _acquire(self) -> None:
        import yt.wrapper as ytw

        from yt_pipeline_prod.stage_txn import outside_transaction

        client = self.client
        yt = client.new_yt()
        with translated(client, "create the run lock", self.node), outside_transaction(yt):
            # created outside the transaction: two runs creating it at once both succeed
            yt.create("map_node", self.node, recursive=True, ignore_existing=True)
        timeout_ms = int(client.settings.run_lock_timeout_s * 1000)
        with translated(client, "start the transaction of the run lock", self.node):
            self._transaction = ytw.Transaction(
                timeout=timeout_ms, attributes={"title": self.title}, ping=True,
                interrupt_on_failed=False, client=yt)
        try:
            self._take(yt)
            self._end_dead_attempts()
        except ytw.YtResponseError as error:
            self._abort()
            if error.is_concurrent_transaction_lock_conflict():
                raise PipelineLocked(self._refusal(error)) from None
            with translated(client, "take the run lock", self.node):
                raise
        except BaseException as error:
            self._abort()
            if not isinstance(error, Exception):
                raise  # Ctrl-C, SystemExit: as they are
            # a network failure (no answer to the lock, a refused connection) is said as
            # every other call's is: the proxy, the action and the node, not a bare
            # ConnectionError
            with translated(client, "take the run lock", self.node):
                raise

    def _take(self, yt: Any) -> None:
        """Lock the node in the run's transaction; a lock held by the dead run this run
        took over locally is ended first (module docstring)."""
        import yt.wrapper as ytw

        try:
            self._lock_node(yt)
        except ytw.YtResponseError as error:
            if not error.is_concurrent_transaction_lock_conflict():
                raise
            holder = lock_winner_transaction(error)
            if holder is None or not self._held_by_dead_run(holder):
                raise
            self._end_dead_run(yt, str(holder["id"]), str(holder.get("title")))
            self._lock_node(yt)  # a conflict now is a new holder's: refused

    def _end_dead_attempts(self) -> None:
        """Abort the stage transactions the dead run left open (dead_attempts.py), whether
        or not its lock on the cluster was still held: their lease may well be the
        longer one."""
        folder = self.client.root.pipeline_dir
        if self.dead_run is not None and folder is not None:
            from yt_pipeline_prod.dead_attempts import end_dead_attempts

            end_dead_attempts(self.client, folder, self.dead_run)

    def _lock_node(self, yt: Any) -> None:
        import yt.wrapper as ytw

        with ytw.Transaction(transaction_id=self._transaction.transaction_id, client=yt):
            yt.lock(self.node, mode="exclusive")

    def _held_by_dead_run(self, holder: dict[str, Any]) -> bool:
        """Whether the holder is the dead run, or one it had taken over itself: killed
        before it took the cluster's lock over, it left that lock to the run before it
        (DeadRun.earlier)."""
        dead = self.dead_run
        return dead is not None and any(
            run.host == host_name()
            and holder.get("title") == run_lock_title(run.run_id, run.pid, run.host)
            for run in dead.runs())

    def _end_dead_run(self, yt: Any, transaction_id: str, title: str) -> None:
        import yt.wrapper as ytw

        from yt_pipeline_prod.stage_txn import outside_transaction

        log.warning("taking over the cluster lock %s from a run that is gone (%s): aborting "
                    "its transaction %s", self.node, title, transaction_id)
        with translated(self.client, "abort the transaction of the dead run's lock",
                        transaction_id):
            try:
                with outside_transaction(yt):
                    yt.abort_transaction(transaction_id)
            except ytw.YtResponseError as error:
                if not error.is_no_such_transaction():
                    raise  # else it ended meanwhile (its timeout): the lock is free the same

    def _refusal(self, error: Any) -> str:
        holder = lock_winner(error) or "another run"
        return (f"another run of this pipeline holds the cluster lock {self.node} "
                f"({holder}); this run did not start")

    def alive(self) -> bool:
        """False once the lock's transaction could not be pinged: it may have ended."""
        transaction = self._transaction
        return transaction is not None and bool(transaction.is_pinger_alive())

    def release(self) -> None:
        if self.client.root.held_run_lock is self:
            self.client.root.held_run_lock = None
        self._abort()

    def _abort(self) -> None:
        transaction, self._transaction = self._transaction, None
        if transaction is None:
            return
        try:
            transaction.abort()
        except Exception as error:  # noqa: BLE001 - it ends with its timeout anyway
            self.left_held = True
            log.warning("could not release the run lock %s (%s); it ends within %s s, or "
                        "when the next run of this checkout takes it over",
                        self.node, type(error).__name__, self.client.settings.run_lock_timeout_s)

    def __enter__(self) -> ClusterRunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
