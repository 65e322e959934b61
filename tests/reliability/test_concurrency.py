"""Two runs at once: of one pipeline folder and mode, the second refuses naming the first;
a lock left by a killed run is taken over; other modes and other folders do not wait.

The first run is a real `python -m yt_pipeline run` process whose stage waits on a gate file
the test opens; the lock lives in `.runs/<mode>.lock` (core/lock.py), one per folder and mode.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from yt_pipeline.testing import invoke_cli, write_pipeline
from yt_pipeline.yamlio import dump_yaml

STAGE = """
import os, time
from pathlib import Path
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Gated(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//tmp/gated/input", [{"id": i} for i in range(5)])
        gate = os.environ.get("YTP_TEST_GATE")
        if gate:  # tell the test we hold the lock, then wait until it lets us go on
            Path(gate + ".reached").write_text(str(os.getpid()))
            deadline = time.monotonic() + 60
            while not Path(gate).exists():
                if time.monotonic() > deadline:
                    raise RuntimeError("the gate was never opened")
                time.sleep(0.02)
        run_map(self, self.config.client.operations.map)
        return debug
"""
MAPPER = """
from ytjobs import read_rows, write_rows

write_rows({**row, "square": row["id"] ** 2} for row in read_rows())
"""
CONFIG = """
client:
  operations:
    map:
      input_table: //tmp/gated/input
      output_table: //tmp/gated/output
      resources: {job_count: 2}
"""
EXPECTED = [{"id": i, "square": i * i} for i in range(5)]


def make(root: Path) -> Path:
    return write_pipeline(root, {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [gated]}\n",
        "stages/gated/stage.py": STAGE,
        "stages/gated/src/mapper.py": MAPPER,
        "stages/gated/config.yaml": CONFIG,
    })


def output_rows(root: Path) -> list[dict]:
    path = root / ".dev/tmp/gated/output.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


class GatedRun:
    """`yt-pipeline run` in its own process, stopped inside its stage until `open()`."""

    def __init__(self, root: Path, *extra: str):
        self.gate = root.parent / f"{root.name}.gate"
        env = dict(os.environ, YTP_TEST_GATE=str(self.gate))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "yt_pipeline", "run", str(root), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            start_new_session=True,
        )

    def wait_inside(self) -> None:
        reached = Path(f"{self.gate}.reached")
        deadline = time.monotonic() + 30
        while not reached.exists():
            if self.process.poll() is not None:
                pytest.fail(f"the first run ended early: {self.process.communicate()}")
            assert time.monotonic() < deadline, "the first run never reached its stage"
            time.sleep(0.02)

    def open(self) -> subprocess.CompletedProcess:
        self.gate.write_text("go")
        out, err = self.process.communicate(timeout=60)
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, out, err)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.communicate(timeout=30)


@pytest.fixture
def gated_runs():
    runs: list[GatedRun] = []

    def start(root: Path, *extra: str) -> GatedRun:
        run = GatedRun(root, *extra)
        runs.append(run)
        return run

    yield start
    for run in runs:  # a failed test never leaves a waiting process behind
        run.kill()


def test_a_second_run_of_the_same_folder_refuses_naming_the_first(tmp_path, gated_runs):
    root = make(tmp_path / "p")
    first = gated_runs(root)
    first.wait_inside()
    lock = json.loads((root / ".runs/dev.lock").read_text())
    assert lock["pid"] == first.process.pid
    state_before = (root / "state.dev.yml").read_text()
    build_before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns)
                    for p in (root / ".build").iterdir()}

    second = invoke_cli("run", root)
    assert second.exit_code == 1, second.output
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(lock["started_at"]))
    assert second.stderr.strip() == (
        f"error: pipeline {root} (dev) is already being run: run {lock['run_id']}, pid "
        f"{first.process.pid} on host {socket.gethostname()}, started {when} "
        f"(lock file {root / '.runs/dev.lock'})"
    )
    # the second touched nothing: not the state, not the code archive the first runs from
    assert (root / "state.dev.yml").read_text() == state_before
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns)
            for p in (root / ".build").iterdir()} == build_before
    assert not (root / ".dev/tmp/gated/output.jsonl").exists()

    done = first.open()
    assert done.returncode == 0, done.stderr
    assert f"run {lock['run_id']}: success" in done.stdout + done.stderr
    assert output_rows(root) == EXPECTED
    assert not (root / ".runs/dev.lock").exists()
    assert invoke_cli("run", root).exit_code == 0  # and now a new run may go


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path, gated_runs, caplog):
    root = make(tmp_path / "p")
    first = gated_runs(root)
    first.wait_inside()
    first.kill()  # SIGKILL: no chance to remove its lock
    lock_file = root / ".runs/dev.lock"
    left = json.loads(lock_file.read_text())
    assert left["pid"] == first.process.pid

    result = invoke_cli("run", root)
    assert result.exit_code == 0, result.output
    assert output_rows(root) == EXPECTED
    assert not lock_file.exists()
    warnings = [r.getMessage() for r in caplog.records if r.name == "yt_pipeline.lock"]
    assert warnings == [f"taking over the stale run lock {lock_file}: run {left['run_id']}, "
                        f"pid {left['pid']} on host {left['host']}, started "
                        f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(left['started_at']))}"]


def _stale_lock(root: Path, **owner) -> Path:
    lock = root / ".runs/dev.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(json.dumps({"host": socket.gethostname(), "run_id": "old-run",
                                "started_at": time.time() - 3600, **owner}))
    return lock


def test_a_lock_naming_this_very_process_is_stale(tmp_path):
    """After a container restart a new run may get the pid its killed predecessor had."""
    root = make(tmp_path / "p")
    lock = _stale_lock(root, pid=os.getpid())
    result = invoke_cli("run", root)
    assert result.exit_code == 0, result.output
    assert output_rows(root) == EXPECTED and not lock.exists()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_lock_whose_pid_was_reused_by_a_younger_process_is_stale(tmp_path):
    root = make(tmp_path / "p")
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = _stale_lock(root, pid=stranger.pid)  # the lock is an hour older than it
        result = invoke_cli("run", root)
        assert result.exit_code == 0, result.output
        assert not lock.exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_a_lock_file_its_writer_never_filled(tmp_path):
    root = make(tmp_path / "p")
    lock = root / ".runs/dev.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("")  # killed between creating the file and writing its owner
    fresh = invoke_cli("run", root)  # it may be being written this instant: wait
    assert fresh.exit_code == 1
    assert "is already being run: a lock file without an owner" in fresh.stderr
    old = time.time() - 60
    os.utime(lock, (old, old))
    result = invoke_cli("run", root)
    assert result.exit_code == 0, result.output
    assert output_rows(root) == EXPECTED and not lock.exists()


def test_a_live_lock_of_this_host_is_never_taken(tmp_path, gated_runs):
    """The first run's lock survives the second's attempt: it still finishes alone."""
    root = make(tmp_path / "p")
    first = gated_runs(root)
    first.wait_inside()
    before = (root / ".runs/dev.lock").read_bytes()
    for _ in range(3):
        assert invoke_cli("run", root).exit_code == 1
    assert (root / ".runs/dev.lock").read_bytes() == before
    assert first.open().returncode == 0
    assert output_rows(root) == EXPECTED


def test_other_folders_do_not_wait(tmp_path, gated_runs):
    one, two = make(tmp_path / "one"), make(tmp_path / "two")
    first, second = gated_runs(one), gated_runs(two)
    first.wait_inside()
    second.wait_inside()  # both hold their own lock at the same time
    assert (one / ".runs/dev.lock").is_file() and (two / ".runs/dev.lock").is_file()
    assert first.open().returncode == 0 and second.open().returncode == 0
    assert output_rows(one) == EXPECTED and output_rows(two) == EXPECTED


@pytest.fixture
def dev_and_prod(tmp_path, monkeypatch):
    """A pipeline folder set up for both modes (dev by default), and the fake proxy."""
    from yt_pipeline_prod.testing import TEST_PROD_OPTIONS, TEST_TOKEN, start_fake_proxy

    root = make(tmp_path / "p")
    proxy = start_fake_proxy()
    (root / "configs/secrets.env").write_text(f"YT_PROXY={proxy.url}\nYT_TOKEN={TEST_TOKEN}\n")
    (root / "configs/config.yaml").write_text(dump_yaml({
        "pipeline": {"mode": "dev", "build_folder": "//tmp/gated/build",
                     "prod": TEST_PROD_OPTIONS},
        "stages": {"enabled_stages": ["gated"]},
    }))
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    yield root, proxy
    proxy.stop()


def test_a_prod_run_does_not_wait_for_a_dev_run_of_the_same_folder(dev_and_prod, gated_runs):
    root, proxy = dev_and_prod
    dev = gated_runs(root)
    dev.wait_inside()  # it built .build before its stage; prod builds it again meanwhile
    prod = invoke_cli("run", root, "--set", "pipeline.mode=prod")
    assert prod.exit_code == 0, prod.output
    assert sorted(proxy.rows("//tmp/gated/output"), key=lambda r: r["id"]) == EXPECTED
    assert (root / ".runs/dev.lock").is_file() and not (root / ".runs/prod.lock").exists()
    done = dev.open()
    assert done.returncode == 0, done.stderr
    assert output_rows(root) == EXPECTED


def test_a_dev_run_never_runs_code_a_prod_run_rebuilt_meanwhile(dev_and_prod, gated_runs):
    root, proxy = dev_and_prod
    dev = gated_runs(root)
    dev.wait_inside()
    mapper = root / "stages/gated/src/mapper.py"
    mapper.write_text(MAPPER.replace('"square"', '"cube"').replace("** 2", "** 3"))
    prod = invoke_cli("run", root, "--set", "pipeline.mode=prod")
    assert prod.exit_code == 0, prod.output
    assert proxy.rows("//tmp/gated/output")[0] == {"id": 0, "cube": 0}
    done = dev.open()  # its archive was replaced by one with other code: a clear refusal
    assert done.returncode == 1
    assert (f"code archive {root / '.build/source.tar.gz'} changed after this run built it"
            in done.stderr), done.stderr
    assert not (root / ".dev/tmp/gated/output.jsonl").exists()


APPENDING_STAGE = """
import os
from yt_pipeline import BaseStage


class Append(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        if os.environ.get("YTP_TEST_FAIL_APPEND"):
            raise RuntimeError("told to fail")
        yt.write_table("//tmp/acc", yt.read_table("//tmp/input"), append=True)
        return debug
"""


def test_a_run_that_ends_while_another_waits_to_lock_is_seen_by_it(tmp_path, monkeypatch):
    """A run reads the state only once it holds the lock: here another run takes the lock
    first and finishes the appending stage between this run's start and its locking; this
    one then sees the stage done and does not append again (each row once)."""
    from yt_pipeline import runner

    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [load, app]}\n",
        "stages/load/stage.py": (
            "from yt_pipeline import BaseStage\n\n\nclass Load(BaseStage):\n"
            "    def run(self, debug):\n"
            "        self.deps.yt_client.write_table('//tmp/input', "
            "[{'id': i} for i in range(100)])\n"
            "        return debug\n"),
        "stages/app/stage.py": APPENDING_STAGE,
    })
    monkeypatch.setenv("YTP_TEST_FAIL_APPEND", "1")
    assert invoke_cli("run", root).exit_code == 1  # load done, app failed
    monkeypatch.delenv("YTP_TEST_FAIL_APPEND")

    other: list[subprocess.CompletedProcess] = []

    class LockTakenLate(runner.RunLock):
        def __enter__(self):
            # the other run starts and ends while this one is on its way to the lock
            other.append(subprocess.run(
                [sys.executable, "-m", "yt_pipeline", "run", str(root), "--resume"],
                capture_output=True, text=True, timeout=120))
            return super().__enter__()

    monkeypatch.setattr(runner, "RunLock", LockTakenLate)
    late = invoke_cli("run", root, "--resume")
    assert other[0].returncode == 0, other[0].stderr
    assert late.exit_code == 0, late.output
    rows = [json.loads(line) for line in (root / ".dev/tmp/acc.jsonl").read_text().splitlines()]
    assert sorted(row["id"] for row in rows) == list(range(100))
