"""Failed jobs run again in dev, as a cluster runs them, until max_failed_job_count.

A cluster's controller fails the operation once its failed jobs reach max_failed_job_count
(10 unless set; 0 and 1 both fail it at the first): TOperationControllerBase::OnJobFailed in
yt/yt/server/controller_agent/operation_controller_detail.cpp, `failedJobCount >=
maxFailedJobCount` -> "Failed jobs limit exceeded"; the default in TOperationSpecBase
(yt/yt/ytlib/scheduler/config.cpp). The fake proxy's OperationRunner does the same.

The mappers count their attempts with marker files in a folder outside the sandbox (named by
MARKS in their environment), so a test sees how often each job ran.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from yt_pipeline.errors import OperationFailed
from yt_pipeline.job_logs import stage_log
from yt_pipeline_dev.launcher import launch

#: writes its rows, then fails on the attempts FAIL_ON names for its job ("job:attempt,...",
#: attempts counted from 1); partial rows of a failed attempt must not reach the table
FLAKY = """
    import os, sys
    from ytjobs import read_rows, write_rows
    job = os.environ["YT_JOB_COOKIE"]  # kept by a rerun, as on a cluster
    marks = os.environ["MARKS"]
    attempt = 1 + sum(1 for name in os.listdir(marks) if name.startswith(f"job{job}."))
    open(os.path.join(marks, f"job{job}.{attempt}"), "w").close()
    print(f"job {job} attempt {attempt} here", file=sys.stderr)
    fail_on = {tuple(map(int, p.split(":"))) for p in os.environ["FAIL_ON"].split(",") if p}
    cut = int(os.environ.get("CUT", "-1"))
    for number, row in enumerate(read_rows()):
        if (int(job), attempt) in fail_on and number == cut:
            sys.stdout.flush()
            raise SystemExit(f"job {job} attempt {attempt} gives up at row {number}")
        write_rows([{**row, "job": int(job), "attempt": attempt,
                     "index": int(os.environ["YT_JOB_INDEX"])}])
    if (int(job), attempt) in fail_on:
        raise SystemExit(f"job {job} attempt {attempt} gives up after its rows")
"""


def _attempts(marks: Path) -> dict[int, int]:
    counts: dict[int, int] = {}
    for mark in marks.iterdir():
        job = int(mark.name.split(".")[0][3:])
        counts[job] = counts.get(job, 0) + 1
    return counts


def _spec(stages, tmp_path, fail_on: str, *, jobs: int = 1, cut: int = -1,
          max_failed: int | None = None, run_id: str = "r1"):
    marks = tmp_path / "marks"
    marks.mkdir(parents=True, exist_ok=True)
    stages("flaky", {"src/mapper.py": FLAKY})
    return stages.spec("map", "flaky", job_count=jobs, input_tables=["//in/t"],
                       output_tables=["//out/t"], mapper="src/mapper.py",
                       env={"MARKS": str(marks), "FAIL_ON": fail_on, "CUT": str(cut)},
                       max_failed_job_count=max_failed, run_id=run_id), marks


def test_a_job_that_fails_once_is_run_again_and_its_first_rows_are_dropped(
        dev_client, stages, tmp_path):
    source = [{"id": i} for i in range(30)]
    dev_client.write_table("//in/t", source)
    # job 1 of 3 writes its first rows, then exits 1 on its first attempt
    spec, marks = _spec(stages, tmp_path, "1:1", jobs=3, cut=4)
    result = launch(dev_client, spec)
    rows = list(dev_client.read_table("//out/t"))
    assert [row["id"] for row in rows] == list(range(30))  # none lost, none doubled
    assert {row["attempt"] for row in rows if row["job"] == 1} == {2}
    assert {row["attempt"] for row in rows if row["job"] != 1} == {1}
    # the rerun is a new job: a new YT_JOB_INDEX, past those of the first three
    assert {row["index"] for row in rows} == {0, 2, 3}
    assert result.rows == {"//out/t": 30}
    assert _attempts(marks) == {0: 1, 1: 2, 2: 1}
    log = (dev_client.root / "operation.log").read_text()
    assert ("RERUN map job 2 of 3: attempt 1 failed (failed jobs 1 of max_failed_job_count "
            "10)") in log
    # the operation's line counts the jobs that ran, the rerun one of them
    [done] = [line for line in log.splitlines() if " map flaky" in line and "RERUN" not in line]
    assert " jobs=4" in done and " jobs=3" not in done, done
    # each attempt's stderr is kept in the run's job log, marked with its attempt
    jobs_log = stage_log(spec.pipeline_dir, "r1", "flaky").read_text()
    first = jobs_log.index("=== map (map) map job 2 of 3, attempt 1 (failed, run again) ===")
    second = jobs_log.index("=== map (map) map job 2 of 3, attempt 2 ===")
    assert first < second
    assert "job 1 attempt 1 gives up at row 4" in jobs_log[first:second]
    assert "job 1 attempt 2 here" in jobs_log[second:]
    assert "=== map (map) map job 1 of 3 ===" in jobs_log  # run once: no attempt shown


#: a vanilla task that fails on its first attempt when it is task 1 (counted from 0)
FLAKY_TASK = """
    import os, sys
    task, marks = os.environ["YT_JOB_COOKIE"], os.environ["MARKS"]
    attempt = 1 + sum(1 for name in os.listdir(marks) if name.startswith(f"task{task}."))
    open(os.path.join(marks, f"task{task}.{attempt}"), "w").close()
    print(f"task {task} attempt {attempt} here", file=sys.stderr)
    if task == "1" and attempt == 1:
        raise SystemExit("task 1 gives up")
"""


def test_a_vanilla_task_run_again_is_named_in_the_job_log_as_in_its_error(
        dev_client, stages, tmp_path):
    """The job log names a vanilla task as errors, the RERUN line and prod's job log do
    (`vanilla task 2 of 2`), not by the name of its stderr file (`task1.attempt1`)."""
    marks = tmp_path / "marks"
    marks.mkdir()
    stages("notify", {"src/vanilla.py": FLAKY_TASK})
    spec = stages.spec("vanilla", "notify", job_count=2, script="src/vanilla.py",
                       env={"MARKS": str(marks)}, run_id="r1")
    launch(dev_client, spec)
    assert sorted(mark.name for mark in marks.iterdir()) == ["task0.1", "task1.1", "task1.2"]
    log = (dev_client.root / "operation.log").read_text()
    assert "RERUN vanilla task 2 of 2: attempt 1 failed" in log
    assert log.splitlines()[-1].split()[1:3] == ["vanilla", "notify/vanilla"]
    assert log.splitlines()[-1].endswith(" jobs=3"), log
    jobs_log = stage_log(spec.pipeline_dir, "r1", "notify").read_text()
    headers = [line for line in jobs_log.splitlines() if line.startswith("===")]
    assert headers == ["=== vanilla (vanilla) vanilla task 1 of 2 ===",
                       "=== vanilla (vanilla) vanilla task 2 of 2, attempt 1 (failed, run again) ===",
                       "=== vanilla (vanilla) vanilla task 2 of 2, attempt 2 ==="]
    first = jobs_log.index("attempt 1 (failed, run again)")
    assert "task 1 gives up" in jobs_log[first:jobs_log.index("attempt 2 ===")]


def test_a_job_that_always_fails_fails_the_operation_at_max_failed_job_count(
        dev_client, stages, tmp_path):
    dev_client.write_table("//in/t", [{"id": i} for i in range(5)])
    dev_client.write_table("//out/t", [{"old": True}])
    spec, marks = _spec(stages, tmp_path, ",".join(f"0:{n}" for n in range(1, 20)), cut=2)
    with pytest.raises(OperationFailed) as caught:
        launch(dev_client, spec)
    assert _attempts(marks) == {0: 10}  # the cluster's default limit
    text = str(caught.value)
    assert text.startswith(
        "stage flaky operation map (map): Failed jobs limit exceeded (10 failed jobs, "
        "max_failed_job_count 10): map job 1 of 1 failed on its attempt 10 ")
    assert "job 0 attempt 10 gives up at row 2" in caught.value.stderr_tail
    assert list(dev_client.read_table("//out/t")) == [{"old": True}]


@pytest.mark.parametrize("limit", [0, 1])
def test_max_failed_job_count_0_or_1_fails_at_the_first_failed_job(
        dev_client, stages, tmp_path, limit):
    dev_client.write_table("//in/t", [{"id": i} for i in range(4)])
    spec, marks = _spec(stages, tmp_path, "0:1", jobs=2, max_failed=limit)
    with pytest.raises(OperationFailed) as caught:
        launch(dev_client, spec)
    assert _attempts(marks)[0] == 1
    assert (f"Failed jobs limit exceeded (1 failed job, max_failed_job_count {limit}): "
            "map job 1 of 2 failed (exit code 1)") in str(caught.value)
    assert not dev_client.exists("//out/t")


def test_failed_jobs_are_counted_for_the_operation_not_each_job(dev_client, stages, tmp_path):
    dev_client.write_table("//in/t", [{"id": i} for i in range(9)])
    # three jobs failing once each reach a limit of 3, though none failed twice
    spec, marks = _spec(stages, tmp_path, "0:1,1:1,2:1", jobs=3, max_failed=3)
    with pytest.raises(OperationFailed, match=r"\(3 failed jobs, max_failed_job_count 3\)"):
        launch(dev_client, spec)
    assert not dev_client.exists("//out/t")
    # with a limit of 4 they pass on their second attempts
    spec, marks = _spec(stages, tmp_path / "again", "0:1,1:1,2:1", jobs=3, max_failed=4)
    launch(dev_client, spec)
    assert [row["id"] for row in dev_client.read_table("//out/t")] == list(range(9))
    assert _attempts(marks) == {0: 2, 1: 2, 2: 2}


def test_a_job_killed_at_its_time_limit_is_run_again(dev_client, stages, tmp_path):
    stages("slow", {"src/mapper.py": """
        import os, time
        from ytjobs import read_rows, write_rows
        marks = os.environ["MARKS"]
        first = not os.listdir(marks)
        open(os.path.join(marks, str(len(os.listdir(marks)))), "w").close()
        rows = list(read_rows())
        write_rows(rows)
        if first:
            time.sleep(30)
    """})
    marks = tmp_path / "marks"
    marks.mkdir()
    dev_client.write_table("//in/t", [{"id": i} for i in range(3)])
    launch(dev_client, stages.spec("map", "slow", timeout_s=1, input_tables=["//in/t"],
                                   output_tables=["//out/t"], mapper="src/mapper.py",
                                   env={"MARKS": str(marks)}))
    assert list(dev_client.read_table("//out/t")) == [{"id": i} for i in range(3)]
    assert len(list(marks.iterdir())) == 2


@pytest.mark.parametrize("seed", range(6))
def test_random_failures_never_lose_or_double_a_row(dev_client, stages, tmp_path, seed):
    rng = random.Random(seed)
    jobs = rng.randint(2, 5)
    source = [{"id": i, "text": f"row {i}"} for i in range(rng.randint(20, 60))]
    dev_client.write_table("//in/t", source)
    failures = {(rng.randrange(jobs), attempt) for attempt in (1, 2)
                for _ in range(rng.randint(0, 3))}
    failures = {(job, 1) for job, _ in failures} | failures  # a second failure needs a first
    spec, marks = _spec(stages, tmp_path, ",".join(f"{j}:{a}" for j, a in sorted(failures)),
                        jobs=jobs, cut=rng.randint(0, 8))
    if len(failures) >= 10:
        pytest.skip("more failures than the limit")
    launch(dev_client, spec)
    rows = list(dev_client.read_table("//out/t"))
    assert [{"id": r["id"], "text": r["text"]} for r in rows] == source
    expected = {job: 1 + sum(1 for j, _ in failures if j == job) for job in range(jobs)}
    assert _attempts(marks) == expected
    # every row comes from its job's last (successful) attempt
    assert all(row["attempt"] == expected[row["job"]] for row in rows)


def test_a_helper_left_running_by_a_failed_attempt_writes_nothing_into_the_rerun(
        dev_client, stages, tmp_path):
    # a cluster kills every process of a job when it ends (TUserJob::Run calls
    # CleanupUserProcesses, yt/yt/server/job_proxy/user_job.cpp): a helper the first attempt
    # started must not live on to write a row into the rerun's output
    stages("ghost", {"src/mapper.py": """
        import os, subprocess, sys, time
        from ytjobs import read_rows, write_rows
        marks = os.environ["MARKS"]
        first = not os.listdir(marks)
        open(os.path.join(marks, str(len(os.listdir(marks)))), "w").close()
        rows = list(read_rows())
        if first:
            subprocess.Popen([sys.executable, "-c", "import json, time; time.sleep(0.5); "
                              "print(json.dumps({'ghost': 1}), flush=True)"])
            raise SystemExit(3)
        time.sleep(1.5)  # the helper would have written by now
        write_rows(rows)
    """})
    marks = tmp_path / "marks"
    marks.mkdir()
    dev_client.write_table("//in/t", [{"id": i} for i in range(3)])
    launch(dev_client, stages.spec("map", "ghost", input_tables=["//in/t"],
                                   output_tables=["//out/t"], mapper="src/mapper.py",
                                   env={"MARKS": str(marks)}))
    assert list(dev_client.read_table("//out/t")) == [{"id": i} for i in range(3)]
    assert len(list(marks.iterdir())) == 2


def test_a_rerun_starts_in_a_clean_working_folder(dev_client, stages, tmp_path):
    # a cluster runs each attempt in a sandbox of its own: a file the failed attempt left
    # (a half-written cache) or changed (a file of file_paths) is not there for the rerun
    stages("sticky", {"src/mapper.py": """
        import json, os
        from ytjobs import read_rows, write_rows
        rows = list(read_rows())
        seen = {"cache": os.path.exists("cache.txt"), "lookup": open("lookup.txt").read()}
        if not os.path.exists(os.path.join(os.environ["MARKS"], "failed")):
            open(os.path.join(os.environ["MARKS"], "failed"), "w").close()
            open("cache.txt", "w").write("half")
            open("lookup.txt", "w").write("changed")
            raise SystemExit(1)
        write_rows([{**row, **seen} for row in rows])
    """, "lookup.txt": "as shipped"})
    marks = tmp_path / "marks"
    marks.mkdir()
    dev_client.write_table("//in/t", [{"id": i} for i in range(2)])
    launch(dev_client, stages.spec("map", "sticky", input_tables=["//in/t"],
                                   output_tables=["//out/t"], mapper="src/mapper.py",
                                   file_paths=["stages/sticky/lookup.txt"],
                                   env={"MARKS": str(marks)}))
    assert list(dev_client.read_table("//out/t")) == [
        {"id": i, "cache": False, "lookup": "as shipped"} for i in range(2)]


def test_each_rerun_is_told_on_the_console_with_the_stage(dev_client, stages, tmp_path,
                                                         caplog):
    # a job failing every attempt shows nothing else until its last one: each rerun is a
    # warning of the stage's logger, which the console tags [stage]
    dev_client.write_table("//in/t", [{"id": i} for i in range(3)])
    spec, _ = _spec(stages, tmp_path, "0:1,0:2", max_failed=5)
    with caplog.at_level("WARNING", logger="yt_pipeline.stage.flaky"):
        launch(dev_client, spec)
    told = [r.getMessage() for r in caplog.records if r.name == "yt_pipeline.stage.flaky"]
    assert told == [
        f"operation {spec.name}: map job 1 of 1 failed (exit code 1) on attempt {n}; running "
        f"it again (failed jobs {n} of max_failed_job_count 5)" for n in (1, 2)]
    assert [row["attempt"] for row in dev_client.read_table("//out/t")] == [3, 3, 3]


#: job 1 starts and waits; job 0 fails once job 1 has started (a marker file says so)
SLOW_OR_FAILING = """
    import os, sys, time
    from ytjobs import read_rows, write_rows
    started = os.path.join(os.environ["MARKS"], "started")
    if os.environ["YT_JOB_COOKIE"] == "0":
        for _ in range(300):
            if os.path.exists(started):
                break
            time.sleep(0.05)
        raise SystemExit("job 0 gives up")
    print("job 1 started", file=sys.stderr, flush=True)
    open(started, "w").close()
    time.sleep(60)
    write_rows(read_rows())
"""


def test_a_job_stopped_because_another_failed_says_so_in_the_job_log(dev_client, stages,
                                                                     tmp_path):
    # its log used to be a header with nothing under it, read as a job that ran and said
    # nothing; the job that failed the operation keeps its own header
    dev_client.write_table("//in/t", [{"id": i} for i in range(10)])
    stages("halt", {"src/mapper.py": SLOW_OR_FAILING})
    spec = stages.spec("map", "halt", job_count=2, input_tables=["//in/t"],
                       output_tables=["//out/t"], mapper="src/mapper.py",
                       env={"MARKS": str(tmp_path)}, max_failed_job_count=1, run_id="r9")
    with pytest.raises(OperationFailed, match="map job 1 of 2 failed"):
        launch(dev_client, spec)
    jobs_log = stage_log(spec.pipeline_dir, "r9", "halt").read_text()
    headers = [line for line in jobs_log.splitlines() if line.startswith("=== ")]
    assert headers == [
        "=== map (map) map job 1 of 2 ===",
        "=== map (map) map job 2 of 2 (stopped: another job had failed the operation) ==="]
    assert "job 1 started" in jobs_log.split(headers[1])[1]
    assert not dev_client.exists("//out/t")


def test_a_map_over_an_empty_table_logs_that_no_job_ran(dev_client, stages, tmp_path):
    """No job runs over inputs without rows, as on a cluster: the operation's line in
    .dev/operation.log says jobs=0, not the job_count configured (it said jobs=3)."""
    dev_client.write_table("//in/t", [])
    spec, marks = _spec(stages, tmp_path, "", jobs=3)
    launch(dev_client, spec)
    assert list(dev_client.read_table("//out/t")) == []
    assert _attempts(marks) == {}
    [done] = [line for line in (dev_client.root / "operation.log").read_text().splitlines()
              if " map flaky" in line]
    assert done.endswith(" jobs=0"), done
