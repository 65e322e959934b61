"""Fake operations that really run: start_operation, get_operation, list_jobs, get_job_stderr.

Each operation runs in a background thread: input rows are read when it starts, jobs run
one after another as local processes (see jobs.py), a failed job is run again until the
operation's max_failed_job_count is reached, and the output tables change only when every
job has succeeded.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from yt_pipeline_prod.fake.cypress import new_id, split_path
from yt_pipeline_prod.fake.cypress_commands import transaction_of
from yt_pipeline_prod.fake.job_plans import plan_jobs, sort_rows
from yt_pipeline_prod.fake.jobs import JobResult, job_environment, run_job
from yt_pipeline_prod.fake.protocol import (
    NO_SUCH_OPERATION,
    Request,
    YtFakeError,
    path_attributes,
    plain,
)
from yt_pipeline_prod.fake.tables import select_rows

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.state import FakeState

TYPES = ("map", "reduce", "map_reduce", "sort", "vanilla")
DEFAULT_MAX_FAILED_JOBS = 10


@dataclass
class FakeOperation:
    id: str
    type: str
    spec: Any
    tx: str | None
    state: str = "pending"
    error: dict[str, Any] | None = None
    jobs: list[JobResult] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    finished: float | None = None
    aborted: bool = False


class OperationError(Exception):
    def __init__(self, message: str, inner: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.error = {"code": 1, "message": message, "attributes": {},
                      "inner_errors": inner or []}


def _paths(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


class OperationRunner:
    def __init__(self, state: FakeState, op: FakeOperation):
        self.state = state
        self.op = op
        self.cypress = state.cypress
        limit = op.spec.get("max_failed_job_count")
        self.max_failed = int(limit) if limit is not None else DEFAULT_MAX_FAILED_JOBS

    def run(self) -> None:
        op = self.op
        op.state = "running"
        try:
            outputs = self._outputs()
            produced = self._execute()
            if op.aborted:
                raise OperationError("Operation aborted")
            self._commit(outputs, produced)
            op.state = "completed"
        except OperationError as failure:
            op.state = "aborted" if op.aborted else "failed"
            op.error = failure.error
        except YtFakeError as failure:
            op.state = "failed"
            op.error = {"code": 1, "message": "Operation has failed to prepare",
                        "attributes": {}, "inner_errors": [failure.to_dict()]}
        finally:
            op.finished = time.time()

    # -- inputs and files -------------------------------------------------------------
    def _read(self, paths: list[Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for item in paths:
            text, attributes = path_attributes(item)
            path = self.cypress.resolve(split_path(text)[0], self.op.tx)
            node = self.cypress.get_node(path, self.op.tx)
            rows.extend(select_rows(list(node.rows), attributes))
        return rows

    def _files(self, user_job: dict[str, Any]) -> dict[str, bytes]:
        files = {}
        for item in _paths(user_job.get("file_paths")):
            text, attributes = path_attributes(item)
            path = self.cypress.resolve(split_path(text)[0], self.op.tx)
            node = self.cypress.get_node(path, self.op.tx)
            files[str(attributes.get("file_name") or path.rsplit("/", 1)[-1])] = node.data
        return files

    def _outputs(self) -> list[tuple[str, dict[str, Any]]]:
        spec = self.op.spec
        found = []
        for item in _paths(spec.get("output_table_paths")) + _paths(spec.get("output_table_path")):
            text, attributes = path_attributes(item)
            path = self.cypress.resolve(split_path(text)[0], self.op.tx)
            node = self.cypress.get_node(path, self.op.tx)
            if node.type != "table":
                raise YtFakeError(f"{path} is a {node.type}, not a table")
            found.append((path, attributes))
        return found

    # -- jobs ---------------------------------------------------------------------------
    def _execute(self) -> dict[int, list[dict[str, Any]]]:
        spec, kind = self.op.spec, self.op.type
        if kind == "vanilla":
            for task_name, task in (spec.get("tasks") or {}).items():
                for _ in range(int(task.get("job_count") or 1)):
                    self._job("vanilla", task, None, task=str(task_name))
            return {}
        rows = self._read(_paths(spec.get("input_table_paths")))
        if kind == "sort":
            return {0: sort_rows(rows, [str(c) for c in spec.get("sort_by") or []])}
        if kind == "map_reduce":
            if spec.get("mapper") is not None:  # without a mapper, rows go straight on
                intermediate: list[dict[str, Any]] = []
                for chunk in plan_jobs("map", rows, spec, spec.get("map_job_count")):
                    intermediate.extend(self._job("map", spec["mapper"], chunk).get(0, []))
                rows = intermediate
            kind = "reduce"
            job_spec = spec["reducer"]
            count = spec.get("partition_count") or spec.get("reduce_job_count")
        else:
            job_spec = spec["mapper" if kind == "map" else "reducer"]
            count = spec.get("job_count")
        produced: dict[int, list[dict[str, Any]]] = {}
        for chunk in plan_jobs(kind, rows, spec, count):
            for index, out in self._job(kind, job_spec, chunk).items():
                produced.setdefault(index, []).extend(out)
        return produced

    def _job(self, job_type: str, user_job: dict[str, Any], rows: list[dict[str, Any]] | None,
             task: str = "") -> dict[int, list[dict[str, Any]]]:
        files = self._files(user_job)
        vault = plain(self.op.spec.get("secure_vault")) or {}
        while True:
            if self.op.aborted:
                raise OperationError("Operation aborted")
            if self.op.tx and self.op.tx not in self.cypress.transactions:
                # YT aborts the operations of a transaction that ends
                self.op.aborted = True
                raise OperationError(f"Transaction {self.op.tx} of the operation has ended")
            job_id = new_id()
            ids = {"YT_OPERATION_ID": self.op.id, "YT_JOB_ID": job_id,
                   "YT_JOB_INDEX": str(len(self.op.jobs)), "YT_JOB_COOKIE": "0"}
            if task:
                ids["YT_TASK_NAME"] = task
            env = job_environment(self.state.python_bin(), self.state.job_env, user_job, vault,
                                  ids)
            result = run_job(job_id, job_type, user_job, files, rows, env,
                             self.state.job_timeout_s)
            self.op.jobs.append(result)
            if not result.failed:
                return result.outputs
            failed = sum(1 for job in self.op.jobs if job.failed)
            if failed >= self.max_failed:
                job_error = {"code": 1205, "message": result.error, "attributes": {},
                             "inner_errors": []}
                raise OperationError("Failed jobs limit exceeded", [job_error])

    def _commit(self, outputs: list[tuple[str, dict[str, Any]]],
                produced: dict[int, list[dict[str, Any]]]) -> None:
        with self.cypress.lock:
            if self.op.tx and self.op.tx not in self.cypress.transactions:
                raise OperationError(f"Transaction {self.op.tx} of the operation has ended")
            sort_by = [str(c) for c in self.op.spec.get("sort_by") or []]
            for index, (path, attributes) in enumerate(outputs):
                node = self.cypress.mutable(path, self.op.tx)
                rows = produced.get(index, [])
                node.rows = node.rows + rows if attributes.get("append") else rows
                if self.op.type == "sort":
                    node.attributes["sorted_by"] = sort_by
                elif attributes.get("sorted_by"):
                    node.attributes["sorted_by"] = [str(c) for c in attributes["sorted_by"]]
                else:
                    node.attributes.pop("sorted_by", None)


def _operation(state: FakeState, request: Request) -> FakeOperation:
    op_id = str(request.param("operation_id") or request.param("operation_alias") or "")
    op = state.operations.get(op_id)
    if op is None:
        raise YtFakeError(f"No such operation {op_id}", code=NO_SUCH_OPERATION)
    return op


def cmd_start_operation(state: FakeState, request: Request) -> Any:
    kind = str(request.param("operation_type"))
    if kind not in TYPES:
        raise YtFakeError(f"the fake proxy does not run {kind} operations")
    spec = request.param("spec") or {}
    tx = transaction_of(request)
    if tx:
        state.cypress.transaction(tx)  # a start that arrives after its transaction ended
    op = FakeOperation(new_id(), kind, spec, tx)
    with state.lock:
        state.specs.append({"operation_type": kind, **(plain(spec) or {})})
        state.operations[op.id] = op
    threading.Thread(target=OperationRunner(state, op).run, name=f"fake-op-{op.id}",
                     daemon=True).start()
    return {"operation_id": op.id}


def _describe(op: FakeOperation) -> dict[str, Any]:
    failed = sum(1 for job in op.jobs if job.failed)
    spec = {k: v for k, v in (plain(op.spec) or {}).items() if k != "secure_vault"}
    info: dict[str, Any] = {
        "id": op.id, "type": op.type, "operation_type": op.type, "state": op.state,
        "authenticated_user": "root", "spec": spec,
        "start_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(op.started)),
        "brief_progress": {"jobs": {"total": len(op.jobs), "failed": failed,
                                    "completed": len(op.jobs) - failed, "running": 0}},
        "result": {"error": op.error} if op.error else {},
    }
    if op.finished:
        info["finish_time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(op.finished))
    return info


def cmd_get_operation(state: FakeState, request: Request) -> Any:
    info = _describe(_operation(state, request))
    wanted = request.param("attributes")
    if wanted:
        info = {k: v for k, v in info.items() if k in {str(a) for a in wanted}}
    return info


def cmd_abort_operation(state: FakeState, request: Request) -> None:
    _operation(state, request).aborted = True


def cmd_list_jobs(state: FakeState, request: Request) -> Any:
    op = _operation(state, request)
    wanted_state = request.param("job_state")
    jobs = []
    for job in op.jobs:
        job_state = "failed" if job.failed else "completed"
        if wanted_state and str(wanted_state) != job_state:
            continue
        record = {"id": job.id, "type": job.type, "state": job_state, "address": "localhost",
                  "stderr_size": len(job.stderr)}
        if job.failed:
            record["error"] = {"code": 1205, "message": job.error, "attributes": {},
                               "inner_errors": []}
        jobs.append(record)
    limit = request.param("limit")
    if limit is not None:
        jobs = jobs[: int(limit)]
    counts = {"failed": sum(1 for j in op.jobs if j.failed)}
    counts["completed"] = len(op.jobs) - counts["failed"]
    return {"jobs": jobs, "state_counts": counts, "type_counts": {},
            "controller_agent_job_count": 0, "archive_job_count": len(op.jobs)}


def cmd_get_job_stderr(state: FakeState, request: Request) -> tuple[bytes, dict[str, Any]]:
    op = _operation(state, request)
    job_id = str(request.param("job_id"))
    for job in op.jobs:
        if job.id == job_id:
            return job.stderr, {}
    raise YtFakeError(f"No such job {job_id}", code=1916)


HANDLERS = {
    "start_operation": cmd_start_operation, "get_operation": cmd_get_operation,
    "abort_operation": cmd_abort_operation, "list_jobs": cmd_list_jobs,
    "get_job_stderr": cmd_get_job_stderr,
}
