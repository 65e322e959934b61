"""A plugin whose lifecycle hook raises: the run ends (it never hangs) with an error naming the
plugin and the hook, and the stage's own state is what the stage did, never a failure the
hook caused (so a retry never re-runs a stage that succeeded)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import yaml
from dag_helpers import order_of, run_pipeline, state_of

from yt_pipeline import hookimpl
from yt_pipeline.errors import PluginHookFailed

HOOKS = ["ytp_pipeline_started", "ytp_before_stage", "ytp_after_stage", "ytp_on_stage_error",
         "ytp_pipeline_finished"]


class Raises:
    """Raises in one hook; `calls` counts the calls of each."""

    def __init__(self, hook: str):
        self.hook = hook
        self.calls: dict[str, int] = {}

    def _call(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if name == self.hook:
            raise RuntimeError(f"boom in {name}")

    @hookimpl
    def ytp_pipeline_started(self, run):
        self._call("ytp_pipeline_started")

    @hookimpl
    def ytp_before_stage(self, run, stage):
        self._call("ytp_before_stage")

    @hookimpl
    def ytp_after_stage(self, run, stage, outcome):
        self._call("ytp_after_stage")

    @hookimpl
    def ytp_on_stage_error(self, run, stage, error, attempt):
        self._call("ytp_on_stage_error")

    @hookimpl
    def ytp_pipeline_finished(self, run, outcomes, success):
        self._call("ytp_pipeline_finished")


def run_with_timeout(root: Path, seconds: float = 60, **options):
    """Run in a thread: a run that hangs fails the test instead of the whole suite."""
    box: list = []
    thread = threading.Thread(target=lambda: box.append(run_pipeline(root, **options)),
                              daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the run hung for {seconds}s"
    return box[0]


@pytest.mark.parametrize("hook", HOOKS)
def test_a_hook_that_raises_ends_the_run_naming_the_plugin(dag, register_plugin, hook):
    register_plugin(Raises(hook), name="noisy")
    failing = {"fail_times": 1, "retry": {"max_attempts": 2, "backoff_s": 0}}
    root = dag({"a": {}, "b": failing, "c": {}}, chain=["a", "b", "c"])
    failure = run_with_timeout(root)
    assert isinstance(failure, PluginHookFailed), failure
    assert str(failure) == f"plugin noisy failed in {hook}: RuntimeError('boom in {hook}')"
    assert failure.result.success is False
    assert failure.result.error == str(failure)
    state = state_of(root)
    if hook == "ytp_pipeline_started":  # no stage started
        assert state == {"a": None, "b": None, "c": None} and order_of(root) == []
        return
    if hook == "ytp_before_stage":  # a waits for its hooks, so it is the first not to start
        assert state == {"a": None, "b": None, "c": None} and order_of(root) == []
        assert failure.result.step_results["a"].skipped_reason == "not run: plugin noisy failed"
        return
    # a's state is its own: its success, never a failure the hook raised
    assert state["a"] == "SUCCESS"
    assert order_of(root).count("start a") == 1  # and it ran once: no retry of a success
    if hook == "ytp_after_stage":  # the run stops after a
        assert state["b"] is None and state["c"] is None
        assert failure.result.step_results["b"].skipped_reason == "not run: plugin noisy failed"
    else:  # b failed once, and its retry still ran (the hook failed beside it)
        assert state == {"a": "SUCCESS", "b": "SUCCESS",
                         "c": None if hook == "ytp_on_stage_error" else "SUCCESS"}


def test_a_hook_error_on_the_command_line(dag, run_cli, register_plugin):
    register_plugin(Raises("ytp_after_stage"), name="noisy")
    root = dag({"a": {}}, chain=["a"])
    result = run_cli("run", root)
    assert result.exit_code == 1
    assert ("error: plugin noisy failed in ytp_after_stage: RuntimeError('boom in "
            "ytp_after_stage')") in result.stderr
    assert state_of(root) == {"a": "SUCCESS"}
    record = sorted((root / ".runs").glob("2*.json"))[-1]
    data = yaml.safe_load(record.read_text())
    assert data["status"] == "FAILED" and data["stages"]["a"]["outcome"] == "SUCCESS"


def test_hooks_run_in_the_scheduler_thread(dag, register_plugin):
    """So a plugin need not be thread-safe: every hook call comes from one thread."""
    threads = set()

    class Watcher:
        @hookimpl
        def ytp_before_stage(self, run, stage):
            threads.add(threading.current_thread().name)

        @hookimpl
        def ytp_after_stage(self, run, stage, outcome):
            threads.add(threading.current_thread().name)

    register_plugin(Watcher())
    root = dag({name: {"sleep": 0.05} for name in "abcd"}, graph={n: [] for n in "abcd"},
               pipeline={"workers": 4})
    result = run_pipeline(root)
    assert result.success
    assert threads == {threading.current_thread().name}


def test_a_stage_starts_only_once_its_before_stage_hooks_returned(dag, register_plugin):
    """What a plugin does or logs in ytp_before_stage comes before the stage's own work, even
    with stages in worker threads and a hook slower than the stage's start."""

    class SlowBefore:
        def __init__(self, log: Path):
            self.log = log

        @hookimpl
        def ytp_before_stage(self, run, stage):
            time.sleep(0.1)
            with self.log.open("a") as out:
                out.write(f"before {stage}\n")

    root = dag({name: {"sleep": 0.01} for name in "abc"}, graph={n: [] for n in "abc"},
               pipeline={"workers": 3})
    register_plugin(SlowBefore(root / "order.log"))
    assert run_pipeline(root).success
    lines = order_of(root)
    for name in "abc":
        assert lines.index(f"before {name}") < lines.index(f"start {name}"), lines


def test_a_function_step_pipeline_reports_a_hook_error_the_same_way(tmp_path, register_plugin):
    from yt_pipeline import Pipeline

    register_plugin(Raises("ytp_after_stage"), name="noisy")
    def one():
        return 1

    pipeline = Pipeline("p", folder=tmp_path).add_step(one)
    result = pipeline.run()
    assert not result.success
    assert result.error == "plugin noisy failed in ytp_after_stage: RuntimeError('boom in " \
                           "ytp_after_stage')"
