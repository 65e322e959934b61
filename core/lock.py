"""The run lock: one run at a time per pipeline folder and mode.

`.runs/<mode>.lock` is created exclusively and holds the owner's pid, host, run id and start
time. A second run refuses with `PipelineLocked` naming the first. A lock left by a process
that is gone is stale and taken over, with a warning naming it. On the lock's own host, gone
means: no process has that pid, or only a zombie (killed, its parent has not waited for
it yet); or the pid now belongs to a process younger than the lock
(pids are reused, after a container restart even by this very process); or the file never got
its content (its writer died between creating and filling it) and is older than a moment.
Locks of other hosts are never judged: only their own host can tell.

A lock also names the folder it was written in (resolved). A stale lock found in another
folder came with a copy of the checkout (`.runs` copied along): it is taken over, but the
run it names ran elsewhere and is not handed on as dead (`DeadRun`). The copy's run must not
end that run's lock and stage transactions on the cluster: the other folder's journal may
hold a commit record of one of them that the copy cannot see, and that folder's own
`--resume` is the one to finish or end them.

"Younger" is told by the kernel's own count, not by the wall clock: the lock keeps its owner's
start in clock ticks since boot (/proc/<pid>/stat, field 22) and the boot's id, and the pid is
another process when its start differs. Told by the wall clock (the lock's `started_at`
against /proc/stat's `btime` plus those ticks), a step of the clock forward while the run
went on (NTP or a hypervisor correcting it, a virtual machine resumed) made every live run's
lock look older than its process: a second run took it over and both appended. Locks
written without those fields (an older version, no /proc) are still judged by the clock.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import msgspec

from yt_pipeline.errors import PipelineLocked
from yt_pipeline.hostname import host_name
from yt_pipeline.state import RUNS_DIR

log = logging.getLogger("yt_pipeline.lock")

#: a lock file still without content this long after it was made was left by a dead writer
UNFINISHED_LOCK_S = 5.0
#: slack between a process's start (kernel clock ticks) and the time its lock records
START_SLACK_S = 2.0
#: how many dead runs a lock file hands on (DeadRun.earlier): each run killed before it
#: took the cluster's lock over adds one
HANDED_ON = 8

#: run ids whose locks this process holds, by lock path: the only way to tell our own lock
#: from one a former process with our pid left behind
_held_here: dict[Path, set[str]] = {}
_held_lock = threading.Lock()


#: the open files of flock locks this process holds (open_lock), closed in a forked child
_fork_closed: set[int] = set()
_fork_guard = threading.Lock()


def open_lock(path: str | os.PathLike[str], flags: int = os.O_RDWR | os.O_CREAT,
              mode: int = 0o644) -> int:
    """Open a file this process is to take a flock lock by, closed in every child forked
    while it is open; end with `close_lock_fd`. flock locks belong to the open file
    description, released when every descriptor of it is closed (flock(2)): a child forked
    by a stage's own code (os.fork, multiprocessing's default start method on Linux) kept
    the command's locks for as long as it lived, so after the command was killed its
    transactions and sort folders looked alive (not swept, their table locks held against
    the next run). Closing the child's copy leaves the parent's lock held. Opened under
    the fork guard, so no fork comes between the opening and the registering (a copy of
    the file made then would share the lock taken after). Children of subprocess need
    nothing: Python opens files non-inheritable (O_CLOEXEC, PEP 446), so their exec
    closes them."""
    with _fork_guard:
        fd = os.open(path, flags, mode)
        _fork_closed.add(fd)
    return fd


def close_lock_fd(fd: int) -> None:
    """Close a file opened by `open_lock`, releasing its lock. In a forked child, which
    closed it at the fork, nothing: the number may name another file of the child's since."""
    with _fork_guard:
        if fd not in _fork_closed:
            return
        _fork_closed.discard(fd)
        os.close(fd)


def _close_in_child() -> None:
    global _fork_guard
    _fork_guard = threading.Lock()  # held by the forking thread in the parent (before)
    fds = list(_fork_closed)
    _fork_closed.clear()
    for fd in fds:
        try:
            os.close(fd)  # not flock(LOCK_UN): that would release the parent's lock too
        except OSError:
            pass


# The guard is held across the fork: no file is closed and its number reused (then closed
# by mistake in the child) while the child's copy of the set is made.
os.register_at_fork(before=lambda: _fork_guard.acquire(),
                    after_in_parent=lambda: _fork_guard.release(),
                    after_in_child=_close_in_child)


def _dead_run(stale: dict[str, Any] | None, folder: str) -> DeadRun | None:
    """The run a stale lock names, when it names one fully (a lock never filled does not)
    and ran in `folder` (a lock copied from another folder names a run of that one; a lock
    of an older version, naming no folder, is taken as this folder's), with the dead runs
    that run had taken over (`took_over`)."""
    run = _named_run(stale)
    if run is None or stale is None:
        return None
    written_in = stale.get("folder")
    if isinstance(written_in, str) and written_in != folder:
        log.warning("the stale run lock was written in %s, not here: its run %s is not "
                    "taken over on the cluster (the resume of that folder does it)",
                    written_in, run.run_id)
        return None
    handed = stale.get("took_over")
    earlier = [_named_run(each) for each in handed] if isinstance(handed, list) else []
    return DeadRun(run_id=run.run_id, pid=run.pid, host=run.host,
                   earlier=tuple(each for each in earlier if each is not None))


def _named_run(entry: Any) -> DeadRun | None:
    if not isinstance(entry, dict):
        return None
    run_id, pid, host = entry.get("run_id"), entry.get("pid"), entry.get("host")
    if isinstance(run_id, str) and isinstance(pid, int) and isinstance(host, str):
        return DeadRun(run_id=run_id, pid=pid, host=host)
    return None


def lock_path(folder: Path, state_name: str) -> Path:
    return Path(folder) / RUNS_DIR / f"{state_name}.lock"


def pid_alive(pid: int) -> bool:
    """True while process `pid` runs. A zombie (killed, not yet reaped by its parent: a
    script that started the run and has not waited for it, a container without an init)
    still answers kill(pid, 0), but will never release its lock: it counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        pass
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # no /proc here, or gone this instant (then the next look tells)
    try:  # the command name (field 2) may hold spaces and parentheses: read after its end
        return stat[stat.rindex(")") + 2] in "ZX"
    except (ValueError, IndexError):
        return False


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def process_start_ticks(pid: int) -> int | None:
    """When process `pid` started, in clock ticks since boot (a count no change of the wall
    clock moves), where /proc tells; else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        # the command name (field 2) may hold spaces and parentheses: count from its end
        return int(stat[stat.rindex(")") + 2 :].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def boot_id() -> str | None:
    """This boot's id (new at every boot of the machine), where /proc tells; else None."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


def process_started_at(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), where /proc tells; else None.
    Moves with every step of the wall clock (`btime` is the clock less the time since boot)."""
    try:
        ticks = process_start_ticks(pid)
        if ticks is None:
            return None
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _same_process(owner: dict[str, Any], pid: int) -> bool | None:
    """Whether live process `pid` is the one that wrote lock `owner`, told by its start in
    ticks since boot; None when the lock or /proc cannot tell (then the wall clock judges)."""
    ticks, boot = owner.get("start_ticks"), owner.get("boot_id")
    if not isinstance(ticks, int) or not isinstance(boot, str):
        return None
    now = boot_id()
    if now is None:
        return None
    if now != boot:
        return False  # the machine started again since: every process of that boot is gone
    current = process_start_ticks(pid)
    return None if current is None else current == ticks


class DeadRun(msgspec.Struct, frozen=True):
    """The run whose stale lock this run took over: gone for sure (its pid is dead or is
    another process, on this host). The cluster's lock (yt_pipeline.client.cluster_run_lock)
    may still name it until its transaction times out; knowing it is dead, the next run ends
    that transaction at once instead of waiting."""

    run_id: str
    pid: int
    host: str
    #: the dead runs whose locks that run had taken over, newest first. Killed (or
    #: stopped: runner.py leaves its lock then) before it took the cluster's lock over (it
    #: packages the code first), it leaves the cluster's lock in the name of one of them:
    #: a run killed, then its `--resume` killed or stopped early, then another `--resume`,
    #: must know the first run too
    earlier: tuple[DeadRun, ...] = ()

    def runs(self) -> list[DeadRun]:
        """This run and the earlier ones: every run the cluster's lock may still name."""
        return [self, *self.earlier]


class RunLock:
    def __init__(self, folder: Path, state_name: str, run_id: str):
        self.path = lock_path(folder, state_name)
        self.state_name = state_name
        self.run_id = run_id
        self.owner: dict[str, Any] = {
            "pid": os.getpid(),
            "host": host_name(),
            "run_id": run_id,
            "started_at": time.time(),
            # which checkout: a copy of the folder must not take this run for its own
            "folder": str(Path(folder).resolve()),
        }
        # who holds the lock, by the kernel's count (_same_process): a live run's lock must
        # not look stale after the wall clock stepped forward
        ticks, boot = process_start_ticks(os.getpid()), boot_id()
        if ticks is not None and boot is not None:
            self.owner.update(boot_id=boot, start_ticks=ticks)
        self.held = False
        #: the dead run whose lock was taken over, if any (see DeadRun)
        self.taken_over: DeadRun | None = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # the run id is held here from before the lock file names it: another thread of
        # this process reading the file in between would judge it stale (_stale), take it
        # over and hand this live run on as dead
        key = self.path.resolve()
        with _held_lock:
            _held_here.setdefault(key, set()).add(self.run_id)
        try:
            self._acquire()
        except BaseException:
            with _held_lock:
                _held_here.get(key, set()).discard(self.run_id)
            raise
        return self

    def _acquire(self) -> None:
        for _ in range(3):
            try:
                self._create()
            except FileExistsError:
                other = self._read_other()
                if other is not None and not self._stale(other):
                    raise PipelineLocked(self._message(other)) from None
                if not self._take_over(other):
                    continue  # gone or taken meanwhile: judged again from the start
            self.held = True
            return
        raise PipelineLocked(f"cannot take the run lock {self.path}: it keeps reappearing")

    def _create(self) -> None:
        """Create the lock file with its content, or FileExistsError. The content is written
        to a file of this process first and linked under the lock's name, so the lock never
        exists empty: a run killed while taking it leaves no lock that the next run, resumed
        at once, would have to wait for. Where the file system has no hard links, the file
        is created exclusively and then filled."""
        own = self._write_own()
        try:
            try:
                os.link(own, self.path)
                return
            except FileExistsError:
                raise
            except OSError:
                pass  # no hard links here
        finally:
            own.unlink(missing_ok=True)
        fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.owner, handle)

    def _write_own(self) -> Path:
        """The lock's content in a file of this process and thread, beside the lock."""
        own = self.path.with_name(f"{self.path.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            own.write_text(json.dumps(self.owner), encoding="utf-8")
        except OSError as exc:
            own.unlink(missing_ok=True)
            if exc.filename is None:  # a full disk: say which file could not be written
                exc.filename = str(self.path)
            raise
        return own

    def _read_other(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            data = None
        if isinstance(data, dict):
            return data
        # Being written this instant, or never finished: held unless it is old (_stale).
        return {"unfinished_since": _mtime(self.path)}

    def _stale(self, other: dict[str, Any]) -> bool:
        if "unfinished_since" in other:
            made = other["unfinished_since"]
            return made is not None and time.time() - made > UNFINISHED_LOCK_S
        pid = other.get("pid")
        if other.get("host") != self.owner["host"] or not isinstance(pid, int):
            return False
        if pid == os.getpid():
            with _held_lock:
                return other.get("run_id") not in _held_here.get(self.path.resolve(), set())
        if not pid_alive(pid):
            return True
        same = _same_process(other, pid)
        if same is not None:
            return not same
        started, lock_time = process_started_at(pid), other.get("started_at")
        return (started is not None and isinstance(lock_time, (int, float))
                and started > lock_time + START_SLACK_S)

    def _take_over(self, stale: dict[str, Any] | None) -> bool:
        """Put this run's lock in place of the stale one judged a moment ago, if it is still
        that one; whether it was. Every take-over goes through one flock
        (`<lock>.takeover`): under it, the lock read again and found the same can only be
        replaced by this process (its owner is gone, and the others who judged it stale
        wait for the flock), so a lock another run took meanwhile is never touched. (The
        lock was once moved aside to be checked and put back: a run starting in that moment
        took the free name, the putting back failed, and two runs held the lock.)

        The stale lock is replaced in one rename, never removed first: a run killed between
        a removal and its own lock's creation left no lock at all, and the next run, finding
        none, knew nothing of the dead runs this one was taking over (`took_over`), so it
        waited out their locks and transactions on the cluster instead of ending them."""
        if stale is None:
            return False  # removed since it was found: created afresh
        log.warning("taking over the stale run lock %s: %s", self.path, self._owner_text(stale))
        guard = self.path.with_name(f"{self.path.name}.takeover")
        fd = open_lock(guard)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if self._read_other() != stale:
                return False
            dead = _dead_run(stale, str(self.owner["folder"]))
            if dead is not None:
                self.taken_over = dead
                # in this run's own lock file: killed before it takes the cluster's lock
                # over, it hands them on to the next run (DeadRun.earlier)
                self.owner["took_over"] = [
                    {"run_id": run.run_id, "pid": run.pid, "host": run.host}
                    for run in dead.runs()[:HANDED_ON]]
            own = self._write_own()
            try:
                os.replace(own, self.path)
            except OSError:
                own.unlink(missing_ok=True)
                raise
            return True
        finally:
            close_lock_fd(fd)  # releases the flock

    def _owner_text(self, other: dict[str, Any]) -> str:
        if "unfinished_since" in other:
            return "a lock file without an owner (its writer died or is writing it now)"
        started = other.get("started_at")
        when = (
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started))
            if isinstance(started, (int, float)) else "?"
        )
        return (f"run {other.get('run_id', '?')}, pid {other.get('pid', '?')} on host "
                f"{other.get('host', '?')}, started {when}")

    def _message(self, other: dict[str, Any]) -> str:
        return (
            f"pipeline {self.path.parent.parent} ({self.state_name}) is already being run: "
            f"{self._owner_text(other)} (lock file {self.path})"
        )

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        with _held_lock:
            _held_here.get(self.path.resolve(), set()).discard(self.run_id)
        try:
            current = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if current.get("run_id") == self.run_id:
            self.path.unlink(missing_ok=True)

    def leave_for_take_over(self) -> None:
        """End the run leaving its lock file in place: the next run of this folder finds it
        stale (its process gone, or this process no longer holding that run id: _stale)
        and takes it over, the run it names handed on as `taken_over`."""
        if not self.held:
            return
        self.held = False
        with _held_lock:
            _held_here.get(self.path.resolve(), set()).discard(self.run_id)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
