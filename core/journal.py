"""The commit journal: one record per stage that committed table writes.

A stage's writes and the state that says it succeeded must become durable together, but they
live in different files (the tables, `state.<mode>.yml`, `.runs/stages.<mode>.json`). So a
commit writes one record first, `.runs/journal.<state>/<time>-<id>.json`, holding the state
entry (status, debug, fingerprint) and what the backend needs to finish making the writes
visible. Writing that record is the commit: from then on the stage has succeeded, whatever
happens to the process. The state files fold records in when they are read; the record is
removed only once the state files hold its entry and its writes are visible.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path
from typing import Any

import msgspec

from yt_pipeline.crashpoints import crash_point
from yt_pipeline.errors import YtPipelineError
from yt_pipeline.yamlio import durable_mode, write_file_atomic

RUNS_DIR = ".runs"
_numbers = itertools.count(1)


class DamagedRecord(YtPipelineError):
    """A commit record that cannot be read: the run refuses rather than guess."""


class Record(msgspec.Struct):
    path: Path
    stage: str
    entry: dict[str, Any]
    #: what the backend's transaction needs to finish its commit (see `txn.py`)
    token: Any


class Journal:
    def __init__(self, folder: Path, state_name: str):
        self.dir = Path(folder) / RUNS_DIR / f"journal.{state_name}"
        self.durable = durable_mode(state_name)

    def new_path(self) -> Path:
        """Where the next record goes; names sort by commit time (pid and number keep
        records of one instant apart)."""
        return self.dir / f"{time.time_ns():020d}-{os.getpid()}-{next(_numbers)}.json"

    def write(self, path: Path, stage: str, entry: dict[str, Any], token: Any) -> Record:
        crash_point("journal: before the commit record")
        text = json.dumps({"stage": stage, "entry": entry, "token": token})
        write_file_atomic(path, text + "\n", durable=self.durable)
        crash_point("journal: after the commit record")
        return Record(path, stage, entry, token)

    def pending(self) -> list[Record]:
        """Records not yet folded into the state files, oldest first."""
        if not self.dir.is_dir():
            return []
        found = []
        for path in sorted(self.dir.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                continue
            except (ValueError, UnicodeDecodeError):
                data = None
            if not (isinstance(data, dict) and isinstance(data.get("stage"), str)
                    and isinstance(data.get("entry"), dict)):
                # A record is written whole and renamed into place: one that does not read
                # was damaged since (by hand, or a machine crash before dev's unforced
                # writes reached the disk). Its stage's tables are committed, or are
                # made so from it; skipped, the stage would run and append again.
                raise DamagedRecord(
                    f"commit record {path} is damaged: a stage committed its tables with "
                    "it, and which one cannot be read. Find the stage in the log of the "
                    f"run that wrote it ({RUNS_DIR}/<run id>.log, the run that ended "
                    "unfinished); if its tables hold its rows, set it to SUCCESS in the "
                    "state file, else leave it (it runs again); then remove the record"
                )
            found.append(Record(path, data["stage"], data["entry"], data.get("token")))
        return found

    def remove_leftovers(self) -> None:
        """Temporary files of record writes a kill cut short (under the run lock: no run of
        this state is writing one now)."""
        if self.dir.is_dir():
            for leftover in self.dir.glob(".*.tmp"):
                leftover.unlink(missing_ok=True)

    def remove(self, records: list[Record]) -> None:
        for record in records:
            crash_point("journal: before removing a folded record")
            record.path.unlink(missing_ok=True)
