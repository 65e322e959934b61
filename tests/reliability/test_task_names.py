"""A vanilla operation's tasks are named one way everywhere the user reads of them, in dev
and in prod: `vanilla task N of M`, counted from 1 (job_logs.job_name), in the error, in
.dev/operation.log, in the run's job logs (`yt-pipeline logs`) and in dev's stage log
(.dev/<stage>.log). The task's code sees its YT_JOB_COOKIE, one less."""

from __future__ import annotations

import json
import re

import pytest

from yt_pipeline.testing import write_pipeline
from yt_pipeline_prod.testing import TEST_TOKEN

STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_vanilla


class Summary(BaseStage):
    def run(self, debug):
        run_vanilla(self, self.config.client.operations.vanilla)
        return debug
"""
TASK = """
import os
import sys

cookie = os.environ["YT_JOB_COOKIE"]
print("cookie " + cookie, file=sys.stderr, flush=True)
if cookie == "1":
    sys.exit("the second task fails")
"""


def _pipeline(root, mode: str, url: str = ""):
    config = {"stages": {"enabled_stages": ["summary"]}, "pipeline": {"mode": mode}}
    secrets = ""
    if mode == "prod":
        config["pipeline"]["prod"] = {"retries": False, "poll_interval_s": 0.05}
        config["pipeline"]["build_folder"] = "//tmp/tasks/build"
        secrets = f"YT_PROXY={url}\nYT_TOKEN={TEST_TOKEN}\n"
    return write_pipeline(root, {
        "configs/config.yaml": json.dumps(config),
        "configs/secrets.env": secrets,
        "stages/summary/stage.py": STAGE,
        "stages/summary/src/task.py": TASK,
        "stages/summary/config.yaml": json.dumps({"client": {"operations": {"vanilla": {
            "script": "src/task.py", "resources": {"job_count": 2},
            "max_failed_job_count": 1}}}}),
    })


def _headers(text: str) -> list[str]:
    """The `=== ... ===` lines of a log, the time stamp of dev's stage log left out."""
    return [re.sub(r"^=== \d{4}-\d\d-\d\dT[\d:]+ ", "=== ", line)
            for line in text.splitlines() if line.startswith("===")]


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_a_vanilla_task_is_named_alike_everywhere(tmp_path, run_cli, mode, request):
    url = request.getfixturevalue("fake_yt").url if mode == "prod" else ""
    root = _pipeline(tmp_path / "p", mode, url)
    result = run_cli("run", str(root))
    assert result.exit_code == 1, result.output
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert ("operation vanilla (vanilla): Failed jobs limit exceeded (1 failed job, "
            "max_failed_job_count 1): vanilla task 2 of 2 failed (exit code 1)") in error, error

    logs = run_cli("logs", "summary", str(root))
    assert logs.exit_code == 0, logs.output
    text = logs.stdout
    headers = _headers(text)
    assert any(h.startswith("=== vanilla (vanilla) vanilla task 2 of 2") for h in headers), text
    assert all(re.match(r"=== vanilla \(vanilla\) vanilla task [12] of 2", h)
               for h in headers), headers
    after = text.split("vanilla task 2 of 2", 1)[1].split("\n", 1)[1]
    assert after.startswith("cookie 1\n"), text

    if mode == "dev":
        assert "FAILED vanilla task 2 of 2" in (root / ".dev/operation.log").read_text()
        stage_log = (root / ".dev/summary.log").read_text()
        headers = _headers(stage_log)
        assert headers == ["=== summary/vanilla vanilla task 1 of 2 ===",
                           "=== summary/vanilla vanilla task 2 of 2 ==="], stage_log
        assert stage_log.split("vanilla task 2 of 2 ===\n", 1)[1].startswith("cookie 1\n")


def test_a_task_without_its_cookie_is_named_alike_in_the_error_and_the_job_log(
        tmp_path, run_cli, fake_yt, monkeypatch):
    """A cluster too old to report a job's `job_cookie` in list_jobs: the job's id stands
    for its number, the same way in the error and in `yt-pipeline logs`."""
    from yt.wrapper import YtClient

    listed = YtClient.list_jobs

    def without_cookies(self, *args, **kwargs):
        answer = listed(self, *args, **kwargs)
        for job in answer.get("jobs") or []:
            job.pop("job_cookie", None)
        return answer

    monkeypatch.setattr(YtClient, "list_jobs", without_cookies)
    root = _pipeline(tmp_path / "p", "prod", fake_yt.url)
    result = run_cli("run", str(root))
    assert result.exit_code == 1, result.output
    [operation] = fake_yt.state.operations.values()
    [failed] = [job for job in operation.jobs if job.failed]
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert (f"max_failed_job_count 1): vanilla task (job {failed.id}) failed (exit code 1)"
            in error), error
    logs = run_cli("logs", "summary", str(root))
    assert f"=== vanilla (vanilla) vanilla task (job {failed.id}, failed) ===" in _headers(
        logs.stdout), logs.stdout
