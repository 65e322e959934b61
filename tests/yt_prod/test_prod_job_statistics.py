"""The fake proxy's jobs read fd 5 as a cluster's job proxy does: statistics it refuses fail
the job with its words (yt_pipeline/job_statistics.py), vanilla jobs have fd 5 too."""

from __future__ import annotations

import msgspec
import pytest
from prod_packages import build_package

from yt_pipeline.errors import OperationFailed
from yt_pipeline.operations import OperationSpec
from yt_pipeline_prod import plugin

BAD = """
import os
from ytjobs import read_rows, write_rows
os.write(5, b'{rows={bad="three"}};')
write_rows(read_rows())
"""
GOOD_VANILLA = """
from ytjobs import write_statistics
write_statistics({"tasks": 1})
"""


@pytest.fixture
def package(tmp_path):
    return build_package(tmp_path / ".build", {
        "clean": {"src/bad.py": BAD, "src/vanilla.py": GOOD_VANILLA}})


def test_statistics_a_cluster_refuses_fail_the_job(prod_client, fake_yt, package, tmp_path):
    fake_yt.put_table("//tmp/in", [{"id": 0}])
    spec = OperationSpec(kind="map", stage_name="clean", name="map",
                         stage_dir=tmp_path / "stages" / "clean", pipeline_dir=tmp_path,
                         code_package=package, input_tables=["//tmp/in"],
                         output_tables=["//tmp/out"], mapper="src/bad.py",
                         max_failed_job_count=1)
    with pytest.raises(OperationFailed) as failed:
        plugin.launch_operation(prod_client, spec)
    assert ('Invalid statistics type: expected map or integral type but found "three"'
            in str(failed.value))
    assert [job.error for job in fake_yt.jobs] == [
        'Invalid statistics type: expected map or integral type but found "three"']


def test_a_vanilla_job_has_its_statistics_pipe(prod_client, fake_yt, package, tmp_path):
    spec = OperationSpec(kind="vanilla", stage_name="clean", name="vanilla",
                         stage_dir=tmp_path / "stages" / "clean", pipeline_dir=tmp_path,
                         code_package=package, script="src/vanilla.py")
    plugin.launch_operation(prod_client, spec)
    assert [(job.error, {path: msgspec.structs.asdict(s) for path, s in job.statistics.items()})
            for job in fake_yt.jobs] == [
        ("", {"/custom/tasks": {"sum": 1, "count": 1, "min": 1, "max": 1}})]
