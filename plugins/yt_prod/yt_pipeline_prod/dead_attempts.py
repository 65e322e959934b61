"""End the stage transactions a run killed outright left open, once its lock is taken over.

The local lock (core/lock.py) tells that a run of this checkout on this host is gone
(`DeadRun`, with the dead runs it had taken over itself); the run lock ends that run's lock
on the cluster (run_lock.py). Its stage transactions, noted locally (attempt_files.py), still
hold the locks of the tables they wrote until their lease runs out, and a `--resume` within
that time was refused by them ("... is locked by concurrent transaction ..."). Those without
a commit record are aborted now: a dead run commits nothing more, and what they wrote was
never meant to be kept. One with a record is a commit that happened: the run finishes it
(stage_txn.finish_commit, right after the lock is taken) and it is never aborted.

Another client may abort a transaction by its id: ytsaurus-client's `abort_transaction`
sends only the id (yt/wrapper/transaction_commands.py), and the master asks for the write
permission on the transaction (`AbortTransaction` in yt/yt/server/master/transaction_server/
transaction_manager.cpp), which its owner, the user of this checkout's token, has. The
abort ends its nested transactions too (same function), and with them the operations the
stage had running in them.

A run of another host or another checkout is never taken over: nothing here tells whether
it is gone, and its transactions end with their lease.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yt_pipeline.hostname import host_name
from yt_pipeline_prod import attempt_files
from yt_pipeline_prod.failures import translated

if TYPE_CHECKING:
    from yt_pipeline.lock import DeadRun
    from yt_pipeline_prod.client import ProdClient

log = logging.getLogger("yt_pipeline.prod.run_lock")


def end_dead_attempts(client: ProdClient, pipeline_dir: Path, dead: DeadRun) -> int:
    """Abort the stage transactions `dead` (and the runs it had taken over) left open with
    no commit record; how many were still open."""
    here = host_name()
    notes = attempt_files.left_by(pipeline_dir, [run for run in dead.runs() if run.host == here])
    if not notes:
        return 0
    recorded = attempt_files.recorded_transactions(pipeline_dir)
    if recorded is None:
        log.warning("a commit record cannot be read: the stage transactions of the run that "
                    "is gone are left to their lease")
        return 0
    ended = 0
    yt = client.new_yt()
    for entry in notes:
        if entry.transaction_id in recorded:
            # committed by its run: this run finishes the commit (stage_txn.finish_commit)
            entry.remove()
            continue
        ended += _abort(client, yt, entry)
        entry.remove()
    return ended


def _abort(client: ProdClient, yt: Any, entry: attempt_files.AttemptNote) -> int:
    import yt.wrapper as ytw

    from yt_pipeline_prod.stage_txn import outside_transaction

    log.warning("aborting the transaction %s (%s) of a run that is gone (pid %d on host %s): "
                "it holds the locks of the tables its stage wrote", entry.transaction_id,
                entry.title, entry.pid, entry.host)
    with translated(client, "abort the stage transaction of the dead run",
                    entry.transaction_id):
        try:
            with outside_transaction(yt):
                yt.abort_transaction(entry.transaction_id)
        except ytw.YtResponseError as error:
            if not error.is_no_such_transaction():
                raise
            return 0  # ended meanwhile: its lease ran out, or its run aborted it
    return 1
