"""Function steps' options: `@when`, `@retry`, `@on_failure`, `depends_on`, `parallel_map`,
stacks and the Pipeline's other arguments; checked on the values and tables the steps
leave, not only on statuses."""

from __future__ import annotations

import json
import threading
import time

import pytest

from yt_pipeline import (
    Pipeline,
    Stack,
    depends_on,
    on_failure,
    parallel_map,
    register_stack,
    retry,
    step,
    when,
)
from yt_pipeline.errors import ConfigError


@step(outputs=["data"])
def load(rows: int = 3):
    return {"rows": rows, "quality": 0.95 if rows > 2 else 0.5}


@when("data.quality > 0.9")
@step(inputs=["data"], outputs=["model"])
def train(data):
    return {"trained_on": data["rows"]}


@step(inputs=["model"], outputs=["report"])
def publish(model):
    return f"model trained on {model['trained_on']}"


@step(inputs=["model"], outputs=["note"])
def describe(model=None):
    return "no model" if model is None else "a model"


def test_when_names_inputs_and_skips_what_depends_on_a_skipped_step(tmp_path):
    pipeline = Pipeline("gate", folder=tmp_path).add_step(load).add_step(train) \
        .add_step(publish).add_step(describe)
    good = pipeline.run(context={"rows": 5})
    assert good.success and good["report"] == "model trained on 5" and good["note"] == "a model"
    poor = pipeline.run(context={"rows": 1})
    assert poor.success
    assert poor.step_results["train"].status == "SKIPPED"
    assert "data.quality > 0.9" in poor.step_results["train"].skipped_reason
    skipped = poor.step_results["publish"]
    assert skipped.status == "SKIPPED"
    assert "its input model comes from a step that was skipped" in skipped.skipped_reason
    assert poor.step_results["describe"].status == "SUCCESS"
    assert poor["note"] == "no model"  # the declared default


def test_retry_on_named_errors_with_a_cap(tmp_path):
    calls = []

    @retry(max_attempts=3, backoff=0.01, on=(TimeoutError,))
    @step(outputs=["value"])
    def flaky():
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise TimeoutError("slow service")
        return 42

    result = Pipeline("flaky", folder=tmp_path).add_step(flaky).run()
    assert result.success and result["value"] == 42
    assert result.step_results["flaky"].attempts == 3 and len(calls) == 3

    @retry(max_attempts=5, backoff=0.01, on=TimeoutError)
    @step(outputs=["value"])
    def wrong_kind():
        calls.append(0)
        raise KeyError("not retried")

    calls.clear()
    failed = Pipeline("wrong", folder=tmp_path).add_step(wrong_kind).run()
    assert not failed.success and len(calls) == 1
    with pytest.raises(ConfigError, match="max_attempts"):
        retry(max_attempts=0)


def test_on_failure_gives_the_outputs_after_the_last_attempt(tmp_path):
    attempts = []

    @on_failure(lambda error: {"score": 0.0, "why": type(error).__name__})
    @retry(max_attempts=2, backoff=0.0)
    @step(outputs=["scored"])
    def score():
        attempts.append(1)
        raise RuntimeError("model server down")

    @step(inputs=["scored"], outputs=["shown"])
    def show(scored):
        return f"{scored['score']} ({scored['why']})"

    result = Pipeline("fallback", folder=tmp_path).add_step(score).add_step(show).run()
    assert result.success
    assert len(attempts) == 2
    assert result["shown"] == "0.0 (RuntimeError)"



def test_a_fallback_keeps_no_write_of_the_failed_attempts(tmp_path):
    # each attempt is a transaction, the fallback's too: three failed attempts that append
    # leave the table as it was, not appended to three times
    @on_failure(lambda error: "fallback")
    @retry(max_attempts=3, backoff=0.0, on=(TimeoutError,))
    @step(outputs=["status"])
    def load(yt):
        yt.write_table("//tmp/fb/events", [{"e": 1}, {"e": 2}], append=True)
        raise TimeoutError("source died after writing")

    @on_failure(lambda error: -1)
    @step(outputs=["count"])
    def count(yt):
        yt.write_table("//tmp/fb/side", [{"x": 1}])
        raise ValueError("not retried: straight to the fallback")

    pipeline = Pipeline("fb", folder=tmp_path).add_step(load).add_step(count)
    result = pipeline.run()
    assert result.success and (result["status"], result["count"]) == ("fallback", -1)
    assert result.step_results["load"].attempts == 3
    client = pipeline.yt
    assert not client.exists("//tmp/fb/events") and not client.exists("//tmp/fb/side")
    assert not list((tmp_path / ".dev").rglob("*.jsonl"))


def test_a_failing_fallback_fails_its_step(tmp_path):
    @on_failure(lambda error: 1 / 0)
    @step(outputs=["v"])
    def broken():
        raise RuntimeError("first")

    result = Pipeline("fb2", folder=tmp_path).add_step(broken).run()
    assert not result.success
    assert "ZeroDivisionError" in result.error


def test_depends_on_orders_steps_without_a_value_between_them(tmp_path):
    order = []

    @step
    def validate_data(fail: bool = False):
        order.append("validate")
        if fail:
            raise ValueError("bad data")

    @depends_on(validate_data)
    @step(outputs=["model"])
    def train_model():
        order.append("train")
        return "m"

    @step(after=["train_model"])
    def deploy():
        order.append("deploy")

    pipeline = Pipeline("ordered", folder=tmp_path, workers=4) \
        .add_step(deploy).add_step(train_model).add_step(validate_data)
    assert pipeline.run().success
    assert order == ["validate", "train", "deploy"]
    order.clear()
    failed = pipeline.run(context={"fail": True})
    assert not failed.success and order == ["validate"]  # its failure stops them
    assert failed.step_results["train_model"].status != "SUCCESS"


def test_parallel_map_keeps_order_runs_at_once_and_raises_the_first_error():
    active, peak = [0], [0]
    lock = threading.Lock()

    def work(x):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return x * x

    assert parallel_map(work, range(8), workers=4) == [x * x for x in range(8)]
    assert 2 <= peak[0] <= 4
    assert parallel_map(work, []) == []

    def boom(x):
        if x == 3:
            raise ValueError("item 3")
        return x

    with pytest.raises(ValueError, match="item 3"):
        parallel_map(boom, range(6), workers=2)


def test_pipeline_arguments_stacks_and_what_the_result_carries(tmp_path):
    @step(outputs=["n", "//tmp/stack/t"])
    def write(yt):
        yt.write_table("//tmp/stack/t", [{"a": 1}])
        return 1, None

    register_stack(Stack("laptop", "dev"))
    pipeline = Pipeline("meta", cache_dir=tmp_path, enable_cache=True,
                        project_name="shop", version="1.2", stack="laptop").add_step(write)
    assert pipeline.mode == "dev" and pipeline.folder == tmp_path.resolve()
    result = pipeline.run(debug=True)
    assert result.success
    assert (result.pipeline_name, result.project_name, result.version) == ("meta", "shop", "1.2")
    assert result.step_results["write"].artifact_uri == "yt://tmp/stack/t"
    rows = (tmp_path / ".dev/tmp/stack/t.jsonl").read_text().splitlines()
    assert [json.loads(r) for r in rows] == [{"a": 1}]
    again = pipeline.run()
    assert again.step_results["write"].cached  # enable_cache
    with pytest.raises(ConfigError, match="unknown stack 'nowhere'"):
        Pipeline("x", folder=tmp_path, stack="nowhere")


@step(outputs=["converted"])
def convert():
    return 2


@depends_on(convert)
@when("converted > 1")
@step(outputs=["summary"])
def summarise():
    return "summarised"


def test_when_naming_a_dependency_output_bare_points_to_debug(tmp_path):
    """The output of a step it depends on reaches a condition under `debug` only; naming it
    bare fails the step with a line that says where it is."""
    result = Pipeline("hint", folder=tmp_path).add_step(convert).add_step(summarise).run()
    assert not result.success
    assert result.step_results["summarise"].status == "FAILED"
    assert ("when: unknown name converted in 'converted > 1' (known: context, debug); did you "
            "mean debug.converted?") in result.error
