"""Which failed job prod tells of, read from list_jobs as a cluster gives it.

A cluster's list_jobs gives each job its start_time and finish_time (instants with
microseconds), its task_name and the controller's job type (TJob's Serialize in
yt/yt/client/api/operation_client.cpp), and, with no sort_field, lists jobs by their id
(GetJobsComparator in yt/yt/ytlib/api/native/client_jobs_impl.cpp), not in the order they
ran. Here the fake hands out job ids that fall as jobs start, so the job listed last is the
first to have run: the job told of is right only when it is found by its finish_time.
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from prod_packages import build_package
from test_prod_operations import launch, spec_for

from yt_pipeline.errors import OperationFailed
from yt_pipeline_prod import failed_jobs
from yt_pipeline_prod.fake import op_runner

#: how ytsaurus-client reads a YT instant (YT_DATETIME_FORMAT_STRING in yt/common.py)
YT_INSTANT = "%Y-%m-%dT%H:%M:%S.%fZ"

#: a job that fails every time, saying which of its task's runs it is
FAILS_COUNTING_RUNS = """
import os, sys
runs = os.path.join(os.environ["RUNS"], "{task}")
with open(runs, "a") as out:
    out.write("x")
print("{task} run %d failed" % os.path.getsize(runs), file=sys.stderr)
sys.exit(3)
"""

#: a mapper that fails its first run only
MAPS_ON_RETRY = """
import os, sys
from ytjobs import read_rows, write_rows
flag = os.path.join(os.environ["RUNS"], "mapped-once")
if not os.path.exists(flag):
    open(flag, "w").close()
    print("map run 1 failed", file=sys.stderr)
    sys.exit(5)
write_rows({"key": r["name"], "n": r["id"]} for r in read_rows())
"""


@pytest.fixture
def falling_job_ids(monkeypatch):
    """Job ids that sort before the ids of the jobs run before them."""
    counter = itertools.count()
    monkeypatch.setattr(op_runner, "new_id",
                        lambda: f"{0xFFFFFFF - next(counter):x}-1-1-1")


def _package(tmp_path):
    return build_package(tmp_path / ".build", {"clean": {
        "src/map_fails.py": FAILS_COUNTING_RUNS.format(task="map"),
        "src/reduce_fails.py": FAILS_COUNTING_RUNS.format(task="reduce"),
        "src/maps_on_retry.py": MAPS_ON_RETRY}})


def _runs(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    return {"RUNS": str(runs)}


def _failed_map(prod_client, fake_yt, tmp_path, name: str, failures: int) -> OperationFailed:
    """How a map whose one job fails on every run, `failures` times (its
    max_failed_job_count), fails its operation."""
    fake_yt.put_table("//tmp/in", [{"id": 1, "name": "a"}])
    spec = spec_for("map", _package(tmp_path), tmp_path, name=name,
                    input_tables=["//tmp/in"], output_tables=["//tmp/out"],
                    mapper="src/map_fails.py", env=_runs(tmp_path),
                    max_failed_job_count=failures)
    with pytest.raises(OperationFailed) as caught:
        launch(prod_client, spec)
    return caught.value


def test_the_last_of_two_failed_runs_is_told(prod_client, fake_yt, tmp_path, falling_job_ids):
    failure = _failed_map(prod_client, fake_yt, tmp_path, "twice", 2)
    told = str(failure)
    assert "Failed jobs limit exceeded (2 failed jobs, max_failed_job_count 2): " \
           "map job 1 of 1 failed on its attempt 2" in told, told
    # the second run's stderr: the first run's is that of an earlier job
    assert "map run 2 failed" in failure.stderr_tail
    assert "map run 1 failed" not in failure.stderr_tail


def test_a_map_reduce_tells_of_its_last_failed_reduce_job(prod_client, fake_yt, tmp_path,
                                                         falling_job_ids):
    # the partition_map job fails once, then the reduce job twice: the reduce job failed
    # last, on its own second attempt (the map job's failure is of another task)
    fake_yt.put_table("//tmp/in", [{"id": 1, "name": "a"}])
    spec = spec_for("map_reduce", _package(tmp_path), tmp_path, name="mr",
                    input_tables=["//tmp/in"], output_tables=["//tmp/mr"],
                    mapper="src/maps_on_retry.py", reducer="src/reduce_fails.py",
                    reduce_by=["key"], sort_by=["key"], env=_runs(tmp_path),
                    max_failed_job_count=3)
    with pytest.raises(OperationFailed) as caught:
        launch(prod_client, spec)
    failure = caught.value
    told = str(failure)
    assert "Failed jobs limit exceeded (3 failed jobs, max_failed_job_count 3): " \
           "reduce job 1 failed on its attempt 2" in told, told
    assert "reduce run 2 failed" in failure.stderr_tail
    assert "map run" not in failure.stderr_tail

    listed = prod_client.yt().list_jobs(failure.operation_id)["jobs"]
    # by id, as a cluster lists them: here the reverse of the order they ran in
    assert [job["id"] for job in listed] == sorted(
        (job["id"] for job in listed), key=lambda i: tuple(int(p, 16) for p in i.split("-")))
    ran = sorted(listed, key=lambda job: job["start_time"])
    assert [(job["type"], job["task_name"], job["state"], job["job_cookie"]) for job in ran] \
        == [("partition_map", "partition_map(0)", "failed", 0),
            ("partition_map", "partition_map(0)", "completed", 0),
            ("partition_reduce", "partition_reduce", "failed", 0),
            ("partition_reduce", "partition_reduce", "failed", 0)]
    assert listed != ran
    for job in listed:
        started = datetime.datetime.strptime(job["start_time"], YT_INSTANT)
        finished = datetime.datetime.strptime(job["finish_time"], YT_INSTANT)
        assert started <= finished


def test_list_jobs_sorts_by_a_sort_field_when_asked(prod_client, fake_yt, tmp_path):
    failure = _failed_map(prod_client, fake_yt, tmp_path, "thrice", 3)
    yt = prod_client.yt()
    newest_first = yt.list_jobs(failure.operation_id, sort_field="finish_time",
                                sort_order="descending")["jobs"]
    times = [job["finish_time"] for job in newest_first]
    assert len(times) == 3 and times == sorted(times, reverse=True)
    assert {(job["type"], job["task_name"]) for job in newest_first} == {("map", "map")}
    stderr = yt.get_job_stderr(failure.operation_id, newest_first[0]["id"]).read()
    assert b"map run 3 failed" in stderr


@pytest.fixture
def rising_job_ids(monkeypatch):
    """Job ids that sort after the ids of the jobs run before them."""
    counter = itertools.count()
    monkeypatch.setattr(op_runner, "new_id", lambda: f"{next(counter) + 1:x}-1-1-1")


def test_the_last_failed_job_is_told_past_the_jobs_asked_for(prod_client, fake_yt, tmp_path,
                                                              rising_job_ids, monkeypatch):
    # more failed jobs than failed_jobs asks list_jobs for: listed by id, the first ones
    # would be the earliest; asked newest first, the last to fail is among them
    monkeypatch.setattr(failed_jobs, "LISTED", 2)
    failure = _failed_map(prod_client, fake_yt, tmp_path, "thrice", 3)
    assert "(3 failed jobs, max_failed_job_count 3): map job 1 of 1 failed" \
        in str(failure), str(failure)
    assert "map run 3 failed" in failure.stderr_tail, failure.stderr_tail


def test_a_jobs_attempts_are_counted_past_the_failed_jobs_listed(prod_client, fake_yt,
                                                                 tmp_path, monkeypatch):
    # five failed runs, two listed at once: the job's runs are counted page by page
    monkeypatch.setattr(failed_jobs, "LISTED", 2)
    failure = _failed_map(prod_client, fake_yt, tmp_path, "five", 5)
    assert "(5 failed jobs, max_failed_job_count 5): map job 1 of 1 failed on its attempt 5" \
        in str(failure), str(failure)
    assert "map run 5 failed" in failure.stderr_tail


def test_an_attempt_count_cut_short_is_told_as_a_lower_bound(prod_client, fake_yt, tmp_path,
                                                              monkeypatch):
    # two pages of two: four of the five failed runs counted, and the message says so
    monkeypatch.setattr(failed_jobs, "LISTED", 2)
    monkeypatch.setattr(failed_jobs, "PAGES", 2)
    failure = _failed_map(prod_client, fake_yt, tmp_path, "five", 5)
    assert "(5 failed jobs, max_failed_job_count 5): map job 1 of 1 failed on its " \
           "attempt ≥ 4" in str(failure), str(failure)


def test_a_reduce_jobs_attempts_past_the_listed_leave_out_the_map_jobs(
        prod_client, fake_yt, tmp_path, monkeypatch, falling_job_ids):
    # the partition_map job fails once, the reduce job three times, two listed at once:
    # counted among the failed partition_reduce jobs only
    monkeypatch.setattr(failed_jobs, "LISTED", 2)
    fake_yt.put_table("//tmp/in", [{"id": 1, "name": "a"}])
    spec = spec_for("map_reduce", _package(tmp_path), tmp_path, name="mr",
                    input_tables=["//tmp/in"], output_tables=["//tmp/mr"],
                    mapper="src/maps_on_retry.py", reducer="src/reduce_fails.py",
                    reduce_by=["key"], sort_by=["key"], env=_runs(tmp_path),
                    max_failed_job_count=4)
    with pytest.raises(OperationFailed) as caught:
        launch(prod_client, spec)
    failure = caught.value
    assert "(4 failed jobs, max_failed_job_count 4): reduce job 1 failed on its attempt 3" \
        in str(failure), str(failure)
    yt = prod_client.yt()
    reduces = yt.list_jobs(failure.operation_id, job_type="partition_reduce")["jobs"]
    assert [job["type"] for job in reduces] == ["partition_reduce"] * 3
    paged = [yt.list_jobs(failure.operation_id, sort_field="start_time", limit=2,
                          offset=offset)["jobs"] for offset in (0, 2, 4)]
    assert [[job["type"] for job in page] for page in paged] == [
        ["partition_map", "partition_map"], ["partition_reduce", "partition_reduce"],
        ["partition_reduce"]]
