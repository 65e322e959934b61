"""Local notes of the stage transactions a prod run has open, so that the next run of this
checkout can end those of a run killed outright (SIGKILL, an OOM kill) at once.

A stage attempt's transaction (stage_txn.py) holds the locks of the tables it writes. Killed
outright, its run pings it no more, and the cluster ends it only when its lease runs out
(`transaction_timeout`, 30 s unless set): a `--resume` started within that time was refused
by those locks. The run's lock has the same problem and is taken over (run_lock.py); its
transaction's id comes with the lock conflict. A stage's does not, except in the text of a
conflict that happens only later, in the middle of some stage. So each attempt notes its
transaction here, in `.runs/stage_transactions/<run id>--<transaction id>.json` (with the
run's pid and host), as soon as the transaction is started and before it writes anything,
and removes the note when the attempt ends (committed or aborted). What is left is what a
killed run had open (dead_attempts.py ends it).

A note is written to the page cache and renamed into place, not forced to disk: a killed
process loses nothing so, and after a machine crash the leases have long run out when the
machine is back. Listing the cluster's transactions instead (//sys/transactions) would be a
read of every transaction of a shared cluster at each take-over, and tell ours only by title.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from yt_pipeline.hostname import host_name
from yt_pipeline.journal import RUNS_DIR, DamagedRecord, Journal
from yt_pipeline.yamlio import write_file_atomic

if TYPE_CHECKING:
    from yt_pipeline.lock import DeadRun

log = logging.getLogger("yt_pipeline.prod.transactions")

FOLDER = "stage_transactions"
#: between the run id and the transaction id in a note's name (neither holds two dashes)
SEPARATOR = "--"


class AttemptNote(msgspec.Struct, frozen=True):
    """One open stage transaction of a run, as its file holds it."""

    path: Path
    run_id: str
    pid: int
    host: str
    transaction_id: str
    title: str

    def remove(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as error:  # a note left is harmless: its transaction ends anyway
            log.debug("could not remove %s: %s", self.path, error)


def folder_of(pipeline_dir: Path) -> Path:
    return Path(pipeline_dir) / RUNS_DIR / FOLDER


def note(pipeline_dir: Path, run_id: str, transaction_id: str,
         title: str) -> AttemptNote | None:
    """Note that `run_id` has the stage transaction open; None when the note could not be
    written (a full disk): the stage goes on, and were the run killed, its transaction would
    hold its locks until its lease runs out, as it did before there were notes."""
    path = folder_of(pipeline_dir) / f"{run_id}{SEPARATOR}{transaction_id}.json"
    entry = AttemptNote(path, run_id, os.getpid(), host_name(), transaction_id, title)
    content = {"run_id": run_id, "pid": entry.pid, "host": entry.host,
               "transaction_id": transaction_id, "title": title}
    try:
        write_file_atomic(path, json.dumps(content) + "\n", durable=False)
    except OSError as error:
        log.warning("could not note the transaction of %s in %s (%s): killed, the run would "
                    "leave it to its lease", title, path, error)
        return None
    return entry


def left_by(pipeline_dir: Path, runs: Iterable[DeadRun]) -> list[AttemptNote]:
    """The notes the runs `runs` left, each read back and matching its run whole (run id,
    pid and host): a note of another run, of another host, or not readable, is not theirs."""
    found = []
    for run in runs:
        for path in sorted(folder_of(pipeline_dir).glob(f"{run.run_id}{SEPARATOR}*.json")):
            entry = _read(path)
            if entry is not None and (entry.run_id, entry.pid, entry.host) == (
                    run.run_id, run.pid, run.host):
                found.append(entry)
    return found


def _read(path: Path) -> AttemptNote | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return AttemptNote(path, str(data["run_id"]), int(data["pid"]), str(data["host"]),
                           str(data["transaction_id"]), str(data.get("title", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def recorded_transactions(pipeline_dir: Path) -> set[str] | None:
    """The transactions that commit records of this checkout name (in the journals of all
    its states): each is a commit that happened, which the next run finishes
    (stage_txn.finish_commit) and nobody may abort. None when a record cannot be read:
    then no transaction is known not to have one."""
    recorded: set[str] = set()
    for folder in sorted((Path(pipeline_dir) / RUNS_DIR).glob("journal.*")):
        if not folder.is_dir():
            continue
        journal = Journal(pipeline_dir, folder.name.removeprefix("journal."))
        try:
            records = journal.pending()
        except DamagedRecord as error:
            log.warning("%s", error)
            return None
        recorded.update(_transaction_of(record.token) for record in records)
    recorded.discard("")
    return recorded


def _transaction_of(token: Any) -> str:
    return str(token.get("transaction_id", "")) if isinstance(token, dict) else ""
