"""A plugin hook that raises at a seeded call (an error, Ctrl-C, sys.exit) in a run whose
parallel stages (`workers: 2`) run every kind of operation and append: the run ends, and
`--resume` (without the plugin) gives exactly the rows of one run."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from adversarial_helpers import command, finish, seeded, start
from dag_helpers import run_pipeline
from test_adversarial_ops import check, make

from yt_pipeline import hookimpl

TRIALS = int(os.environ.get("YTP_ADV_HOOK_TRIALS", "6"))


class RaisesAt:
    """Raises `error` at the `at`-th hook call of the run (any hook)."""

    def __init__(self, at: int, error: BaseException):
        self.at, self.error, self.calls = at, error, 0

    def _call(self) -> None:
        self.calls += 1
        if self.calls == self.at:
            raise self.error

    @hookimpl
    def ytp_pipeline_started(self, run):
        self._call()

    @hookimpl
    def ytp_before_stage(self, run, stage):
        self._call()

    @hookimpl
    def ytp_after_stage(self, run, stage, outcome):
        self._call()

    @hookimpl
    def ytp_on_stage_error(self, run, stage, error, attempt):
        self._call()

    @hookimpl
    def ytp_pipeline_finished(self, run, outcomes, success):
        self._call()


def in_thread(root: Path) -> object:
    box: list = []

    def target():
        try:
            box.append(run_pipeline(root))
        except BaseException as exc:  # noqa: BLE001 - Ctrl-C and sys.exit end the run too
            box.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), "the run hung"
    return box[0]


@pytest.mark.slow
def test_a_hook_raising_at_any_call_then_resume_gives_exact_rows(tmp_path, register_plugin):
    rng = seeded(20261203_8)
    template = make(tmp_path / "template")
    # 8 stages: started + before/after each + finished = 18 calls
    errors = [RuntimeError("boom"), KeyboardInterrupt(), SystemExit(3)]
    for trial in range(TRIALS):
        root = tmp_path / f"t{trial}"
        shutil.copytree(template, root)
        at, error = rng.randint(1, 18), rng.choice(errors)
        plugin = register_plugin(RaisesAt(at, error), name=f"raises{trial}")
        outcome = in_thread(root)
        label = f"trial {trial}: {error!r} at hook call {at} (run gave {outcome!r:.200})"
        from yt_pipeline.plugins import get_plugin_manager

        get_plugin_manager().unregister(plugin)
        code, out = finish(start(command(root, "--resume")))
        assert code == 0, f"{label}: --resume: {out[-2000:]}"
        check(root, label)
        shutil.rmtree(root)


SLOW_APPEND = """
import time
from pathlib import Path
from yt_pipeline import BaseStage


class Slow(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        gate = Path(self.context.pipeline_dir) / f"{self.name}.started"
        gate.write_text("")
        time.sleep(1.0)  # still running when the run is interrupted
        yt.write_table("//r/acc", ({"who": self.name, "i": i} for i in range(100)), append=True)
        return debug
"""


class InterruptWhenStarted:
    """Ctrl-C (or sys.exit) in the scheduler's thread while a stage runs: a hook raising it
    is where the run's own thread is when the user presses Ctrl-C in a notebook. The first
    stage is let through, and the second one's hook raises once it has begun: a stage not
    begun when the run is interrupted is refused its attempt (stage_run.CommitGate.admit)."""

    def __init__(self, error: BaseException):
        self.error = error
        self.calls = 0

    @hookimpl
    def ytp_before_stage(self, run, stage):
        self.calls += 1
        if self.calls == 1:
            return
        folder = Path(run.pipeline_dir)
        deadline = time.monotonic() + 10
        while (not any((folder / f"{name}.started").exists() for name in "ab")
               and time.monotonic() < deadline):
            time.sleep(0.01)
        raise self.error


@pytest.mark.parametrize("error", [KeyboardInterrupt(), SystemExit(3)])
def test_stages_still_running_after_an_interrupted_run_never_run_twice(
        tmp_path, register_plugin, error):
    """The run's thread was interrupted while its workers ran stages. It released the run
    lock at once, the workers went on and committed, and a `--resume` started meanwhile
    ran the same stages again: every row of them twice."""
    import json

    from yt_pipeline.testing import write_pipeline

    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev", "workers": 2},
                                           "stages": {"graph": {"a": [], "b": []}}}),
        "stages/a/stage.py": SLOW_APPEND,
        "stages/b/stage.py": SLOW_APPEND,
    })
    plugin = register_plugin(InterruptWhenStarted(error), name="interrupts")
    outcome = in_thread(root)
    assert isinstance(outcome, type(error)), outcome
    from yt_pipeline.plugins import get_plugin_manager

    get_plugin_manager().unregister(plugin)
    deadline = time.monotonic() + 10  # the interrupted run's workers go on with a and b
    while not ((root / "a.started").exists() or (root / "b.started").exists()):
        assert time.monotonic() < deadline, "the stages never started"
        time.sleep(0.01)
    # a resume at once, while the interrupted run's stages are still running
    code, out = finish(start(command(root, "--resume")))
    if code != 0:  # refused while they finish: then it must get through afterwards
        assert "is already being run" in out, out[-2000:]
        deadline = time.monotonic() + 30
        while code != 0:
            assert time.monotonic() < deadline, out[-2000:]
            time.sleep(0.2)
            code, out = finish(start(command(root, "--resume")))
    # anything the interrupted run still had to do is done once its stage threads have
    # ended (and by 1.5 s at the latest, as a fixed wait had it)
    deadline = time.monotonic() + 1.5
    for thread in threading.enumerate():
        if thread.name.startswith("ytp-stage-"):
            thread.join(max(0.0, deadline - time.monotonic()))
    rows = (root / ".dev/r/acc.jsonl").read_text().splitlines()
    assert sorted(rows) == sorted(json.dumps({"who": w, "i": i}, separators=(",", ":"))
                                  for w in "ab" for i in range(100))
