"""SIGKILL and Ctrl-C at random points of a run: no table is ever half written, the state
file always parses, and `--resume` finishes with the same rows as an uninterrupted run.

`YTP_KILL_TRIALS` sets the number of trials (50 SIGKILLs, a fifth as many Ctrl-Cs) and
`YTP_KILL_SEED_BASE` the seed their moments are drawn from (20261122 unless set): another
base replays other moments."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from warm_bytecode import bytecode_env

from yt_pipeline.testing import write_pipeline

ROWS = 60_000
TRIALS = int(os.environ.get("YTP_KILL_TRIALS", "50"))
SEED_BASE = int(os.environ.get("YTP_KILL_SEED_BASE", "20261122"))

LOAD = f"""
from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        rows = ({{"id": i, "name": "row-%d" % i, "score": i % 97}} for i in range({ROWS}))
        debug["loaded"] = self.deps.yt_client.write_table("//tmp/k/input", rows)
        return debug
"""
DOUBLE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Double(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        return debug
"""
MAPPER = """
from ytjobs import read_rows, write_rows

write_rows({**row, "score": row["score"] * 2} for row in read_rows())
"""
SUMMARY = """
from yt_pipeline import BaseStage


class Summary(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        total = sum(row["score"] for row in yt.read_table("//tmp/k/doubled"))
        yt.write_table("//tmp/k/summary", [{"total": total, "rows": yt.row_count("//tmp/k/doubled")}])
        return debug
"""
EXPECTED_COUNTS = {"input": ROWS, "doubled": ROWS, "summary": 1}


def make(root: Path) -> Path:
    return write_pipeline(
        root,
        {
            "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [load, double, summary]}\n",
            "stages/load/stage.py": LOAD,
            "stages/double/stage.py": DOUBLE,
            "stages/double/src/mapper.py": MAPPER,
            "stages/double/config.yaml": (
                "client:\n  operations:\n    map:\n      input_table: //tmp/k/input\n"
                "      output_table: //tmp/k/doubled\n      resources: {job_count: 2}\n"
            ),
            "stages/summary/stage.py": SUMMARY,
        },
    )


def command(root: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "yt_pipeline", "run", str(root), *extra]


def run_to_end(root: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(command(root, *extra), capture_output=True, text=True, timeout=120,
                          env={**os.environ, **bytecode_env()})


def tables(root: Path) -> dict[str, list[str]]:
    folder = root / ".dev/tmp/k"
    if not folder.is_dir():
        return {}
    return {p.name[: -len(".jsonl")]: p.read_text().splitlines() for p in folder.glob("*.jsonl")}


def check_consistent(root: Path, trial: str) -> None:
    for name, lines in tables(root).items():
        assert len(lines) == EXPECTED_COUNTS[name], f"{trial}: table {name} has {len(lines)} rows"
        for line in (lines[0], lines[-1]):
            json.loads(line)  # a half row would not parse
    for state in root.glob("state*.yml"):
        yaml.safe_load(state.read_text())


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[dict[str, list[str]], float]:
    root = make(tmp_path_factory.mktemp("reference") / "p")
    started = time.perf_counter()
    done = run_to_end(root)
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    result = tables(root)
    assert json.loads(result["summary"][0]) == {"total": sum((i % 97) * 2 for i in range(ROWS)), "rows": ROWS}
    return result, elapsed


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_runs_resume_to_the_same_rows(tmp_path, reference, sig):
    expected, elapsed = reference
    rng = random.Random(SEED_BASE + sig)
    template = make(tmp_path / "template")
    trials = TRIALS if sig == signal.SIGKILL else max(5, TRIALS // 5)
    stopped = 0  # runs the signal stopped before their end (`-rP` shows the count)
    for trial in range(trials):
        root = tmp_path / f"t{trial}"
        shutil.copytree(template, root)
        process = subprocess.Popen(command(root), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   start_new_session=True, env={**os.environ, **bytecode_env()})
        time.sleep(rng.uniform(0.0, elapsed * 1.1))
        if sig == signal.SIGKILL:
            os.killpg(process.pid, signal.SIGKILL)  # the driver and its jobs, like an OOM kill
        else:
            process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
        stopped += process.returncode != 0
        check_consistent(root, f"trial {trial} ({sig.name})")
        done = run_to_end(root, "--resume")
        assert done.returncode == 0, f"trial {trial}: {done.stderr}"
        assert tables(root) == expected, f"trial {trial}: rows differ after --resume"
        leftovers = [p for p in (root / ".dev").rglob(".*.tmp") if "sandbox" not in str(p)]
        assert leftovers == [], f"trial {trial}: temporary files left after --resume"
        shutil.rmtree(root)
    print(f"{sig.name}: {trials} trials, {stopped} runs stopped before their end")
