"""The run lock: one run at a time per pipeline folder and mode.

`.runs/<mode>.lock` is created exclusively and holds the owner's pid, host, run id and start
time. A second run refuses with `PipelineLocked` naming the first. A lock left by a process
that is gone (same host, pid not alive) is stale and taken over.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from yt_pipeline.errors import PipelineLocked
from yt_pipeline.state import RUNS_DIR


def lock_path(folder: Path, state_name: str) -> Path:
    return Path(folder) / RUNS_DIR / f"{state_name}.lock"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class RunLock:
    def __init__(self, folder: Path, state_name: str, run_id: str):
        self.path = lock_path(folder, state_name)
        self.state_name = state_name
        self.owner = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "run_id": run_id,
            "started_at": time.time(),
        }
        self.held = False

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                other = self._read_other()
                if other is not None and not self._stale(other):
                    raise PipelineLocked(self._message(other)) from None
                self._take_over(other)
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.owner, handle)
            self.held = True
            return self
        raise PipelineLocked(f"cannot take the run lock {self.path}: it keeps reappearing")

    def _read_other(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            # Being written this instant, or damaged: treat as held, never steal it blindly.
            return {"pid": "?", "host": "?", "run_id": "?", "started_at": None}
        return data if isinstance(data, dict) else {}

    def _stale(self, other: dict[str, Any]) -> bool:
        pid = other.get("pid")
        same_host = other.get("host") == self.owner["host"]
        return same_host and isinstance(pid, int) and not pid_alive(pid)

    def _take_over(self, stale: dict[str, Any] | None) -> None:
        # Move the stale lock aside first: if another process replaced it meanwhile, what we
        # moved is theirs, and it goes back.
        aside = self.path.with_name(f"{self.path.name}.{os.getpid()}.stale")
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:
            return
        try:
            moved = json.loads(aside.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            moved = None
        if stale is not None and moved != stale:
            try:
                os.link(aside, self.path)
            except OSError:
                pass
        aside.unlink(missing_ok=True)

    def _message(self, other: dict[str, Any]) -> str:
        started = other.get("started_at")
        when = (
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started))
            if isinstance(started, (int, float)) else "?"
        )
        return (
            f"pipeline {self.path.parent.parent} ({self.state_name}) is already being run: "
            f"run {other.get('run_id', '?')}, pid {other.get('pid', '?')} on host "
            f"{other.get('host', '?')}, started {when} (lock file {self.path})"
        )

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        try:
            current = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if current.get("run_id") == self.owner["run_id"]:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
