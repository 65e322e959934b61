"""`yt-pipeline migrate` on job code that imports omegaconf, as yt-framework's mappers do
(`OmegaConf.load(get_config_path())`). yt-framework's install brought omegaconf; yt-pipeline's
brings it only with the `compat` extra, and dev jobs run under the Python that runs the
pipeline: without it the converted pipeline's first job fails on the import. migrate says
so, with the file and line, and what to install."""

from __future__ import annotations

import pytest

import yt_pipeline.migrate_job_imports as job_imports
from yt_pipeline.testing import write_pipeline

MAPPER = """\
    import json
    import sys

    from omegaconf import OmegaConf

    from ytjobs.config import get_config_path


    def main():
        config = OmegaConf.load(get_config_path())
        for line in sys.stdin:
            row = json.loads(line)
            print(json.dumps({"id": row["id"], "v": row["v"] * config.job.multiplier}))
"""

STAGE = """\
    from omegaconf import OmegaConf
    from yt_framework.core.stage import BaseStage
    from yt_framework.operations.command_ops.map import run_map


    class RunMap(BaseStage):
        def run(self, debug):
            run_map(context=self.context, operation_config=self.config.client.operations.map)
            return debug
"""


@pytest.fixture
def pipeline(tmp_path):
    return write_pipeline(tmp_path / "p", {
        "pipeline.py": "from yt_framework.core.pipeline import DefaultPipeline\n",
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [run_map]}\n",
        "stages/run_map/stage.py": STAGE,
        "stages/run_map/src/mapper.py": MAPPER,
        "stages/run_map/src/vanilla.py": "import omegaconf.errors as oe\n",
        "stages/run_map/config.yaml": "job: {multiplier: 2}\n",
    })


def test_job_code_importing_omegaconf_is_reported_when_it_is_not_installed(
        pipeline, run_cli, monkeypatch):
    monkeypatch.setattr(job_imports, "module_installed", lambda name: name != "omegaconf")
    result = run_cli("migrate", str(pipeline))
    assert result.exit_code == 0, result.output  # nothing is left to convert
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    assert notes == [
        "note: stages/run_map/src/mapper.py:4: job code imports omegaconf, which yt-framework "
        "installed and this Python lacks (dev jobs run under it): "
        "pip install 'yt-pipeline[compat]'; in prod the job's image needs it, as before",
        "note: stages/run_map/src/vanilla.py:1: job code imports omegaconf, which yt-framework "
        "installed and this Python lacks (dev jobs run under it): "
        "pip install 'yt-pipeline[compat]'; in prod the job's image needs it, as before",
    ]
    # stage.py gets yt-pipeline's own OmegaConf, which needs no install
    assert "from yt_pipeline.compat.omegaconf import OmegaConf" in \
        (pipeline / "stages/run_map/stage.py").read_text()


def test_nothing_is_said_when_omegaconf_is_installed(pipeline, run_cli, monkeypatch):
    monkeypatch.setattr(job_imports, "module_installed", lambda name: True)
    result = run_cli("migrate", str(pipeline))
    assert result.exit_code == 0, result.output
    assert "rewrote 2 file(s)" in result.stdout
    assert "note:" not in result.stderr and "omegaconf" not in result.stderr


def test_the_check_looks_at_the_python_that_runs_migrate():
    assert job_imports.module_installed("json") is True
    assert job_imports.module_installed("no_such_module_for_ytp_tests") is False


# job code written for yt-framework that keeps a checkpoint in Cypress, as its tests'
# jobs do (tests/test_ytjobs_checkpoint_utils.py there): through ytjobs.checkpoint, or
# with yt.wrapper itself; and one that reads S3 and queries with duckdb
CHECKPOINTING = """\
    import json
    import sys

    from ytjobs import checkpoint
    import yt.wrapper as yt


    def main():
        state = checkpoint.load_processing_state("progress")
        yt.write_file("//tmp/done", b"1")
"""
S3_JOB = """\
    import duckdb
    from botocore.config import Config
    import boto3
"""


def test_job_code_importing_other_packages_of_yt_frameworks_install_is_reported(
        tmp_path, run_cli, monkeypatch):
    # yt-framework 1.4's pyproject.toml depends on ytsaurus-client, boto3, botocore and
    # duckdb besides omegaconf; yt-pipeline installs none of them for a dev run
    lacking = {"yt", "boto3", "botocore", "duckdb"}
    monkeypatch.setattr(job_imports, "module_installed", lambda name: name not in lacking)
    pipeline = write_pipeline(tmp_path / "p", {
        "pipeline.py": "from yt_framework.core.pipeline import DefaultPipeline\n",
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [run_map]}\n",
        "stages/run_map/stage.py": STAGE,
        "stages/run_map/src/vanilla.py": CHECKPOINTING,
        "stages/run_map/src/s3_job.py": S3_JOB,
        "stages/run_map/src/uses_ours.py": "from ytjobs.checkpoint.utils import save_checkpoint\n",
    })
    result = run_cli("migrate", str(pipeline))
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    tail = ("which yt-framework installed and this Python lacks (dev jobs run under it): "
            "{how}; in prod the job's image needs it, as before")
    assert notes == [
        "note: stages/run_map/src/s3_job.py:1: job code imports duckdb, "
        + tail.format(how="pip install duckdb"),
        "note: stages/run_map/src/s3_job.py:2: job code imports botocore, "
        + tail.format(how="pip install botocore"),
        "note: stages/run_map/src/s3_job.py:3: job code imports boto3, "
        + tail.format(how="pip install boto3"),
        "note: stages/run_map/src/uses_ours.py:1: job code imports ytjobs.checkpoint, whose "
        "calls need yt.wrapper, " + tail.format(how="pip install ytsaurus-client"),
        "note: stages/run_map/src/vanilla.py:4: job code imports ytjobs.checkpoint, whose "
        "calls need yt.wrapper, " + tail.format(how="pip install ytsaurus-client"),
        "note: stages/run_map/src/vanilla.py:5: job code imports yt, "
        + tail.format(how="pip install ytsaurus-client"),
    ]


def test_a_module_named_like_yt_is_not_taken_for_it(tmp_path, run_cli, monkeypatch):
    monkeypatch.setattr(job_imports, "module_installed", lambda name: name != "yt")
    pipeline = write_pipeline(tmp_path / "p", {
        "pipeline.py": "from yt_framework.core.pipeline import DefaultPipeline\n",
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [run_map]}\n",
        "stages/run_map/stage.py": STAGE,
        "stages/run_map/src/mapper.py": "import ytjobs\nimport yt_helpers\nfrom ytjobs.config import get_config_path\n",
    })
    result = run_cli("migrate", str(pipeline))
    assert result.exit_code == 0, result.output
    assert "note:" not in result.stderr
