"""Function steps: Pipeline, step, context on the same runner, state and cache."""

from __future__ import annotations

import json
import time

import pytest
import yaml

from yt_pipeline import Pipeline, context, step
from yt_pipeline.errors import ConfigError, GraphError


@step(outputs=["raw"])
def extract(yt):
    rows = [{"x": 1}, {"x": 2}, {"x": 3}]
    yt.write_table("//etl/raw", rows)
    return rows


@step(inputs=["raw"], outputs=["doubled"])
def transform(raw, factor: int):
    return [{"x": r["x"] * factor} for r in raw]


def etl(folder, **kwargs):
    return Pipeline("etl", context=context(factor=2), folder=folder, **kwargs) \
        .add_step(extract).add_step(transform)


def test_the_documented_example(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = Pipeline("etl", context=context(factor=2)).add_step(extract).add_step(transform).run()
    assert result.success and result["doubled"] == [{"x": 2}, {"x": 4}, {"x": 6}]
    assert result.outputs["raw"] == [{"x": 1}, {"x": 2}, {"x": 3}]
    assert set(result.step_results) == {"extract", "transform"}
    assert result.step_results["transform"].status == "SUCCESS"
    assert result.step_results["transform"].error is None
    assert result.duration_seconds > 0 and result.run_id
    # the yt parameter got the dev client of the current folder
    assert (tmp_path / ".dev" / "etl" / "raw.jsonl").read_text().count("\n") == 3
    assert yaml.safe_load((tmp_path / "state.etl.dev.yml").read_text()) == {
        "extract": "SUCCESS", "transform": "SUCCESS"}
    data = result.to_dict()
    assert data["outputs"]["doubled"][2] == {"x": 6}
    assert data["step_results"]["extract"]["status"] == "SUCCESS"
    json.dumps(data)
    lines = result.summary().splitlines()
    assert lines[0].startswith(f"run {result.run_id}: success in ")
    assert lines[1].split()[:2] == ["extract", "SUCCESS"]


def test_run_context_overrides(tmp_path):
    pipeline = etl(tmp_path)
    assert pipeline.run(context={"factor": 10})["doubled"] == [{"x": 10}, {"x": 20}, {"x": 30}]
    assert pipeline.run()["doubled"] == [{"x": 2}, {"x": 4}, {"x": 6}]


def test_failure_gives_a_result_and_resume_reuses_stored_outputs(tmp_path):
    calls = []

    @step(inputs=["raw"], outputs=["total"])
    def total(raw, fail: bool):
        calls.append(fail)
        if fail:
            raise ValueError("no total today")
        return sum(r["x"] for r in raw)

    pipeline = Pipeline("sums", folder=tmp_path, context={"fail": True})
    pipeline.add_step(extract).add_step(total)
    failed = pipeline.run()
    assert not failed.success
    assert failed.error.startswith("step total failed: ValueError('no total today') at ")
    assert failed.step_results["total"].error == failed.error

    @step(inputs=["total"])
    def report(total):
        return None

    blocked = Pipeline("blocked", folder=tmp_path, context={"fail": True}) \
        .add_step(extract).add_step(total).add_step(report).run()
    assert blocked.step_results["report"].skipped_reason == "upstream step total failed"
    resumed = pipeline.run(context={"fail": False}, resume=True)
    assert resumed.success and resumed["total"] == 6
    assert resumed.step_results["extract"].skipped_reason == "succeeded in an earlier run (--resume)"
    assert calls == [True, True, False]  # the run, the blocked pipeline's, the resumed one


def test_status_shows_each_function_pipeline_of_a_folder(tmp_path, run_cli):
    etl(tmp_path).run()
    failing = Pipeline("sums", folder=tmp_path).add_step(extract)

    @step(inputs=["raw"], outputs=["total"])
    def total(raw):
        raise ValueError("no")

    failing.add_step(total).run()
    result = run_cli("status", tmp_path)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "[etl.dev]" and lines[3] == "[sums.dev]"
    assert lines[1].split()[:2] == ["extract", "SUCCESS"]
    assert lines[2].split()[:2] == ["transform", "SUCCESS"]
    assert lines[5].split()[:2] == ["total", "FAILED"]



def test_cache_clear_in_a_folder_of_function_pipelines(tmp_path, run_cli):
    # as `status`, `cache clear` serves the pipelines of a folder without a configuration
    pipeline = etl(tmp_path, cache=True)
    pipeline.run()
    assert all(r.cached for r in pipeline.run().step_results.values())
    wrong = run_cli("cache", "clear", tmp_path, "--stage", "transfrom")
    assert wrong.exit_code == 2 and "unknown stage transfrom" in wrong.stderr
    one = run_cli("cache", "clear", tmp_path, "--stage", "transform")
    assert one.exit_code == 0, one.output
    assert one.stdout.strip().endswith("cleared 1 cache fingerprint(s) in "
                                       f"{tmp_path.resolve()} (pipeline etl.dev)")
    again = pipeline.run().step_results
    assert again["extract"].cached and not again["transform"].cached
    every = run_cli("cache", "clear", tmp_path)
    assert "cleared 2 cache fingerprint(s)" in every.stdout
    assert not any(r.cached for r in pipeline.run().step_results.values())


def _two_step_pipelines(folder):
    """etl (extract -> transform) and sums (extract -> total, parts; total <- parts too)."""
    first = etl(folder).run()

    @step(inputs=["raw"], outputs=["parts"])
    def split(raw):
        return [len(raw)]

    @step(inputs=["raw", "parts"], outputs=["total"])
    def total(raw, parts):
        return sum(r["x"] for r in raw) + parts[0]

    second = Pipeline("sums", folder=folder).add_step(extract).add_step(split) \
        .add_step(total).run()
    return first.run_id, second.run_id


def test_graph_and_list_show_the_steps_of_each_function_pipeline(tmp_path, run_cli):
    # as `status`, `graph` and `list` serve a folder without a configuration: its
    # pipelines' graphs are those their newest runs recorded
    etl_run, sums_run = _two_step_pipelines(tmp_path)
    graph = run_cli("graph", tmp_path)
    assert graph.exit_code == 0, graph.output
    assert graph.stdout.splitlines() == [
        f"[etl.dev] run {etl_run}", "level 1", "  extract", "level 2",
        "  transform  <- extract", "",
        f"[sums.dev] run {sums_run}", "level 1", "  extract", "level 2",
        "  split    <- extract", "level 3", "  total    <- extract, split"]
    listed = run_cli("list", tmp_path)
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.splitlines() == [
        f"[etl.dev] run {etl_run}", "  1. extract", "  2. transform  <- extract",
        f"[sums.dev] run {sums_run}", "  1. extract", "  2. split    <- extract",
        "  3. total    <- extract, split"]
    dot = run_cli("graph", tmp_path, "--format", "dot").stdout
    assert dot.startswith(f'digraph pipeline {{\n  // [etl.dev] run {etl_run}\n')
    assert '  "split" -> "total";' in dot and '  "extract" -> "transform";' in dot
    mermaid = run_cli("graph", tmp_path, "--format", "mermaid").stdout.splitlines()
    assert mermaid[:2] == ["graph TD", f"  %% [etl.dev] run {etl_run}"]
    assert "  split --> total" in mermaid


def test_graph_of_a_function_pipeline_whose_record_is_damaged_names_the_file(tmp_path,
                                                                              run_cli):
    run_id = etl(tmp_path).run().run_id
    record = tmp_path / ".runs" / f"{run_id}.json"
    data = json.loads(record.read_text())
    data["graph"] = {"extract": ["transform"], "transform": ["extract"]}
    record.write_text(json.dumps(data))
    result = run_cli("graph", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: {record}: graph: a cycle: extract -> transform -> extract")


def test_a_failed_step_pipeline_reports_as_a_failed_folder_pipeline(tmp_path, dag):
    """The same failure object, message and resume hint; the folder pipeline raises it, the
    function-step pipeline hands it over in its result."""
    from dag_helpers import run_pipeline

    from yt_pipeline.errors import StageFailed

    folder = run_pipeline(dag({"a": {"fail": True}}, chain=["a"]))
    assert isinstance(folder, StageFailed) and folder.result is not None
    assert folder.result.failure is folder and folder.result.error == str(folder)
    assert folder.resume_hint == folder.result.resume_hint
    assert folder.resume_hint.startswith("to resume: yt-pipeline run ")

    @step
    def broken():
        raise RuntimeError("boom in a")

    steps = Pipeline("p", folder=tmp_path / "steps").add_step(broken).run()
    assert isinstance(steps.failure, StageFailed) and steps.error == str(steps.failure)
    assert steps.resume_hint == "to resume: Pipeline('p', ...).run(resume=True)"
    with pytest.raises(StageFailed) as raised:
        steps.raise_for_failure()
    assert raised.value is steps.failure and raised.value.result is steps
    assert raised.value.resume_hint == steps.resume_hint
    assert "failure" not in steps.to_dict()


def test_independent_steps_run_in_parallel(tmp_path):
    spans: dict[str, tuple[float, float]] = {}

    def sleeper(name):
        @step(outputs=[name], name=name)
        def wait():
            started = time.monotonic()
            time.sleep(0.3)
            spans[name] = (started, time.monotonic())
            return name
        return wait

    @step(inputs=["a", "b", "c"], outputs=["joined"])
    def join(a, b, c):
        return a + b + c

    pipeline = Pipeline("par", folder=tmp_path, workers=3)
    for name in "abc":
        pipeline.add_step(sleeper(name))
    result = pipeline.add_step(join).run()
    assert result["joined"] == "abc"
    # all three were running at once: each started before any of them ended (a check of
    # the overlap itself, which a loaded machine's slower start cannot fail)
    assert max(start for start, _ in spans.values()) < min(end for _, end in spans.values())
    assert [level for level in pipeline.graph().levels] == [["a", "b", "c"], ["join"]]


def test_cached_steps_and_changed_context(tmp_path):
    calls = []

    @step(inputs=["raw"], outputs=["scaled"], cache=True)
    def scale(raw, factor):
        calls.append(factor)
        return [r["x"] * factor for r in raw]

    pipeline = Pipeline("c", folder=tmp_path, context={"factor": 2}).add_step(extract).add_step(scale)
    assert pipeline.run()["scaled"] == [2, 4, 6]
    second = pipeline.run()
    assert second.step_results["scale"].cached and second["scaled"] == [2, 4, 6]
    assert pipeline.run(context={"factor": 3})["scaled"] == [3, 6, 9]
    assert calls == [2, 3]


def test_a_cached_step_given_the_whole_context_is_keyed_by_its_values(tmp_path):
    @step(outputs=["scaled"], cache=True)
    def scale(context):
        return context["factor"] * 10

    pipeline = Pipeline("whole", folder=tmp_path, context={"factor": 2}).add_step(scale)
    assert pipeline.run()["scaled"] == 20
    assert pipeline.run().step_results["scale"].cached
    changed = pipeline.run(context={"factor": 3})
    assert (changed["scaled"], changed.step_results["scale"].cached) == (30, False)


def test_several_outputs_and_tables(tmp_path):
    @step(outputs=["low", "high", "//s/all"])
    def split(yt):
        yt.write_table("//s/all", [{"x": 1}])
        return [1], [9]

    @step(inputs=["//s/all", "high"], outputs=["n"])
    def count(yt, high):
        return yt.row_count("//s/all") + len(high)

    result = Pipeline("s", folder=tmp_path).add_step(count).add_step(split).run()
    assert (result["low"], result["high"], result["n"]) == ([1], [9], 2)


def test_retry_on_the_errors_a_step_names(tmp_path):
    attempts = []

    @step(outputs=["v"], retry={"max_attempts": 3, "backoff_s": 0}, retry_on=(KeyError,))
    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise KeyError("not yet")
        return 1

    assert Pipeline("r", folder=tmp_path).add_step(flaky).run()["v"] == 1
    assert len(attempts) == 3


def test_when_on_context(tmp_path):
    @step(outputs=["v"], when="enabled")
    def maybe():
        return 1

    result = Pipeline("w", folder=tmp_path, context={"enabled": False}).add_step(maybe).run()
    assert result.step_results["maybe"].status == "SKIPPED" and "v" not in result.outputs


def test_wiring_errors(tmp_path):
    @step(inputs=["nothing"])
    def orphan(nothing):
        return None

    with pytest.raises(GraphError, match="step orphan: input nothing is produced by no step"):
        Pipeline("e", folder=tmp_path).add_step(orphan).run()

    @step(outputs=["raw"], name="extract2")
    def extract_again():
        return []

    with pytest.raises(GraphError, match="output raw is produced by two steps: extract and extract2"):
        Pipeline("e", folder=tmp_path).add_step(extract).add_step(extract_again).run()

    @step
    def needs(missing_param):
        return None

    # found before anything runs (the step before it does not run first)
    with pytest.raises(GraphError) as refused:
        Pipeline("e", folder=tmp_path).add_step(extract).add_step(needs).run()
    assert refused.value.one_line() == (
        "step needs: no value for parameter missing_param (not an input of the step, "
        "not in the context)")
    assert not (tmp_path / ".dev/etl/raw.jsonl").exists()
    assert Pipeline("e", folder=tmp_path).add_step(needs).run(
        context={"missing_param": 1}).success

    @step(outputs=["total"])
    def forgot(raw):  # reads an output without listing it in inputs=
        return len(raw)

    with pytest.raises(GraphError) as refused:
        Pipeline("e", folder=tmp_path).add_step(extract).add_step(forgot).run()
    assert refused.value.one_line() == (
        "step forgot: no value for parameter raw (not an input of the step, not in the "
        "context); step extract outputs it: add it to the step's inputs")
    with pytest.raises(ConfigError, match="two steps are named extract"):
        Pipeline("e").add_step(extract).add_step(extract)


STEP_SCRIPT = """
import helpers
from yt_pipeline import Pipeline, step

OFFSET = {offset}


def scaled(x):
    return helpers.factor() * x + OFFSET


@step(outputs=["total"], cache=True)
def total():
    return sum(scaled(x) for x in (1, 2, 3))


result = Pipeline("helpers", folder=".").add_step(total).run()
print("total:", result["total"], "cached:", result.step_results["total"].cached)
"""


def test_a_cached_step_runs_again_when_code_it_calls_changes(tmp_path):
    # the cache key of a step holds what its body reaches: a helper of its module, a
    # module-level constant, a function of a local module, at any depth
    import subprocess
    import sys

    def run(offset=0, factor=2):
        (tmp_path / "etl.py").write_text(STEP_SCRIPT.format(offset=offset))
        (tmp_path / "helpers.py").write_text(f"def factor():\n    return {factor}\n")
        done = subprocess.run([sys.executable, "etl.py"], cwd=tmp_path, capture_output=True,
                              text=True, check=True)
        return done.stdout.strip().splitlines()[-1]

    assert run() == "total: 12 cached: False"
    assert run() == "total: 12 cached: True"
    assert run(factor=10) == "total: 60 cached: False"
    assert run(factor=10, offset=1) == "total: 63 cached: False"
    assert run(factor=10, offset=1) == "total: 63 cached: True"


@pytest.mark.parametrize(("option", "value"), [
    ("only", ["extrat"]), ("from_step", "nope"), ("to_step", "nope"), ("refresh", ["nope"])])
def test_an_unknown_step_in_a_selection_is_named_as_a_step(tmp_path, option, value):
    with pytest.raises(GraphError) as refused:
        etl(tmp_path).run(**{option: value})
    name = value[0] if isinstance(value, list) else value
    hint = "; did you mean extract?" if name == "extrat" else ""
    assert refused.value.one_line() == (
        f"run({option}=...): unknown step {name}{hint} (known: extract, transform)")
    assert not (tmp_path / ".runs").exists()
