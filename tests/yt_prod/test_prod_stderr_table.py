"""spec.stderr_table_path in prod against the fake proxy, which writes the table as a
cluster does (yt_pipeline_prod/fake/stderr_table.py: the job proxy's blob table writer, the
controller's debug output transaction), and the same rows in dev."""

from __future__ import annotations

import time

import pytest
from prod_packages import build_package

from yt_pipeline.errors import OperationFailed
from yt_pipeline.operations import OperationSpec, Resources
from yt_pipeline_prod import plugin
from yt_pipeline_prod.launcher import start

MiB = 1024 * 1024
NOISY = """
import os, sys
from ytjobs import read_rows, write_rows
rows = list(read_rows())
if rows and rows[0]["id"] == 0:
    sys.stderr.write("x" * (MiB + 5) + "y" * 10)
write_rows(rows)
""".replace("MiB", str(MiB))
FAILING = """
import sys
sys.stderr.write("ValueError: bad row 7\\n")
sys.exit(3)
"""


@pytest.fixture
def package(tmp_path):
    return build_package(tmp_path / ".build", {
        "clean": {"src/noisy.py": NOISY, "src/failing.py": FAILING}})


def spec_for(package, tmp_path, mapper, **fields):
    return OperationSpec(kind="map", stage_name="clean", name="map",
                         stage_dir=tmp_path / "stages" / "clean", pipeline_dir=tmp_path,
                         code_package=package, input_tables=["//tmp/in"],
                         output_tables=["//tmp/out"], mapper=mapper, **fields)


def test_the_jobs_stderr_lands_in_the_table_in_parts(prod_client, fake_yt, package,
                                                     tmp_path):
    fake_yt.put_table("//tmp/in", [{"id": 0}, {"id": 1}])
    spec = spec_for(package, tmp_path, "src/noisy.py", resources=Resources(job_count=2),
                    extra_spec={"stderr_table_path": "//tmp/logs/stderr",
                                "stderr_table_writer": {"max_part_size": MiB}})
    plugin.launch_operation(prod_client, spec)
    rows = fake_yt.rows("//tmp/logs/stderr")
    job_ids = {job.id for job in fake_yt.jobs}
    assert {row["job_id"] for row in rows} < job_ids  # the quiet job has no row
    assert [(row["part_index"], row["data"]) for row in rows] == [
        (0, "x" * MiB), (1, "x" * 5 + "y" * 10)]
    assert rows[0]["job_id"] == rows[1]["job_id"]
    assert fake_yt.rows("//tmp/out") == [{"id": 0}, {"id": 1}]


def test_a_failed_operation_keeps_its_stderr_table(prod_client, fake_yt, package, tmp_path):
    fake_yt.put_table("//tmp/in", [{"id": 0}])
    spec = spec_for(package, tmp_path, "src/failing.py", max_failed_job_count=2,
                    extra_spec={"stderr_table_path": "//tmp/logs/stderr"})
    with pytest.raises(OperationFailed):
        plugin.launch_operation(prod_client, spec)
    rows = fake_yt.rows("//tmp/logs/stderr")
    assert [(row["part_index"], row["data"]) for row in rows] == [
        (0, "ValueError: bad row 7\n")] * 2
    assert sorted(row["job_id"] for row in rows) == sorted(job.id for job in fake_yt.jobs)
    with pytest.raises(KeyError):
        fake_yt.rows("//tmp/out")


def test_the_fake_fails_an_operation_whose_stderr_table_does_not_exist(prod_client, fake_yt):
    # ytsaurus-client creates the table before it starts the operation
    # (_prepare_stderr_table); the controller fails the operation without one
    operation = start(prod_client, "vanilla", {
        "tasks": {"t": {"command": "true", "job_count": 1}},
        "stderr_table_path": "//tmp/missing/stderr"})
    yt = prod_client.yt()
    while (state := yt.get_operation(operation)["state"]) not in ("completed", "failed"):
        time.sleep(0.05)
    assert state == "failed"
    error = yt.get_operation(operation)["result"]["error"]
    assert "//tmp/missing" in str(error)
