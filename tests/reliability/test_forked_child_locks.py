"""A stage's own code may fork (multiprocessing's default start method on Linux does), and
the child inherits the command's open lock files. flock locks belong to the open file
description, released when every descriptor of it is closed (flock(2)), so while such a
child lived, a `yt-pipeline run` killed with SIGKILL still held its transaction's and its
sort folder's `owner.lock`: the next run of the folder took the dead transaction's table
lock for a live one and its write failed, and the dead run's transaction and sort folders
were not swept (their rows left on disk). A forked child now closes its copies of the
command's lock files (yt_pipeline.lock.open_lock), while the command itself keeps its locks."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from adversarial_helpers import command

from yt_pipeline.lock import close_lock_fd, open_lock, pid_alive
from yt_pipeline.testing import write_pipeline
from yt_pipeline.yamlio import dump_yaml

# writes //t/a in its transaction, holds a sort work folder with a file in it, forks a child
# that sleeps, and waits to be killed
FORKER = """
import os
import time
from pathlib import Path

from yt_pipeline import BaseStage
from yt_pipeline_dev.sort_work import sort_area, work_folder


class Forker(BaseStage):
    def run(self, debug):
        flags = Path(self.config.flags)
        self.deps.yt_client.write_table("//t/a", [{"n": 1}] * 100)
        with work_folder(sort_area(Path(self.config.dev))) as folder:
            (folder / "run1").write_text("rows of a sort" * 100)
            pid = os.fork()
            if pid == 0:
                time.sleep(20)  # killed at the test's end
                os._exit(0)
            (flags / "child").write_text(str(pid))
            time.sleep(600)  # killed here
        return debug
"""

WRITER = """
from yt_pipeline import BaseStage


class Writer(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//t/a", [{"n": 2}])
        return debug
"""


def pipeline(root: Path, flags: Path) -> Path:
    return write_pipeline(root, {
        "configs/config.yaml": dump_yaml({
            "pipeline": {"mode": "dev"},
            "stages": {"graph": {"forker": [], "writer": []}},
        }),
        "stages/forker/stage.py": FORKER,
        "stages/forker/config.yaml": dump_yaml({"flags": str(flags),
                                                "dev": str(root / ".dev")}),
        "stages/writer/stage.py": WRITER,
        "stages/writer/config.yaml": dump_yaml({}),
    })


def test_a_killed_runs_forked_child_keeps_none_of_its_locks(tmp_path):
    flags = tmp_path / "flags"
    flags.mkdir()
    root = pipeline(tmp_path / "p", flags)
    dev = root / ".dev"
    out = (tmp_path / "out").open("w")
    # its own session, as the command usually runs; the command alone is killed (as the
    # kernel's OOM killer does), so the child outlives it
    run = subprocess.Popen(command(root, "--only", "forker"), stdout=out,
                           stderr=subprocess.STDOUT, start_new_session=True)
    child = None
    try:
        deadline = time.monotonic() + 120
        while not (flags / "child").exists() or not (flags / "child").read_text():
            assert run.poll() is None, (tmp_path / "out").read_text()
            assert time.monotonic() < deadline, "the stage never forked"
            time.sleep(0.01)
        child = int((flags / "child").read_text())
        assert list((dev / ".txn").iterdir()), "the stage's transaction has no folder"
        assert list((dev / ".sort").iterdir()), "the stage's sort has no folder"
        # the command itself still holds its locks after the fork
        for lock in [*(dev / ".txn").glob("*/owner.lock"), *(dev / ".sort").glob("*/owner.lock")]:
            probe = os.open(lock, os.O_RDWR)
            try:
                try:
                    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    raise AssertionError(f"{lock} is free while the command lives")
                except BlockingIOError:
                    pass
            finally:
                os.close(probe)
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=60)
        assert pid_alive(child)

        # (a) the next run of the folder starts and writes the table the dead run locked
        result = subprocess.run(command(root, "--only", "writer"), capture_output=True,
                                text=True, timeout=300)
        assert pid_alive(child), "the child must outlive the next run for the test to tell"
        problems = []
        if result.returncode != 0:
            problems.append(f"the next run failed: {result.stdout + result.stderr}")
        table = dev / "t/a.jsonl"
        rows = ([json.loads(line) for line in table.read_text().splitlines()]
                if table.exists() else None)
        if rows != [{"n": 2}]:
            problems.append(f"//t/a holds {rows}")
        # (b) the dead run's transaction and sort folders were swept at the run's start,
        # with the rows in them, and its table lock dropped
        left = sorted(str(p.relative_to(dev)) for p in (dev / ".txn").rglob("*"))
        left += sorted(str(p.relative_to(dev)) for p in (dev / ".sort").rglob("*"))
        left += sorted(str(p.relative_to(dev)) for p in (dev / ".locks").glob("*.held/*"))
        if left:
            problems.append(f"the dead run left {left}")
        assert not problems, "\n".join(problems)
    finally:
        if run.poll() is None:
            os.kill(run.pid, signal.SIGKILL)
            run.wait()
        if child is not None:
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        out.close()


def test_a_forked_child_closing_its_copy_leaves_the_parents_lock_held(tmp_path):
    path = tmp_path / "owner.lock"
    fd = open_lock(path)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: its copy of the lock file is closed already
            try:
                os.fstat(fd)
                answer = b"open"
            except OSError:
                answer = b"closed"
            os.write(write, answer)
            os._exit(0)
        os.close(write)
        assert os.read(read, 16) == b"closed"
        os.close(read)
        assert os.waitpid(pid, 0)[1] == 0
        # the parent's lock is still held: another open file of it cannot take it
        probe = os.open(path, os.O_RDWR)
        try:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = False
            except BlockingIOError:
                held = True
        finally:
            os.close(probe)
        assert held, "the child's closing its copy released the parent's lock"
        # A subprocess's child needs nothing: it execs at once, and Python opens files
        # non-inheritable (PEP 446: O_CLOEXEC), so the exec closes its copy.
        assert not os.get_inheritable(fd)
        code = ("import os, sys\n"
                "try:\n    os.fstat(int(sys.argv[1])); print('open')\n"
                "except OSError:\n    print('closed')\n")
        done = subprocess.run([sys.executable, "-c", code, str(fd)], capture_output=True,
                              text=True, timeout=60, close_fds=False)
        assert done.stdout.strip() == "closed", done.stdout + done.stderr
    finally:
        close_lock_fd(fd)
    # and once the parent closes it, it is free
    probe = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(probe)


# The locks the command takes for a moment (a sweep's or a probe's look at another run's
# owner.lock, a settling reader's table lock) are of the same open file descriptions: a
# thread of the stage forking in that moment gave its child a copy of them, which kept the
# lock after the command let it go, for as long as the child lived.

def _forks_while_locked(monkeypatch, call) -> list[str]:
    """Run `call` with every flock it takes followed by a fork (another thread's, at the
    worst moment); the files it locked, each checked free once `call` returned."""
    real = fcntl.flock
    locked: list[str] = []
    children: list[int] = []

    def flock_then_fork(fd, operation):
        real(fd, operation)
        if operation & (fcntl.LOCK_EX | fcntl.LOCK_SH):
            locked.append(os.readlink(f"/proc/self/fd/{fd}"))
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # its fork hooks have run: it says so, then lives on
                os.write(write, b"up")
                time.sleep(30)  # killed below
                os._exit(0)
            children.append(pid)
            os.close(write)
            assert os.read(read, 2) == b"up"
            os.close(read)

    monkeypatch.setattr(fcntl, "flock", flock_then_fork)
    try:
        call()
        monkeypatch.setattr(fcntl, "flock", real)
        held = []
        for path in locked:
            probe = os.open(path, os.O_RDWR)
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held.append(path)
            finally:
                os.close(probe)
        assert all(pid_alive(pid) for pid in children)
        assert locked, "the call took no lock"
        assert not held, f"a forked child keeps the lock of {held}"
    finally:
        for pid in children:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    return locked


def test_a_sweep_s_look_at_a_dead_owner_is_not_kept_by_a_forked_child(tmp_path, monkeypatch):
    from yt_pipeline_dev.owner_gone import owner_gone

    folder = tmp_path / "sort1"
    folder.mkdir()
    (folder / "owner.lock").write_text("")

    def look():
        with owner_gone(folder, lambda name: True) as gone:
            assert gone

    _forks_while_locked(monkeypatch, look)


def test_a_probe_of_a_transaction_s_owner_is_not_kept_by_a_forked_child(tmp_path,
                                                                       monkeypatch):
    from yt_pipeline_dev import txnlocks

    (tmp_path / ".txn" / "t1").mkdir(parents=True)
    (tmp_path / ".txn" / "t1" / "owner.lock").write_text("")
    _forks_while_locked(monkeypatch, lambda: txnlocks._alive(tmp_path, "t1"))


def test_dropping_stale_table_locks_is_not_kept_by_a_forked_child(tmp_path, monkeypatch):
    from yt_pipeline_dev import txnlocks

    (tmp_path / ".locks" / "t.a.held").mkdir(parents=True)
    _forks_while_locked(monkeypatch, lambda: txnlocks.drop_stale(tmp_path))


def test_settling_folder_changes_is_not_kept_by_a_forked_child(tmp_path, monkeypatch):
    from yt_pipeline_dev import folder_changes

    (tmp_path / "t1").mkdir()
    (tmp_path / "t1" / "owner.lock").write_text("")
    (tmp_path / "t1" / "folders.pending").write_text("")
    _forks_while_locked(monkeypatch, lambda: folder_changes.settle(tmp_path, "t1"))


def test_a_reader_settling_a_table_is_not_kept_by_a_forked_child(tmp_path, monkeypatch):
    from yt_pipeline_dev import tablelock

    marker = tablelock._file(tmp_path, "//t/a", ".pending")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("{}")  # a marker naming no commit: dropped under the table's lock
    _forks_while_locked(monkeypatch,
                        lambda: tablelock.settle_before_reading(tmp_path, "//t/a"))
