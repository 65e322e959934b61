"""Run records: `.runs/<run id>.json` in the pipeline folder, one per run.

A record holds the run's id, mode, options, start, end, outcome, and per stage: start, end,
duration, outcome, attempts, the cache decision and the error. It is written when the run
starts (status RUNNING) and again when it ends. The newest `KEEP` records are kept.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from yt_pipeline.state import RUNS_DIR
from yt_pipeline.yamlio import write_file_atomic

KEEP = 200
RUNNING = "RUNNING"


def new_run_id() -> str:
    """Sortable by time: `20250101-120000-1a2b3c`."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + os.urandom(3).hex()


class RunRecord:
    def __init__(self, folder: Path, run_id: str, **fields: Any):
        self.path = Path(folder) / RUNS_DIR / f"{run_id}.json"
        self.data: dict[str, Any] = {
            "run_id": run_id,
            "status": RUNNING,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": time.time(),
            **fields,
            "stages": {},
        }

    def stage(self, name: str, **info: Any) -> None:
        self.data["stages"][name] = info

    def write(self) -> None:
        from yt_pipeline.logs import masked

        # Errors quote whatever a stage raised; secrets in them must not reach the disk.
        write_file_atomic(self.path, masked(json.dumps(self.data, indent=1, default=repr)) + "\n")

    def finish(self, status: str) -> None:
        self.data["status"] = status
        self.data["finished_at"] = time.time()
        self.data["duration_s"] = round(self.data["finished_at"] - self.data["started_at"], 4)
        self.write()
        prune(self.path.parent)


def record_files(folder: Path) -> list[Path]:
    """Record files, newest first."""
    runs = Path(folder) / RUNS_DIR
    if not runs.is_dir():
        return []
    names = [p for p in runs.glob("*.json") if p.name[:1].isdigit()]
    return sorted(names, key=lambda p: p.name, reverse=True)


def read_records(folder: Path, limit: int = 10) -> list[dict[str, Any]]:
    found = []
    for path in record_files(folder)[:limit]:
        try:
            found.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            found.append({"run_id": path.stem, "status": "UNREADABLE"})
    return found


def prune(runs_dir: Path) -> None:
    for old in record_files(runs_dir.parent)[KEEP:]:
        try:
            old.unlink()
        except OSError:
            pass
