"""Ctrl-C (SIGINT) during a function step: the script ends as `yt-pipeline run` does, with
one line saying how to resume, not the framework's traceback; the step's writes are not
kept, and the resumed run gives the tables of one uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

FLOW = """
import os, sys, time
from pathlib import Path
from yt_pipeline import Pipeline, step


@step(outputs=["//tmp/i/a"])
def first(yt):
    yt.write_table("//tmp/i/a", [{"n": 1}])


@step(inputs=["//tmp/i/a"], outputs=["//tmp/i/b"])
def slow(yt):
    yt.write_table("//tmp/i/b", [{"n": 2}], append=True)
    if not os.environ.get("RESUME"):
        Path("started").touch()
        time.sleep(60)


result = Pipeline("flow").add_step(first).add_step(slow).run(resume=bool(os.environ.get("RESUME")))
print(result.success)
"""


def _start(folder: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "flow.py"], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, **env},
        # a background child may inherit SIGINT ignored; a terminal's Ctrl-C is not
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def test_ctrl_c_during_a_step_ends_in_one_line_and_resume_appends_once(tmp_path):
    (tmp_path / "flow.py").write_text(FLOW)
    run = _start(tmp_path)
    deadline = time.monotonic() + 60
    while not (tmp_path / "started").exists():
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=60)
    assert err == "interrupted; to resume: Pipeline('flow', ...).run(resume=True)\n"
    assert run.returncode == -signal.SIGINT  # as Python ends on Ctrl-C: 130 in a shell
    assert out == ""

    resumed = subprocess.run([sys.executable, "flow.py"], cwd=tmp_path, capture_output=True,
                             text=True, env={**os.environ, "RESUME": "1"}, timeout=120)
    assert (resumed.stdout, resumed.stderr) == ("True\n", "")
    rows = (tmp_path / ".dev/tmp/i/b.jsonl").read_text().splitlines()
    assert [line.replace(" ", "") for line in rows] == ['{"n":2}']


FAN = """
import time
from pathlib import Path
from yt_pipeline import Pipeline, parallel_map, step


def work(item):
    Path("started").touch()
    time.sleep(60)
    return item


@step(outputs=["results"])
def fan():
    return parallel_map(work, range(4), workers=2)


Pipeline("fan").add_step(fan).run()
"""


def test_ctrl_c_during_parallel_map_ends_the_script_at_once(tmp_path):
    """The items being mapped (started or not) do not hold the script at its exit."""
    (tmp_path / "flow.py").write_text(FAN)
    run = _start(tmp_path)
    deadline = time.monotonic() + 60
    while not (tmp_path / "started").exists():
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    sent = time.monotonic()
    _, err = run.communicate(timeout=120)
    assert time.monotonic() - sent < 20  # each item sleeps 60 s
    assert err == "interrupted; to resume: Pipeline('fan', ...).run(resume=True)\n"


def test_sigterm_during_a_step_ends_with_its_line_and_code_and_resume_appends_once(tmp_path):
    """SIGTERM (`kill`, a service manager's stop) during a function step ends the script as
    it ends `yt-pipeline run`: the line names SIGTERM and the exit code is 143. Before, the
    line was Ctrl-C's and the script ended with exit code 1 (Python ends by SIGINT only for
    a KeyboardInterrupt itself, not for the subclass SIGTERM raises)."""
    (tmp_path / "flow.py").write_text(FLOW)
    run = _start(tmp_path)
    deadline = time.monotonic() + 60
    while not (tmp_path / "started").exists():
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    run.send_signal(signal.SIGTERM)
    out, err = run.communicate(timeout=60)
    assert err == "interrupted by SIGTERM; to resume: Pipeline('flow', ...).run(resume=True)\n"
    assert run.returncode == 143
    assert out == ""

    resumed = subprocess.run([sys.executable, "flow.py"], cwd=tmp_path, capture_output=True,
                             text=True, env={**os.environ, "RESUME": "1"}, timeout=120)
    assert (resumed.stdout, resumed.stderr) == ("True\n", "")
    rows = (tmp_path / ".dev/tmp/i/b.jsonl").read_text().splitlines()
    assert [line.replace(" ", "") for line in rows] == ['{"n":2}']
