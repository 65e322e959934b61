"""A process a dev job leaves running in a session of its own (a helper started with
`start_new_session=True`, a daemon) still holds the job's stdout. A cluster kills every
process of a job when the job ends (TUserJob::Run calls CleanupUserProcesses, which has the
job's environment kill each process of its container: yt/yt/server/job_proxy/user_job.cpp),
so nothing it prints later reaches a table and nothing waits for it. In dev it was not in
the job's process group that processes._kill_group kills: its late rows went into the table
the job's output had become (after the stage had committed), or into the output of the
job's next attempt; holding the job's stdin, it held up the run until it ended."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from adversarial_helpers import command, finish, start

from yt_pipeline.testing import write_pipeline

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")

STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class S(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//d/in", ({"i": i} for i in range(3)))
        run_map(self, self.config.client.operations.map)
        return debug
"""
#: the helper prints a row LATE seconds after it starts, from a session of its own; a job
#: whose MARKS folder holds no mark yet starts it and fails (its first attempt)
MAPPER = """
import os, subprocess, sys, time
from ytjobs import read_rows, write_rows

HELPER = ("import json, os, time; time.sleep(float(os.environ['LATE'])); "
          "os.write(1, (json.dumps({'late': 1}) + chr(10)).encode())")
marks = os.environ.get("MARKS")
first = bool(marks) and not os.path.exists(os.path.join(marks, "failed"))
if not marks or first:
    helper = subprocess.Popen([sys.executable, "-c", HELPER], start_new_session=True)
    if os.environ.get("HELPER_PID"):
        with open(os.environ["HELPER_PID"], "w") as pid_file:
            pid_file.write(str(helper.pid))
if first:
    open(os.path.join(marks, "failed"), "w").close()
    raise SystemExit("the first attempt fails, its helper left running")
if marks:  # the second attempt: still running when the first one's helper prints
    time.sleep(2 * float(os.environ["LATE"]))
write_rows({"i": r["i"]} for r in read_rows())
"""


def make(root: Path) -> Path:
    return write_pipeline(root, {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"},
                                           "stages": {"enabled_stages": ["s"]}}),
        "stages/s/stage.py": STAGE,
        "stages/s/src/mapper.py": MAPPER,
        "stages/s/config.yaml": json.dumps({"client": {"operations": {"map": {
            "input_table": "//d/in", "output_table": "//d/out",
            "max_failed_job_count": 2, "resources": {"job_count": 1}}}}}),
    })


def rows(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / ".dev/d/out.jsonl").read_text().splitlines()]


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie no longer can print: whoever adopted it may not reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_helper_left_running_by_a_job_writes_nothing_into_the_committed_table(tmp_path):
    root = make(tmp_path / "p")
    late = 1.0
    pid_file = tmp_path / "helper.pid"
    code, out = finish(start(command(root), env={"LATE": str(late),
                                                 "HELPER_PID": str(pid_file)}))
    assert code == 0, out[-3000:]
    # the helper, had it lived, has printed by now: it is gone once killed, else after
    # printing (the deadline only bounds a helper stuck on a write)
    helper = int(pid_file.read_text())
    deadline = time.monotonic() + late + 1.0
    while alive(helper) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert rows(root) == [{"i": 0}, {"i": 1}, {"i": 2}]


def test_a_helper_of_a_failed_attempt_writes_nothing_into_the_next_attempt(tmp_path):
    root = make(tmp_path / "p")
    marks = tmp_path / "marks"
    marks.mkdir()
    code, out = finish(start(command(root), env={"LATE": "1.0", "MARKS": str(marks)}))
    assert code == 0, out[-3000:]
    assert os.listdir(marks) == ["failed"], "the first attempt did not fail"
    assert "on attempt 1; running it again" in out
    assert rows(root) == [{"i": 0}, {"i": 1}, {"i": 2}]


IDLE_STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class S(BaseStage):
    def run(self, debug):
        rows = ({"i": i, "pad": "x" * 100} for i in range(40_000))  # more than a pipe holds
        self.deps.yt_client.write_table("//d/in", rows)
        run_map(self, self.config.client.operations.map)
        return debug
"""
#: the job reads none of its input and ends; its helper holds its stdin, reading nothing
IDLE_MAPPER = """
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(20)"], start_new_session=True)
print('{"done": 1}')
"""


def test_a_helper_holding_the_stdin_of_a_job_that_ended_does_not_hold_up_the_run(tmp_path):
    """The job ended at once, but the thread feeding its stdin waited, on a full pipe, for
    the helper to read or end: 20 s here, for ever for a helper that serves."""
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"},
                                           "stages": {"enabled_stages": ["s"]}}),
        "stages/s/stage.py": IDLE_STAGE,
        "stages/s/src/mapper.py": IDLE_MAPPER,
        "stages/s/config.yaml": json.dumps({"client": {"operations": {"map": {
            "input_table": "//d/in", "output_table": "//d/out",
            "resources": {"job_count": 1}}}}}),
    })
    started = time.monotonic()
    code, out = finish(start(command(root)))
    elapsed = time.monotonic() - started
    assert code == 0, out[-3000:]
    assert rows(root) == [{"done": 1}]
    assert elapsed < 12, f"the run waited {elapsed:.1f}s for the job's helper"
