"""A job writes output table N to fd 3 * N + 1 on the fake proxy, as on a cluster.

The job proxy opens a pipe at fd 3 * i + 1 for output table i (`3 * i +
GetJobFirstOutputTableFDFromSpec`, default 1), one at fd 5 for the job's statistics
(`JobStatisticsFD = 5`) and none at fd 3 or 6 (TUserJob::PreparePipes and
PrepareOutputTablePipes in yt/yt/server/job_proxy/user_job.cpp); YT's Go SDK looks for its
output pipes at the same numbers (`fd := uintptr(3*i + 1)` in yt/go/mapreduce/io_linux.go).
The fake runs jobs with the oldest Python here, 3.8 on this machine.
"""

from __future__ import annotations

import pytest
from prod_packages import build_package

from yt_pipeline.errors import OperationFailed
from yt_pipeline.operations import OperationSpec
from yt_pipeline_prod import plugin

#: no ytjobs: 200k JSON lines to fd 4 first (far more than a pipe holds, so a fake that read
#: fd 4 only after stdout would hang), then fd 7, then fd 1
RAW_FDS = """
import json, os, sys
n = sum(1 for _ in sys.stdin)
if os.environ.get("FAIL_COOKIE") == os.environ["YT_JOB_COOKIE"]:
    os.write(4, b'{"t": 1, "i": -1}\\n')
    sys.exit(3)
with os.fdopen(4, "w") as out:
    for i in range(200000):
        out.write(json.dumps({"t": 1, "i": i}) + "\\n")
with os.fdopen(7, "w") as out:
    for i in range(3):
        out.write(json.dumps({"t": 2, "i": i}) + "\\n")
for i in range(n):
    sys.stdout.write(json.dumps({"t": 0, "i": i, "py": list(sys.version_info[:2])}) + "\\n")
"""

PROBE = """
import json, os
opened = []
for fd in range(3, 12):
    try:
        os.fstat(fd)
        opened.append(fd)
    except OSError:
        pass
print(json.dumps({"open": opened}))
"""


@pytest.fixture
def package(tmp_path):
    return build_package(tmp_path / ".build", {
        "s": {"src/mapper.py": RAW_FDS, "src/probe.py": PROBE}})


def _map(package, tmp_path, outputs, mapper="src/mapper.py", **fields):
    return OperationSpec(kind="map", stage_name="s", name="map",
                         stage_dir=tmp_path / "stages" / "s", pipeline_dir=tmp_path,
                         code_package=package, input_tables=["//tmp/in"],
                         output_tables=outputs, mapper=mapper, **fields)


def test_rows_on_fd_4_and_7_land_in_tables_1_and_2(prod_client, fake_yt, package, tmp_path):
    from yt_pipeline.operations import Resources

    prod_client.write_table("//tmp/in", [{"id": i} for i in range(10)])
    spec = _map(package, tmp_path, ["//tmp/a", "//tmp/b", "//tmp/c"],
                resources=Resources(job_count=2))
    plugin.launch_operation(prod_client, spec)
    a, b, c = (fake_yt.rows(f"//tmp/{name}") for name in "abc")
    assert len(a) == 10 and {r["t"] for r in a} == {0}
    assert {tuple(r["py"]) for r in a} == {(3, 8)}
    assert len(b) == 400000 and {r["t"] for r in b} == {1}
    assert b[:2] == [{"t": 1, "i": 0}, {"t": 1, "i": 1}] and b[200000] == {"t": 1, "i": 0}
    assert c == [{"t": 2, "i": i} for i in range(3)] * 2


def test_a_failed_job_leaves_no_rows_from_any_fd(prod_client, fake_yt, package, tmp_path):
    from yt_pipeline.operations import Resources

    prod_client.write_table("//tmp/in", [{"id": i} for i in range(10)])
    prod_client.write_table("//tmp/b", [{"old": 1}])
    spec = _map(package, tmp_path, ["//tmp/a", "//tmp/b", "//tmp/c"],
                resources=Resources(job_count=2), env={"FAIL_COOKIE": "1"},
                max_failed_job_count=1)
    with pytest.raises(OperationFailed):
        plugin.launch_operation(prod_client, spec)
    assert fake_yt.rows("//tmp/b") == [{"old": 1}]
    for name in ("//tmp/a", "//tmp/c"):
        assert not prod_client.exists(name) or fake_yt.rows(name) == []


@pytest.mark.parametrize(("outputs", "opened"), [(1, [5]), (2, [4, 5]), (3, [4, 5, 7])])
def test_which_descriptors_a_job_finds_open(prod_client, fake_yt, package, tmp_path, outputs,
                                            opened):
    prod_client.write_table("//tmp/in", [{"id": 1}])
    tables = [f"//tmp/t{i}" for i in range(outputs)]
    plugin.launch_operation(prod_client, _map(package, tmp_path, tables, "src/probe.py"))
    assert fake_yt.rows("//tmp/t0") == [{"open": opened}]
