""".runs/ deleted between a failed run and its --resume (cleared with the run logs): the
state still shows stages done, but what they handed on is gone. The resume stops naming the
lost file rather than giving their dependents nothing."""

from __future__ import annotations

import shutil

import pytest
from dag_helpers import run_pipeline, started, state_of

from yt_pipeline import Pipeline, step
from yt_pipeline.errors import ConfigError


def test_a_resume_without_the_entries_file_stops_naming_it(dag, run_cli):
    root = dag({"a": {"set": {"x": 1}}, "b": {"fail": True}}, chain=["a", "b"])
    run_pipeline(root)
    (root / "stages" / "b" / "config.yaml").write_text("{}\n")
    shutil.rmtree(root / ".runs")
    result = run_cli("run", root, "--resume")
    assert result.exit_code == 2, result.output
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith("error: .runs/stages.dev.json: "), error
    assert "a" in error and "without --resume" in error, error
    assert started(root) == ["a", "b"]  # b did not run with a's debug missing
    assert state_of(root) == {"a": "SUCCESS", "b": "FAILED"}
    # a run without --resume runs every stage again, as the message says
    assert run_cli("run", root).exit_code == 0
    assert run_pipeline(root, resume=True).debug["seen_b"] == {"x": 1, "seen_a": {}}


def test_a_step_is_not_skipped_for_an_input_whose_entry_was_lost(tmp_path):
    written = []

    @step(outputs=["raw"])
    def load():
        return [1, 2, 3]

    @step(inputs=["raw"], outputs=["total"])
    def total(raw, fail: bool):
        if fail:
            raise ValueError("not today")
        written.append(sum(raw))
        return sum(raw)

    pipeline = Pipeline("sums", folder=tmp_path, context={"fail": True})
    pipeline.add_step(load).add_step(total)
    assert not pipeline.run().success
    shutil.rmtree(tmp_path / ".runs")
    with pytest.raises(ConfigError, match=r"stages\.sums\.dev\.json: it holds no entry of load"):
        pipeline.run(context={"fail": False}, resume=True)
    assert written == []  # not run with its input missing, nor skipped for it
    assert state_of(tmp_path, "sums.dev") == {"load": "SUCCESS", "total": "FAILED"}
