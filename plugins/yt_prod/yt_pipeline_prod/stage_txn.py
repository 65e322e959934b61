"""A stage attempt in prod is one YT transaction (the core side is core/txn.py).

Every call the stage makes through its client runs in the attempt's transaction: a table it
writes, a table it removes, the outputs of its operations (their own transactions nest in
it) stay invisible to everyone else until the stage succeeds, and vanish if it fails, is
retried or the run is killed (a transaction nobody pings is aborted when its timeout runs
out). Reads inside the stage see its own writes. Appends from parallel stages take shared
locks and all land at commit (the "Locks" section of the Transactions page of the Cypress
docs); two stages overwriting one table conflict, and the second fails instead of losing
the first one's rows.

The commit: `prepare` creates a small marker document inside the transaction and returns
where it is; the runner writes its journal record (the commit point); `commit` commits the
transaction. A kill between the two leaves a record and a transaction alive until its
timeout. The next run calls `finish_commit`: the marker exists outside the transaction only
if the commit happened; otherwise the transaction, still alive, is committed then; gone, it
was aborted, and the stage did not happen (the runner runs it again).

A run killed outright leaves its stages' transactions holding the locks of the tables they
wrote until their lease runs out. Each one is noted in a local file while it is open
(attempt_files.py), so that the next run of this checkout, taking the killed run's lock over,
aborts those without a commit record at once (dead_attempts.py) instead of being refused by
their locks.

The transaction is started at the stage's first call to the cluster, so a stage that never
touches YT costs no request. YQL queries run in the query tracker, outside transactions.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yt_pipeline.crashpoints import crash_point
from yt_pipeline.errors import BackendError
from yt_pipeline.logs import masked
from yt_pipeline_prod import attempt_files
from yt_pipeline_prod.attempt_files import AttemptNote
from yt_pipeline_prod.failures import translated

if TYPE_CHECKING:
    from yt_pipeline_prod.client import ProdClient

log = logging.getLogger("yt_pipeline.prod.transactions")

#: how long a commit marker is kept: a killed run is finished by a run within this time
MARKER_TTL_DAYS = 30.0
MARKER_FOLDER = "commits"


@contextmanager
def outside_transaction(yt: Any) -> Iterator[None]:
    """Calls in the block run outside any transaction (the null transaction), whatever the
    client's current one is."""
    from yt.common import YT_NULL_TRANSACTION_ID

    with yt.Transaction(transaction_id=YT_NULL_TRANSACTION_ID):
        yield


def enter(yt: Any, transaction_id: str) -> None:
    """Make every later call of the `YtClient` `yt` carry the transaction. The client is
    made for the stage and dropped with it, so the block is never left: entering the
    client's own context manager once is how its transaction stack learns the id (no
    request is sent, as neither ping nor acquire is asked)."""
    import yt.wrapper as ytw

    ytw.Transaction(transaction_id=transaction_id, ping=False, acquire=False,
                    client=yt).__enter__()


def lease_ms(yt: Any) -> int:
    """The lease of every transaction we start for a stage, a write or an operation: the
    client's `transaction_timeout` (30 s unless `yt_config` sets it), after which the
    cluster aborts a transaction nobody pings and releases its locks.

    ytsaurus-client, given no `timeout`, takes the largest of the proxy retries'
    `total_timeout` (2 min), `request_timeout` and `transaction_timeout`
    (`Transaction.__init__` in yt/wrapper/transaction.py, "some legacy logic"): a write or
    an operation of a run killed outside a stage's transaction would then keep its locks
    for two minutes. The price of the shorter lease: the pinger pings every third of it
    and retries a ping for another third (`PingTransaction`, same file), so a proxy silent
    for about two thirds of the lease ends the transaction. The stage's transaction always
    had this lease, and one nested in it ends with it anyway (the "Nested transactions"
    section of the Transactions page of the Cypress docs): a longer lease there bought
    nothing. One setting, `transaction_timeout`, thus trades a killed run's lingering locks
    against outages for all of them. The run's lock alone takes a lease of its own
    (run_lock.py)."""
    from yt.wrapper.common import time_option_to_milliseconds

    return int(time_option_to_milliseconds(yt.config["transaction_timeout"]))


def start_transaction(yt: Any, title: str) -> Any:
    """A new transaction of the `YtClient` `yt` (nested in its current one, if any),
    pinged from now on, with our lease (`lease_ms`). A failed ping fails the stage, write
    or operation at its commit (its `is_pinger_alive()` turns false), not the whole run by
    interrupting the main thread (the client's default). Its title is masked: a cluster
    shows a transaction's title to any user (the transactions under //sys/transactions, a
    lock conflict's `winner_transaction`), and a write's names its table, whose path a
    stage may build from a secret."""
    import yt.wrapper as ytw

    return ytw.Transaction(timeout=lease_ms(yt), attributes={"title": masked(title)},
                           interrupt_on_failed=False, client=yt)


def marker_folder(client: ProdClient) -> str:
    return f"{client.build_folder}/{MARKER_FOLDER}"


class ProdStageTransaction:
    def __init__(self, root: ProdClient, title: str):
        from yt_pipeline_prod.client import StageClient

        self.root = root
        self.title = title
        #: the books of the run this attempt belongs to (ProdClient._new_run_books): kept,
        #: as the root's are new ones once the run has ended
        self._run_closed, self._run_starting = root.closed, root.starting
        self._run_transactions = root.open_transactions
        self._lock = threading.Lock()
        self._transaction: Any = None
        self._committed = False
        #: held by an abort under way (abort), which other callers wait for
        self._aborting = threading.Lock()
        self._aborted = False
        #: set by every write through the stage's client (tables, removals, operations)
        self.wrote = False
        #: the paths those writes changed: invisible to YQL until the stage commits
        self.written: set[str] = set()
        #: the tables its write_table calls and operations wrote, less those it removed
        #: (the cache asks for them: `tables_written`)
        self.tables: set[str] = set()
        #: the tables and folders it removed (--resume does not take a table a later stage
        #: removed for one lost: `paths_removed`)
        self.removed: set[str] = set()
        #: tables a YQL INSERT of the stage filled whole -> the staging table holding their
        #: rows, which later queries of the stage read instead; every staging table kept so,
        #: removed when the stage ends
        self.yql_views: dict[str, str] = {}
        self.views_kept: list[str] = []
        #: table reads not read to their end, each in a nested transaction of its own;
        #: held weakly, so that one dropped ends at once (table_reads.py) rather than with
        #: the stage
        self._open_reads: weakref.WeakSet[Any] = weakref.WeakSet()
        self._reads_lock = threading.Lock()
        #: tables created outside the transaction for its appends: path -> node id
        self.created: dict[str, str] = {}
        #: the local note of the open transaction, for the next run should this one be
        #: killed (attempt_files.py); removed when the attempt ends
        self._note: AttemptNote | None = None
        self.client = StageClient(root, self)

    @property
    def transaction_id(self) -> str:
        """The attempt's transaction, started (and pinged from now on) on first use."""
        with self._lock:
            if self._transaction is None:
                started = self._start()
                # noted before the id is handed out, so before the transaction writes
                self._note = self._noted(str(started.transaction_id))
            return str(self._transaction.transaction_id)

    def _start(self) -> Any:
        """Start the transaction and enter it in the run's books, both under the run's
        `starting`: the run's end either comes first, and a stage thread that goes on
        after it starts nothing (its transaction would live on beside the next run's,
        holding its table locks), or finds the transaction there and aborts it."""
        with self._run_starting:
            if self._run_closed.is_set():
                raise BackendError(f"the run has ended: the transaction of {self.title} "
                                   f"was not started")
            with translated(self.root, f"start the transaction of {self.title}"):
                self._transaction = start_transaction(self.root.new_yt(), self.title)
            self._run_transactions.add(self)
        return self._transaction

    def _noted(self, transaction_id: str) -> AttemptNote | None:
        """Note the transaction locally (attempt_files.py) when the run holds its lock on
        the cluster: the next run of this checkout, taking a killed run's lock over, ends
        the transactions it finds noted (dead_attempts.py)."""
        run_lock, folder = self.root.held_run_lock, self.root.pipeline_dir
        if run_lock is None or folder is None:
            return None
        return attempt_files.note(folder, run_lock.run_id, transaction_id, self.title)

    def _forget_note(self) -> None:
        entry, self._note = self._note, None
        if entry is not None:
            entry.remove()

    def tables_written(self) -> list[str]:
        """The tables this attempt wrote (its YQL queries' tables are not known here)."""
        return sorted(self.tables)

    def paths_removed(self) -> list[str]:
        """The tables and folders this attempt removed."""
        return sorted(self.removed)

    def alive(self) -> bool:
        return self._transaction is None or bool(self._transaction.is_pinger_alive())

    def prepare(self, record: Path) -> Any:
        transaction = self._transaction
        if transaction is None:
            return None  # the stage never called the cluster
        if not transaction.is_pinger_alive():
            raise BackendError(f"{self.title}: its transaction could not be pinged and has "
                               "ended; nothing it wrote was kept")
        run_lock = self.root.held_run_lock
        if run_lock is not None and not run_lock.alive():
            # the lock may have lapsed and another run started: its writes and this
            # stage's must not both land
            raise BackendError(f"{self.title}: the run's lock {run_lock.node} could not be "
                               "pinged and may have ended; nothing the stage wrote was kept")
        if not self.wrote:  # nothing to record: commit now, before the commit point
            self._commit()
            self._committed = True
            return None
        # Reads left open end now, before the commit point: an open read's transaction is
        # nested in the stage's, and the commit would abort it under its reader
        # (TTransactionManager::CommitTransaction in the master aborts nested transactions
        # still running); a run killed after its record leaves the commit to the next run
        # (finish_commit), whose commit should find nothing of this one running.
        self._close_reads()
        folder = marker_folder(self.root)
        marker = f"{folder}/{record.stem}-{uuid.uuid4().hex[:12]}"
        from yt_pipeline_prod.upload import expiration_time

        self.root.ensure_folder(folder)
        with translated(self.root, "mark the commit of", self.title):
            self.client.yt().create("document", marker, attributes={
                "value": {"title": self.title},
                "expiration_time": expiration_time(MARKER_TTL_DAYS)})
        return {"transaction_id": self.transaction_id, "marker": marker, "at": time.time()}

    def commit(self) -> None:
        # a stage that wrote nothing was committed in prepare(); ytsaurus-client refuses a
        # second commit of one transaction ("Transaction is already finished")
        if self._transaction is not None and not self._committed:
            self._commit()
            crash_point("prod: committed")

    def track_read(self, read: Any, started: bool) -> None:
        with self._reads_lock:
            if started:
                self._open_reads.add(read)
            else:
                self._open_reads.discard(read)

    def _close_reads(self) -> None:
        """Close the reads the stage left open, ending their nested transactions."""
        with self._reads_lock:
            reads = list(self._open_reads)
            self._open_reads.clear()
        for read in reads:
            try:
                read.close()
            except Exception as error:  # noqa: BLE001 - the commit says if it mattered
                log.debug("could not close a read of %s: %s", self.title, type(error).__name__)

    def _commit(self) -> None:
        self._close_reads()
        try:
            with translated(self.root, f"commit {self.title}"):
                self._transaction.commit()
        finally:
            # committed, or failed after its record (which the next run finishes from), or
            # before it (then aborted): no run is to abort it now
            self._forget_note()
            self._run_transactions.discard(self)
            self._remove_views()

    def _remove_views(self) -> None:
        """Remove the staging tables kept for later queries (they expire anyway)."""
        views, self.views_kept, self.yql_views = self.views_kept, [], {}
        if not views:
            return
        yt = self.root.new_yt()
        for path in views:
            try:
                yt.remove(path, force=True)
            except Exception as error:  # noqa: BLE001 - it expires within a day anyway
                log.debug("could not remove %s: %s", path, type(error).__name__)

    def abort(self) -> None:
        # One abort at a time, and the transaction stays in the run's books until its abort
        # is sent: the run's end (ProdClient.end_run), finding it there, waits for a stage
        # thread's abort under way. Taken out first, a stage thread's abort was not waited
        # for: the run let go of its lock, the process exited (the stage threads are
        # daemons) before the abort was sent, and the transaction held its table locks
        # until its lease ran out.
        with self._aborting:
            transaction = self._transaction
            if transaction is None or self._aborted:
                return
            self._close_reads()
            try:
                transaction.abort()
            except Exception as error:  # noqa: BLE001 - it ends with its timeout anyway
                log.warning("could not abort the transaction of %s: %s", self.title,
                            type(error).__name__)
            self._aborted = True
            self._run_transactions.discard(self)
            self._forget_note()
            self._remove_views()
            self._remove_created()

    def _remove_created(self) -> None:
        """Remove the tables made for appends that did not happen, if still empty and the
        same node. A stage appending to one now holds a lock that makes the removal fail,
        and the table stays for it."""
        if not self.created:
            return
        yt = self.root.new_yt()
        for path, node_id in self.created.items():
            try:
                if (str(yt.get(path + "/@id")) == node_id
                        and int(yt.get(path + "/@row_count")) == 0):
                    yt.remove(path)
            except Exception as error:  # noqa: BLE001 - an empty table left is harmless
                log.debug("left the empty table %s: %s", path, type(error).__name__)


def finish_commit(root: ProdClient, token: dict[str, Any]) -> bool:
    """Finish a commit a killed run recorded; False when it can no longer happen (the
    transaction was aborted: its writes are gone, and the stage must run again)."""
    import yt.wrapper as ytw

    marker, transaction_id = str(token["marker"]), str(token["transaction_id"])
    yt = root.yt()
    with translated(root, "check the commit of a stage", marker):
        if yt.exists(marker):
            return True
    with translated(root, "finish the commit of a stage", marker):
        try:
            yt.commit_transaction(transaction_id)
            return True
        except ytw.YtResponseError as error:
            if not error.is_no_such_transaction():
                raise
    age_days = (time.time() - float(token.get("at", 0))) / 86400.0
    if age_days > MARKER_TTL_DAYS * 0.9:
        # the marker may have expired: the commit cannot be told from an abort; do not run
        # the stage again (an append would be doubled)
        log.warning("cannot tell whether transaction %s committed (its marker may have "
                    "expired); taking it as committed", transaction_id)
        return True
    return False
