"""How much memory a running job takes, to stop it where a cluster would.

A cluster's job proxy watches each user job's memory and kills the job when it passes the
operation's `memory_limit` (512 MiB when the spec gives none: TUserJobSpec in
yt/yt/ytlib/scheduler/config.cpp), failing it with "Memory limit exceeded" (error 1200 of
the job proxy). A local job that a cluster would kill must not look fine: dev (and the fake
proxy) sum the resident memory of the job's process and every process it started, and
stop it the same way.

Linux only (/proc); elsewhere nothing is measured and nothing stopped.
"""

from __future__ import annotations

import os

#: a cluster's memory_limit for a user job whose spec gives none
DEFAULT_LIMIT = 512 * 1024**2
#: seconds between two looks at a job's memory (a cluster's watchdog looks every second or
#: so; a tenth of that catches a job that grows fast before it takes the machine's memory)
CHECK_EVERY_S = 0.1
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def limit_bytes(memory_limit_gb: float | None) -> int:
    """The limit a cluster gives a job of this `resources.memory_limit_gb`."""
    return DEFAULT_LIMIT if memory_limit_gb is None else int(memory_limit_gb * 1024**3)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += map(int, handle.read().split())
        except (OSError, ValueError):
            continue  # the thread or the process ended meanwhile
    return found


def tree_rss(pid: int) -> int | None:
    """Bytes resident in `pid` and all its descendants now; None where /proc cannot say."""
    if not os.path.isdir(f"/proc/{pid}"):
        return None
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * _PAGE
        except (OSError, ValueError, IndexError):
            continue  # it ended meanwhile
        todo += _children(current)
    return total


def over_limit(used: int, limit: int) -> str:
    """The reason a job over its limit fails with."""
    mib = 1024**2
    # rounded up: a job killed a fraction of a MiB over its limit read "used 512 MiB of
    # memory, more than its memory limit of 512 MiB"
    return (f"used {-(-used // mib):,} MiB of memory, more than its memory limit of "
            f"{limit / mib:,.0f} MiB (resources.memory_limit_gb; 0.5 when not set, as on a "
            "cluster), and was killed: Memory limit exceeded")
