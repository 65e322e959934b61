"""The file descriptors a YT job finds open, and a way to give a local job the same ones.

A cluster's job proxy wires a user job so (TUserJob::PreparePipes and
PrepareOutputTablePipes in yt/yt/server/job_proxy/user_job.cpp):

- fd 0: the input rows of every input table;
- fd 3 * N + 1: output table N (fd 1 for table 0, fd 4 for table 1, fd 7 for table 2...),
  each in the job's output format, for as many output tables as the operation has;
- fd 2: stderr;
- fd 5: the job's custom statistics (`JobStatisticsFD`), always open;
- fd 3, 6 and those of output tables the operation lacks: not open, so a write to them
  fails with EBADF.

A job may write all its rows to fd 1 with table switches, or each table's rows to its own
fd, or mix both (a switch in any stream moves the rows after it to the table it names).
The environment tells the job YT_FIRST_OUTPUT_TABLE_FD=1.

Dev and the fake proxy start jobs from threads, where a `preexec_fn` to move descriptors
is unsafe, so `with_fds` puts a bash `exec` with redirections in front of the command: the
descriptors are handed over at fds that cannot clash with the targets and moved into place
in the child just before it execs the job.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Mapping, Sequence

#: the job's statistics pipe (JobStatisticsFD in user_job.cpp)
STATISTICS_FD = 5
FIRST_OUTPUT_FD_ENV = "YT_FIRST_OUTPUT_TABLE_FD"


def output_fd(table_index: int) -> int:
    """The descriptor of output table `table_index` (3 * N + 1, user_job.cpp)."""
    return 3 * table_index + 1


def extra_fds(output_tables: int) -> list[int]:
    """The descriptors a job with `output_tables` tables finds open besides 0, 1 and 2:
    one per output table beyond the first, and the statistics pipe, which every user job
    has, a vanilla one without output tables too (PreparePipes in user_job.cpp)."""
    return sorted([output_fd(i) for i in range(1, output_tables)] + [STATISTICS_FD])


def with_fds(argv: Sequence[str], targets: Mapping[int, int]) -> tuple[list[str], list[int]]:
    """(argv, pass_fds) that start `argv` with each descriptor `targets[fd]` of this process
    open as `fd` in the job. The caller passes pass_fds to Popen and closes them after the
    start; the copies made here are owned by the caller too (they are among pass_fds)."""
    if not targets:
        return list(argv), []
    # above every target, so moving one into place never overwrites another still to move
    floor = max(targets) + 1
    handed: dict[int, int] = {}
    for fd, source in targets.items():
        handed[fd] = fcntl.fcntl(source, fcntl.F_DUPFD_CLOEXEC, floor)
    moves = " ".join(f"{fd}>&{high} {high}>&-" for fd, high in sorted(handed.items()))
    return ["bash", "-c", f'exec {moves}; exec "$@"', "bash", *argv], list(handed.values())


def close_all(fds: Sequence[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
