"""A run started from Python (`pipeline.run()`, a function-step pipeline's `run()`) hands
its failure to the program: the exception `run()` raises, which an uncaught script's
traceback prints, and the result's `error` and `summary()`, which a script prints. A stage
that failed with a secret in its error has it masked there, as in the command's error line
and the run record."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from secret_scan import scan_bytes

from yt_pipeline import DefaultPipeline
from yt_pipeline.errors import StageFailed
from yt_pipeline.testing import write_pipeline

API_KEY = "apikey-Lm37Pq-failure"
TOKEN = "ytok-api-failure-Zq81"

FAILING = """
from yt_pipeline import BaseStage


class Boom(BaseStage):
    def run(self, debug):
        key = self.deps.pipeline_config.secret("API_KEY")
        raise RuntimeError("refused key " + key + " and token " + self.deps.pipeline_config.secret("YT_TOKEN"))
"""


def failing_pipeline(root):
    return write_pipeline(root, {
        "configs/secrets.env": f"API_KEY={API_KEY}\nYT_TOKEN={TOKEN}\n",
        "stages/boom/stage.py": FAILING,
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["boom"]}})


def test_the_failure_run_raises_and_its_result_hold_no_secret(tmp_path, monkeypatch):
    for name in ("API_KEY", "YT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    pipeline = DefaultPipeline(pipeline_dir=failing_pipeline(tmp_path / "p"))
    try:
        try:
            pipeline.run()
        except StageFailed as failure:
            raised = failure
        else:
            raise AssertionError("the run did not fail")
    finally:
        pipeline.close()
    shown = "\n".join([str(raised), repr(raised), raised.result.error or "",
                       raised.result.summary(),
                       *(step.error or "" for step in raised.result.step_results.values())])
    assert "refused key *** and token ***" in str(raised)
    assert scan_bytes("what run() gave", shown.encode(), [API_KEY, TOKEN]) == []


def test_an_uncaught_failure_prints_no_secret(tmp_path):
    root = failing_pipeline(tmp_path / "p")
    script = tmp_path / "main.py"
    script.write_text("import sys\nfrom yt_pipeline import DefaultPipeline\n"
                      "DefaultPipeline(pipeline_dir=sys.argv[1]).run()\n")
    done = subprocess.run([sys.executable, str(script), str(root)], capture_output=True,
                          timeout=120)
    assert done.returncode == 1
    assert b"StageFailed: stage boom failed: RuntimeError('refused key ***" in done.stderr
    assert scan_bytes("the script's output", done.stdout + done.stderr, [API_KEY, TOKEN]) == []


WRITES_A_SECRET_TABLE = """
from yt_pipeline import BaseStage


class Write(BaseStage):
    def run(self, debug):
        key = self.deps.pipeline_config.secret("API_KEY")
        self.deps.yt_client.write_table("//home/keys/" + key, [{"a": 1}])
        return debug
"""


def test_a_commit_left_unfinished_reports_no_secret(tmp_path, monkeypatch):
    # a table named after a key, whose commit fails after its commit point (a full disk):
    # the failure the program gets, and the traceback an uncaught script prints with the
    # error it was raised from, showed the table's file
    import traceback

    from yt_pipeline.errors import CommitIncomplete
    from yt_pipeline_dev import txn

    for name in ("API_KEY", "YT_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    def commit(self):
        raise OSError(28, "No space left on device", str(self.root / f"home/keys/{API_KEY}"))

    monkeypatch.setattr(txn.DevTransaction, "commit", commit)
    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": f"API_KEY={API_KEY}\nYT_TOKEN={TOKEN}\n",
        "stages/write/stage.py": WRITES_A_SECRET_TABLE,
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["write"]}})
    pipeline = DefaultPipeline(pipeline_dir=root)
    try:
        try:
            pipeline.run()
        except CommitIncomplete as failure:
            raised = failure
        else:
            raise AssertionError("the commit did not fail")
    finally:
        pipeline.close()
    assert str(raised).startswith("stage write succeeded, but its tables could not all be made")
    shown = "".join(traceback.format_exception(raised)) + (raised.result.error or "")
    assert scan_bytes("what run() gave", shown.encode(), [API_KEY, TOKEN]) == []


# a plugin whose client factory or code packer fails quoting the token it was given
REFUSING_PLUGIN = """
import sys

import pluggy

from yt_pipeline import DefaultPipeline
from yt_pipeline.plugins import get_plugin_manager

hookimpl = pluggy.HookimplMarker("yt_pipeline")


class Refusing:
    @hookimpl
    def ytp_create_client(self, mode, settings, pipeline_dir):
        if sys.argv[2] == "ytp_create_client":
            raise RuntimeError("refused token " + settings.secret("YT_TOKEN"))

    @hookimpl
    def ytp_package_code(self, pipeline_dir, settings, stages):
        if sys.argv[2] == "ytp_package_code":
            raise RuntimeError("refused token " + settings.secret("YT_TOKEN"))


manager = get_plugin_manager()
manager.register(Refusing(), name="refusing")
DefaultPipeline(pipeline_dir=sys.argv[1], plugin_manager=manager).run()
"""


@pytest.mark.parametrize("hook", ["ytp_create_client", "ytp_package_code"])
def test_an_uncaught_plugin_failure_prints_no_secret(tmp_path, hook):
    """The plugin's error the run raises, and the plugin's own exception an uncaught
    script's traceback printed with it ("the direct cause of the following exception"):
    the client is made before the run masks its secrets, which left even the first line
    in clear."""
    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": f"API_KEY={API_KEY}\nYT_TOKEN={TOKEN}\n",
        "stages/write/stage.py": WRITES_A_SECRET_TABLE,
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["write"]}})
    script = tmp_path / "main.py"
    script.write_text(REFUSING_PLUGIN)
    env = {name: value for name, value in os.environ.items()
           if name not in ("API_KEY", "YT_TOKEN")}
    done = subprocess.run([sys.executable, str(script), str(root), hook], capture_output=True,
                          timeout=120, env=env)
    assert done.returncode == 1
    assert (f"PluginHookFailed: plugin refusing failed in {hook}: "
            "RuntimeError('refused token ***')").encode() in done.stderr, done.stderr
    assert scan_bytes("the script's output", done.stdout + done.stderr, [API_KEY, TOKEN]) == []
    assert not (root / ".dev/home/keys").exists()  # no stage ran


# a stage module that uses the environment's token as it is imported, and fails
IMPORT_FAILS = """
import os

print("importing with " + os.environ["YT_TOKEN"], flush=True)
raise RuntimeError("cannot reach the proxy with " + os.environ["YT_TOKEN"])
"""


def test_a_stage_that_fails_to_import_shows_no_secret(tmp_path):
    """A folder pipeline imports its stages as it is made (`DefaultPipeline(...)`), before
    any run masked a secret: what the module printed, the DiscoveryError's line and the
    module's own exception, which an uncaught script's traceback printed as its cause,
    showed the token in clear."""
    root = write_pipeline(tmp_path / "p", {"stages/bad/stage.py": IMPORT_FAILS},
                          config={"pipeline": {"mode": "dev"}})
    script = tmp_path / "main.py"
    script.write_text("import sys\nfrom yt_pipeline import DefaultPipeline\n"
                      "DefaultPipeline(pipeline_dir=sys.argv[1]).run()\n")
    env = {**{name: value for name, value in os.environ.items() if name != "API_KEY"},
           "YT_TOKEN": TOKEN}
    done = subprocess.run([sys.executable, str(script), str(root)], capture_output=True,
                          timeout=120, env=env)
    assert done.returncode == 1
    assert done.stdout == b"importing with ***\n"
    assert (b"DiscoveryError: stages/bad/stage.py: failed to import (line 5): RuntimeError: "
            b"cannot reach the proxy with ***\n") in done.stderr, done.stderr
    assert scan_bytes("the script's output", done.stdout + done.stderr, [TOKEN]) == []
