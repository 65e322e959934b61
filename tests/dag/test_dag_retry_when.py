"""Retries with backoff on retryable errors only; `when:` conditions and their evaluator."""

from __future__ import annotations

import random

import pytest
from dag_helpers import run_pipeline, started, state_of

from yt_pipeline import hookimpl
from yt_pipeline.conditions import Condition
from yt_pipeline.errors import ConfigError
from yt_pipeline.retry_policy import RetryPolicy, parse_retry

FAST = {"max_attempts": 3, "backoff_s": 0.01, "max_backoff_s": 0.02}


class ErrorLog:
    def __init__(self):
        self.seen = []

    @hookimpl
    def ytp_on_stage_error(self, run, stage, error, attempt):
        self.seen.append((stage, attempt, type(error).__name__))


def test_retryable_error_is_retried_until_success(dag, register_plugin):
    errors = register_plugin(ErrorLog())
    root = dag({"a": {"fail_times": 2, "retry": FAST}}, chain=["a"])
    result = run_pipeline(root)
    assert result.success and result.step_results["a"].attempts == 3
    assert (root / "attempts.a").read_text() == "3"
    assert errors.seen == [("a", 1, "OperationFailed"), ("a", 2, "OperationFailed")]


def test_retries_run_out(dag):
    root = dag({"a": {"fail_times": 5, "retry": FAST}}, chain=["a"])
    failure = run_pipeline(root)
    assert "attempt 3 failed" in str(failure)
    assert failure.result.step_results["a"].attempts == 3
    assert state_of(root) == {"a": "FAILED"}


def test_config_errors_are_not_retried(dag):
    root = dag({"a": {"fail_times": 5, "fail_kind": "config", "retry": FAST}}, chain=["a"])
    failure = run_pipeline(root)
    assert (root / "attempts.a").read_text() == "1"
    assert "x.yaml: k: bad value" in str(failure)


def test_without_retry_config_a_stage_runs_once(dag):
    root = dag({"a": {"fail_times": 1}}, chain=["a"])
    run_pipeline(root)
    assert (root / "attempts.a").read_text() == "1"


def test_backoff_doubles_is_capped_and_jittered():
    policy = RetryPolicy(max_attempts=6, backoff_s=1.0, max_backoff_s=5.0)
    rng = random.Random(1)
    delays = [policy.delay(n, rng) for n in range(1, 6)]
    for attempt, delay in enumerate(delays, 1):
        base = min(5.0, 2 ** (attempt - 1))
        assert base * 0.5 <= delay < base
    assert len(set(delays)) == 5


def test_bad_retry_config_names_file_and_key(dag, run_cli):
    root = dag({"a": {"retry": {"max_attempts": 0}}}, chain=["a"])
    result = run_cli("run", root)
    assert result.exit_code == 2
    assert "error: stages/a/config.yaml: retry.max_attempts: must be a whole number >= 1, got 0" in result.stderr
    with pytest.raises(ConfigError, match="retry.tries: unknown key tries"):
        parse_retry({"tries": 2}, source="s.yaml")


def test_false_condition_skips_and_dependents_still_run(dag):
    stages = {"a": {"set": {"rows": 0}}, "b": {"when": "debug.rows > 0"}, "c": {}}
    root = dag(stages, chain=["a", "b", "c"])
    result = run_pipeline(root)
    assert result.success
    assert started(root) == ["a", "c"]
    assert result.step_results["b"].status == "SKIPPED"
    assert result.step_results["b"].skipped_reason == "when: debug.rows > 0 is false"
    assert state_of(root) == {"a": "SUCCESS", "b": "SKIPPED", "c": "SUCCESS"}
    assert result.debug["seen_c"]["rows"] == 0


def test_true_condition_runs(dag):
    stages = {"a": {"set": {"rows": 3}}, "b": {"when": "debug.rows > 0 and mode == 'dev'"}}
    root = dag(stages, chain=["a", "b"])
    assert started(root) == [] and run_pipeline(root).success
    assert started(root) == ["a", "b"]


def test_condition_on_config(dag):
    stages = {"a": {"when": "config.enabled", "enabled": False}, "b": {"when": "not config.enabled"}}
    root = dag(stages, graph={"a": [], "b": []})
    run_pipeline(root)
    assert started(root) == ["b"]


def test_unsafe_condition_is_refused_before_anything_runs(dag, run_cli):
    root = dag({"a": {}, "b": {"when": "__import__('os').system('true')"}}, chain=["a", "b"])
    result = run_cli("run", root)
    assert result.exit_code == 2
    assert "error: stages/b/config.yaml: when: Call is not allowed in" in result.stderr
    assert started(root) == []


@pytest.mark.parametrize(("text", "names", "expected"), [
    ("debug.n >= 2", {"debug": {"n": 2}}, True),
    ("debug.missing", {"debug": {}}, False),
    ("debug['a b'] == 'x'", {"debug": {"a b": "x"}}, True),
    ("mode in ['dev', 'test']", {"mode": "prod"}, False),
    ("config.items[1] == 3", {"config": {"items": [2, 3]}}, True),
    ("1 < debug.n < 3", {"debug": {"n": 5}}, False),
    ("-debug.n == -1 or not debug.n", {"debug": {"n": 1}}, True),
    ("debug.flag is None", {"debug": {}}, True),
    # a missing key reads as null: ordered against anything it is false, and holds nothing
    ("debug.rows > 0", {"debug": {}}, False),
    ("debug.rows <= 0", {"debug": {}}, False),
    ("0 < debug.rows", {"debug": {}}, False),
    ("not debug.rows > 0", {"debug": {}}, True),
    ("1 < debug.rows < 3", {"debug": {}}, False),
    ("debug.rows >= debug.limit", {"debug": {"rows": 2}}, False),
    ("'a' in debug.tags", {"debug": {}}, False),
    ("'a' not in debug.tags", {"debug": {}}, True),
])
def test_condition_evaluator(text, names, expected):
    assert Condition(text).evaluate(names) is expected


@pytest.mark.parametrize(("text", "message"), [
    ("debug.__class__", "private name __class__ is not allowed"),
    ("(lambda: 1)()", "Call is not allowed"),
    ("debug.n + 1 > 2", "BinOp is not allowed"),
    ("[x for x in debug]", "ListComp is not allowed"),
    ("debug.n >", "invalid expression"),
])
def test_condition_refusals(text, message):
    with pytest.raises(ConfigError, match=message):
        Condition(text, source="stages/b/config.yaml")


def test_condition_errors_at_run_time_name_the_file():
    cond = Condition("debug.n > 1", source="stages/b/config.yaml")
    with pytest.raises(ConfigError, match=r"stages/b/config.yaml: when: 'debug.n > 1' failed: TypeError"):
        cond.evaluate({"debug": {"n": "two"}})
    with pytest.raises(ConfigError, match="unknown name nope"):
        Condition("nope").evaluate({"debug": {}})


def test_the_documented_condition_skips_a_stage_when_its_key_is_missing(dag, run_cli):
    """dag-resume-cache.md's `when: debug.rows > 0 and mode == "prod"`, no stage having set
    debug.rows: the stage is skipped, the reason is logged, the run succeeds."""
    root = dag({"a": {}, "b": {"when": 'debug.rows > 0 and mode == "prod"'}, "c": {}},
               chain=["a", "b", "c"])
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    assert 'skipped: when: debug.rows > 0 and mode == "prod" is false' in result.stderr
    assert "TypeError" not in result.output
    assert started(root) == ["a", "c"]
    assert state_of(root) == {"a": "SUCCESS", "b": "SKIPPED", "c": "SUCCESS"}
