"""The stderr of an operation's jobs, fetched from the cluster when it ends and kept in the
run's log of the stage (core/job_logs.py), masked. At most `JOBS_KEPT` jobs with stderr are
fetched per operation (`list_jobs(with_stderr=True)`, then `get_job_stderr`), chosen by
`kept_jobs` and written in the order they started; logs are a courtesy, so a failure to fetch
them is logged, not raised."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from yt_pipeline.job_logs import (
    PER_JOB,
    append_job_log,
    job_name,
    stage_log,
    unnumbered_job_name,
)
from yt_pipeline.masked_tails import masked_end_of
from yt_pipeline.secret_forms import all_forms

if TYPE_CHECKING:
    from yt_pipeline.operations import OperationSpec
    from yt_pipeline_prod.client import ProdClient

log = logging.getLogger("yt_pipeline.prod.operations")

JOBS_KEPT = 10


def job_secrets(client: ProdClient, spec: OperationSpec) -> list[str]:
    """What a job's output must not show: the token, and the secrets the job was given."""
    return [*client.secret_values(), *spec.secure_env.values()]


def keep_job_logs(client: ProdClient, spec: OperationSpec, operation_id: str,
                  planned: int | None = None) -> None:
    """`planned`: the operation's planned jobs, which number them as dev does (`map job 2 of
    3`), with the job's id after it: the cluster's name for it."""
    if not spec.run_id:
        return
    target = stage_log(spec.pipeline_dir, spec.run_id, spec.stage_name)
    forms = all_forms(job_secrets(client, spec))
    yt = client.yt()
    try:
        for job in kept_jobs(yt, operation_id):
            raw = yt.get_job_stderr(operation_id, str(job["id"])).read()
            tail = masked_end_of(raw, PER_JOB, forms)  # masked before it is cut
            append_job_log(target, f"{spec.name} ({spec.kind}) {_named(spec, job, planned)}",
                           tail)
    except Exception as error:  # noqa: BLE001 - the operation's outcome stands either way
        log.debug("could not keep the job logs of %s: %s", operation_id, error)


def kept_jobs(yt: Any, operation_id: str) -> list[dict[str, Any]]:
    """The jobs whose stderr is kept, in the order they started.

    Unsorted, a cluster lists jobs by their id (GetJobsComparator in
    yt/yt/ytlib/api/native/client_jobs_impl.cpp), so which jobs a limit keeps would be
    arbitrary. The failed ones come first, newest first: the last to fail is the one that
    ended the operation, and what a reader of the log looks for. The rest of the room goes to
    the others in the order they started: the first jobs of an operation show what every job
    went through (its set-up, its first rows), the later ones mostly repeat it. Both are
    asked of list_jobs by its own sort_field, sort_order and job_state, as ytsaurus-client
    sends them (list_jobs in yt/wrapper/job_commands.py)."""
    failed = _listed(yt, operation_id, job_state="failed", sort_field="finish_time",
                     sort_order="descending", limit=JOBS_KEPT)
    kept = failed[:JOBS_KEPT]
    if len(kept) < JOBS_KEPT:
        # all of them were listed: jobs of every state (an aborted job's stderr is worth a
        # look too) less the failed ones, which the limit counts
        others = _listed(yt, operation_id, sort_field="start_time", sort_order="ascending",
                         limit=JOBS_KEPT + len(failed))
        kept += [job for job in others if job.get("state") != "failed"][:JOBS_KEPT - len(kept)]
    return sorted(kept, key=lambda job: (str(job.get("start_time") or ""), _id_key(job)))


def _listed(yt: Any, operation_id: str, **asked: Any) -> list[dict[str, Any]]:
    listed = yt.list_jobs(operation_id, with_stderr=True, **asked)
    return [job for job in listed.get("jobs") or [] if isinstance(job, dict)]


def _id_key(job: dict[str, Any]) -> tuple[int, ...]:
    """A job's id as the cluster orders them (a GUID's parts as numbers), for jobs that
    started at one instant."""
    try:
        return tuple(int(part, 16) for part in str(job.get("id")).split("-"))
    except ValueError:
        return ()


def _named(spec: OperationSpec, job: dict[str, Any], planned: int | None) -> str:
    from yt_pipeline_prod.failed_jobs import ONE_PHASE, phase_of

    cookie, state = job.get("job_cookie"), job.get("state", "")
    phase = phase_of(str(job.get("type") or spec.kind))
    if not isinstance(cookie, int):  # a cluster too old to report it: named as an error does
        return unnumbered_job_name(phase, str(job["id"]), state)
    name = job_name(phase, cookie, planned if spec.kind in ONE_PHASE else None)
    return f"{name} (job {job['id']}{', ' + state if state else ''})"
