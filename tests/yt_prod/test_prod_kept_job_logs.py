"""Which jobs' stderr prod keeps in the run's log of a stage, and in what order.

A cluster lists jobs by their id when list_jobs is given no sort_field (GetJobsComparator
in yt/yt/ytlib/api/native/client_jobs_impl.cpp), and ids do not follow the order jobs ran
in. Here the fake hands out ids that rise, or fall, as jobs start: the log keeps the failed
jobs, newest first, then the others by start time, whatever the ids, and writes them in the
order they started.
"""

from __future__ import annotations

import itertools
import re

import pytest
from prod_packages import build_package
from test_prod_operations import launch, spec_for

from yt_pipeline.errors import OperationFailed
from yt_pipeline.job_logs import stage_log
from yt_pipeline.operations import Resources
from yt_pipeline_prod import job_logs
from yt_pipeline_prod.fake import op_runner

#: a mapper that says which run of its job it is, and fails the first run of the jobs
#: FAIL_ONCE names (job cookies), and every run when FAIL_ALWAYS is set
COUNTS_ITS_RUNS = """
import os, sys
from ytjobs import read_rows, write_rows
cookie = os.environ["YT_JOB_COOKIE"]
runs = os.path.join(os.environ["RUNS"], cookie)
with open(runs, "a") as out:
    out.write("x")
run = os.path.getsize(runs)
print("job %s run %d" % (cookie, run), file=sys.stderr)
if os.environ.get("FAIL_ALWAYS") or (
        run == 1 and cookie in os.environ.get("FAIL_ONCE", "").split(",")):
    sys.exit(4)
write_rows(read_rows())
"""

RUN_ID = "20240102-030405-abcd"


def _ids(direction):
    counter = itertools.count()
    if direction == "rising":
        return lambda: f"{next(counter) + 1:x}-1-1-1"
    return lambda: f"{0xFFFFFFF - next(counter):x}-1-1-1"


@pytest.fixture(params=["rising", "falling"])
def job_ids(request, monkeypatch):
    monkeypatch.setattr(op_runner, "new_id", _ids(request.param))


def _spec(tmp_path, jobs, env, max_failed):
    package = build_package(tmp_path / ".build", {"clean": {"src/runs.py": COUNTS_ITS_RUNS}})
    runs = tmp_path / "runs"
    runs.mkdir()
    return spec_for("map", package, tmp_path, name="counted", input_tables=["//tmp/in"],
                    output_tables=["//tmp/out"], mapper="src/runs.py",
                    env={"RUNS": str(runs), **env}, resources=Resources(job_count=jobs),
                    max_failed_job_count=max_failed, run_id=RUN_ID)


HEADER = re.compile(r"=== counted \(map\) (.+) \(job [0-9a-f-]+, (\w+)\) ===")


def _kept(tmp_path):
    """(job's name, its state, its first stderr line) of each job in the log, in order."""
    lines = stage_log(tmp_path, RUN_ID, "clean").read_text().splitlines()
    return [(*HEADER.fullmatch(line).groups(), lines[at + 1])  # type: ignore[union-attr]
            for at, line in enumerate(lines) if line.startswith("=== ")]


def test_the_failed_jobs_and_the_first_to_start_are_kept_in_start_order(
        prod_client, fake_yt, tmp_path, job_ids):
    # 14 jobs, two of which fail once: 16 runs, of which 10 are kept
    fake_yt.put_table("//tmp/in", [{"id": i} for i in range(14)])
    launch(prod_client, _spec(tmp_path, 14, {"FAIL_ONCE": "5,12"}, max_failed=3))
    kept = _kept(tmp_path)
    # the first 8 others to start, then the 2 failed runs, all in the order they started
    ran = [(cookie, 1) for cookie in range(5)] + [(5, 1), (5, 2), (6, 1), (7, 1), (12, 1)]
    failed = {(5, 1), (12, 1)}
    assert kept == [(f"map job {cookie + 1} of 14", "failed" if (cookie, run) in failed
                     else "completed", f"job {cookie} run {run}") for cookie, run in ran], kept
    assert len(kept) == job_logs.JOBS_KEPT


def test_past_the_room_the_newest_failures_are_kept(prod_client, fake_yt, tmp_path, job_ids,
                                                    monkeypatch):
    # five failed runs, room for three: the last three, which ended the operation
    monkeypatch.setattr(job_logs, "JOBS_KEPT", 3)
    fake_yt.put_table("//tmp/in", [{"id": 1}])
    with pytest.raises(OperationFailed):
        launch(prod_client, _spec(tmp_path, 1, {"FAIL_ALWAYS": "1"}, max_failed=5))
    assert _kept(tmp_path) == [("map job 1 of 1", "failed", f"job 0 run {run}")
                               for run in (3, 4, 5)]
