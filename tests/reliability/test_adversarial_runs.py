"""Runs racing each other while one is killed:

- a run killed (at a seeded crash point, its jobs left running) while `--resume` runs keep
  trying to take the run lock: they refuse while it lives, one takes the stale lock over,
  and the tables end with exactly the rows of one run;
- two function-step pipelines of one folder (two run locks, one `.dev`) appending to the
  same tables at once, one of them killed mid-commit and resumed while the other commits:
  every row of both, once.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from adversarial_helpers import (
    command,
    crash_points,
    differences,
    finish,
    reference_points,
    row,
    seeded,
    start,
    tables,
)
from test_adversarial_ops import check as check_ops
from test_adversarial_ops import make as make_ops

from yt_pipeline.testing import write_pipeline

TRIALS = int(os.environ.get("YTP_ADV_RUN_TRIALS", "6"))


@pytest.fixture(scope="module")
def ops_points(tmp_path_factory) -> list[str]:
    return reference_points(make_ops(tmp_path_factory.mktemp("ops") / "p"))


@pytest.mark.slow
def test_a_run_killed_while_others_wait_for_its_lock_ends_with_the_rows_of_one_run(
        tmp_path, ops_points):
    rng = seeded(20261203_5)
    template = make_ops(tmp_path / "template")
    for trial in range(TRIALS):
        root = tmp_path / f"t{trial}"
        shutil.copytree(template, root)
        point = rng.randint(1, len(ops_points))
        label = f"trial {trial} (crash point {point}: {ops_points[point - 1]})"
        first = start(command(root), env={"YTP_CRASH_AT": str(point)})
        lock = root / ".runs/dev.lock"
        while not lock.exists() and first.poll() is None:
            time.sleep(0.005)
        refused = 0
        deadline = time.monotonic() + 240
        while True:
            assert time.monotonic() < deadline, f"{label}: no resume got through"
            time.sleep(rng.uniform(0.0, 0.3))
            if trial % 2:  # a parent that waits for its child; else a zombie is left
                first.poll()
            code, out = finish(start(command(root, "--resume")))
            if code == 0:
                break
            assert "is already being run" in out, f"{label}: {out[-2000:]}"
            refused += 1
        code, out = finish(first)  # killed, or it ended before its point
        assert code in (-signal.SIGKILL, 0), f"{label}: {out[-2000:]}"
        check_ops(root, label)
        shutil.rmtree(root)


STEPS = """
import sys
from yt_pipeline import Pipeline, step

me = sys.argv[1]


def appender(index):
    @step(name=f"append{index}", outputs=[f"n{index}"])
    def append(yt):
        for batch in range(2):
            yt.write_table("//s/shared", ({"run": me, "step": index, "b": batch, "i": i}
                                          for i in range(300)), append=True)
        yt.run_yql(f"INSERT INTO `//s/y_{me}` SELECT {index} AS step, 1 AS one")
        yt.write_table(f"//s/own_{me}", [{"step": index}], append=True)
        return index
    return append


pipeline = Pipeline(me, folder=".", workers=2)
for index in range(4):
    pipeline.add_step(appender(index))
result = pipeline.run(resume=sys.argv[2] == "resume")
sys.exit(0 if result.success else 1)
"""


def steps_expected() -> dict[str, Counter]:
    return {
        "//s/shared": Counter(row(run=r, step=s, b=b, i=i) for r in ("one", "two")
                              for s in range(4) for b in range(2) for i in range(300)),
        **{f"//s/y_{r}": Counter(row(step=s, one=1) for s in range(4)) for r in ("one", "two")},
        **{f"//s/own_{r}": Counter(row(step=s) for s in range(4)) for r in ("one", "two")},
    }


def steps(root: Path, name: str, resume: bool, env: dict[str, str] | None = None):
    return start([sys.executable, "steps.py", name, "resume" if resume else "fresh"],
                 env=env, cwd=root)


@pytest.mark.slow
def test_two_pipelines_of_one_folder_one_killed_mid_commit_keep_every_row_once(tmp_path):
    base = write_pipeline(tmp_path / "probe", {"steps.py": STEPS})
    counted = base.parent / "points"
    finish(steps(base, "one", False, {"YTP_CRASH_COUNT": str(counted)}))
    count = len(crash_points(counted))
    assert count > 10
    rng = seeded(20261203_6)
    template = write_pipeline(tmp_path / "template", {"steps.py": STEPS})
    for trial in range(TRIALS):
        root = tmp_path / f"t{trial}"
        shutil.copytree(template, root)
        point = rng.randint(1, count)
        label = f"trial {trial} (crash point {point} of {count})"
        one = steps(root, "one", False, {"YTP_CRASH_AT": str(point)})
        two = steps(root, "two", False)
        code_one, out_one = finish(one)
        assert code_one in (-signal.SIGKILL, 0), f"{label}: {out_one[-2000:]}"
        if rng.random() < 0.5:  # resumed while two still commits
            code, out = finish(steps(root, "one", True))
            assert code == 0, f"{label}: resume: {out[-2000:]}"
        code_two, out_two = finish(two)
        assert code_two == 0, f"{label}: two: {out_two[-2000:]}"
        code, out = finish(steps(root, "one", True))
        assert code == 0, f"{label}: resume: {out[-2000:]}"
        problems = differences(tables(root / ".dev"), steps_expected())
        assert not problems, f"{label}: " + "; ".join(problems)
        shutil.rmtree(root)


def _state(pid: int) -> str:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_the_lock_of_a_killed_run_its_parent_has_not_reaped_is_taken_over(tmp_path,
                                                                         ops_points):
    """A killed run is a zombie until its parent waits for it: kill(pid, 0) still answers,
    yet it will never release its lock. `--resume` once refused forever here."""
    root = make_ops(tmp_path / "p")
    point = ops_points.index("dev: before a staged table becomes live") + 1
    first = start(command(root), env={"YTP_CRASH_AT": str(point)})
    deadline = time.monotonic() + 120
    while _state(first.pid) != "Z":  # killed at its point, and not reaped (no wait yet)
        assert time.monotonic() < deadline, "the run never reached its crash point"
        time.sleep(0.02)
    assert (root / ".runs/dev.lock").exists()
    code, out = finish(start(command(root, "--resume")), timeout=120)
    assert code == 0, out[-2000:]
    assert "taking over the stale run lock" in out
    assert finish(first)[0] == -signal.SIGKILL
    check_ops(root, "resumed over a zombie's lock")


GATED_APPEND = """
import os, time
from pathlib import Path
from yt_pipeline import BaseStage


class Gated(BaseStage):
    def run(self, debug):
        gate = Path(self.context.pipeline_dir) / f"{self.name}.gate"
        while not gate.exists():
            time.sleep(0.01)
        self.deps.yt_client.write_table("//g/acc", ({"stage": self.name, "i": i}
                                                    for i in range(50)), append=True)
        return debug
"""


def test_cache_clear_while_a_run_goes_never_makes_a_stage_run_twice(tmp_path, monkeypatch):
    """`yt-pipeline cache clear` rewrote both state files from what it read, with no lock:
    a stage that succeeded in between lost its SUCCESS, and after a kill of the run,
    `--resume` ran it (and its append) again."""
    import json

    from yt_pipeline.state import StateStore
    from yt_pipeline.testing import invoke_cli

    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [a, b]}\n",
        "stages/a/stage.py": GATED_APPEND,
        "stages/b/stage.py": GATED_APPEND,
    })
    run = start(command(root))
    try:
        deadline = time.monotonic() + 60
        while not (root / "state.dev.yml").exists():  # the run has begun: a waits
            assert time.monotonic() < deadline and run.poll() is None
            time.sleep(0.01)
        original = StateStore.forget_fingerprints

        def forget_while_a_commits(self, names=None):
            # cache clear has read the state; now stage a succeeds and the run records it
            (root / "a.gate").write_text("")
            while "a: SUCCESS" not in (root / "state.dev.yml").read_text():
                assert time.monotonic() < deadline and run.poll() is None
                time.sleep(0.01)
            return original(self, names)

        monkeypatch.setattr(StateStore, "forget_fingerprints", forget_while_a_commits)
        cleared = invoke_cli("cache", "clear", root)
        if cleared.exit_code == 0:  # it wrote what it had read
            (root / "a.gate").write_text("")
        else:
            assert "is already being run" in cleared.stderr, cleared.stderr
            (root / "a.gate").write_text("")
            while "a: SUCCESS" not in (root / "state.dev.yml").read_text():
                assert time.monotonic() < deadline and run.poll() is None
                time.sleep(0.01)
    finally:
        os.killpg(run.pid, signal.SIGKILL)  # while b waits
        finish(run)
    (root / "b.gate").write_text("")
    code, out = finish(start(command(root, "--resume")))
    assert code == 0, out[-2000:]
    rows = Counter((root / ".dev/g/acc.jsonl").read_text().splitlines())
    assert rows == Counter(json.dumps({"stage": s, "i": i}, separators=(",", ":"))
                           for s in "ab" for i in range(50))


def test_two_runs_taking_over_one_stale_lock_while_a_third_starts_never_both_hold_it(
        tmp_path, monkeypatch):
    """Runs B and C find the lock of a killed run; B takes it over and holds the lock. C,
    a moment behind, moved B's lock aside to check it, found it was not the stale one and
    went to put it back: a run D starting in that moment took the free name, C's putting
    back failed in silence, and B and D both held the lock (two runs at once)."""
    import json
    import socket

    from yt_pipeline import lock as lock_module
    from yt_pipeline.errors import PipelineLocked

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    path = lock_module.lock_path(tmp_path, "dev")
    path.parent.mkdir(parents=True)
    dead = {"pid": gone.pid, "host": socket.gethostname(), "run_id": "dead", "started_at": 0}
    path.write_text(json.dumps(dead))
    c = lock_module.RunLock(tmp_path, "dev", "run-c")
    stale = c._read_other()
    assert c._stale(stale)
    b = lock_module.RunLock(tmp_path, "dev", "run-b").acquire()  # B takes it over first
    holders = [b]
    real = {name: getattr(os, name) for name in ("rename", "unlink")}

    def then_d_starts(name):
        def call(*args, **kwargs):
            real[name](*args, **kwargs)
            for each, function in real.items():  # D itself runs unhindered
                monkeypatch.setattr(lock_module.os, each, function)
            try:
                holders.append(lock_module.RunLock(tmp_path, "dev", "run-d").acquire())
            except PipelineLocked:
                pass
        return call

    for name in real:  # D starts right after the first move or removal C makes
        monkeypatch.setattr(lock_module.os, name, then_d_starts(name))
    try:
        c._take_over(stale)  # C acts on what it judged a moment ago
    finally:
        for name, function in real.items():
            monkeypatch.setattr(lock_module.os, name, function)
    try:
        holders.append(c.acquire())
    except PipelineLocked:
        pass
    owner = json.loads(path.read_text())
    assert [h.run_id for h in holders] == ["run-b"], "two runs hold the lock"
    assert owner["run_id"] == "run-b"


def test_a_damaged_commit_record_stops_the_resume_instead_of_appending_again(tmp_path):
    """A commit record that no longer reads (cut short by hand, or by a machine crash
    before dev's unforced writes reached the disk) was skipped as "not ours": its stage's
    tables were committed from it all the same, the state never learnt of the stage, and
    --resume ran it (and its append) again."""
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [a]}\n",
        "stages/a/stage.py": (
            "from yt_pipeline import BaseStage\n\n\nclass A(BaseStage):\n"
            "    def run(self, debug):\n"
            "        self.deps.yt_client.write_table('//j/acc', ({'i': i} for i in range(10)),"
            " append=True)\n        return debug\n"),
    })
    counted = tmp_path / "points"
    finish(start(command(root), env={"YTP_CRASH_COUNT": str(counted)}))
    point = crash_points(counted).index("journal: after the commit record") + 1
    shutil.rmtree(root / ".dev")
    shutil.rmtree(root / ".runs")
    for state in root.glob("state.*"):
        state.unlink()
    code, _ = finish(start(command(root), env={"YTP_CRASH_AT": str(point)}))
    assert code == -signal.SIGKILL
    record = next((root / ".runs/journal.dev").glob("*.json"))
    record.write_bytes(record.read_bytes()[:40])
    code, out = finish(start(command(root, "--resume")))
    assert code == 1 and "is damaged" in out, out[-2000:]
    # as the message says: the rows are not in the table yet, so the stage is left to run
    # again once the record is removed
    table = root / ".dev/j/acc.jsonl"
    assert not table.exists() or table.read_text() == ""
    record.unlink()
    code, out = finish(start(command(root, "--resume")))
    assert code == 0, out[-2000:]
    assert Counter(table.read_text().splitlines()) == Counter(
        f'{{"i":{i}}}' for i in range(10))
