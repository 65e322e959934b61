"""Lifecycle hooks around stages and the progress display built on them."""

from __future__ import annotations

import io

import pytest
from dag_helpers import STAGE, run_pipeline

from yt_pipeline import hookimpl
from yt_pipeline.events import RunInfo, StageOutcome
from yt_pipeline.progress import StageBoard


class Recorder:
    def __init__(self):
        self.events = []

    @hookimpl
    def ytp_pipeline_started(self, run):
        self.events.append(("started", tuple(run.stages), run.mode))

    @hookimpl
    def ytp_before_stage(self, run, stage):
        self.events.append(("before", stage))

    @hookimpl
    def ytp_after_stage(self, run, stage, outcome):
        self.events.append(("after", stage, outcome.status))

    @hookimpl
    def ytp_on_stage_error(self, run, stage, error, attempt):
        self.events.append(("error", stage, attempt))

    @hookimpl
    def ytp_pipeline_finished(self, run, outcomes, success):
        self.events.append(("finished", [(o.stage, o.status) for o in outcomes], success))


def test_hooks_in_order_with_outcomes(dag, register_plugin):
    recorder = register_plugin(Recorder())
    root = dag({"a": {"cache": True}, "b": {"when": "False"}, "c": {"fail": True}, "d": {}},
               chain=["a", "b", "c", "d"])
    run_pipeline(root)
    assert recorder.events == [
        ("started", ("a", "b", "c", "d"), "dev"),
        ("before", "a"), ("after", "a", "SUCCESS"),
        ("after", "b", "SKIPPED"),
        ("before", "c"), ("error", "c", 1), ("after", "c", "FAILED"),
        ("after", "d", "SKIPPED"),
        ("finished", [("a", "SUCCESS"), ("b", "SKIPPED"), ("c", "FAILED"), ("d", "SKIPPED")], False),
    ]
    recorder.events.clear()
    run_pipeline(root, only=["a"])
    assert recorder.events[1] == ("after", "a", "CACHED")  # no before_stage for a cache hit


def test_plain_progress_lines(dag, run_cli):
    root = dag({"a": {}, "b": {"when": "False"}}, chain=["a", "b"])
    result = run_cli("run", root)
    lines = [line.split(" ", 2)[2].strip() for line in result.stderr.splitlines() if line[:2].isdigit()]
    assert lines[1:] == ["[a] started", lines[2], "[b] skipped: when: False is false"]
    assert lines[2].startswith("[a] done in ")
    assert lines[0].endswith(": 2 stage(s), mode dev")



#: the line of the stage's `raise RuntimeError`, where a failed stage's log line points
RAISE_LINE = 1 + STAGE.splitlines().index(
    '            raise RuntimeError(f"boom in {self.name}")')


def test_each_failed_stage_says_why_in_its_log_line(dag, run_cli):
    # the run's error names the first failure only: a second stage that failed beside it
    # says why in its own line
    root = dag({"a": {"fail": True}, "b": {"fail": True, "sleep": 0.3}},
               graph={"a": [], "b": []})
    result = run_cli("run", root)
    assert result.exit_code == 1
    failed = sorted(line.split(" ", 2)[2] for line in result.stderr.splitlines()
                    if "FAILED after" in line)
    assert len(failed) == 2
    for stage, line in zip("ab", failed, strict=True):
        assert line.startswith(f"[{stage}] FAILED after ")
        assert (f"(attempt 1): stage {stage} failed: RuntimeError('boom in {stage}') at "
                in line)
        assert line.endswith(f"/stages/{stage}/stage.py:{RAISE_LINE}")
    assert result.stderr.count("error: stage") == 1


def test_live_table_renders_each_stage():
    console = pytest.importorskip("rich.console")  # the optional `progress` extra

    run = RunInfo("r1", None, "dev", ["load", "report", "later"])
    board = StageBoard(run)
    board.start("load")
    board.end("load", StageOutcome("load", "SUCCESS", duration_s=1.25))
    board.start("report")
    out = io.StringIO()
    console.Console(file=out, width=80).print(board)
    text = out.getvalue()
    assert "run r1" in text
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") >= 4}
    assert "SUCCESS" in rows["load"] and "1.2s" in rows["load"]
    assert "running" in rows["report"] and "waiting" in rows["later"]
