"""Processes a job left running that still hold its files or its stdin, killed once it ends.

A cluster's job proxy kills every process of a job once its main process has ended
(TUserJob::Run calls CleanupUserProcesses, which has the job's environment, its container,
kill every process in it: yt/yt/server/job_proxy/user_job.cpp), whatever session a process
made for itself. processes._kill_group kills the job's process group; a helper the job
started in a session of its own (`subprocess.Popen(..., start_new_session=True)`, a daemon)
is not in it. Left alive, it kept the job's stdout: what it printed later went into the
file the operation renames into the output table (a job's output placed into an empty
table becomes its file), so rows appeared in a table after its stage had committed; or into
the next attempt's output (each attempt empties the same file), so a failed attempt's rows
reached the table. Holding the job's stdin and reading none of it, it kept the feeder
thread writing into a full pipe: the job never ended, as long as the helper ran.

Looking for such a process walks /proc, so it is done only when one is there: the kernel
refuses a read lease (fcntl F_SETLEASE F_RDLCK) with EAGAIN while any process has the file
open for writing (fcntl(2), "Leases"), and the driver closed its own copies once the job
had started (`stop_writers`); a feeder still writing a moment after the job ended is
stuck on such a process (`free_feeder`). Only a process that is not the driver's own
child is killed: the driver's children are its jobs and YQL engines (one forked this
instant holds the driver's open files until its exec closes them).
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

#: how long the files' writers are given to die once killed (or a fork of the driver to
#: reach its exec) before the job goes on as it is
WAIT_S = 2.0
#: how long a feeder may go on after its job ended before what holds its pipe is looked for
FEEDER_GRACE_S = 0.05
_PROC = Path("/proc")


def stop_writers(paths: Iterable[Path | None]) -> None:
    """Kill every process but the driver's children still holding one of `paths` open for
    writing, and wait until none does (at most WAIT_S)."""
    states = {path: _lease(path) for path in paths if path is not None}
    held = [path for path, state in states.items() if state == HELD]
    unknown = [path for path, state in states.items() if state == UNKNOWN]
    if not (held or unknown) or not _PROC.is_dir():
        return
    if unknown:  # no lease to tell when they are gone: one look, no wait
        _kill_writers(unknown)
    deadline = time.monotonic() + WAIT_S
    pause = 0.001
    while held and time.monotonic() < deadline:
        _kill_writers(held)
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
        held = [path for path in held if _lease(path) == HELD]


def free_feeder(feeder: threading.Thread, pipe: tuple[int, int]) -> None:
    """Wait for the thread feeding a job that has ended; if it is still writing a moment
    later, kill the processes (not the driver's children) that hold its pipe, `pipe` (the
    device and inode of the pipe), until it ends."""
    feeder.join(FEEDER_GRACE_S)
    pause = 0.001
    while feeder.is_alive():
        killed = _kill(_holders({pipe}, writing=False)) if _PROC.is_dir() else 0
        feeder.join(pause)
        # none to kill (one of the driver's own, another user's): the feeder waits for it,
        # looking again now and then rather than walking /proc without a pause
        pause = min(pause * 2, 0.05 if killed else 0.5)


def _kill_writers(paths: list[Path]) -> None:
    files = set()
    for path in paths:
        try:
            status = path.stat()
        except FileNotFoundError:
            continue
        files.add((status.st_dev, status.st_ino))
    _kill(_holders(files, writing=True))


def _kill(pids: Iterable[int]) -> int:
    killed = 0
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except (ProcessLookupError, PermissionError):
            pass
    return killed


FREE, HELD, UNKNOWN = "free", "held", "unknown"


def _lease(path: Path) -> str:
    """HELD while a process has `path` open for writing, FREE when none has; UNKNOWN where
    leases are not to be had (a file system without them, leases disabled)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return FREE  # gone: renamed into its table, or the job's output removed
    try:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    except OSError as exc:
        return HELD if exc.errno == errno.EAGAIN else UNKNOWN
    else:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
        return FREE
    finally:
        os.close(fd)


def _holders(files: set[tuple[int, int]], *, writing: bool) -> Iterator[int]:
    """The processes (not this one nor its children) with one of `files` open (to write,
    if `writing`)."""
    me = os.getpid()
    for entry in os.listdir(_PROC):
        if not entry.isdigit() or int(entry) == me:
            continue
        base = _PROC / entry
        try:
            if _parent(base) == me:
                continue
            names = os.listdir(base / "fd")
        except (OSError, ValueError, IndexError):
            continue  # gone, or another user's
        for name in names:
            try:
                status = os.stat(base / "fd" / name)
            except OSError:
                continue
            if (status.st_dev, status.st_ino) in files and (
                    not writing or _writes(base, name)):
                yield int(entry)
                break


def _parent(base: Path) -> int:
    stat = (base / "stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[1])


def _writes(base: Path, fd: str) -> bool:
    """Whether descriptor `fd` of the process is open for writing (its fdinfo flags)."""
    try:
        for line in (base / "fdinfo" / fd).read_text().splitlines():
            if line.startswith("flags:"):
                return int(line.split()[1], 8) & os.O_ACCMODE != os.O_RDONLY
    except (OSError, ValueError, IndexError):
        pass
    return True
