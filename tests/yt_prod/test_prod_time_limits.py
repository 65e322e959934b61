"""resources.timeout_s is each job's time limit in prod as in dev: it goes to the cluster as
the user job spec's `job_time_limit` (ms), and the fake proxy enforces it per job as the job
proxy does, besides an operation's own `time_limit`.

Where the cluster's behaviour comes from:
- `job_time_limit` is a TUserJobSpec option in milliseconds, 1 s at least
  (yt/yt/ytlib/scheduler/config.cpp: RegisterParameter("job_time_limit", ...)
  .GreaterThanOrEqual(TDuration::Seconds(1))); `time_limit` is a TOperationSpecBase option.
- A job past it fails with "Job time limit exceeded", NJobProxy::EErrorCode 1202
  (TUserJob::OnJobTimeLimitExceeded in yt/yt/server/job_proxy/user_job.cpp), and counts as
  a failed job: YTsaurus's own test_exceed_job_time_limit (yt/yt/tests/integration/
  scheduler) runs it with max_failed_job_count 1 and expects the operation to fail, each
  job's error holding that text.
- An operation past its time_limit fails with "Operation is running for too long, aborted"
  (TOperationControllerBase::CheckTimeLimit in yt/yt/server/controller_agent/
  operation_controller_detail.cpp).
"""

from __future__ import annotations

import json
import shlex
import time

import pytest
from prod_packages import build_package
from test_prod_fake_inputs import run_raw

from yt_pipeline.errors import OperationFailed
from yt_pipeline.operations import OperationSpec, Resources
from yt_pipeline_prod import op_spec, plugin
from yt_pipeline_prod.launcher import start

SLEEPER = """
import os, time
from ytjobs import read_rows, write_rows

rows = list(read_rows())
time.sleep(float(os.environ["SLEEP_S"]))
write_rows(rows)
"""

IDLE = "import os, time\ntime.sleep(float(os.environ['SLEEP_S']))\n"


@pytest.fixture
def package(tmp_path):
    return build_package(tmp_path / ".build", {
        "slow": {"src/sleeper.py": SLEEPER, "src/idle.py": IDLE},
    })


def spec_for(kind, package, tmp_path, **fields):
    return OperationSpec(kind=kind, stage_name="slow", name=fields.pop("name", kind),
                         stage_dir=tmp_path / "stages" / "slow", pipeline_dir=tmp_path,
                         code_package=package, **fields)


def test_timeout_s_is_sent_as_each_user_jobs_job_time_limit_in_ms(prod_client, fake_yt,
                                                                   package, tmp_path):
    fake_yt.put_table("//tmp/in", [{"id": 1}])
    plugin.launch_operation(prod_client, spec_for(
        "map", package, tmp_path, input_tables=["//tmp/in"], output_tables=["//tmp/out"],
        mapper="src/sleeper.py", env={"SLEEP_S": "0"}, resources=Resources(timeout_s=2.5)))
    plugin.launch_operation(prod_client, spec_for(
        "vanilla", package, tmp_path, script="src/idle.py", env={"SLEEP_S": "0"},
        resources=Resources(timeout_s=90)))
    mapped, idle = fake_yt.specs[-2:]
    assert mapped["mapper"]["job_time_limit"] == 2500
    assert idle["tasks"]["vanilla"]["job_time_limit"] == 90_000
    assert "time_limit" not in mapped and "time_limit" not in idle  # no operation-wide limit
    # a map_reduce's mapper and reducer each get it; a sort, with no user job, does not
    both = spec_for("map_reduce", package, tmp_path, input_tables=["//tmp/in"],
                    output_tables=["//tmp/out"], mapper="src/sleeper.py",
                    reducer="src/sleeper.py", reduce_by=["id"],
                    resources=Resources(timeout_s=60))
    kind, body = op_spec.build(both, "//tmp/archive", sorted_inputs=True)
    assert kind == "map_reduce"
    assert body["mapper"]["job_time_limit"] == body["reducer"]["job_time_limit"] == 60_000
    reduce = spec_for("reduce", package, tmp_path, input_tables=["//tmp/in"],
                      output_tables=["//tmp/out"], reducer="src/sleeper.py", reduce_by=["id"],
                      resources=Resources(timeout_s=60))
    assert op_spec.build(reduce, "//tmp/archive", True)[1]["reducer"]["job_time_limit"] == 60_000
    sort = spec_for("sort", package, tmp_path, input_tables=["//tmp/in"],
                    output_tables=["//tmp/out"], sort_by=["id"],
                    resources=Resources(timeout_s=60))
    assert "job_time_limit" not in json.dumps(op_spec.build(sort, None, True)[1])


def test_a_job_past_timeout_s_fails_as_on_a_cluster_and_counts_as_failed(
        prod_client, fake_yt, package, tmp_path):
    fake_yt.put_table("//tmp/in", [{"id": 1}])
    fake_yt.put_table("//tmp/out", [{"kept": True}])
    spec = spec_for("map", package, tmp_path, name="sleepy", input_tables=["//tmp/in"],
                    output_tables=["//tmp/out"], mapper="src/sleeper.py",
                    env={"SLEEP_S": "30"}, resources=Resources(timeout_s=1),
                    max_failed_job_count=2)
    started = time.monotonic()
    with pytest.raises(OperationFailed) as caught:
        plugin.launch_operation(prod_client, spec)
    assert time.monotonic() - started < 20
    # worded as dev words it: the job, its attempt, then the job proxy's error
    assert str(caught.value).startswith(
        "stage slow operation sleepy (map): Failed jobs limit exceeded (2 failed jobs, "
        "max_failed_job_count 2): map job 1 of 1 failed on its attempt 2: Job time limit "
        "exceeded; operation "), str(caught.value)
    # each run of the job was stopped at its limit and counted: two failed jobs, then the
    # operation failed (max_failed_job_count 2)
    assert [job.error for job in fake_yt.jobs] == ["Job time limit exceeded"] * 2
    assert fake_yt.rows("//tmp/out") == [{"kept": True}]
    state = prod_client.yt().get_operation(caught.value.operation_id, attributes=["result"])
    inner = state["result"]["error"]["inner_errors"][0]
    assert (inner["code"], inner["attributes"]["limit"]) == (1202, 1000)


def test_jobs_each_under_timeout_s_succeed_however_long_the_operation_runs(
        prod_client, fake_yt, package, tmp_path):
    # four jobs of 0.6 s run one after another on the fake: the operation takes longer
    # than timeout_s, each job does not, and it is each job that the limit is about
    fake_yt.put_table("//tmp/in", [{"id": i} for i in range(4)])
    spec = spec_for("map", package, tmp_path, input_tables=["//tmp/in"],
                    output_tables=["//tmp/out"], mapper="src/sleeper.py",
                    env={"SLEEP_S": "0.6"}, resources=Resources(timeout_s=2, job_count=4),
                    max_failed_job_count=1)
    started = time.monotonic()
    plugin.launch_operation(prod_client, spec)
    assert time.monotonic() - started > 2
    assert len(fake_yt.jobs) == 4
    assert sorted(row["id"] for row in fake_yt.rows("//tmp/out")) == [0, 1, 2, 3]


SLEEP_30 = "python3 -c " + shlex.quote("import time\ntime.sleep(30)\n")


def test_the_fake_fails_an_operation_past_its_time_limit(prod_client, fake_yt):
    fake_yt.put_table("//tmp/in", [{"id": 1}])
    started = time.monotonic()
    info = run_raw(prod_client, "map", {
        "input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
        "mapper": {"command": SLEEP_30, "format": "json"}, "time_limit": 1500})
    assert time.monotonic() - started < 15
    assert info["state"] == "failed"
    error = info["result"]["error"]
    assert (error["message"], error["attributes"]["time_limit"]) == (
        "Operation is running for too long, aborted", 1500)


def test_the_fake_refuses_a_job_time_limit_under_a_second(prod_client, fake_yt):
    fake_yt.put_table("//tmp/in", [{"id": 1}])
    prod_client.yt().create("table", "//tmp/out", ignore_existing=True)
    with pytest.raises(Exception, match="job_time_limit"):
        start(prod_client, "map", {
            "input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
            "mapper": {"command": "cat", "format": "json", "job_time_limit": 500}})
    assert not fake_yt.jobs
