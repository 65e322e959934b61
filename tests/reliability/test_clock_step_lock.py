"""A run's lock must hold while the run lives, whatever the wall clock does meanwhile.

The run lock (core/lock.py) judged a live owner's lock stale when the owner's pid seemed to
belong to a process younger than the lock: the process's start, read as /proc/stat's
`btime` plus its start in ticks since boot, later than the lock's `started_at` (wall clock)
by two seconds. `btime` is the wall clock's reading less the time since boot, so a step of
the wall clock forward (NTP or a hypervisor correcting a clock that fell behind, a virtual
machine resumed from a snapshot or a host's sleep) moves every running process's computed
start forward by the step. After such a step of more than a few seconds, a second run of the
folder (`run`, or `run --resume`) took the live run's lock over, both ran the appending
stage at once and its rows landed twice.

The first run here takes its lock with its clock `STEP` seconds behind the machine's (a
wrapper lags `time.time` in that process only), as if the clock had been stepped forward by
`STEP` since; the second run must refuse, and the table must hold the first run's rows once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from yt_pipeline.lock import boot_id, process_start_ticks
from yt_pipeline.testing import invoke_cli, write_pipeline

ROWS = 100
STAGE = f"""
import os, time
from pathlib import Path
from yt_pipeline import BaseStage


class Gated(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//t/acc", ({{"i": i}} for i in range({ROWS})), append=True)
        gate = os.environ.get("YTP_TEST_GATE")
        if gate:  # say the lock is held, then wait for the test to let the run go on
            Path(gate + ".reached").write_text(str(os.getpid()))
            deadline = time.monotonic() + 60
            while not Path(gate).exists():
                if time.monotonic() > deadline:
                    raise RuntimeError("the gate was never opened")
                time.sleep(0.02)
        return debug
"""
#: runs the CLI with a wall clock `lag` seconds behind the machine's
LAGGING_CLOCK = """
import runpy, sys, time
lag = float(sys.argv.pop(1))
real = time.time
time.time = lambda: real() - lag
sys.argv[0] = "yt_pipeline"
runpy.run_module("yt_pipeline", run_name="__main__", alter_sys=True)
"""


def make(root: Path) -> Path:
    return write_pipeline(root, {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [gated]}\n",
        "stages/gated/stage.py": STAGE,
    })


def acc_rows(root: Path) -> Counter:
    path = root / ".dev/t/acc.jsonl"
    return Counter(json.loads(line)["i"] for line in path.read_text().splitlines())


@pytest.mark.slow
@pytest.mark.parametrize("step,second", [(3600, "run"), (30, "resume"), (5, "run")])
def test_a_clock_step_never_lets_a_second_run_take_a_live_lock(tmp_path, step, second):
    root = make(tmp_path / "p")
    gate = tmp_path / "gate"
    first = subprocess.Popen(
        [sys.executable, "-c", LAGGING_CLOCK, str(step), "run", str(root)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env=dict(os.environ, YTP_TEST_GATE=str(gate)))
    try:
        deadline = time.monotonic() + 60
        while not Path(f"{gate}.reached").exists():
            if first.poll() is not None:
                pytest.fail(f"the first run ended early: {first.communicate()}")
            assert time.monotonic() < deadline, "the first run never reached its stage"
            time.sleep(0.02)
        lock = json.loads((root / ".runs/dev.lock").read_text())
        assert lock["pid"] == first.pid

        extra = ["--resume"] if second == "resume" else []
        other = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root), *extra],
                               capture_output=True, text=True, timeout=120)
        gate.write_text("go")
        out, err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.communicate()
    assert first.returncode == 0, out + err
    rows = acc_rows(root)
    doubled = sum(1 for count in rows.values() if count > 1)
    assert doubled == 0 and rows == Counter(range(ROWS)), (
        f"clock stepped {step}s forward: {doubled} of {ROWS} rows doubled; the second run "
        f"said: {other.stderr.strip()[-300:]}")
    assert other.returncode == 1, other.stdout + other.stderr
    assert f"is already being run: run {lock['run_id']}, pid {first.pid}" in other.stderr


def _lock_of(root: Path, pid: int, **owner) -> Path:
    lock = root / ".runs/dev.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(json.dumps({"host": socket.gethostname(), "run_id": "old-run", "pid": pid,
                                # a clock stepped back since: by the wall clock, the lock is
                                # younger than any process now running
                                "started_at": time.time() + 3600, **owner}))
    return lock


@pytest.mark.parametrize("owner", ["reused pid", "another boot"])
def test_a_lock_of_another_process_is_stale_whatever_the_clock_says(tmp_path, owner):
    """The kernel's count tells a reused pid (or a lock of a boot before the machine's last
    start) even when the wall clock, stepped back since, says the lock is the younger."""
    root = make(tmp_path / "p")
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        ticks, boot = process_start_ticks(stranger.pid), boot_id()
        assert ticks is not None and boot is not None
        if owner == "reused pid":
            lock = _lock_of(root, stranger.pid, boot_id=boot, start_ticks=ticks - 1)
        else:
            lock = _lock_of(root, stranger.pid, boot_id=boot + "-before", start_ticks=ticks)
        result = invoke_cli("run", root)
        assert result.exit_code == 0, result.output
        assert "taking over the stale run lock" in result.output
        assert acc_rows(root) == Counter(range(ROWS)) and not lock.exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_a_lock_of_the_live_process_holds_whatever_the_clock_says(tmp_path):
    root = make(tmp_path / "p")
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = _lock_of(root, stranger.pid, boot_id=boot_id(),
                        start_ticks=process_start_ticks(stranger.pid),
                        started_at=time.time() - 3600)  # and now a clock stepped forward
        result = invoke_cli("run", root)
        assert result.exit_code == 1, result.output
        assert f"is already being run: run old-run, pid {stranger.pid}" in result.stderr
        assert lock.exists() and not (root / ".dev/t/acc.jsonl").exists()
    finally:
        stranger.kill()
        stranger.wait()
