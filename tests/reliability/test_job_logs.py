"""Every job's stderr is kept per run and stage, masked and bounded, in dev and in prod (on
the fake proxy, fetched with list_jobs/get_job_stderr when the operation ends), and
`yt-pipeline logs STAGE` shows its end."""

from __future__ import annotations

import json

import pytest

from yt_pipeline.job_logs import PER_JOB
from yt_pipeline.testing import write_pipeline
from yt_pipeline_prod.testing import TEST_TOKEN

SECRET = "s3cr3t-api-key-value-9876"

STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Talk(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        return debug
"""
MAPPER = """
import os
import sys

from ytjobs import read_rows, write_rows

rows = list(read_rows())
print("dropped %d rows" % (len(rows) - 1), file=sys.stderr)
print("key is " + os.environ["API_KEY"], file=sys.stderr)
sys.stderr.write("x" * {noise} + "\\n")
print("last line of the job", file=sys.stderr)
write_rows(rows[:1])
"""


def _pipeline(root, mode: str, url: str = "", noise: int = 10):
    config = {"stages": {"enabled_stages": ["talk"]}, "pipeline": {"mode": mode}}
    secrets = f"API_KEY={SECRET}\n"
    if mode == "prod":
        config["pipeline"]["prod"] = {"retries": False, "poll_interval_s": 0.05}
        config["pipeline"]["build_folder"] = "//tmp/logs/build"
        secrets += f"YT_PROXY={url}\nYT_TOKEN={TEST_TOKEN}\n"
    return write_pipeline(root, {
        "configs/config.yaml": json.dumps(config),
        "configs/secrets.env": secrets,
        "stages/talk/stage.py": STAGE,
        "stages/talk/src/mapper.py": MAPPER.replace("{noise}", str(noise)),
        "stages/talk/config.yaml": json.dumps({"client": {"operations": {"map": {
            "input_table": "//tmp/logs/in", "output_table": "//tmp/logs/out",
            "env": ["API_KEY"]}}}}),
    })


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_a_successful_jobs_stderr_is_kept_masked_and_shown(tmp_path, run_cli, mode, request):
    url = ""
    if mode == "prod":
        fake = request.getfixturevalue("fake_yt")
        fake.put_table("//tmp/logs/in", [{"i": 1}, {"i": 2}, {"i": 3}])
        url = fake.url
    root = _pipeline(tmp_path / "p", mode, url)
    if mode == "dev":
        write_pipeline(root, {".dev/tmp/logs/in.jsonl": '{"i": 1}\n{"i": 2}\n{"i": 3}\n'})
    result = run_cli("run", str(root))
    assert result.exit_code == 0, result.output
    [log_file] = list((root / ".runs/logs").glob("*/talk.log"))
    text = log_file.read_text()
    assert "dropped 2 rows" in text and "last line of the job" in text
    assert SECRET not in text and "key is ***" in text
    assert text.startswith("=== map (map) ")
    shown = run_cli("logs", "talk", str(root), "-n", "1")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines() == ["last line of the job"]
    run_id = log_file.parent.name
    assert run_cli("logs", "talk", str(root), "--run", run_id).stdout == text
    assert run_cli("logs", "talk", str(root), "--run", "20000101-000000-000000").exit_code == 2
    # as `report --run`, a unique start of the id will do
    assert run_cli("logs", "talk", str(root), "--run", run_id[:15]).stdout == text


def test_a_long_stderr_keeps_its_end(tmp_path, run_cli):
    root = _pipeline(tmp_path / "p", "dev", noise=3 * PER_JOB)
    write_pipeline(root, {".dev/tmp/logs/in.jsonl": '{"i": 1}\n'})
    assert run_cli("run", str(root)).exit_code == 0
    [log_file] = list((root / ".runs/logs").glob("*/talk.log"))
    text = log_file.read_text()
    assert len(text.encode()) <= PER_JOB + 200
    assert text.rstrip().endswith("last line of the job")
    assert "dropped 0 rows" not in text  # it was before the end that is kept


def test_a_failed_job_has_one_number_in_the_error_the_operation_log_and_the_job_logs(
        tmp_path, run_cli):
    root = _pipeline(tmp_path / "p", "dev")
    config = json.loads((root / "stages/talk/config.yaml").read_text())
    config["client"]["operations"]["map"]["resources"] = {"job_count": 3}
    config["client"]["operations"]["map"]["max_failed_job_count"] = 1  # no rerun
    (root / "stages/talk/config.yaml").write_text(json.dumps(config))
    (root / "stages/talk/src/mapper.py").write_text(
        "import os, sys\nfrom ytjobs import read_rows, write_rows\n"
        "if os.environ['YT_JOB_COOKIE'] == '1':\n    sys.exit('the second job fails')\n"
        "write_rows(read_rows())\n")
    write_pipeline(root, {".dev/tmp/logs/in.jsonl": "".join(
        json.dumps({"i": i}) + "\n" for i in range(9))})
    result = run_cli("run", str(root))
    assert result.exit_code == 1
    assert ("operation map (map): Failed jobs limit exceeded (1 failed job, max_failed_job_count 1): "
            "map job 2 of 3 failed (exit code 1)") in result.output
    operation_log = (root / ".dev/operation.log").read_text()
    assert "FAILED map job 2 of 3" in operation_log
    [log_file] = list((root / ".runs/logs").glob("*/talk.log"))
    headers = [line for line in log_file.read_text().splitlines() if line.startswith("===")]
    # a job stopped before it started has no stderr, hence no header: the others, numbered
    assert "=== map (map) map job 2 of 3 ===" in headers
    # the others may have been stopped by its failure, which their headers say
    stopped = " (stopped: another job had failed the operation)"
    assert set(headers) <= {f"=== map (map) map job {n} of 3{mark} ===" for n in (1, 2, 3)
                            for mark in ("", stopped)}
    assert log_file.read_text().split("=== map (map) map job 2 of 3 ===\n")[1].startswith(
        "the second job fails")


def test_logs_shows_the_newest_run_of_the_configured_mode(tmp_path, run_cli, fake_yt):
    """Dev and prod runs share `.runs/`: a dev user is not shown a newer prod run's jobs."""
    fake_yt.put_table("//tmp/logs/in", [{"i": 1}, {"i": 2}, {"i": 3}, {"i": 4}])
    root = _pipeline(tmp_path / "p", "prod", fake_yt.url)
    write_pipeline(root, {".dev/tmp/logs/in.jsonl": '{"i": 1}\n{"i": 2}\n'})
    assert run_cli("run", str(root), "--set", "pipeline.mode=dev").exit_code == 0
    result = run_cli("run", str(root))
    assert result.exit_code == 0, result.output
    dev = run_cli("logs", "talk", str(root), "--set", "pipeline.mode=dev")
    assert dev.exit_code == 0, dev.output
    assert "dropped 1 rows" in dev.stdout and "dropped 3 rows" not in dev.stdout
    prod = run_cli("logs", "talk", str(root))
    assert "dropped 3 rows" in prod.stdout and "dropped 1 rows" not in prod.stdout


def test_logs_of_a_stage_without_jobs_says_why_in_one_line(tmp_path, run_cli):
    root = _pipeline(tmp_path / "p", "dev")
    result = run_cli("logs", "talk", str(root))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: no dev run of {root} kept job logs of stage talk yet: they are kept when the "
        "stage runs an operation (map, reduce, vanilla...); `--set pipeline.mode=...` looks at "
        "another mode's runs"]


RAISING_MAPPER = """
import os
import sys

from ytjobs import read_rows, write_rows

for row in read_rows():
    if row["i"] == 4:
        print("key is " + os.environ["API_KEY"], file=sys.stderr)
        raise ValueError("bad row %d" % row["i"])
    write_rows([row])
"""


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_a_failed_job_reads_alike_in_dev_and_prod(tmp_path, run_cli, mode, request):
    """The same words in both modes: the operation and its kind, the job as dev numbers it,
    its exit code, where all job logs are, then its stderr's last lines with the secret it
    printed masked; each mode's own facts (the sandbox, the operation id) in between."""
    rows = "".join(json.dumps({"i": i}) + "\n" for i in range(9))
    url = ""
    if mode == "prod":
        fake = request.getfixturevalue("fake_yt")
        fake.put_table("//tmp/logs/in", [json.loads(line) for line in rows.splitlines()])
        url = fake.url
    root = _pipeline(tmp_path / "p", mode, url)
    config = json.loads((root / "stages/talk/config.yaml").read_text())
    config["client"]["operations"]["map"].update(
        resources={"job_count": 3}, max_failed_job_count=1)
    (root / "stages/talk/config.yaml").write_text(json.dumps(config))
    (root / "stages/talk/src/mapper.py").write_text(RAISING_MAPPER)
    if mode == "dev":
        write_pipeline(root, {".dev/tmp/logs/in.jsonl": rows})
    result = run_cli("run", str(root))
    assert result.exit_code == 1, result.output
    assert SECRET not in result.output
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith(
        "error: stage talk failed: stage talk operation map (map): Failed jobs limit exceeded "
        "(1 failed job, max_failed_job_count 1): map job 2 of 3 failed (exit code 1); "), error
    facts = error.split(" (exit code 1); ", 1)[1]
    if mode == "dev":
        assert facts.startswith(f"sandbox kept at {root / '.dev'}/.sandboxes/sandbox_talk.map_"), error
    else:
        assert facts.startswith("operation "), error
        [operation] = fake.state.operations.values()
        assert facts.startswith(f"operation {operation.id}; see http"), error
    assert error.endswith("; all job logs: yt-pipeline logs talk"), error
    tail = result.stderr.split("--- stderr (last lines) ---\n", 1)[1].splitlines()
    assert tail[0] == "key is ***", tail
    assert "ValueError: bad row 4" in tail
    # the run's job log names the job alike, masked too
    [log_file] = list((root / ".runs/logs").glob("*/talk.log"))
    text = log_file.read_text()
    assert SECRET not in text and "key is ***" in text
    [header] = [line for line in text.splitlines() if "map job 2 of 3" in line]
    assert header.startswith("=== map (map) map job 2 of 3"), header
    if mode == "prod":
        assert header.endswith(", failed) ===") and "(job " in header, header
