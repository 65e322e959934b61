"""Run records: `.runs/<run id>.json` in the pipeline folder, one per run.

A record holds the run's id, mode, options, start, end, outcome, and per stage: start, end,
duration, outcome, attempts, the cache decision and the error. It is written when the run
starts (status RUNNING) and again when it ends. The newest `KEEP` records are kept.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from yt_pipeline.hostname import host_name
from yt_pipeline.state import RUNS_DIR
from yt_pipeline.yamlio import durable_mode, write_file_atomic

KEEP = 200
RUNNING = "RUNNING"
#: shown for a run whose process ended without writing its end
KILLED = "KILLED"


_last_id: list[Any] = ["", -1]
_id_lock = threading.Lock()


def new_run_id() -> str:
    """Sortable by start time: `20250101-120000-0f4e3a`. The suffix is the microsecond of
    the second times 16 plus a random digit, so runs of one second keep their order and two
    runs of one microsecond (in two processes) still differ; within a process ids only grow."""
    with _id_lock:
        now = time.time()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
        suffix = int(now * 1_000_000) % 1_000_000 * 16 + os.urandom(1)[0] % 16
        if _last_id[0] == stamp and suffix <= _last_id[1]:
            suffix = _last_id[1] + 1
        _last_id[:] = [stamp, suffix]
        return f"{stamp}-{suffix:06x}"


def shown_status(record: dict[str, Any]) -> str:
    """A record's status; a run still marked RUNNING whose process on this host is gone was
    killed (it never wrote its end)."""
    from yt_pipeline.lock import pid_alive

    status = str(record.get("status", "?"))
    pid = record.get("pid")
    if (status == RUNNING and isinstance(pid, int) and record.get("host") == host_name()
            and not pid_alive(pid)):
        return KILLED
    return status


class RunRecord:
    def __init__(self, folder: Path, run_id: str, **fields: Any):
        self.path = Path(folder) / RUNS_DIR / f"{run_id}.json"
        self.data: dict[str, Any] = {
            "run_id": run_id,
            "status": RUNNING,
            "pid": os.getpid(),
            "host": host_name(),
            "started_at": time.time(),
            **fields,
            "stages": {},
        }

    def stage(self, name: str, **info: Any) -> None:
        self.data["stages"][name] = info

    def write(self) -> None:
        from yt_pipeline.logs import masked, masked_data

        # Errors quote whatever a stage raised; secrets in them must not reach the disk. Each
        # string is masked before the dump escapes it, and the dump's text after.
        text = json.dumps(masked_data(self.data), indent=1, default=repr)
        write_file_atomic(self.path, masked(text) + "\n",
                          durable=durable_mode(str(self.data.get("mode", ""))))

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
    old_records = record_files(runs_dir.parent)[KEEP:]
    if not old_records:
        return
    from yt_pipeline.job_logs import remove_run_logs  # imported by the runs that prune

    for old in old_records:
        try:
            old.unlink()
        except OSError:
            pass
        remove_run_logs(runs_dir.parent, old.stem)  # the run's logs go with its record
        old.with_suffix(".log").unlink(missing_ok=True)
