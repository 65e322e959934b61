"""A job writes output table N to fd 3 * N + 1 in dev, as on a cluster (core/job_fds.py).

The job proxy opens fd 1, 4, 7... for output tables 0, 1, 2..., fd 5 for the job's
statistics and leaves fd 3 and 6 closed (TUserJob::PreparePipes and PrepareOutputTablePipes
in yt/yt/server/job_proxy/user_job.cpp: `3 * i + GetJobFirstOutputTableFDFromSpec`,
`JobStatisticsFD = 5`).
"""

from __future__ import annotations

import dataclasses

import pytest

from yt_pipeline.errors import OperationFailed
from yt_pipeline_dev.launcher import launch

#: re-runs the raw mapper under the oldest Python (3.8: what a cluster's jobs run); the
#: descriptors it was given stay open across the exec
UNDER_OLDEST = """
import os, sys
if sys.version_info[:2] != (3, 8) and os.environ.get("PY38"):
    os.execv(os.environ["PY38"], [os.environ["PY38"], __file__])
"""

#: no ytjobs: JSON lines straight to fd 4 (200k rows, more than any pipe holds), then fd 7,
#: then fd 1
RAW_FDS = UNDER_OLDEST + """
import json
n = sum(1 for _ in sys.stdin)
with os.fdopen(4, "w") as out:
    for i in range(200000):
        out.write(json.dumps({"t": 1, "i": i}) + "\\n")
with os.fdopen(7, "w") as out:
    for i in range(3):
        out.write(json.dumps({"t": 2, "i": i}) + "\\n")
for i in range(n):
    sys.stdout.write(json.dumps({"t": 0, "i": i, "py": list(sys.version_info[:2])}) + "\\n")
"""


@pytest.fixture
def py38():
    interpreter = pytest.importorskip("yt_pipeline_prod.fake.interpreter")
    python = interpreter.oldest_python()
    if interpreter.python_version(python) != "3.8":
        pytest.skip("needs Python 3.8")
    return python


def _spec(stages, outputs, job_count=2, py38=""):
    return stages.spec("map", "m", job_count=job_count, input_tables=["//in/t"],
                       output_tables=outputs, mapper="src/mapper.py", env={"PY38": py38})


def test_rows_on_fd_4_and_7_land_in_tables_1_and_2(dev_client, stages, py38):
    stages("m", {"src/mapper.py": RAW_FDS})
    dev_client.write_table("//in/t", [{"id": i} for i in range(10)])
    spec = _spec(stages, ["//out/a", "//out/b", "//out/c"], py38=py38)
    result = launch(dev_client, spec)
    a = list(dev_client.read_table("//out/a"))
    b = list(dev_client.read_table("//out/b"))
    c = list(dev_client.read_table("//out/c"))
    assert len(a) == 10 and {r["t"] for r in a} == {0}
    assert {tuple(r["py"]) for r in a} == {(3, 8)}
    # every job's 200k rows, in job order
    assert len(b) == 400000 and b[:2] == [{"t": 1, "i": 0}, {"t": 1, "i": 1}]
    assert b[200000] == {"t": 1, "i": 0} and {r["t"] for r in b} == {1}
    assert c == [{"t": 2, "i": i} for i in range(3)] * 2
    assert result.rows == {"//out/a": 10, "//out/b": 400000, "//out/c": 6}


def test_a_failed_job_leaves_no_rows_from_any_fd(dev_client, stages, py38):
    stages("m", {"src/mapper.py": RAW_FDS.replace(
        "for i in range(n):", "if os.environ['YT_JOB_COOKIE'] == '1':\n    sys.exit(3)\n"
        "for i in range(n):")})
    dev_client.write_table("//in/t", [{"id": i} for i in range(10)])
    dev_client.write_table("//out/b", [{"old": 1}])
    # the second job fails on each of its attempts (a rerun keeps the job's cookie)
    spec = dataclasses.replace(_spec(stages, ["//out/a", "//out/b", "//out/c"], py38=py38),
                               max_failed_job_count=2)
    with pytest.raises(OperationFailed, match="Failed jobs limit exceeded.*map job 2 of 2 "
                                              "failed on its attempt 2"):
        launch(dev_client, spec)
    assert list(dev_client.read_table("//out/b")) == [{"old": 1}]
    assert not dev_client.exists("//out/a") and not dev_client.exists("//out/c")


def test_a_bad_line_on_fd_4_names_the_fd(dev_client, stages):
    stages("m", {"src/mapper.py": """
        import os
        os.write(4, b"not json\\n")
    """})
    dev_client.write_table("//in/t", [{"id": 1}])
    spec = _spec(stages, ["//out/a", "//out/b"], job_count=1)
    with pytest.raises(OperationFailed, match=r"map job 1 of 1 wrote a bad row to fd 4 "
                                              r"\(output table 1\): line 1 of its output"):
        launch(dev_client, spec)


@pytest.mark.parametrize(("outputs", "fd", "opened"), [
    (3, 5, True),    # the statistics pipe
    (3, 3, False),   # never open
    (3, 6, False),
    (2, 7, False),   # the fd of a table the operation does not have
    (1, 4, False),
])
def test_which_descriptors_a_job_finds_open(dev_client, stages, outputs, fd, opened):
    stages("m", {"src/mapper.py": f"""
        import json, os
        try:
            os.write({fd}, b"")
            os.fstat({fd})
            ok = True
        except OSError:
            ok = False
        print(json.dumps({{"open": ok}}))
    """})
    dev_client.write_table("//in/t", [{"id": 1}])
    tables = [f"//out/t{i}" for i in range(outputs)]
    launch(dev_client, _spec(stages, tables, job_count=1))
    assert list(dev_client.read_table("//out/t0")) == [{"open": opened}]


#: rows to sys.stdout, then through /dev/stdout opened for appending, then sys.stdout again
DEV_STDOUT_APPENDED = """
import json, sys
for i in range(3):
    sys.stdout.write(json.dumps({"i": i}) + "\\n")
sys.stdout.flush()
with open("/dev/stdout", "a") as again:
    again.write(json.dumps({"i": 3}) + "\\n")
for i in range(4, 6):
    sys.stdout.write(json.dumps({"i": i}) + "\\n")
"""


def test_a_job_appending_through_dev_stdout_keeps_every_row(dev_client, stages):
    """On a cluster stdout is a pipe, so a job writing through `/dev/stdout` as well loses
    nothing; a dev job's stdout is a file opened for appending (processes._open_stdout), so
    a second opening of it for appending (docs/dev-vs-prod.md) lands after the rows before it
    and before the ones after it."""
    stages("m", {"src/mapper.py": DEV_STDOUT_APPENDED})
    dev_client.write_table("//in/t", [{"id": 0}])
    launch(dev_client, _spec(stages, ["//out/a"], job_count=1))
    assert [row["i"] for row in dev_client.read_table("//out/a")] == list(range(6))
