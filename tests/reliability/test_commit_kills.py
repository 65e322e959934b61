"""SIGKILL at seeded points of a run whose stages append, then `--resume`: every table holds
exactly the rows of an uninterrupted run (none lost, none doubled) and every stage's state
and debug are those of a success, never a stale one.

Most kills land on the run's crash points (core/crashpoints.py): between every pair of the
durable writes a commit and the state make, which a kill at a random time would rarely hit.
Some trials also kill the `--resume` that finishes the first run's commits; others kill at
a random time, with the stage's jobs.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from warm_bytecode import bytecode_env

from yt_pipeline.testing import write_pipeline

TRIALS = int(os.environ.get("YTP_COMMIT_KILL_TRIALS", "60"))
TIMED_TRIALS = max(3, TRIALS // 6)

LOAD = """
from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        debug["events"] = yt.write_table("//k/events", ({"id": i} for i in range(300)))
        yt.write_table("//k/log", [{"stage": "load"}], append=True)
        return debug
"""
APPEND = """
from yt_pipeline import BaseStage


class Append(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        rows = ({"stage": self.name, **row} for row in yt.read_table("//k/events"))
        debug[self.name] = yt.write_table("//k/all", rows, append=True)
        yt.write_table("//k/log", [{"stage": self.name}], append=True)
        return debug
"""
MAP = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Mapped(BaseStage):
    def run(self, debug):
        result = run_map(self, self.config.client.operations.map)
        debug["mapped"] = result.rows["//k/all"]
        return debug
"""
MAPPER = """
from ytjobs import read_rows, write_rows

write_rows({"stage": "mapped", **row} for row in read_rows())
"""
SUMMARY = """
from yt_pipeline import BaseStage


class Summary(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        total = yt.row_count("//k/all")
        yt.write_table("//k/summary", [{"total": total}])
        yt.write_table("//k/log", [{"stage": "summary", "total": total}], append=True)
        debug["total"] = total
        return debug
"""


def make(root: Path) -> Path:
    graph = {"load": [], "a": ["load"], "b": ["load"], "m": ["load"], "summary": ["a", "b", "m"]}
    return write_pipeline(root, {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev", "workers": 3},
                                           "stages": {"graph": graph}}),
        "stages/load/stage.py": LOAD,
        "stages/a/stage.py": APPEND,
        "stages/b/stage.py": APPEND,
        "stages/m/stage.py": MAP,
        "stages/m/src/mapper.py": MAPPER,
        "stages/m/config.yaml": json.dumps({"client": {"operations": {"map": {
            "input_table": "//k/events", "output_table": "//k/all", "append": True,
            "resources": {"job_count": 2}}}}}),
        "stages/summary/stage.py": SUMMARY,
    })


def command(root: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "yt_pipeline", "run", str(root), *extra]


def run(root: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(command(root, *extra), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, **bytecode_env(), **(env or {})})


def finish(process: subprocess.Popen) -> tuple[int, str]:
    _, err = process.communicate(timeout=300)
    try:
        os.killpg(process.pid, signal.SIGKILL)  # jobs a killed driver left running
    except ProcessLookupError:
        pass
    return process.returncode, err


def tables(root: Path) -> dict[str, Counter]:
    """Each table's rows, as a multiset (parallel appends commit in either order)."""
    folder = root / ".dev/k"
    found = {}
    for path in folder.glob("*.jsonl") if folder.is_dir() else ():
        found[path.stem] = Counter(json.dumps(json.loads(line), sort_keys=True)
                                   for line in path.read_text().splitlines())
    return found


def outcome(root: Path) -> tuple[dict, dict]:
    """The statuses, and each stage's debug as the state keeps it."""
    statuses = yaml.safe_load((root / "state.dev.yml").read_text())
    entries = json.loads((root / ".runs/stages.dev.json").read_text())
    return statuses, {name: entry["debug"] for name, entry in entries.items()}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    root = make(tmp_path_factory.mktemp("reference") / "p")
    points = root.parent / "points"
    code, err = finish(run(root, env={"YTP_CRASH_COUNT": str(points)}))
    assert code == 0, err
    lines = points.read_text().splitlines() if points.exists() else []
    names = [line.split(" ", 1)[1] for line in lines]
    result = tables(root)
    assert sum(result["all"].values()) == 900
    assert json.loads(next(iter(result["summary"]))) == {"total": 900}
    return {"tables": result, "outcome": outcome(root), "points": names}


def check_resumed(root: Path, reference: dict, trial: str) -> None:
    code, err = finish(run(root, "--resume"))
    assert code == 0, f"{trial}: --resume failed: {err}"
    got = tables(root)
    for name, rows in reference["tables"].items():
        assert got.get(name) == rows, (
            f"{trial}: table {name} differs: missing {rows - got.get(name, Counter())}, "
            f"extra {got.get(name, Counter()) - rows}")
    assert outcome(root) == reference["outcome"], f"{trial}: state or debug differ"
    assert list((root / ".runs/journal.dev").iterdir()) == [], f"{trial}: journal left"
    leftovers = [p.name for p in [*root.glob(".state.dev.yml.*.tmp"),
                                  *(root / ".runs").glob(".stages.dev.json.*.tmp")]]
    assert leftovers == [], f"{trial}: temporary files left: {leftovers}"
    left = sorted(str(p.relative_to(root)) for p in (root / ".dev/.txn").rglob("*"))
    assert left == [], f"{trial}: transaction left: {left}"
    assert not list((root / ".dev/.locks").glob("*.pending")), f"{trial}: marker left"


def test_every_crash_point_is_passed(reference):
    """The trials below can only stop a run where a crash point is: check they are there."""
    points = set(reference["points"])
    assert {"journal: before the commit record", "journal: after the commit record",
            "dev: prepared", "dev: before a staged table becomes live",
            "dev: before dropping a commit marker", "state: before the stage entries",
            "state: before the statuses", "state: after the statuses",
            "journal: before removing a folded record"} <= points


@pytest.mark.slow
def test_kills_at_crash_points_then_resume_give_the_rows_of_one_run(tmp_path, reference):
    rng = random.Random(20261202)
    count = len(reference["points"])
    assert count > 10, "the run passes no crash points"
    template = make(tmp_path / "template")
    # every point once (as far as the trials go), then random ones
    picks = list(range(1, count + 1))
    rng.shuffle(picks)
    picks = (picks + [rng.randint(1, count) for _ in range(TRIALS)])[:TRIALS]
    killed = 0
    for trial, point in enumerate(picks):
        root = tmp_path / f"t{trial}"
        shutil.copytree(template, root)
        label = f"trial {trial} (crash point {point} of {count})"
        code, err = finish(run(root, env={"YTP_CRASH_AT": str(point)}))
        # a run may pass fewer points than the reference (stages finishing together
        # share a state write): then it ends before the point
        assert code in (-signal.SIGKILL, 0), f"{label}: {err}"
        killed += code == -signal.SIGKILL
        if trial % 5 == 4:  # the resume is killed too, while it finishes the commits
            finish(run(root, "--resume", env={"YTP_CRASH_AT": str(rng.randint(1, 6))}))
            label += " and a killed resume"
        check_resumed(root, reference, label)
        shutil.rmtree(root)
    assert killed >= 0.8 * len(picks), f"only {killed} of {len(picks)} runs were killed"


@pytest.mark.slow
def test_kills_at_random_times_then_resume_give_the_rows_of_one_run(tmp_path, reference):
    rng = random.Random(20261203)
    started = time.perf_counter()
    code, _ = finish(run(make(tmp_path / "probe")))
    elapsed = time.perf_counter() - started
    assert code == 0
    template = make(tmp_path / "template")
    for trial in range(TIMED_TRIALS):
        root = tmp_path / f"t{trial}"
        shutil.copytree(template, root)
        process = run(root)
        time.sleep(rng.uniform(0.2, elapsed))
        os.killpg(process.pid, signal.SIGKILL)  # the driver and its jobs, like an OOM kill
        finish(process)
        check_resumed(root, reference, f"timed trial {trial}")
        shutil.rmtree(root)
