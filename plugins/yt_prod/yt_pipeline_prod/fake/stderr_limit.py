"""What a cluster keeps of a job's stderr: at most `max_stderr_size` bytes of it (a user job
spec option, 5 MB unless given, more than 0 and at most 1 GB: TUserJobSpec in
yt/yt/ytlib/scheduler/config.cpp). The job proxy's TStderrWriter (yt/yt/server/job_proxy/
stderr_writer.cpp) keeps the first half of that limit and the last half of what follows;
when bytes between them were dropped, the two halves are joined by "\\n...skipped...\\n".
That is what get_job_stderr gives and what the stderr table holds, so a job's traceback at
the end of a long stderr is still there, and the middle of it is not."""

from __future__ import annotations

from typing import Any

DEFAULT_MAX_STDERR_SIZE = 5 * 1024 * 1024
MAX_MAX_STDERR_SIZE = 1024 * 1024 * 1024
SKIPPED = b"\n...skipped...\n"


def max_stderr_size(user_job: dict[str, Any]) -> int:
    given = user_job.get("max_stderr_size")
    return DEFAULT_MAX_STDERR_SIZE if given is None else int(given)


def kept_stderr(data: bytes, limit: int) -> bytes:
    """The stderr a cluster keeps of `data` under `limit`."""
    part = limit // 2
    head, rest = data[:part], data[part:]
    if not rest:
        return head
    if len(rest) <= part:  # the tail's ring buffer did not wrap: nothing dropped
        return head + rest
    return head + SKIPPED + rest[len(rest) - part:]
