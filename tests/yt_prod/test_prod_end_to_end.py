"""`yt-pipeline run` in prod mode against the fake proxy, credentials from secrets.env."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from prod_packages import build_package

from yt_pipeline import hookimpl
from yt_pipeline_prod.testing import TEST_PROD_OPTIONS, TEST_TOKEN

LOAD_STAGE = """
from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        rows = [{"id": i, "word": w} for i, w in enumerate(["alpha", "beta", "gamma", "delta"])]
        debug["loaded"] = self.deps.yt_client.write_table(self.config.client.table, rows)
        return debug
"""

UPPER_STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Upper(BaseStage):
    def run(self, debug):
        result = run_map(self, self.config.client.operations.map)
        debug["operation"] = result.operation_id
        output = self.config.client.operations.map.output_table
        debug["rows"] = self.deps.yt_client.row_count(output)
        return debug
"""

UPPER_CONFIG = """
client:
  operations:
    map:
      input_table: //home/e2e/words
      output_table: //home/e2e/upper
      resources: {job_count: 2, memory_limit_gb: 1}
      env: {MARK: "*"}
"""

MAPPER = """
import os
from ytjobs import read_rows, write_rows

write_rows({"id": r["id"], "word": r["word"].upper() + os.environ["MARK"]} for r in read_rows())
"""


class StagePackager:
    """Builds the archive from the pipeline's stages until the uploader does."""

    @hookimpl(tryfirst=True)
    def ytp_package_code(self, pipeline_dir, settings, stages):
        files = {}
        for entry in stages:
            stage_files = {}
            for path in sorted(Path(entry.stage_dir).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    stage_files[path.relative_to(entry.stage_dir).as_posix()] = path.read_text()
            files[entry.name] = stage_files
        return build_package(Path(pipeline_dir) / ".build", files)


@pytest.fixture
def prod_pipeline(make_pipeline, fake_yt, monkeypatch):
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    config = {"pipeline": {"mode": "prod", "build_folder": "//home/e2e/build",
                           "prod": TEST_PROD_OPTIONS},
              "stages": {"enabled_stages": ["load", "upper"]}}
    return make_pipeline({
        "configs/secrets.env": f"YT_PROXY={fake_yt.url}\nYT_TOKEN={TEST_TOKEN}\n",
        "stages/load/stage.py": LOAD_STAGE,
        "stages/load/config.yaml": "client:\n  table: //home/e2e/words\n",
        "stages/upper/stage.py": UPPER_STAGE,
        "stages/upper/config.yaml": UPPER_CONFIG,
        "stages/upper/src/mapper.py": MAPPER,
    }, config=config)


def test_run_in_prod_mode_then_again_without_uploading(prod_pipeline, fake_yt, run_cli,
                                                       register_plugin):
    register_plugin(StagePackager())
    result = run_cli("run", prod_pipeline)
    assert result.exit_code == 0, result.output
    assert fake_yt.rows("//home/e2e/upper") == [
        {"id": 0, "word": "ALPHA*"}, {"id": 1, "word": "BETA*"},
        {"id": 2, "word": "GAMMA*"}, {"id": 3, "word": "DELTA*"}]
    assert fake_yt.calls["write_file"] == 1
    assert fake_yt.calls["start_operation"] == 1
    assert TEST_TOKEN not in result.output
    assert TEST_TOKEN not in json.dumps(fake_yt.specs)
    for path in fake_yt.state.cypress.paths(None):
        node = fake_yt.state.cypress.lookup(path, None)
        assert TEST_TOKEN.encode() not in node.data, path

    fake_yt.reset_counters()
    again = run_cli("run", prod_pipeline)
    assert again.exit_code == 0, again.output
    assert fake_yt.calls["write_file"] == 0 and fake_yt.bytes_in["write_file"] == 0
    assert fake_yt.calls["start_operation"] == 1
    assert len(fake_yt.rows("//home/e2e/upper")) == 4


def test_a_failing_job_fails_the_run_with_its_stderr(prod_pipeline, fake_yt, run_cli,
                                                     register_plugin):
    (prod_pipeline / "stages/upper/src/mapper.py").write_text(
        "import sys\nprint('KeyError: word', file=sys.stderr)\nsys.exit(1)\n")
    (prod_pipeline / "stages/upper/config.yaml").write_text(
        UPPER_CONFIG + "      max_failed_job_count: 1\n")
    register_plugin(StagePackager())
    result = run_cli("run", prod_pipeline)
    assert result.exit_code != 0
    assert "KeyError: word" in result.output
    assert "upper" in result.output
    assert TEST_TOKEN not in result.output
    with pytest.raises(KeyError):  # created in the operation's transaction, aborted with it
        fake_yt.rows("//home/e2e/upper")


@pytest.mark.parametrize("name", ["MARK-1", "mark.x", "1MARK"])
def test_a_variable_name_a_cluster_refuses_stops_the_run_before_anything_starts(
        prod_pipeline, fake_yt, run_cli, register_plugin, name):
    # `SUFFIX-1` passes a local process's environment but not a scheduler's
    # (ValidateEnvironmentVariableName), and `1MARK` could not be exported by the job's shell:
    # refused where the configuration says it, before any upload or operation.
    (prod_pipeline / "stages/upper/config.yaml").write_text(
        UPPER_CONFIG.replace('env: {MARK: "*"}', f'env: {{MARK: "*", "{name}": "x"}}'))
    register_plugin(StagePackager())
    result = run_cli("run", prod_pipeline)
    assert result.exit_code != 0
    assert f"env.{name}" in result.output and "cannot be a variable name" in result.output
    assert fake_yt.calls["start_operation"] == 0
    with pytest.raises(KeyError):
        fake_yt.rows("//home/e2e/upper")


def test_max_failed_job_count_above_what_a_scheduler_takes_is_refused_before_the_run(
        prod_pipeline, fake_yt, run_cli, register_plugin):
    # A scheduler refuses a spec whose max_failed_job_count is above 10,000 (TOperationSpecBase
    # in yt/yt/ytlib/scheduler/config.cpp); 10,000 itself runs.
    register_plugin(StagePackager())
    config = prod_pipeline / "stages/upper/config.yaml"
    config.write_text(UPPER_CONFIG + "      max_failed_job_count: 50000\n")
    result = run_cli("run", prod_pipeline)
    assert result.exit_code != 0
    assert "client.operations.map.max_failed_job_count" in result.output
    assert "at most 10,000" in result.output or "10000" in result.output.replace(",", "")
    assert fake_yt.calls["start_operation"] == 0
    config.write_text(UPPER_CONFIG + "      max_failed_job_count: 10000\n")
    again = run_cli("run", prod_pipeline)
    assert again.exit_code == 0, again.output
    assert fake_yt.specs[-1]["max_failed_job_count"] == 10000
    assert len(fake_yt.rows("//home/e2e/upper")) == 4


READ_ONLY_STAGE = """
from yt_pipeline import BaseStage


class Check(BaseStage):
    def run(self, debug):
        rows = list(self.deps.yt_client.read_table("//home/e2e/upper"))
        print("checked", len(rows), "rows:", ",".join(r["word"] for r in rows))
        return debug
"""


def test_a_stage_that_only_reads_succeeds(prod_pipeline, fake_yt, run_cli, register_plugin):
    # A stage whose transaction wrote nothing is committed in prepare(); the commit that
    # follows it must not commit it a second time (the client refuses: "Transaction is
    # already finished, cannot commit"), which failed every run whose last stage only read.
    (prod_pipeline / "stages/check/stage.py").parent.mkdir(parents=True)
    (prod_pipeline / "stages/check/stage.py").write_text(READ_ONLY_STAGE)
    config_file = prod_pipeline / "configs/config.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["stages"]["enabled_stages"].append("check")
    config_file.write_text(yaml.safe_dump(config))
    register_plugin(StagePackager())
    result = run_cli("run", prod_pipeline)
    assert result.exit_code == 0, result.output
    assert "checked 4 rows: ALPHA*,BETA*,GAMMA*,DELTA*" in result.output
    assert "could not all be made visible" not in result.output
    assert fake_yt.transaction_count() == 0
    status = run_cli("status", prod_pipeline)
    assert "check" in status.output and "SUCCESS" in status.output.split("check", 1)[1]
    again = run_cli("run", prod_pipeline)
    assert again.exit_code == 0, again.output


def test_the_proxy_address_is_shown_and_the_token_is_not(prod_pipeline, fake_yt, run_cli,
                                                         register_plugin):
    """YT_PROXY names the cluster, as the operation's URL does: it is no credential, and
    masked it turned each URL into `***/...`. The token stays masked."""
    register_plugin(StagePackager())
    result = run_cli("run", prod_pipeline)
    assert result.exit_code == 0, result.output
    host = fake_yt.url.split("://")[-1].split(":")[0]
    [started] = [line for line in result.output.splitlines() if "operation" in line
                 and "started:" in line]
    url = started.split("started: ", 1)[1]
    assert url.startswith(("http://" + host, host)) and "***" not in url, started
    assert TEST_TOKEN not in result.output


def test_a_requirements_line_pip_cannot_read_stops_the_run_before_anything_starts(
        prod_pipeline, fake_yt, run_cli):
    # The job's wrapper runs `pip install -r requirements.txt` on the cluster, and pip refuses
    # `pyyaml=6.0` (packaging's Requirement: a lone `=` is no version operator) in every job of
    # the operation, minutes after the run started; the real uploader finds it while packing.
    requirements = prod_pipeline / "stages/upper/requirements.txt"
    requirements.write_text("# pinned\npyyaml==6.0.1 --hash=sha256:ab\npyyaml=6.0\n")
    result = run_cli("run", prod_pipeline)
    assert result.exit_code == 2, result.output
    assert (f"{requirements}: line 3: 'pyyaml=6.0' is not a requirement pip can read"
            in result.output)
    assert fake_yt.calls["write_file"] == 0
    assert fake_yt.calls["start_operation"] == 0
    with pytest.raises(KeyError):
        fake_yt.rows("//home/e2e/words")


@pytest.mark.parametrize("mode", ["prod", "dev"])
def test_a_missing_input_table_names_the_operation_that_reads_it(prod_pipeline, fake_yt,
                                                                run_cli, register_plugin, mode):
    # "table //x does not exist" alone left the user to find which section named the path
    register_plugin(StagePackager())
    (prod_pipeline / "stages/upper/config.yaml").write_text(
        UPPER_CONFIG.replace("input_table: //home/e2e/words", "input_table: //home/e2e/wordz"))
    result = run_cli("run", prod_pipeline, "--set", f"pipeline.mode={mode}")
    assert result.exit_code == 1, result.output
    [error] = [line for line in result.output.splitlines() if line.startswith("error:")]
    if mode == "dev":
        assert error == ("error: stage upper failed: map operation map reads table "
                         "//home/e2e/wordz, which does not exist")
    else:  # the scheduler's own words name the operation and the path
        assert error.startswith("error: stage upper failed: stage upper operation map (map): map "
                                "operation failed: Operation has failed to prepare: Error "
                                "resolving path //home/e2e/wordz"), error
        with pytest.raises(KeyError):
            fake_yt.rows("//home/e2e/upper")
