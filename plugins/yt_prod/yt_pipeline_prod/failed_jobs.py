"""The job that failed an operation on the cluster, told as dev tells it: `map job 2 of 3
failed (exit code 1)`, then the last lines of its stderr, masked.

The job is found with list_jobs (failed ones; the last to finish is the one that failed the
operation), numbered by its `job_cookie` (its index within its task, which list_jobs reports:
TJob's Serialize in yt/yt/client/api/operation_client.cpp) out of the operation's planned
jobs (brief_progress), and its exit code is the `exit_code` attribute somewhere in its error
("Process exited with code N", yt/yt/library/process/process.cpp).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from yt_pipeline.job_logs import job_name, unnumbered_job_name
from yt_pipeline.masked_tails import last_lines, masked_end_of
from yt_pipeline.secret_forms import all_forms
from yt_pipeline_prod.failures import lock_winner, scrub, summary

if TYPE_CHECKING:
    from yt_pipeline_prod.client import ProdClient

log = logging.getLogger("yt_pipeline.prod.operations")

#: failed jobs asked for: with max_failed_job_count 10 (the default), all of them
LISTED = 100
#: pages of LISTED failed jobs read to count a job's runs when more failed than LISTED;
#: past them the attempt is told as a lower bound (`attempt ≥ N`)
PAGES = 10
STDERR_LINES = 30
#: how much of the end of a failed job's stderr those lines are taken from
STDERR_BYTES = 16 * 1024
#: what the scheduler says when too many jobs failed (as dev's job_attempts.LIMIT_TEXT)
LIMIT_TEXT = "Failed jobs limit exceeded"
#: operation kinds whose jobs are all of one phase: their planned jobs number them
ONE_PHASE = ("map", "reduce", "join_reduce", "vanilla")


@dataclass
class FailedJob:
    name: str
    #: `failed`, or `killed by signal N`
    reason: str
    exit_code: int | None
    stderr_tail: str
    #: which run of the job it was: the cluster runs a failed job again, with its cookie
    attempt: int = 1
    #: the failed runs were not all counted: `attempt` is a lower bound
    attempt_cut: bool = False
    #: what the job's error says when it did not just exit (a limit, a bad row)
    detail: str = ""

    def told(self) -> str:
        """`map job 2 of 3 failed on its attempt 2: Job time limit exceeded`, as dev says it."""
        text = f"{self.name} {self.reason}"
        if self.attempt_cut:
            text += f" on its attempt ≥ {self.attempt}"
        elif self.attempt > 1:
            text += f" on its attempt {self.attempt}"
        return f"{text}: {self.detail}" if self.detail else text


def phase_of(job_type: str) -> str:
    """The phase dev names a job by, from a cluster's job type (partition_map, sorted_reduce,
    reduce_combiner...)."""
    if job_type == "vanilla":
        return "vanilla"
    return "reduce" if "reduce" in job_type else "map" if "map" in job_type else job_type


def _attribute(error: Any, key: str, depth: int = 0) -> Any:
    """`key` of the error's attributes or its inner errors', outermost first."""
    if not isinstance(error, dict) or depth > 4:
        return None
    value = (error.get("attributes") or {}).get(key)
    if value is not None:
        return value
    for inner in error.get("inner_errors") or []:
        value = _attribute(inner, key, depth + 1)
        if value is not None:
            return value
    return None


def _task_of(job: dict[str, Any]) -> str:
    """The task a job is of: a cookie numbers the jobs of one task only, so a map_reduce's
    partition_map job 0 and its reduce job 0 are two jobs (list_jobs gives `task_name`,
    and a job's `type` where it does not)."""
    return str(job.get("task_name") or job.get("type") or "")


def planned_jobs(brief: Any) -> int | None:
    jobs = brief.get("jobs") if isinstance(brief, dict) else None
    total = jobs.get("total") if isinstance(jobs, dict) else None
    return int(total) if isinstance(total, int) and total > 0 else None


def failed_count(brief: Any) -> int | None:
    jobs = brief.get("jobs") if isinstance(brief, dict) else None
    failed = jobs.get("failed") if isinstance(jobs, dict) else None
    if isinstance(failed, dict):  # some versions give a mapping with its total
        failed = failed.get("total")
    return failed if isinstance(failed, int) else None


def failed_job(client: ProdClient, kind: str, operation_id: str, brief: Any,
               secrets: list[str]) -> FailedJob | None:
    """The job that failed the operation, or None when the cluster cannot tell (no failed
    job: the operation failed otherwise, or list_jobs failed)."""
    yt = client.yt()
    try:
        # newest first: unsorted, a cluster lists jobs by id (GetJobsComparator in
        # yt/yt/ytlib/api/native/client_jobs_impl.cpp), and past LISTED failed jobs the
        # first ones by id need not hold the last to fail
        listed = yt.list_jobs(operation_id, job_state="failed", sort_field="finish_time",
                              sort_order="descending", limit=LISTED)
        jobs = [job for job in listed.get("jobs") or [] if isinstance(job, dict)]
        if not jobs:
            return None
        # the last to finish failed the operation (an older cluster may not sort)
        job = max(enumerate(jobs), key=lambda item: (str(item[1].get("finish_time", "")),
                                                     item[0]))[1]
        raw = yt.get_job_stderr(operation_id, str(job["id"])).read()
    except Exception as problem:  # noqa: BLE001 - the operation's error stands without it
        log.debug("could not find the failed job of %s: %s", operation_id, problem)
        return None
    cookie = job.get("job_cookie")
    phase = phase_of(str(job.get("type") or kind))
    if isinstance(cookie, int):
        total = planned_jobs(brief) if kind in ONE_PHASE else None
        name = job_name(phase, cookie, total)
    else:  # a cluster too old to report it: the job's id names it
        name = unnumbered_job_name(phase, str(job["id"]))
    error = job.get("error") or {}
    exit_code = _attribute(error, "exit_code")
    signal = _attribute(error, "signal")
    reason, detail = "failed", ""
    if not isinstance(exit_code, int):
        exit_code = None
        if isinstance(signal, int):
            reason = f"killed by signal {signal}"
        elif error:
            detail = summary(error, secrets)
    attempt, cut = _attempt(yt, operation_id, job, jobs)
    # masked before it is cut to its last lines (masked_tails): a secret holding line
    # breaks, or starting before the cut, is masked whole
    forms = all_forms(secrets)
    tail = last_lines(masked_end_of(raw, STDERR_BYTES, forms).decode("utf-8", "replace"),
                      STDERR_LINES)
    return FailedJob(scrub(name, secrets), reason, exit_code, scrub(tail, secrets),
                     attempt, cut, scrub(detail, secrets))


def _attempt(yt: Any, operation_id: str, job: dict[str, Any],
             listed: list[dict[str, Any]]) -> tuple[int, bool]:
    """Which run of its job `job` was: the failed runs of its cookie within its task, and
    whether that count is cut (a lower bound). Fewer than LISTED failed jobs listed are all
    of them; past that, list_jobs has no filter by cookie or task, but its job_type narrows
    the failed jobs to the job's own phase, and its offset pages through them (list_jobs in
    yt/wrapper/job_commands.py sends both), PAGES pages at most."""
    cookie = job.get("job_cookie")
    if not isinstance(cookie, int):
        return 1, False

    def runs(jobs: list[Any]) -> int:
        return sum(1 for other in jobs if isinstance(other, dict)
                   and other.get("job_cookie") == cookie and _task_of(other) == _task_of(job))

    if len(listed) < LISTED:
        return runs(listed), False
    count = 0
    try:
        for page in range(PAGES):
            jobs = yt.list_jobs(operation_id, job_state="failed", job_type=job.get("type"),
                                sort_field="finish_time", sort_order="descending",
                                limit=LISTED, offset=page * LISTED).get("jobs") or []
            count += runs(jobs)
            if len(jobs) < LISTED:
                return count, False
    except Exception as problem:  # noqa: BLE001 - the first listing's count still holds
        log.debug("could not count the failed runs of job %s: %s", job.get("id"), problem)
        return max(count, runs(listed)), True
    return count, True


def failure_message(kind: str, state: str, error: Any, job: FailedJob | None,
                    brief: Any, limit: int, secrets: list[str]) -> str:
    """The operation's error as dev words it when a failed job ended it:
    `Failed jobs limit exceeded (1 failed job, max_failed_job_count 1): map job 2 of 3
    failed`; the cluster's own words otherwise."""
    reason = summary(error, secrets) if error else f"operation {state}"
    winner = lock_winner(error) if error else None
    if winner:  # an output locked by another stage: name it, as dev does
        reason = f"{reason} ({winner})"
    if job is None or not reason.startswith(LIMIT_TEXT):
        return f"{kind} operation {state}: {reason}"
    count = failed_count(brief)
    if count is None:
        return f"{LIMIT_TEXT} (max_failed_job_count {limit}): {job.told()}"
    jobs = "1 failed job" if count == 1 else f"{count} failed jobs"
    return f"{LIMIT_TEXT} ({jobs}, max_failed_job_count {limit}): {job.told()}"
