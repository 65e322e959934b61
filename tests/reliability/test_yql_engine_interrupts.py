"""Runs interrupted while dev's DuckDB process starts (yql_engine), and maps failing meanwhile.

The process starts as the run does, when a stage queries. Each trial starts `python -m
yt_pipeline run` through a wrapper that notes the moment it starts and its pid, sends a
signal a seeded moment after it (while DuckDB is being imported or its database made, or
just after, or during a query), and checks: no hang, no abort (C++'s "terminate called",
CPython's "Fatal Python error", a signal other than the one sent), no DuckDB process left
once the driver has ended, every table whole or absent, then a rerun (or --resume) that
ends with every table's rows, the queries' results among them. Parallel stages (workers 4): the second map runs while
the first query stage queries; two query stages follow maps."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from adversarial_helpers import command, differences, finish, row, start, tables

from yt_pipeline.testing import process_ended, write_pipeline

pytest.importorskip("duckdb")

ROWS = 600
SEED = 20261204
ABORTS = ("terminate called", "Fatal Python error", "FATAL", "core dumped")

LOAD = f"""
from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//t/in", ({{"id": i, "v": i % 13}} for i in range({ROWS})))
        return debug
"""
MAP = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Map(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        return debug
"""
MAPPER = """
import os
import time

from ytjobs import read_rows, write_rows

rows = list(read_rows())
time.sleep(float(os.environ["SLEEP_S"]))  # the driver waits: a query runs meanwhile
if os.path.exists(os.environ.get("FAIL_IF", "")):
    raise RuntimeError("told to fail")
write_rows({"id": r["id"], "v": r["v"] * int(os.environ["K"])} for r in rows)
"""
SUMS = """
from yt_pipeline import BaseStage


class Sums(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.run_yql("INSERT INTO `//t/sums` WITH TRUNCATE "
                   "SELECT SUM(v) AS s, COUNT(*) AS n FROM `//t/doubled`")
        return debug
"""
FINAL = """
from yt_pipeline import BaseStage


class Final(BaseStage):
    def run(self, debug):
        self.deps.yt_client.run_yql(
            "INSERT INTO `//t/final` WITH TRUNCATE SELECT t.id AS id, t.v + s.s AS w "
            "FROM `//t/tripled` AS t CROSS JOIN `//t/sums` AS s WHERE t.id % 50 = 0")
        return debug
"""
#: the real command, told to note the pid of each DuckDB process it starts (WARM_NOTE)
WRAPPER = """
import os
import runpy
import sys

import yt_pipeline_dev.yql_engine as engine

real_init = engine._Process.__init__


def noted_init(self, folder):
    real_init(self, folder)
    with open(os.environ["WARM_NOTE"], "a") as note:
        note.write(f"{self.popen.pid}\\n")


engine._Process.__init__ = noted_init
sys.argv = ["yt-pipeline", *sys.argv[1:]]
runpy.run_module("yt_pipeline", run_name="__main__")
"""


def _map_config(source: str, target: str, k: int, sleep_s: float, fail_if: Path) -> str:
    return (f"client:\n  operations:\n    map:\n      input_table: {source}\n"
            f"      output_table: {target}\n      mapper: src/mapper.py\n"
            f"      env: {{SLEEP_S: '{sleep_s}', K: '{k}', FAIL_IF: '{fail_if}'}}\n"
            f"      max_failed_job_count: 2\n      resources: {{job_count: 2}}\n")


def make(root: Path) -> Path:
    return write_pipeline(root, {
        "stages/load/stage.py": LOAD,
        "stages/double/stage.py": MAP, "stages/double/src/mapper.py": MAPPER,
        "stages/double/config.yaml": _map_config("//t/in", "//t/doubled", 2, 0.25, root / "fail_double"),
        "stages/sums/stage.py": SUMS,
        # slower: still running while `sums` queries
        "stages/triple/stage.py": MAP, "stages/triple/src/mapper.py": MAPPER,
        "stages/triple/config.yaml": _map_config("//t/in", "//t/tripled", 3, 0.5, root / "fail_triple"),
        "stages/final/stage.py": FINAL,
    }, {"pipeline": {"mode": "dev", "workers": 4},
        "stages": {"graph": {"load": [], "double": ["load"], "sums": ["double"],
                             "triple": ["load"], "final": ["triple", "sums"]}}})


def expected() -> dict[str, Counter]:
    values = [(i, i % 13) for i in range(ROWS)]
    total = sum(v * 2 for _, v in values)
    return {"//t/in": Counter(row(id=i, v=v) for i, v in values),
            "//t/doubled": Counter(row(id=i, v=v * 2) for i, v in values),
            "//t/tripled": Counter(row(id=i, v=v * 3) for i, v in values),
            "//t/sums": Counter([row(s=total, n=ROWS)]),
            "//t/final": Counter(row(id=i, w=v * 3 + total) for i, v in values if i % 50 == 0)}


def _no_abort(code: int | None, output: str, allowed: set[int], trial: str) -> None:
    assert code in allowed, f"{trial}: exit code {code}, not one of {allowed}\n{output[-2000:]}"
    for sign in ABORTS:
        assert sign not in output, f"{trial}: {sign!r} in the output\n{output[-2000:]}"


# (signal, to the whole process group as a terminal's Ctrl-C or an OOM kill does, or to
# the driver alone; exit codes it may end with: finished first, or ended by it). The jobs
# have sessions of their own: a Ctrl-C reaches the driver alone either way.
KILLS = [(signal.SIGINT, True, {130, 0}), (signal.SIGTERM, False, {143, 0}),
         (signal.SIGKILL, True, {-signal.SIGKILL, 0})]


@pytest.mark.slow
def test_runs_interrupted_as_duckdb_starts_rerun_to_every_row(tmp_path):
    rng = random.Random(SEED)
    want = expected()
    wrapper = tmp_path / "noting_engine.py"
    wrapper.write_text(WRAPPER)
    noted = 0
    for trial, (sig, group, allowed) in enumerate(KILLS):
        root = make(tmp_path / f"t{trial}")
        note = tmp_path / f"t{trial}.engine"
        process = start([sys.executable, str(wrapper), "run", str(root)],
                        env={"WARM_NOTE": str(note)})
        deadline = time.monotonic() + 60
        while not note.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        noted += note.exists()
        after = rng.uniform(0.0, 0.25)
        time.sleep(after)
        label = f"trial {trial}: {sig.name} {after:.2f}s after DuckDB's process started"
        if process.poll() is None:
            if group:
                os.killpg(process.pid, sig)
            else:
                process.send_signal(sig)
        process.wait(timeout=60)  # a hang fails here
        # before finish() ends what is left of the process group: nothing of DuckDB
        pids = [int(line) for line in note.read_text().split()] if note.exists() else []
        left = [pid for pid in pids if not process_ended(pid)]
        assert left == [], f"{label}: DuckDB processes {left} outlived the driver"
        code, output = finish(process, timeout=60)
        _no_abort(code, output, allowed, label)
        got = tables(root / ".dev")
        whole = {name: rows for name, rows in got.items() if rows == want.get(name)}
        assert got == whole, f"{label}: {differences(got, want)}"
        extra = ["--resume"] if trial % 2 else []
        again = subprocess.run(command(root, *extra), capture_output=True, text=True,
                               timeout=60)
        _no_abort(again.returncode, again.stdout + again.stderr, {0}, f"{label}, rerun")
        assert differences(tables(root / ".dev"), want) == [], label
    assert noted == len(KILLS)  # every signal came while or after DuckDB started


def test_a_map_failing_while_duckdb_starts_resumes_to_the_query(tmp_path):
    """The map fails after DuckDB's process started; the queries never run in that run.
    --resume runs the map again and both query stages, and their tables are right."""
    root = make(tmp_path / "p")
    (root / "fail_double").write_text("")
    failed = subprocess.run(command(root), capture_output=True, text=True, timeout=60)
    output = failed.stdout + failed.stderr
    _no_abort(failed.returncode, output, {1}, "failing map")
    assert "told to fail" in output and "stage double failed" in output, output[-2000:]
    want = expected()
    assert sorted(tables(root / ".dev")) == ["//t/in", "//t/tripled"]
    (root / "fail_double").unlink()
    resumed = subprocess.run(command(root, "--resume"), capture_output=True, text=True,
                             timeout=60)
    _no_abort(resumed.returncode, resumed.stdout + resumed.stderr, {0}, "resumed")
    assert differences(tables(root / ".dev"), want) == []


#: the wrapper, told also to note the pid of the process each statement's request goes to
NOTING_REQUESTS = WRAPPER.replace("engine._Process.__init__ = noted_init\n", """\
engine._Process.__init__ = noted_init
real_call = engine._Process.call


def noted_call(self, *request):
    if request[0] == "execute":
        with open(os.environ["WARM_NOTE"] + ".requests", "a") as note:
            note.write(f"{self.popen.pid}\\n")
    return real_call(self, *request)


engine._Process.call = noted_call
""")
#: signals to DuckDB's process (the pipeline's process is left alone), and the stage's end
ENGINE_KILLS = [signal.SIGKILL, signal.SIGTERM, signal.SIGSTOP] * 2
#: a run of make()'s pipeline sends some 20 statements to DuckDB
STATEMENTS = 20


def _signal(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:  # it ended with its statement's stage
        pass


@pytest.mark.slow
def test_duckdbs_process_killed_or_stopped_mid_query_fails_the_stage_and_reruns_to_every_row(
        tmp_path):
    """A signal to the process of the k-th statement (seeded) just after it was sent: a
    killed process fails its stage in one line, a stopped one at pipeline.yql_timeout_s
    (it is killed once it has not answered the interrupts); the tables are whole or absent,
    no DuckDB process is left, and a rerun (or --resume) ends with every row."""
    rng = random.Random(SEED + 1)
    want = expected()
    wrapper = tmp_path / "noting_requests.py"
    wrapper.write_text(NOTING_REQUESTS)
    for trial, sig in enumerate(ENGINE_KILLS):
        root = make(tmp_path / f"k{trial}")
        config = root / "configs" / "config.yaml"
        config.write_text(config.read_text().replace("  workers: 4\n",
                                                     "  workers: 4\n  yql_timeout_s: 3\n"))
        note = tmp_path / f"k{trial}.engine"
        requests = Path(f"{note}.requests")
        k, after = rng.randrange(1, STATEMENTS), rng.uniform(0.0, 0.03)
        label = f"trial {trial}: {sig.name} {after:.3f}s after statement {k} was sent"
        process = start([sys.executable, str(wrapper), "run", str(root)],
                        env={"WARM_NOTE": str(note)})
        deadline = time.monotonic() + 60
        sent: list[int] = []
        while len(sent) < k and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
            sent = [int(pid) for pid in requests.read_text().split()] \
                if requests.exists() else []
        time.sleep(after)
        if sent:
            _signal(sent[-1], sig)
        try:
            process.wait(timeout=60)  # a hang fails here
        finally:
            if sent and sig == signal.SIGSTOP:
                _signal(sent[-1], signal.SIGKILL)
        pids = [int(line) for line in note.read_text().split()] if note.exists() else []
        left = [pid for pid in pids if not process_ended(pid)]
        assert left == [], f"{label}: DuckDB processes {left} outlived the driver"
        code, output = finish(process, timeout=60)
        _no_abort(code, output, {0, 1}, label)
        if code:
            assert ("DuckDB's process ended (killed by signal" in output
                    or "YQL query interrupted in DuckDB, still running after" in output), \
                f"{label}\n{output[-2000:]}"
        got = tables(root / ".dev")
        whole = {name: rows for name, rows in got.items() if rows == want.get(name)}
        assert got == whole, f"{label}: {differences(got, want)}"
        again = subprocess.run(command(root, *(["--resume"] if trial % 2 else [])),
                               capture_output=True, text=True, timeout=60)
        _no_abort(again.returncode, again.stdout + again.stderr, {0}, f"{label}, rerun")
        assert differences(tables(root / ".dev"), want) == [], label
