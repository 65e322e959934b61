"""The fake proxy against YTsaurus's own integration tests of an operation's jobs and what
it tells of them: list_jobs (yt/yt/tests/integration/scheduler/test_list_jobs.py),
get_operation (scheduler/test_get_operation.py) and the secure vault (TestSecureVault in
scheduler/test_scheduler_common.py), all in ytsaurus/ytsaurus, asked through
ytsaurus-client. Each test names the integration test it follows, and the source that says
why where the integration test alone does not."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yt.yson as yson
from test_prod_fake_inputs import run_as_given, run_raw
from yt.wrapper.errors import YtResponseError

from yt_pipeline.errors import BackendError
from yt_pipeline_prod.launcher import start
from yt_pipeline_prod.op_spec import job_format

#: TestSecureVault.secure_vault, as JSON carries it (uint64 as a plain number)
VAULT = {"int64": 42424243, "uint64": 1234, "string": "penguin", "boolean": True,
         "double": 3.14, "composite": {"token1": "SeNsItIvE", "token2": "InFo"}}


def shell_job(command: str, **options) -> dict:
    return {"command": command, "format": job_format(), **options}


def run_op(prod_client, kind: str, spec: dict) -> tuple[str, dict]:
    """Start the operation, its output tables created, and wait for it to end: its id and
    its info."""
    yt = prod_client.yt()
    for path in spec.get("output_table_paths", []):
        yt.create("table", path, recursive=True, ignore_existing=True)
    operation_id = start(prod_client, kind, spec)
    while True:
        info = yt.get_operation(operation_id, attributes=["state", "result"])
        if info["state"] in ("completed", "failed", "aborted"):
            return operation_id, info
        time.sleep(0.05)


def completed(info) -> None:
    assert info["state"] == "completed", info


def refusal(error: BaseException) -> str:
    """What a refused request says: the cluster's messages, as ytsaurus-client tells them
    (prod's translated error keeps them in its text)."""
    return str(error)


# -- the secure vault ------------------------------------------------------------------

def test_a_job_sees_the_vault_whole_and_each_entry_as_a_cluster_exports_it(prod_client,
                                                                           fake_yt):
    # test_secure_vault_simple (check_content): the whole vault as YSON text in
    # YT_SECURE_VAULT; a boolean as 1, a number as its digits, a map as YSON text
    fake_yt.put_table("//tmp/in", [{"foo": "bar"}])
    completed(run_raw(prod_client, "map", {
        "input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
        "mapper": shell_job("cat"), "secure_vault": VAULT}))
    env = fake_yt.jobs[0].environment
    seen = {name: value for name, value in env.items() if name.startswith("YT_SECURE_VAULT")}
    assert seen == {
        "YT_SECURE_VAULT": '{"int64"=42424243;"uint64"=1234;"string"="penguin";'
                           '"boolean"=%true;"double"=3.14;'
                           '"composite"={"token1"="SeNsItIvE";"token2"="InFo";};}',
        "YT_SECURE_VAULT_int64": "42424243", "YT_SECURE_VAULT_uint64": "1234",
        "YT_SECURE_VAULT_string": "penguin", "YT_SECURE_VAULT_boolean": "1",
        "YT_SECURE_VAULT_double": "3.14",
        "YT_SECURE_VAULT_composite": '{"token1"="SeNsItIvE";"token2"="InFo";}'}


@pytest.mark.parametrize(("name", "message"), [
    ("=_=", "Only alphanumeric characters and underscore are allowed in environment "
            "variable names"),
    ("x" * (2**16 + 1), "Maximum length of the name for an environment variable violated: "
                        "65537 > 65536"),
])
def test_a_vault_name_a_job_could_not_be_given_is_refused_at_start(prod_client, fake_yt,
                                                                   name, message):
    # test_allowed_variable_names: both refused when the operation starts
    fake_yt.put_table("//tmp/in", [{"foo": "bar"}])
    with pytest.raises((YtResponseError, BackendError)) as raised:
        run_as_given(prod_client, "map", {
            "input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/in"],
            "mapper": shell_job("cat"), "secure_vault": {name: 42}})
    assert message in refusal(raised.value)
    assert fake_yt.jobs == []


def test_the_vault_is_in_no_answer_about_the_operation_or_its_jobs(prod_client, fake_yt):
    # test_secure_vault_not_visible: none of its values in what the operation shows
    fake_yt.put_table("//tmp/in", [{"foo": "bar"}])
    yt = prod_client.yt()
    operation_id, info = run_op(prod_client, "map", {
        "input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
        "mapper": shell_job("echo oops >&2; exit 1"), "secure_vault": VAULT,
        "max_failed_job_count": 1})
    assert info["state"] == "failed"
    shown = str(yt.get_operation(operation_id)) + str(yt.list_jobs(operation_id))
    for value in ("42424243", "SeNsItIvE", "InFo", "penguin"):
        assert value not in shown


# -- list_jobs -------------------------------------------------------------------------

#: three map jobs: the first run of job index 1 fails, writing to stderr; the job of cookie
#: 0 writes to stderr and ends well; the others write nothing to it
MIXED = ('if [ "$YT_JOB_INDEX" = 1 ]; then echo failing >&2; exit 1; fi; '
         'if [ "$YT_JOB_COOKIE" = 0 ]; then echo note >&2; fi; cat')


def mixed_jobs(prod_client, fake_yt) -> str:
    fake_yt.put_table("//tmp/in", [{"x": 1}, {"x": 2}, {"x": 3}])
    operation_id, info = run_op(prod_client, "map", {
        "input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
        "mapper": shell_job(MIXED), "job_count": 3, "max_failed_job_count": 5})
    completed(info)
    return operation_id


def test_with_stderr_false_lists_the_jobs_without_stderr(prod_client, fake_yt):
    # _get_answers_for_filters_after_finish (test_list_jobs.py): with_stderr=True gives the
    # jobs that wrote to stderr, with_stderr=False the others, not every job
    operation_id = mixed_jobs(prod_client, fake_yt)
    yt = prod_client.yt()
    ids = {job.id: job for job in fake_yt.jobs}
    written = {job_id for job_id, job in ids.items() if job.stderr}
    assert len(ids) == 4 and len(written) == 2
    listed = {job["id"] for job in yt.list_jobs(operation_id, with_stderr=True)["jobs"]}
    assert listed == written
    listed = {job["id"] for job in yt.list_jobs(operation_id, with_stderr=False)["jobs"]}
    assert listed == set(ids) - written
    assert {job["id"] for job in yt.list_jobs(operation_id)["jobs"]} == set(ids)


def test_list_jobs_counts_the_jobs_by_state_and_type_and_has_no_errors(prod_client, fake_yt):
    # _check_after_finish (test_list_jobs.py): type_counts and state_counts of all the
    # jobs, the jobs the controller agent, the scheduler and the archive know, none in
    # Cypress, and `errors` (which checked_list_jobs raises when it is not empty)
    operation_id = mixed_jobs(prod_client, fake_yt)
    listed = prod_client.yt().list_jobs(operation_id, job_state="failed")
    assert [job["state"] for job in listed["jobs"]] == ["failed"]
    assert listed["state_counts"] == {"completed": 3, "failed": 1}
    assert listed["type_counts"] == {"map": 4}
    assert listed["errors"] == []
    assert (listed["controller_agent_job_count"], listed["scheduler_job_count"],
            listed["archive_job_count"]) == (4, 4, 4)
    assert listed["cypress_job_count"] == yson.YsonEntity()


@pytest.mark.parametrize("sort_order", ["ascending", "descending"])
def test_jobs_sort_by_state_name_and_by_duration(prod_client, fake_yt, sort_order):
    # _validate_sorting (test_list_jobs.py): sort_field `state` orders the states by name
    # (`aborted`, `completed`, `failed`...), `duration` by finish_time less start_time
    operation_id = mixed_jobs(prod_client, fake_yt)
    yt = prod_client.yt()
    by_state = yt.list_jobs(operation_id, sort_field="state", sort_order=sort_order)["jobs"]
    states = ["completed"] * 3 + ["failed"]
    assert [job["state"] for job in by_state] == (
        states if sort_order == "ascending" else states[::-1])
    by_duration = yt.list_jobs(operation_id, sort_field="duration",
                               sort_order=sort_order)["jobs"]
    took = {job.id: job.finished - job.started for job in fake_yt.jobs}
    durations = [took[job["id"]] for job in by_duration]
    assert durations == sorted(durations, reverse=sort_order == "descending")


# -- get_operation ---------------------------------------------------------------------

def test_get_operation_refuses_an_attribute_it_does_not_know(prod_client, fake_yt):
    # test_attributes (test_get_operation.py): an unknown attribute is refused with
    # NoSuchAttribute, a known one comes alone
    fake_yt.put_table("//tmp/in", [{"foo": "bar"}])
    operation_id, _ = run_op(prod_client, "map", {
        "input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
        "mapper": shell_job("cat")})
    yt = prod_client.yt()
    assert list(yt.get_operation(operation_id, attributes=["state"])) == ["state"]
    assert list(yt.get_operation(operation_id, attributes=["progress"])) == ["progress"]
    with pytest.raises(YtResponseError) as raised:
        yt.get_operation(operation_id, attributes=["nonexistent-attribute-ZZZ"])
    assert raised.value.contains_code(1920)  # NoSuchAttribute
    assert 'Operation attribute "nonexistent-attribute-ZZZ" is not supported' in str(
        raised.value)


# -- an aborted operation's jobs -------------------------------------------------------

def test_an_aborted_operations_running_job_is_aborted_at_once(prod_client, fake_yt,
                                                               tmp_path):
    # IOperationControllerSchedulerHost::Abort (yt/yt/server/controller_agent/
    # operation_controller.h, ytsaurus/ytsaurus): "All jobs are aborted automatically";
    # the job is listed `aborted` (EJobState), not failed, and the operation ends `aborted`
    # while its job would still be sleeping. The fake left the job running to its end.
    fake_yt.put_table("//tmp/in", [{"x": 1}])
    pid_file = tmp_path / "job.pid"
    yt = prod_client.yt()
    yt.create("table", "//tmp/out", recursive=True, ignore_existing=True)
    operation_id = start(prod_client, "map", {
        "input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
        "mapper": shell_job(f"echo $$ > {pid_file}; exec sleep 300")})
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    yt.abort_operation(operation_id)
    deadline = time.monotonic() + 10
    while yt.get_operation(operation_id, attributes=["state"])["state"] != "aborted":
        assert time.monotonic() < deadline, "the operation was not aborted with its job"
        time.sleep(0.05)
    jobs = yt.list_jobs(operation_id)
    assert [job["state"] for job in jobs["jobs"]] == ["aborted"]
    assert jobs["state_counts"] == {"aborted": 1}
    assert not Path(f"/proc/{pid}").exists() or \
        Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    assert yt.get("//tmp/out/@row_count") == 0
