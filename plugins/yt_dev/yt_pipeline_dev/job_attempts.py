"""Failed jobs run again, as a cluster runs them, and the stderr of each attempt kept.

A cluster's controller reruns a failed job (a non-zero exit, a kill at its memory or time
limit, a bad output row) and fails the operation once its failed jobs reach the spec's
max_failed_job_count, 10 unless set: TOperationControllerBase::OnJobFailed in
yt/yt/server/controller_agent/operation_controller_detail.cpp fails it with "Failed jobs
limit exceeded" when `failedJobCount >= maxFailedJobCount`, so a limit of 0 or 1 fails the
operation at its first failed job. The count is the operation's, not each job's: three jobs
failing once each use three of the ten.

A failed attempt leaves nothing in the operation's output: each attempt writes its job's
output file afresh, and the file becomes part of a table only once the job succeeded. Its
stderr is kept beside the job's as `<phase><index>.attempt<n>.stderr`, for the job logs.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

#: max_failed_job_count when the spec gives none (TOperationSpecBase::MaxFailedJobCount in
#: yt/yt/ytlib/scheduler/config.cpp: Default(10))
DEFAULT_MAX_FAILED_JOBS = 10
LIMIT_TEXT = "Failed jobs limit exceeded"

_NAME = re.compile(r"(\D+?)(\d+)(?:\.attempt(\d+))?")


class FailedJobs:
    """The failed jobs of one operation, counted against its max_failed_job_count; shared
    by the threads that run its jobs."""

    def __init__(self, limit: int | None):
        self.limit = DEFAULT_MAX_FAILED_JOBS if limit is None else limit
        self.count = 0
        self._lock = threading.Lock()

    def add(self) -> bool:
        """Count one failed job; True when the operation may run it again."""
        with self._lock:
            self.count += 1
            return self.count < self.limit


def attempt_stderr(stderr: Path, attempt: int) -> Path:
    """Where the stderr of a job's failed `attempt` (counted from 1) is kept."""
    return stderr.with_name(f"{stderr.stem}.attempt{attempt}{stderr.suffix}")


def keep_attempt(stderr: Path, attempt: int) -> None:
    """Move a failed attempt's stderr aside, before the job runs again and writes its own."""
    try:
        stderr.replace(attempt_stderr(stderr, attempt))
    except FileNotFoundError:
        pass  # the attempt never started writing one


def attempts_of(stderr: Path) -> list[Path]:
    """The stderr files of a job's failed attempts, first first."""
    found = [(parse(path.stem)[2], path)
             for path in stderr.parent.glob(f"{stderr.stem}.attempt*{stderr.suffix}")]
    return [path for number, path in sorted(found) if number]


def parse(stem: str) -> tuple[str, int, int]:
    """(phase, job index, attempt) of a stderr file's stem: `map1` is (map, 1, 0), the
    job's last attempt; `map1.attempt2` (map, 1, 2); a stem of another form (stem, -1, 0)."""
    match = _NAME.fullmatch(stem)
    if match is None:
        return stem, -1, 0
    return match.group(1), int(match.group(2)), int(match.group(3) or 0)
