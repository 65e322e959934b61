"""spec.stderr_table_path in dev: the jobs' stderr in a table laid out as a cluster lays it
out (job_id, part_index, data; parts of max_part_size bytes), kept when the operation
fails too. Where the layout comes from: yt_pipeline_dev/stderr_table.py."""

from __future__ import annotations

import pytest

from yt_pipeline.errors import ConfigError, OperationFailed
from yt_pipeline_dev.launcher import launch

MiB = 1024 * 1024
#: job 0 writes 2.5 MiB of stderr, job 1 one line, job 2 nothing
NOISY_MAPPER = """
    import os, sys
    from ytjobs import read_rows, write_rows
    job = int(os.environ["YT_JOB_INDEX"])
    if job == 0:
        sys.stderr.write("a" * (MiB + 1) + "b" * (MiB + 2) + "c" * (MiB // 2))
    elif job == 1:
        sys.stderr.write("job one says hi\\n")
    write_rows(read_rows())
""".replace("MiB", str(MiB))
FAILING_MAPPER = """
    import sys
    sys.stderr.write("about to fail\\n")
    sys.exit(3)
"""


def _map(dev_client, stages, script, job_count=3, failures=None, **spec):
    stages("m", {"src/mapper.py": script})
    dev_client.write_table("//in/t", [{"id": i} for i in range(3)])
    return stages.spec("map", "m", job_count=job_count, input_tables=["//in/t"],
                       output_tables=["//out/t"], mapper="src/mapper.py", extra_spec=spec,
                       max_failed_job_count=failures)


def test_each_job_that_wrote_stderr_has_its_parts_in_the_table(dev_client, stages):
    spec = _map(dev_client, stages, NOISY_MAPPER, stderr_table_path="//logs/stderr",
                stderr_table_writer={"max_part_size": MiB})
    launch(dev_client, spec)
    rows = list(dev_client.read_table("//logs/stderr"))
    assert [set(row) for row in rows] == [{"job_id", "part_index", "data"}] * len(rows)
    assert rows == sorted(rows, key=lambda row: (row["job_id"], row["part_index"]))
    by_job: dict[str, list[dict]] = {}
    for row in rows:
        by_job.setdefault(row["job_id"], []).append(row)
    assert sorted(len(parts) for parts in by_job.values()) == [1, 3]  # job 2 wrote nothing
    big = next(parts for parts in by_job.values() if len(parts) == 3)
    assert [row["part_index"] for row in big] == [0, 1, 2]
    assert [len(row["data"]) for row in big] == [MiB, MiB, MiB // 2 + 3]
    assert "".join(row["data"] for row in big) == "a" * (MiB + 1) + "b" * (MiB + 2) + \
        "c" * (MiB // 2)
    small = next(parts for parts in by_job.values() if len(parts) == 1)
    assert small == [{"job_id": small[0]["job_id"], "part_index": 0,
                      "data": "job one says hi\n"}]
    assert len(list(dev_client.read_table("//out/t"))) == 3


def test_a_failed_operation_keeps_its_stderr_table(dev_client, stages):
    spec = _map(dev_client, stages, FAILING_MAPPER, job_count=1, failures=2,
                stderr_table_path="//logs/stderr")
    with pytest.raises(OperationFailed):
        launch(dev_client, spec)
    rows = list(dev_client.read_table("//logs/stderr"))
    # both failed attempts, each a job of its own id
    assert [row["data"] for row in rows] == ["about to fail\n"] * 2
    assert len({row["job_id"] for row in rows}) == 2
    assert not dev_client.exists("//out/t")


def test_a_part_size_a_cluster_refuses_is_refused(dev_client, stages):
    spec = _map(dev_client, stages, NOISY_MAPPER, stderr_table_path="//logs/stderr",
                stderr_table_writer={"max_part_size": 1000})
    with pytest.raises(ConfigError) as error:
        launch(dev_client, spec)
    assert str(error.value) == (
        "stage m operation map: spec.stderr_table_writer.max_part_size must be an integer "
        f"from {MiB} to {128 * MiB}, got 1000")
    assert not dev_client.exists("//logs/stderr")
