"""A folder pipeline run from a script (`DefaultPipeline(...).run()`) that a SIGTERM stops
ends as a function-step script does (uncaught.py): one line saying so, and how to resume,
or that the run had finished when the SIGTERM came as it wrote its end, and SIGTERM's exit
code, 143. It ended with a traceback of the scheduler's wait, `Terminated: signal 15`, and
exit code 1: the same for a run recorded SUCCESS, and nothing said how to go on."""

from __future__ import annotations

import json
import subprocess
import sys

from yt_pipeline.testing import write_pipeline

AFTER_END = "a SIGTERM came as the run ended: the run had finished, nothing was stopped"

# writes its rows, then the run takes a SIGTERM while the stage is still under way
STOPPED = """
import os
import signal
import time

from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//t/out", [{"i": 1}, {"i": 2}])
        if not os.path.exists(os.environ["RESUMED"]):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
        return debug
"""

SCRIPT = """
import os
import signal
import sys

from yt_pipeline import DefaultPipeline, hookimpl
from yt_pipeline.plugins import get_plugin_manager
from yt_pipeline.runner import RunOptions


class SigtermAtTheEnd:
    @hookimpl
    def ytp_pipeline_finished(self, run, outcomes, success):
        if sys.argv[2] == "at-the-end":
            os.kill(os.getpid(), signal.SIGTERM)  # as the run writes its end


manager = get_plugin_manager()
manager.register(SigtermAtTheEnd())
options = RunOptions(resume=True) if sys.argv[2] == "resume" else None
DefaultPipeline(pipeline_dir=sys.argv[1], plugin_manager=manager).run(options)
"""


def _run(tmp_path, how):
    root = tmp_path / "p"
    if not root.exists():
        write_pipeline(root, {"stages/load/stage.py": STOPPED},
                       config={"pipeline": {"mode": "dev"},
                               "stages": {"enabled_stages": ["load"]}})
        (tmp_path / "main.py").write_text(SCRIPT)
    env = {"RESUMED": str(tmp_path / "resumed"), "PATH": "/usr/bin:/bin"}
    if how != "stop":
        (tmp_path / "resumed").touch()
    return root, subprocess.run([sys.executable, str(tmp_path / "main.py"), str(root), how],
                                capture_output=True, text=True, timeout=120, env=env)


def _rows(root):
    return [json.loads(line) for line in (root / ".dev/t/out.jsonl").read_text().splitlines()]


def _statuses(root):
    return sorted(json.loads(path.read_text())["status"]
                  for path in (root / ".runs").glob("2*.json"))


def test_a_stopped_run_says_so_and_how_to_resume(tmp_path):
    root, done = _run(tmp_path, "stop")
    assert done.returncode == 143, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "interrupted by SIGTERM; to resume: DefaultPipeline(...).run(RunOptions(resume=True))"
    ), done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert not (root / ".dev/t/out.jsonl").exists()  # the stage's transaction was aborted
    root, resumed = _run(tmp_path, "resume")
    assert resumed.returncode == 0, resumed.stderr
    assert _rows(root) == [{"i": 1}, {"i": 2}]
    assert _statuses(root) == ["INTERRUPTED", "SUCCESS"]


def test_a_run_that_finished_is_not_told_to_resume(tmp_path):
    root, done = _run(tmp_path, "at-the-end")
    assert done.returncode == 143, done.stderr
    assert done.stderr.strip().splitlines()[-1] == AFTER_END, done.stderr
    assert "resume" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert _rows(root) == [{"i": 1}, {"i": 2}]
    assert _statuses(root) == ["SUCCESS"]
