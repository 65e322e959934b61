"""Several input and output tables in dev: the table switches jobs read and write."""

from __future__ import annotations

import json
import re

import pytest

from yt_pipeline.errors import OperationFailed
from yt_pipeline_dev.launcher import launch

SWITCH = '{"$attributes":{"table_index":%d},"$value":null}'

ECHO_WITH_JOB = """
    import json, os, sys
    job = int(os.environ["YT_JOB_INDEX"])
    for line in sys.stdin:
        print(json.dumps({"job": job, "line": line.rstrip("\\n")}))
"""


def test_every_reduce_job_starts_with_a_switch(dev_client, stages):
    # A job's input starts with a table switch and has one wherever the table changes
    # (WriteControlAttributes in yt/yt/client/formats/schemaless_writer_adapter.cpp), in
    # every job, not only the first.
    stages("r", {"src/reducer.py": ECHO_WITH_JOB})
    dev_client.write_table("//in/a", [{"k": k, "t": "a"} for k in (5, 1, 3, 2, 4)])
    dev_client.write_table("//in/b", [{"k": k, "t": "b"} for k in (2, 4, 6)])
    spec = stages.spec("reduce", "r", job_count=3, input_tables=["//in/a", "//in/b"],
                       output_tables=["//out/t"], reducer="src/reducer.py",
                       reduce_by=["k"], sort_by=["k"])
    launch(dev_client, spec)
    rows = list(dev_client.read_table("//out/t"))
    jobs = sorted({r["job"] for r in rows})
    assert len(jobs) == 3
    current, seen = None, []
    for job in jobs:
        lines = [r["line"] for r in rows if r["job"] == job]
        assert lines[0].startswith('{"$attributes"')
        for line in lines:
            if line.startswith('{"$attributes"'):
                current = json.loads(line)["$attributes"]["table_index"]
            else:
                row = json.loads(line)
                assert "ab"[current] == row["t"]
                seen.append((row["k"], row["t"]))
    # sorted by key, then by table
    assert seen == sorted(seen) and len(seen) == 8


def test_a_switch_to_table_zero_is_not_a_row(dev_client, stages):
    stages("m", {"src/mapper.py": f"""
        print('{SWITCH % 0}')
        print('{{"n": 1}}')
    """})
    dev_client.write_table("//in/t", [{"id": 1}])
    spec = stages.spec("map", "m", input_tables=["//in/t"], output_tables=["//out/t"],
                       mapper="src/mapper.py")
    launch(dev_client, spec)
    assert list(dev_client.read_table("//out/t")) == [{"n": 1}]


def test_a_switch_to_a_missing_table_fails_the_operation(dev_client, stages):
    stages("m", {"src/mapper.py": f"""
        print('{{"n": 1}}')
        print('{SWITCH % 2}')
        print('{{"n": 2}}')
    """})
    dev_client.write_table("//in/t", [{"id": 1}])
    dev_client.write_table("//out/b", [{"old": True}])
    spec = stages.spec("map", "m", input_tables=["//in/t"], output_tables=["//out/a", "//out/b"],
                       mapper="src/mapper.py")
    with pytest.raises(OperationFailed, match=re.escape(
            "Invalid table index 2: expected integer in range [0,1]")):
        launch(dev_client, spec)
    assert not dev_client.exists("//out/a")
    assert list(dev_client.read_table("//out/b")) == [{"old": True}]


def test_a_switch_to_a_missing_table_fails_the_job_which_runs_again(dev_client, stages):
    # A cluster fails the job, not the operation: the job proxy's table consumer refuses the
    # switch (TTableConsumer in yt/yt/client/table_client/table_consumer.cpp), and the job
    # runs again like any failed job until max_failed_job_count, as the fake proxy runs it
    # (yt_pipeline_prod/fake/jobs.py split_outputs). Here the first attempt (YT_JOB_INDEX 0)
    # switches to table 2 of 2 after a row and stdout's fd 4 twin to table 7; the rerun
    # writes well.
    stages("m", {"src/mapper.py": f"""
        import os
        bad = os.environ["YT_JOB_INDEX"] == "0"
        print('{{"n": 1}}')
        print('{SWITCH % 2}' if bad else '{SWITCH % 1}')
        print('{{"n": 2}}')
    """})
    dev_client.write_table("//in/t", [{"id": 1}])
    spec = stages.spec("map", "m", input_tables=["//in/t"], output_tables=["//out/a", "//out/b"],
                       mapper="src/mapper.py")
    launch(dev_client, spec)
    assert list(dev_client.read_table("//out/a")) == [{"n": 1}]
    assert list(dev_client.read_table("//out/b")) == [{"n": 2}]
    log = (dev_client.root / "operation.log").read_text()
    assert ("RERUN map job 1 of 1: attempt 1 failed: Invalid table index 2: expected integer "
            "in range [0,1]") in log


def test_a_switch_to_a_missing_table_on_fd_4_fails_every_attempt(dev_client, stages):
    # each attempt fails the same way: the operation fails once they reach
    # max_failed_job_count, with the cluster's words and the job's own error
    stages("m", {"src/mapper.py": f"""
        import os
        with os.fdopen(4, "w") as second:
            second.write('{SWITCH % 7}\\n')
    """})
    dev_client.write_table("//in/t", [{"id": 1}])
    spec = stages.spec("map", "m", input_tables=["//in/t"], output_tables=["//out/a", "//out/b"],
                       mapper="src/mapper.py", max_failed_job_count=3)
    with pytest.raises(OperationFailed) as failed:
        launch(dev_client, spec)
    assert ("Failed jobs limit exceeded (3 failed jobs, max_failed_job_count 3): map job 1 of 1 "
            "failed on its attempt 3: Invalid table index 7: expected integer in range [0,1]"
            ) in str(failed.value)
    assert not dev_client.exists("//out/a") and not dev_client.exists("//out/b")


def test_map_reduce_mapper_has_one_output(dev_client, stages):
    # the mapper of a map_reduce writes one intermediate stream, whatever the outputs
    stages("mr", {"src/mapper.py": f"print('{SWITCH % 1}')\n",
                  "src/reducer.py": "import sys\nsys.stdin.read()\n"})
    dev_client.write_table("//in/t", [{"id": 1}])
    spec = stages.spec("map_reduce", "mr", input_tables=["//in/t"],
                       output_tables=["//out/a", "//out/b"], mapper="src/mapper.py",
                       reducer="src/reducer.py", reduce_by=["id"])
    with pytest.raises(OperationFailed, match=re.escape(
            "Invalid table index 1: expected integer in range [0,0]")):
        launch(dev_client, spec)
