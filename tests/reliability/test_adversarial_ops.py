"""SIGKILL / SIGTERM of a dev run of every kind of operation (sort, reduce, map_reduce,
vanilla, map with `checkpoints:`), YQL `INSERT INTO` (append) and `WITH TRUNCATE`, and
write_table appends of two stages running in parallel (`workers: 2`), at seeded crash points
(every durable write of a commit) and at random times; then `--resume` (itself killed in some
trials). Every table must then hold exactly the rows computed here, row by row.

`YTP_ADV_TRIALS` raises the number of trials; `YTP_ADV_SEED=<text>` draws other ones (as in
every test_adversarial_*.py, adversarial_helpers.seeded)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from adversarial_helpers import command, crash_points, differences, finish, row, seeded, start, tables

from yt_pipeline.testing import write_pipeline

TRIALS = int(os.environ.get("YTP_ADV_TRIALS", "12"))
N = 400
KEYS = 7

LOAD = f"""
from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//r/input", ({{"k": (i * 5) % {KEYS}, "v": i}} for i in range({N})))
        # Int64 columns, as the rows appended later have (a bare literal is an Int32 to
        # YQL, and a cluster refuses appending an Int64 to an int32 column)
        # Just: Optional, as the appended columns of a schemaless table are (a CAST
        # that never fails would be required, and YQL refuses those appends into it)
        yt.run_yql("INSERT INTO `//r/yql_acc` WITH TRUNCATE "
                   "SELECT Just(CAST(-1 AS Int64)) AS k, Just(CAST(-1 AS Int64)) AS v")
        yt.write_table("//r/log", [{{"stage": "load"}}], append=True)
        return debug
"""
SORT = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_sort, run_reduce


class Sorter(BaseStage):
    def run(self, debug):
        ops = self.config.client.operations
        run_sort(self, ops.sort)
        run_reduce(self, ops.reduce)
        self.deps.yt_client.write_table("//r/log", [{"stage": "sorter"}], append=True)
        return debug
"""
REDUCER = """
from ytjobs import groups, read_rows, write_rows

write_rows({"k": k, "n": len(list(rows))} for k, rows in groups(read_rows(), "k"))
"""
MAPREDUCE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map_reduce


class Mr(BaseStage):
    def run(self, debug):
        run_map_reduce(self, self.config.client.operations.map_reduce)
        self.deps.yt_client.write_table("//r/log", [{"stage": "mr"}], append=True)
        return debug
"""
MR_MAPPER = """
from ytjobs import read_rows, write_rows

write_rows({"k": row["k"], "v": row["v"] * 3} for row in read_rows())
"""
MR_REDUCER = """
from ytjobs import groups, read_rows, write_rows

write_rows({"k": k, "total": sum(r["v"] for r in rows)} for k, rows in groups(read_rows(), "k"))
"""
VANILLA = """
from pathlib import Path
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_vanilla


class Van(BaseStage):
    def run(self, debug):
        run_vanilla(self, self.config.client.operations.vanilla)
        yt = self.deps.yt_client
        yt.write_table("//r/van", ({"task": t, "i": i} for t in range(2) for i in range(50)),
                       append=True)
        yt.write_table("//r/log", [{"stage": "van"}], append=True)
        return debug
"""
VANILLA_JOB = """
import os, time
time.sleep(0.05 * int(os.environ["YT_JOB_COOKIE"]))
print("task", os.environ["YT_JOB_COOKIE"])
"""
YQL = """
from yt_pipeline import BaseStage


class Yql(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.run_yql("INSERT INTO `//r/yql_acc` SELECT k, v FROM `//r/input` WHERE v % 2 = 0")
        yt.run_yql("INSERT INTO `//r/yql_t` WITH TRUNCATE "
                   "SELECT k, COUNT(*) AS n FROM `//r/input` GROUP BY k")
        yt.write_table("//r/log", [{"stage": "yql"}], append=True)
        return debug
"""
APPENDER = """
from yt_pipeline import BaseStage


class Appender(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        for batch in range(3):
            yt.write_table("//r/acc", ({"who": self.name, "b": batch, "i": i}
                                       for i in range(200)), append=True)
        yt.write_table("//r/log", [{"stage": self.name}], append=True)
        return debug
"""
WRITER = """
from yt_pipeline import BaseStage


class Writer(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//r/other", ({"i": i} for i in range(500)))
        yt.write_table("//r/other", ({"i": i, "again": True} for i in range(5)), append=True)
        yt.write_table("//r/log", [{"stage": self.name}], append=True)
        return debug
"""
CKPT = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Ckpt(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        self.deps.yt_client.write_table("//r/log", [{"stage": "ckpt"}], append=True)
        return debug
"""
CKPT_MAPPER = """
import json
from ytjobs import get_checkpoint_path, read_rows, write_rows

factor = json.loads(get_checkpoint_path("model").read_text())["factor"]
suffix = (get_checkpoint_path("vocab") / "suffix.txt").read_text().strip()
write_rows({"v": row["v"] * factor, "tag": suffix} for row in read_rows())
"""
GRAPH = {"load": [], "sorter": ["load"], "mr": ["load"], "van": ["load"], "yql": ["load"],
         "app": ["load"], "writer": ["load"], "ckpt": ["load"]}


def make(root: Path) -> Path:
    def ops(**sections):
        return json.dumps({"client": {"operations": sections}})

    return write_pipeline(root, {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev", "workers": 2},
                                           "stages": {"graph": GRAPH}}),
        "stages/load/stage.py": LOAD,
        "stages/sorter/stage.py": SORT,
        "stages/sorter/src/reducer.py": REDUCER,
        "stages/sorter/config.yaml": ops(
            sort={"input_table": "//r/input", "output_table": "//r/sorted", "sort_by": ["k", "v"]},
            reduce={"input_table": "//r/sorted", "output_table": "//r/counts", "append": True,
                    "reduce_by": ["k"], "resources": {"job_count": 2}}),
        "stages/mr/stage.py": MAPREDUCE,
        "stages/mr/src/mapper.py": MR_MAPPER,
        "stages/mr/src/reducer.py": MR_REDUCER,
        "stages/mr/config.yaml": ops(map_reduce={
            "input_table": "//r/input", "output_table": "//r/mr", "append": True,
            "reduce_by": ["k"], "resources": {"job_count": 2}}),
        "stages/van/stage.py": VANILLA,
        "stages/van/src/vanilla.py": VANILLA_JOB,
        "stages/van/config.yaml": ops(vanilla={"script": "src/vanilla.py",
                                               "resources": {"job_count": 2}}),
        "stages/yql/stage.py": YQL,
        "stages/app/stage.py": APPENDER,
        "stages/writer/stage.py": WRITER,
        "stages/ckpt/stage.py": CKPT,
        "stages/ckpt/src/mapper.py": CKPT_MAPPER,
        "stages/ckpt/config.yaml": json.dumps({
            "checkpoints": {"model": "models/m.json", "vocab": "assets/vocab"},
            "client": {"operations": {"map": {
                "input_table": "//r/input", "output_table": "//r/ck", "append": True,
                "resources": {"job_count": 2}}}}}),
        "models/m.json": '{"factor": 10}',
        "assets/vocab/suffix.txt": "x\n",
    })


def expected() -> dict[str, Counter]:
    """Every row each table must hold after one complete run, computed from the stage code's
    meaning, not from a run."""
    inputs = [{"k": (i * 5) % KEYS, "v": i} for i in range(N)]
    by_key: dict[int, list[int]] = {}
    for r in inputs:
        by_key.setdefault(r["k"], []).append(r["v"])
    return {
        "//r/input": Counter(row(**r) for r in inputs),
        "//r/sorted": Counter(row(**r) for r in inputs),
        "//r/counts": Counter(row(k=k, n=len(vs)) for k, vs in by_key.items()),
        "//r/mr": Counter(row(k=k, total=3 * sum(vs)) for k, vs in by_key.items()),
        "//r/van": Counter(row(task=t, i=i) for t in range(2) for i in range(50)),
        "//r/yql_acc": Counter([row(k=-1, v=-1)] + [row(**r) for r in inputs if r["v"] % 2 == 0]),
        "//r/yql_t": Counter(row(k=k, n=len(vs)) for k, vs in by_key.items()),
        "//r/acc": Counter(row(who="app", b=b, i=i) for b in range(3) for i in range(200)),
        "//r/other": Counter([row(i=i) for i in range(500)]
                             + [row(i=i, again=True) for i in range(5)]),
        "//r/ck": Counter(row(v=r["v"] * 10, tag="x") for r in inputs),
        "//r/log": Counter(row(stage=s) for s in GRAPH),
    }


def check(root: Path, label: str) -> None:
    got = tables(root / ".dev")
    problems = differences(got, expected())
    assert not problems, f"{label}: " + "; ".join(problems)
    lines = [json.loads(x) for x in (root / ".dev/r/sorted.jsonl").read_text().splitlines()]
    assert lines == sorted(lines, key=lambda r: (r["k"], r["v"])), f"{label}: //r/sorted unsorted"
    assert not list((root / ".runs/journal.dev").iterdir()), f"{label}: journal left"
    left = [str(p) for p in (root / ".dev/.txn").rglob("*")] if (root / ".dev/.txn").exists() else []
    assert left == [], f"{label}: transaction left {left}"


def resume(root: Path, label: str) -> None:
    code, out = finish(start(command(root, "--resume")))
    assert code == 0, f"{label}: --resume failed: {out[-3000:]}"
    check(root, label)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    root = make(tmp_path_factory.mktemp("reference") / "p")
    points = root.parent / "points"
    started = time.perf_counter()
    code, out = finish(start(command(root), env={"YTP_CRASH_COUNT": str(points)}))
    elapsed = time.perf_counter() - started
    assert code == 0, out
    check(root, "uninterrupted run")
    return {"points": crash_points(points), "elapsed": elapsed}


@pytest.mark.slow
def test_every_operation_killed_at_crash_points_resumes_to_exact_rows(tmp_path, reference):
    rng = seeded(20261203_1)
    count = len(reference["points"])
    assert count > 20
    template = make(tmp_path / "template")
    picks = list(range(1, count + 1))
    rng.shuffle(picks)
    picks = picks[:TRIALS]
    for trial, point in enumerate(picks):
        root = tmp_path / f"t{trial}"
        shutil.copytree(template, root)
        label = f"trial {trial} (crash point {point}/{count}: {reference['points'][point - 1]})"
        code, out = finish(start(command(root), env={"YTP_CRASH_AT": str(point)}))
        assert code in (-signal.SIGKILL, 0), f"{label}: {out[-2000:]}"
        if trial % 4 == 3:  # the resume is killed too
            finish(start(command(root, "--resume"),
                         env={"YTP_CRASH_AT": str(rng.randint(1, 12))}))
            label += " + killed resume"
        resume(root, label)
        shutil.rmtree(root)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_every_operation_killed_at_random_times_resumes_to_exact_rows(tmp_path, reference, sig):
    rng = seeded(20261203_2 + sig)
    template = make(tmp_path / "template")
    for trial in range(max(4, TRIALS // 4)):
        root = tmp_path / f"t{trial}"
        shutil.copytree(template, root)
        process = start(command(root))
        time.sleep(rng.uniform(0.1, reference["elapsed"]))
        if sig == signal.SIGKILL:
            os.killpg(process.pid, sig)  # driver and jobs at once
        else:
            process.send_signal(sig)
        finish(process)
        resume(root, f"timed trial {trial} ({sig.name})")
        shutil.rmtree(root)


def _descendants(root_pid: int) -> list[int]:
    """The live processes under `root_pid` (its jobs run in sessions of their own)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] not in "ZX":
            parents[int(entry)] = int(fields[1])
    found, frontier = [], [root_pid]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_job_killed_at_random_fails_its_stage_alone_and_resume_gives_exact_rows(
        tmp_path, reference):
    """SIGKILL of one job process (not the driver), as the OOM killer would: its operation
    fails, the stage leaves its tables as they were, `--resume` gives the rows of one run."""
    rng = seeded(20261203_7)
    template = make(tmp_path / "template")
    killed_jobs = 0
    for trial in range(max(4, TRIALS // 4)):
        root = tmp_path / f"t{trial}"
        shutil.copytree(template, root)
        process = start(command(root))
        # the n-th time jobs are seen running, one of them is killed
        wanted, seen = rng.randint(1, 12), 0
        deadline = time.monotonic() + 10 * reference["elapsed"]
        while process.poll() is None and time.monotonic() < deadline:
            jobs = _descendants(process.pid)
            seen += bool(jobs)
            if jobs and seen >= wanted:
                try:
                    os.kill(rng.choice(jobs), signal.SIGKILL)
                    killed_jobs += 1
                    break
                except ProcessLookupError:
                    pass
            time.sleep(0.01)
        code, out = finish(process)
        assert code in (0, 1), f"trial {trial}: {out[-2000:]}"
        resume(root, f"job-kill trial {trial} (run exit {code})")
        shutil.rmtree(root)
    assert killed_jobs >= 1
