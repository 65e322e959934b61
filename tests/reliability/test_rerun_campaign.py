"""Seeded campaign against dev's job reruns: jobs of map, reduce, map_reduce (both phases)
and vanilla fail at random points after writing random numbers of rows (exit code, SIGKILL,
past resources.timeout_s, over the memory limit, a bad output row), to one or two output
tables, appended to or not. Every row of every table is checked after each trial: what the
operation wrote exactly once when it succeeded, the tables untouched when its failed jobs
reached max_failed_job_count. A failed attempt prints secrets to its stderr: no file under
the pipeline's folder (kept stderr, .dev logs, job logs) and no error may hold them, in any
encoding (secret_scan.py).

YTP_RERUN_TRIALS sets the number of trials (default 16, about 40 s on 2 cores).
"""

from __future__ import annotations

import json
import os
import random
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from secret_scan import scan_bytes, scan_folder

from yt_pipeline.errors import OperationFailed
from yt_pipeline.operation_config import Resources
from yt_pipeline.operations import OperationSpec
from yt_pipeline_dev import later_removal
from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.launcher import launch

TRIALS = int(os.environ.get("YTP_RERUN_TRIALS", "16"))
SECRET = "s3cr3t-rerun-Value/+=9"
TOKEN = "yt-token-AQAD-rerun-42"

#: one body for every role (the script's name tells it): counts its attempts with marker
#: files outside the sandbox, then does what PLAN says for this role, job and attempt
JOB = """
import json, os, signal, sys, time
from ytjobs import read_rows, write_rows

role = os.path.basename(__file__)[:-3]
cookie = os.environ["YT_JOB_COOKIE"]
marks = os.environ["MARKS"]
prefix = f"{role}.{cookie}."
attempt = 1 + sum(1 for name in os.listdir(marks) if name.startswith(prefix))
open(os.path.join(marks, prefix + str(attempt)), "w").close()
mode, cut = json.loads(os.environ["PLAN"]).get(f"{role}:{cookie}:{attempt}", [None, -1])
outs = int(os.environ["OUTS"])
print(f"{role} {cookie} attempt {attempt}", file=sys.stderr, flush=True)
if mode:
    print("about to fail with", os.environ["API_KEY"], os.environ["YT_TOKEN_COPY"],
          file=sys.stderr, flush=True)


def fail():
    sys.stdout.flush()
    if mode == "exit":
        raise SystemExit(f"{role} {cookie} gives up: {os.environ['API_KEY']}")
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "hang":
        time.sleep(60)
    if mode == "memory":
        hog = b"x" * (400 << 20)
        time.sleep(10)
    if mode == "badrow":
        os.write(1, b"not a row\\n")
        raise SystemExit(0)


if role == "task":
    for number in range(3):
        if number == cut:
            fail()
        print(f"task {cookie} line {number}", flush=True)
    if cut == 3:
        fail()
    raise SystemExit(0)
number = -1
for number, row in enumerate(read_rows()):
    if number == cut:
        fail()
    if role == "map" and os.environ["KIND"] == "map_reduce":
        write_rows([{**row, "m": 1}])
    else:
        write_rows([{**row, "by": role}], table_index=row["id"] % outs)
if mode and cut > number:
    fail()
"""

MODES = ["exit", "exit", "exit", "kill", "badrow", "hang", "memory"]


def _stage(root: Path) -> None:
    src = root / "stages" / "s" / "src"
    src.mkdir(parents=True, exist_ok=True)
    (root / "stages" / "s" / "config.yaml").write_text("x: 1\n")
    for role in ("map", "reduce", "task"):
        (src / f"{role}.py").write_text(textwrap.dedent(JOB))


def _plan(rng: random.Random, kind: str, jobs: int) -> dict[str, list]:
    roles = {"map": ["map"], "reduce": ["reduce"], "map_reduce": ["map", "reduce"],
             "vanilla": ["task"]}[kind]
    plan: dict[str, list] = {}
    slow = 0
    for role in roles:
        for job in range(jobs):
            for attempt in range(1, rng.choice([1, 1, 2, 3, 4])):
                mode = rng.choice(MODES)
                if role == "task" and mode == "badrow":  # a task's stdout is no table
                    mode = "exit"
                if mode in ("hang", "memory"):
                    if slow >= 1:  # each costs a second or more: one a trial
                        mode = "exit"
                    slow += 1
                cut = rng.randint(0, 3 if role == "task" else 12)
                plan[f"{role}:{job}:{attempt}"] = [mode, cut]
    return plan


def _rows(client: DevClient, table: str) -> Counter:
    if not client.exists(table):
        return Counter()
    return Counter(json.dumps(row, sort_keys=True) for row in client.read_table(table))


@pytest.mark.parametrize("seed", range(TRIALS))
def test_reruns_never_lose_double_or_leak(tmp_path, seed):
    rng = random.Random(seed)
    kind = ["map", "reduce", "map_reduce", "vanilla"][seed % 4]
    jobs = rng.randint(1, 4)
    outs = rng.choice([1, 2]) if kind != "vanilla" else 0
    append = rng.random() < 0.5
    plan = _plan(rng, kind, jobs)
    limit = rng.choice([None, None, None, 3, 5])
    pipe = tmp_path / "pipe"
    _stage(pipe)
    marks = tmp_path / "marks"
    marks.mkdir()
    client = DevClient(pipe / ".dev", hidden_env=["API_KEY"], secret_values=[TOKEN])
    source = [{"id": i, "k": i % 5, "text": f"row {i}"} for i in range(rng.randint(5, 40))]
    client.write_table("//in/t", source)
    outputs = [f"//out/t{n}" for n in range(outs)]
    before = {}
    for table in outputs:
        if rng.random() < 0.7:
            client.write_table(table, [{"old": table}])
        before[table] = _rows(client, table)
    scripts = {"map": {"mapper": "src/map.py"}, "reduce": {"reducer": "src/reduce.py"},
               "map_reduce": {"mapper": "src/map.py", "reducer": "src/reduce.py"},
               "vanilla": {"script": "src/task.py"}}[kind]
    slow = any(mode in ("hang", "memory") for mode, _ in plan.values())
    spec = OperationSpec(
        kind=kind, stage_name="s", name="op", stage_dir=pipe / "stages" / "s",
        pipeline_dir=pipe, input_tables=[] if kind == "vanilla" else ["//in/t"],
        output_tables=outputs, append=append, reduce_by=["k"] if "reduce" in kind else [],
        sort_by=["k", "id"] if "reduce" in kind else [],
        resources=Resources(job_count=jobs, timeout_s=4 if slow else None,
                            memory_limit_gb=0.25),
        env={"MARKS": str(marks), "PLAN": json.dumps(plan), "OUTS": str(outs), "KIND": kind},
        secure_env={"API_KEY": SECRET, "YT_TOKEN_COPY": TOKEN},
        max_failed_job_count=limit, run_id="r1", **scripts)

    failures = len(plan)
    # a job's attempts run one after another: the ones planned past its first success
    # never run, and a phase that fails the operation stops the next one
    effective = limit if limit is not None else 10
    try:
        launch(client, spec)
        error = None
    except OperationFailed as caught:
        error = caught
    trial = f"seed {seed}: {kind} jobs={jobs} outs={outs} append={append} plan={plan}"
    if failures >= effective:
        assert error is not None, trial
        assert "Failed jobs limit exceeded" in str(error), trial
    else:
        assert error is None, f"{trial}: {error}"

    if error is None:  # each job ran its planned failures, then once more
        ran = Counter(name.rsplit(".", 1)[0] for name in os.listdir(marks))
        planned = Counter(key.rsplit(":", 1)[0].replace(":", ".") for key in plan)
        assert all(ran[job] == planned[job] + 1 for job in ran), f"{trial}: {ran}"
        assert sum(ran.values()) - len(ran) == failures, f"{trial}: {ran}"

    want: dict[str, Counter] = {}
    for number, table in enumerate(outputs):
        made = Counter(json.dumps({**row, "by": "reduce" if "reduce" in kind else "map"}
                                  | ({"m": 1} if kind == "map_reduce" else {}),
                                  sort_keys=True)
                       for row in source if row["id"] % outs == number)
        if error is not None:
            want[table] = before[table]
        elif append:
            want[table] = before[table] + made
        else:
            want[table] = made
    got = {table: _rows(client, table) for table in outputs}
    for table in outputs:
        lost, extra = want[table] - got[table], got[table] - want[table]
        assert not lost and not extra, (f"{trial}: {table} lost {sum(lost.values())} "
                                        f"{list(lost)[:2]}, extra {sum(extra.values())} "
                                        f"{list(extra)[:2]}")
    if kind == "vanilla" and error is None:
        log = (pipe / ".dev" / "s.log").read_text()
        for job in range(jobs):
            # the kept attempt's lines once each; failed attempts' lines are marked as such
            last = log.rsplit(f"task {job} attempt", 1)[1]
            assert last.count(f"task {job} line 2") == 1, trial

    # a finished operation's sandbox is removed in a thread, which a run waits for when it
    # ends (later_removal): this trial launches the operation alone, so it waits here
    later_removal.wait()
    leaks = scan_folder(tmp_path, [SECRET, TOKEN])
    if error is not None:
        leaks += scan_bytes("error", f"{error} {error.stderr_tail}".encode(), [SECRET, TOKEN])
    assert not leaks, f"{trial}: {leaks[:3]}"


LOAD = """
from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//k/in", ({"id": i} for i in range(40)))
        return debug
"""
SPLIT = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Split(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        return debug
"""
#: fails its first two attempts after some rows (a marker file per attempt, outside the
#: pipeline, so a resumed run goes on counting), printing the secret as it fails
FLAKY_SPLIT = """
import os, sys, time
from ytjobs import read_rows, write_rows

job = os.environ["YT_JOB_COOKIE"]
marks = os.environ["MARKS"]
attempt = 1 + sum(1 for name in os.listdir(marks) if name.startswith(f"{job}."))
open(os.path.join(marks, f"{job}.{attempt}"), "w").close()
for number, row in enumerate(read_rows()):
    write_rows([row], table_index=row["id"] % 2)
    if attempt <= 2 and number == 3:
        sys.stdout.flush()
        print("failing with", os.environ["API_KEY"], file=sys.stderr, flush=True)
        time.sleep(0.3)
        raise SystemExit(1)
"""


def _kill_pipeline(root: Path, marks: Path) -> Path:
    from yt_pipeline.testing import write_pipeline

    return write_pipeline(root, {
        "configs/config.yaml": "pipeline: {mode: dev}\n"
                               "stages: {enabled_stages: [load, split]}\n",
        "configs/secrets.env": f"API_KEY={SECRET}\n",
        "stages/load/stage.py": LOAD,
        "stages/split/stage.py": SPLIT,
        "stages/split/src/mapper.py": FLAKY_SPLIT,
        "stages/split/config.yaml": (
            "client:\n  operations:\n    map:\n      input_table: //k/in\n"
            "      output_tables: [//k/even, //k/odd]\n      append: true\n"
            "      env: [API_KEY, MARKS]\n      resources: {job_count: 3}\n"),
    })


@pytest.mark.parametrize("trial", range(int(os.environ.get("YTP_RERUN_KILLS", "4"))))
def test_a_run_killed_while_jobs_rerun_resumes_to_each_row_once(tmp_path, trial):
    import signal
    import time

    from adversarial_helpers import command, finish, start

    rng = random.Random(trial)
    marks = tmp_path / "marks"
    marks.mkdir()
    root = _kill_pipeline(tmp_path / "p", marks)
    env = {"MARKS": str(marks), "YT_TOKEN": TOKEN}
    process = start(command(root), env=env)
    # some attempts have failed and others run when the signal comes
    deadline = time.monotonic() + 30
    want_marks = rng.randint(1, 6)
    while len(os.listdir(marks)) < want_marks and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(rng.uniform(0, 0.4))
    os.killpg(process.pid, signal.SIGKILL if trial % 2 == 0 else signal.SIGINT)
    _, first = finish(process, timeout=60)
    done = start(command(root, "--resume"), env=env)
    code, second = finish(done, timeout=120)
    assert code == 0, second[-2000:]
    client = DevClient(root / ".dev")
    ids = {table: sorted(row["id"] for row in client.read_table(table))
           for table in ("//k/even", "//k/odd")}
    assert ids == {"//k/even": list(range(0, 40, 2)), "//k/odd": list(range(1, 40, 2))}, \
        f"trial {trial}: {[len(v) for v in ids.values()]} rows"
    leaks = scan_folder(root, [SECRET, TOKEN])  # secrets.env itself left out
    leaks += scan_folder(marks, [SECRET, TOKEN])
    leaks += scan_bytes("console", (first + second).encode(), [SECRET, TOKEN])
    assert not leaks, f"trial {trial}: {leaks[:3]}"
