"""The stderr of an operation's jobs, fetched from the cluster when it ends and kept in the
run's log of the stage (core/job_logs.py), masked. At most `JOBS_KEPT` jobs with stderr are
fetched per operation, failed ones first (`list_jobs(with_stderr=True)`, then
`get_job_stderr`); logs are a courtesy, so a failure to fetch them is logged, not raised."""

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
        found: list[dict[str, Any]] = []
        for state in ("failed", None):
            listed = yt.list_jobs(operation_id, job_state=state, with_stderr=True,
                                  limit=JOBS_KEPT)
            found += [j for j in listed.get("jobs") or [] if j not in found]
        for job in found[:JOBS_KEPT]:
            raw = yt.get_job_stderr(operation_id, str(job["id"])).read()
            tail = masked_end_of(raw, PER_JOB, forms)  # masked before it is cut
            append_job_log(target, f"{spec.name} ({spec.kind}) {_named(spec, job, planned)}",
                           tail)
    except Exception as error:  # noqa: BLE001 - the operation's outcome stands either way
        log.debug("could not keep the job logs of %s: %s", operation_id, error)


def _named(spec: OperationSpec, job: dict[str, Any], planned: int | None) -> str:
    from yt_pipeline_prod.failed_jobs import ONE_PHASE, phase_of

    cookie, state = job.get("job_cookie"), job.get("state", "")
    phase = phase_of(str(job.get("type") or spec.kind))
    if not isinstance(cookie, int):  # a cluster too old to report it: named as an error does
        return unnumbered_job_name(phase, str(job["id"]), state)
    name = job_name(phase, cookie, planned if spec.kind in ONE_PHASE else None)
    return f"{name} (job {job['id']}{', ' + state if state else ''})"
