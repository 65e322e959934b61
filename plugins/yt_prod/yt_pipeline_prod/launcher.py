"""Start a YT operation for an OperationSpec, wait for it, and explain a failure.

A failed operation raises OperationFailed worded as in dev (failed_jobs.py): the job that
failed it and the end of its stderr, with the operation's id and URL.

The operation runs inside a transaction of its own, committed only once it has completed:
whatever stops the run first (a failed job, a proxy that no longer answers, a
start request answered too late to be seen), its output tables stay as they were, and an
output table that did not exist is not left behind empty.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from yt_pipeline import job_statistics, op_progress
from yt_pipeline.attachments import check_job_file_names, is_cypress_path, local_file
from yt_pipeline.errors import BackendError, OperationFailed
from yt_pipeline.job_logs import logs_command
from yt_pipeline.job_shadowing import warn_shadowing
from yt_pipeline.job_syntax import warn_newer_syntax
from yt_pipeline.logs import stage_logger
from yt_pipeline.op_progress import OperationProgress
from yt_pipeline.operations import OperationResult, check_spec
from yt_pipeline.packaging import ARCHIVE_NAME
from yt_pipeline_prod import op_spec, reduce_inputs
from yt_pipeline_prod.client import create_folder_of
from yt_pipeline_prod.failed_jobs import failed_job, failure_message, planned_jobs
from yt_pipeline_prod.failures import scrub, translated
from yt_pipeline_prod.job_logs import job_secrets, keep_job_logs
from yt_pipeline_prod.op_statistics import read_statistics
from yt_pipeline_prod.pool_trees import check_pool_trees
from yt_pipeline_prod.upload import (
    ensure_checkpoint_uploaded,
    ensure_file_uploaded,
    ensure_uploaded,
)

if TYPE_CHECKING:
    from yt_pipeline.operations import OperationSpec
    from yt_pipeline_prod.client import ProdClient

log = logging.getLogger("yt_pipeline.prod.operations")

FINISHED_BADLY = ("failed", "aborted")
#: max_failed_job_count when the spec gives none (yt/yt/ytlib/scheduler/config.cpp)
DEFAULT_MAX_FAILED_JOBS = 10


def _prepare_outputs(client: ProdClient, spec: OperationSpec) -> None:
    """Output tables are created in the operation's transaction (a failed operation leaves
    no new empty table behind), their folders outside it (see `create_folder_of`)."""
    yt = client.yt()
    for path in spec.output_tables:
        with translated(client, "create output table", path):
            create_folder_of(yt, path)
            if spec.append:
                client.create_shared(path)
            yt.create("table", path, ignore_existing=True)


def _prepare_stderr_table(client: ProdClient, spec: OperationSpec) -> None:
    """spec.stderr_table_path must name a table when the operation starts; the cluster
    writes it in a transaction of its own and keeps it when the operation fails, so it is
    created outside every transaction, as ytsaurus-client creates it
    (_prepare_stderr_table in yt/wrapper/run_operation_commands.py)."""
    from yt_pipeline_prod.stage_txn import outside_transaction

    path = spec.extra_spec.get("stderr_table_path")
    if path is None or spec.kind == "sort":
        return
    yt = client.yt()
    with translated(client, "create stderr table", str(path)):
        create_folder_of(yt, str(path))
        with outside_transaction(yt):
            yt.create("table", path, ignore_existing=True)


def operation_url(client: ProdClient, operation_id: str) -> str | None:
    try:
        from yt.wrapper.operation_commands import get_operation_url

        return get_operation_url(operation_id, client=client.yt())
    except Exception:  # noqa: BLE001 - a URL is a courtesy; the id is what matters
        return None


def refuse_when_closed(client: ProdClient, what: str) -> None:
    """Raise once the run's client is closed (`ProdClient.close`: Ctrl-C, SIGTERM, the run
    ended) while a stage thread goes on: an operation started now would run in a
    transaction that close() has aborted or soon aborts, and nobody would stop it (YQL
    queries are refused the same way, yql._run)."""
    if client.closed.is_set():
        raise BackendError(f"the run has ended: {what} was not started")


def start(client: ProdClient, kind: str, body: dict[str, Any],
          stop: Callable[[str], object] | None = None, what: str | None = None) -> str:
    """Start the operation and enter it in `client.running` (how `stop` stops it), both
    under `client.starting`: close() either comes first, and nothing is started, or finds
    the operation there and stops it."""
    from yt.wrapper.driver import make_formatted_request

    with client.starting:
        refuse_when_closed(client, what or f"a {kind} operation")
        with translated(client, f"start {kind} operation"):
            result = make_formatted_request("start_operation",
                                            {"operation_type": kind, "spec": body},
                                            format=None, client=client.yt())
        operation_id = str(result["operation_id"] if isinstance(result, dict) else result)
        if stop is not None:
            client.running[operation_id] = lambda: stop(operation_id)
    return operation_id


def wait(client: ProdClient, spec: OperationSpec, kind: str, operation_id: str,
         transaction_alive: Callable[[], bool] = lambda: True) -> dict[str, Any]:
    # No deadline of our own: resources.timeout_s is each job's limit, which the cluster
    # enforces (op_spec.user_job sends it as job_time_limit), as dev does; aborting the
    # whole operation after it would also stop one whose jobs each keep within it (many
    # jobs one after another, a wait in the pool's queue). A limit on the whole operation
    # is the spec's `time_limit`, which the scheduler enforces too.
    yt = client.yt()
    failed_seen = [0]
    try:
        while True:
            with translated(client, f"wait for {kind} operation {operation_id}"):
                info = dict(yt.get_operation(operation_id,
                                             attributes=["state", "result", "brief_progress"]))
            report_progress(spec, kind, info.get("brief_progress"))
            warn_failed_jobs(spec, info.get("brief_progress"), failed_seen)
            state = str(info.get("state"))
            if state == "completed" or state in FINISHED_BADLY:
                return info
            if not transaction_alive():
                # its transaction was not pinged in time: YT ends it, and the operation with
                # it, so the outputs could not be committed anyway
                _abort(client, operation_id)
                info["state"] = "aborted"
                info["result"] = {"error": {"message": "its transaction could not be pinged "
                                                      "(the proxy stopped answering)"}}
                return info
            time.sleep(client.settings.poll_interval_s)
    except BaseException:
        # Ctrl-C, or a proxy that stopped answering: the run ends here, so the operation
        # must not go on (its transaction is aborted too, which also stops it).
        _abort(client, operation_id)
        raise


def report_progress(spec: OperationSpec, kind: str, brief: Any) -> None:
    """Jobs done of planned, from the operation's brief progress (`completed` is a count, or
    in current versions a mapping with its `total`)."""
    jobs = (brief or {}).get("jobs") if isinstance(brief, dict) else None
    if not isinstance(jobs, dict) or not op_progress.listening():
        return
    completed = jobs.get("completed", 0)
    if isinstance(completed, dict):
        completed = completed.get("total", 0)
    total = int(jobs.get("total") or 0)
    if total:
        op_progress.report(OperationProgress(spec.stage_name, spec.name, kind,
                                             int(completed or 0), total))


def warn_failed_jobs(spec: OperationSpec, brief: Any, seen: list[int]) -> None:
    """A warning each time the operation's failed jobs grow, as dev warns of each rerun: the
    cluster runs them again until max_failed_job_count, and a job failing every time would
    otherwise show nothing until the operation fails. `seen` holds the count last told."""
    jobs = (brief or {}).get("jobs") if isinstance(brief, dict) else None
    failed = jobs.get("failed") if isinstance(jobs, dict) else None
    if isinstance(failed, dict):  # some versions give a mapping with its total
        failed = failed.get("total")
    if not isinstance(failed, int) or failed <= seen[0]:
        return
    seen[0] = failed
    limit = _failed_jobs_limit(spec)
    if failed >= max(limit, 1):
        # the limit is reached: the cluster fails the operation rather than run the job
        # again, and the error that follows says so (dev's last failure warns nothing either)
        return
    stage_logger(spec.stage_name).warning(
        "operation %s: %d failed job(s) so far, run again by the cluster until "
        "max_failed_job_count %d", spec.name, failed, limit)


def _abort(client: ProdClient, operation_id: str) -> None:
    # Straight to abort_operation: the client's own abort_operation first asks for the
    # state with up to a hundred retries, which hangs when get_operation is what fails.
    from yt.wrapper.driver import make_request

    try:
        make_request("abort_operation", {"operation_id": operation_id}, client=client.yt())
    except Exception as error:  # noqa: BLE001 - best effort on the way out
        log.warning("could not abort operation %s: %s", operation_id, type(error).__name__)


def _stop(client: ProdClient, operation_id: str, transaction: Any) -> None:
    _abort(client, operation_id)
    try:
        transaction.abort()
    except Exception as error:  # noqa: BLE001 - best effort on the way out
        gone = getattr(error, "is_no_such_transaction", None)
        if callable(gone) and gone():
            # nested in the stage's transaction, which the run's end may have aborted
            # first, taking this one with it: nothing is left to abort
            return
        log.warning("could not abort the transaction of operation %s: %s", operation_id,
                    type(error).__name__)


@contextmanager
def operation_transaction(client: ProdClient, what: str) -> Iterator[Any]:
    """Calls in the block run in a new transaction, committed if the block ends well and
    aborted otherwise. A failed abort is logged, not raised: the error that caused it is
    the one to report (and an unpinged transaction ends by itself)."""
    from yt_pipeline_prod.stage_txn import start_transaction

    yt = client.yt()
    with translated(client, f"start the transaction of {what}"):
        # wait() notices a dead pinger and fails this stage (start_transaction)
        transaction = start_transaction(yt, f"yt-pipeline {what}")
    try:
        # Only makes the block's calls carry the transaction id; committing and aborting
        # stay here, so that a failing abort cannot hide the error that led to it.
        with yt.Transaction(transaction_id=transaction.transaction_id, ping=False,
                            acquire=False):
            yield transaction
    except BaseException:
        try:
            transaction.abort()
        except Exception as error:  # noqa: BLE001 - best effort on the way out
            log.warning("could not abort transaction %s of %s: %s",
                        transaction.transaction_id, what, type(error).__name__)
        raise
    with translated(client, f"commit {what}"):
        transaction.commit()


def _run(client: ProdClient, spec: OperationSpec, kind: str, body: dict[str, Any],
         transaction: Any) -> tuple[str, str | None]:
    """Start one operation in the transaction and wait for it; OperationFailed unless it
    completes."""
    operation_id = start(client, kind, body, lambda started: _stop(client, started, transaction),
                         _what(spec))
    url = operation_url(client, operation_id)
    log.info("[%s] %s operation %s started: %s", spec.stage_name, kind, operation_id,
             url or operation_id)
    try:
        info = wait(client, spec, kind, operation_id,
                    lambda: transaction.is_pinger_alive() and client.transaction_alive())
    finally:
        client.running.pop(operation_id, None)
    keep_job_logs(client, spec, operation_id, planned_jobs(info.get("brief_progress")))
    state = str(info.get("state"))
    if state != "completed":
        raise _failure(client, spec, kind, operation_id, url, info)
    return operation_id, url


def _failed_jobs_limit(spec: OperationSpec) -> int:
    given = spec.max_failed_job_count
    return DEFAULT_MAX_FAILED_JOBS if given is None else given


def _failure(client: ProdClient, spec: OperationSpec, kind: str, operation_id: str,
             url: str | None, info: dict[str, Any]) -> OperationFailed:
    """The operation's error worded as dev words it (failed_jobs.py): the job that failed
    it, its exit code, the end of its stderr, where all job logs are; and the cluster's
    own facts, the operation's id and URL."""
    state = str(info.get("state"))
    error = (info.get("result") or {}).get("error") or {}
    brief = info.get("brief_progress")
    job = failed_job(client, kind, operation_id, brief, job_secrets(client, spec))
    message = failure_message(kind, state, error, job, brief, _failed_jobs_limit(spec),
                              client.secret_values())
    return OperationFailed(
        scrub(message, client.secret_values()),
        stage=spec.stage_name, operation=spec.name, operation_id=operation_id, url=url,
        exit_code=job.exit_code if job else None,
        stderr_tail=job.stderr_tail if job else "", kind=spec.kind,
        job_logs=logs_command(spec.stage_name) if spec.run_id else None,
    )


def _what(spec: OperationSpec) -> str:
    return f"operation {spec.name} of stage {spec.stage_name}"


def launch(client: ProdClient, spec: OperationSpec) -> OperationResult:
    started = time.perf_counter()
    # before any request: no upload, no output table, no transaction for a run that ended
    refuse_when_closed(client, _what(spec))
    check_spec(spec)  # before an output table is created or marked written
    check_pool_trees(client, spec)  # before anything is uploaded
    client.wrote(*spec.output_tables)
    client.wrote_tables(*spec.output_tables)
    archive = None
    if spec.kind != "sort":
        warn_newer_syntax(spec)
        warn_shadowing(spec)
        op_spec.wrapper_for(spec, spec.script or spec.mapper or spec.reducer or "")
        check_job_file_names(spec, ARCHIVE_NAME)
        archive = ensure_uploaded(client, spec.code_package)  # type: ignore[arg-type]
        for item in spec.file_paths:
            if not is_cypress_path(item):  # the same config as in dev: a local file
                local = local_file(spec, item)
                spec.uploaded_files[item] = (ensure_file_uploaded(client, local), local.name)
        for checkpoint in spec.checkpoints:
            spec.uploaded_checkpoints[checkpoint.name] = ensure_checkpoint_uploaded(
                client, checkpoint)
    _prepare_stderr_table(client, spec)
    with operation_transaction(client, f"{spec.stage_name}/{spec.name}") as transaction:
        _prepare_outputs(client, spec)
        sorts: list[OperationSpec] = []
        unsorted = reduce_inputs.unsorted_inputs(client, spec) if spec.kind == "reduce" else []
        if unsorted and len(spec.input_tables) > 1:
            sorts, spec = reduce_inputs.sort_specs(client, spec, unsorted)
            unsorted = []
        for sort in sorts:
            _run(client, sort, *op_spec.build(sort, None, False), transaction)
        kind, body = op_spec.build(spec, archive, sorted_inputs=not unsorted)
        operation_id, url = _run(client, spec, kind, body, transaction)
        reduce_inputs.remove_temporaries(client, sorts)
    # a sort runs no user job: it has no custom statistics to ask for
    statistics = {} if spec.kind == "sort" else read_statistics(client, operation_id)
    shown = job_statistics.shown(statistics)
    if shown:
        log.info("[%s] %s operation %s statistics: %s", spec.stage_name, kind, operation_id,
                 shown)
    return OperationResult(operation_id=operation_id, url=url,
                           duration_s=time.perf_counter() - started,
                           statistics=job_statistics.as_result(statistics))
