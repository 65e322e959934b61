"""Operation commands: start_operation, get_operation, abort_operation, list_jobs and
get_job_stderr; op_runner.py runs the operations."""

from __future__ import annotations

import threading
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from yt_pipeline import job_memory
from yt_pipeline_prod.fake.cypress import new_id
from yt_pipeline_prod.fake.cypress_commands import transaction_of
from yt_pipeline_prod.fake.job_listing import instant, job_record, sorted_records
from yt_pipeline_prod.fake.op_runner import TYPES, FakeOperation, OperationRunner
from yt_pipeline_prod.fake.pool_names import check_pool, check_pool_trees
from yt_pipeline_prod.fake.progress_statistics import progress_statistics
from yt_pipeline_prod.fake.protocol import NO_SUCH_OPERATION, Request, YtFakeError, plain
from yt_pipeline_prod.fake.required_tables import check_required_tables
from yt_pipeline_prod.fake.secure_vault import check_variable_name, check_vault_names
from yt_pipeline_prod.fake.spec_lists import check_column_lists, check_output_paths
from yt_pipeline_prod.fake.spec_postprocessors import check_postprocessed
from yt_pipeline_prod.fake.stderr_limit import MAX_MAX_STDERR_SIZE

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.state import FakeState


def _operation(state: FakeState, request: Request) -> FakeOperation:
    op_id = str(request.param("operation_id") or request.param("operation_alias") or "")
    op = state.operations.get(op_id)
    if op is None:
        raise YtFakeError(f"No such operation {op_id}", code=NO_SUCH_OPERATION)
    return op


def _named_user_jobs(spec: Any) -> list[tuple[str, Any]]:
    """(where in the spec, user job) of each user job."""
    jobs = [(name, spec.get(name)) for name in ("mapper", "reducer")]
    jobs.extend((f"tasks/{name}", task) for name, task in (spec.get("tasks") or {}).items())
    return [(where, job) for where, job in jobs if isinstance(job, dict)]


def _user_jobs(spec: Any) -> list[Any]:
    return [job for _, job in _named_user_jobs(spec)]


#: the YSON type of a value as a spec carries it
YSON_TYPES = ((bool, "boolean"), (int, "int64"), (float, "double"), (dict, "map"),
              (list, "list"))


def _yson_type(value: Any) -> str:
    if value is None:
        return "entity"
    return next((name for kind, name in YSON_TYPES if isinstance(value, kind)), "string")


def check_environment_names(spec: Any) -> None:
    """Refuse a user job whose `environment` has a name of other characters than ASCII
    letters, digits and `_`, as the scheduler does when it parses the spec (the TUserJobSpec
    postprocessor in yt/yt/ytlib/scheduler/config.cpp calls ValidateEnvironmentVariableName,
    yt/yt/ytlib/controller_agent/helpers.cpp), so start_operation fails; a value that is not
    a string alike (TUserJobSpec's Environment is a THashMap<TString, TString>,
    yt/yt/ytlib/scheduler/config.h, and a TString is read from a string node only:
    Deserialize(TString&, INodePtr) in yt/yt/core/ytree/serialize.cpp calls AsString); and
    the secure vault's names alike (secure_vault.py)."""
    for where, job in _named_user_jobs(spec):
        environment = job.get("environment") or {}
        if not isinstance(environment, dict):
            raise _parse_error(f"{where}/environment", "a map", _yson_type(environment))
        for name, value in environment.items():
            if not name:
                raise YtFakeError("Only alphanumeric characters and underscore are allowed "
                                  "in environment variable names", name="")
            check_variable_name(str(name))
            if not isinstance(value, str):
                raise _parse_error(f"{where}/environment/{name}", "a string",
                                   _yson_type(value))
    check_vault_names(spec)


#: the user jobs whose `command` the spec must give, by operation type: a map's mapper, a
#: reducer and a vanilla task are TMandatoryUserJobSpec (`command` registered without a
#: default), a map_reduce's mapper and reduce_combiner TOptionalUserJobSpec (empty by
#: default: trivial), in yt/yt/ytlib/scheduler/config.h and config.cpp
MANDATORY_USER_JOBS = {"map": ("mapper",), "reduce": ("reducer",),
                       "map_reduce": ("reducer",), "vanilla": ("tasks/",)}


def check_commands(spec: Any, kind: str) -> None:
    """Refuse a mandatory user job given without its command, in the words of the YSON
    struct's loader (TYsonStructParameter::Load in yt/yt/core/ytree/
    yson_struct_detail-inl.h). A job left out of the spec altogether is not parsed, so not
    refused here (the spec registers it DefaultNew)."""
    mandatory = MANDATORY_USER_JOBS.get(kind, ())
    for where, job in _named_user_jobs(spec):
        if where.startswith(mandatory) and "command" not in job:
            raise YtFakeError("Error parsing operation spec", inner_errors=[
                YtFakeError(f"Missing required parameter /{where}/command")])


#: the bounds of max_failed_job_count in the operation spec (TOperationSpecBase in
#: yt/yt/ytlib/scheduler/config.cpp: GreaterThanOrEqual(0), LessThanOrEqual(10000))
MAX_FAILED_JOB_COUNT = 10_000


#: counts and sizes the spec parser wants above 0, by operation type (yt/yt/ytlib/scheduler/
#: config.cpp: TSimpleOperationSpecBase's job_count, max_job_count and data_weight_per_job,
#: the map and reduce specs' base; TSortOperationSpecBase's partition_count and
#: partition_data_weight, the sort and map_reduce specs' base, and their own
#: partition_job_count or map_job_count; all GreaterThan(0))
POSITIVE_KEYS = {
    "map": ("job_count", "max_job_count", "data_weight_per_job", "data_size_per_job"),
    "reduce": ("job_count", "max_job_count", "data_weight_per_job", "data_size_per_job"),
    "merge": ("job_count", "max_job_count", "data_weight_per_job", "data_size_per_job"),
    "sort": ("partition_count", "partition_data_weight", "partition_job_count",
             "data_weight_per_partition_job"),
    "map_reduce": ("partition_count", "partition_data_weight", "map_job_count",
                   "data_weight_per_map_job"),
}


def _parse_error(key: str, expected: str, found: Any) -> YtFakeError:
    return YtFakeError(f"Error parsing operation spec: /{key}: expected {expected}, "
                       f"found {found}")


#: a user job's keys read as an integer, and those read as a double (TUserJobSpec in
#: yt/yt/ytlib/scheduler/config.h: i64 memory_limit and max_stderr_size, a duration in ms,
#: int gpu_limit; a TCpuResource cpu_limit)
USER_JOB_INTEGERS = ("memory_limit", "max_stderr_size", "job_time_limit", "gpu_limit")
USER_JOB_NUMBERS = ("cpu_limit",)


def _check_number(where: str, value: Any, integer: bool) -> None:
    """An integer parameter takes an int64 or uint64 node only, a double parameter a number:
    a string ("2"), a boolean or, for an integer, a double fails the spec's parsing where
    the fake would have read it with int() and gone on."""
    if value is None:
        return
    allowed: tuple[type, ...] = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, allowed):
        raise _parse_error(where, "int64" if integer else "a double", _yson_type(value))


def check_number_types(spec: Any, kind: str) -> None:
    for key in ("max_failed_job_count", *POSITIVE_KEYS.get(kind, ())):
        _check_number(key, spec.get(key), integer=True)
    for name, task in (spec.get("tasks") or {}).items() if kind == "vanilla" else ():
        if isinstance(task, dict):
            _check_number(f"tasks/{name}/job_count", task.get("job_count"), integer=True)
    for where, job in _named_user_jobs(spec):
        for key in USER_JOB_INTEGERS:
            _check_number(f"{where}/{key}", job.get(key), integer=True)
        for key in USER_JOB_NUMBERS:
            _check_number(f"{where}/{key}", job.get(key), integer=False)


def check_spec_ranges(spec: Any, kind: str = "") -> None:
    """Refuse numbers the scheduler's spec parser refuses, as start_operation does."""
    limit = spec.get("max_failed_job_count")
    if limit is not None and not 0 <= int(limit) <= MAX_FAILED_JOB_COUNT:
        raise _parse_error("max_failed_job_count",
                           f"a value from 0 to {MAX_FAILED_JOB_COUNT}", int(limit))
    for key in POSITIVE_KEYS.get(kind, ()):
        value = spec.get(key)
        if value is not None and int(value) <= 0:
            raise _parse_error(key, "a value greater than 0", int(value))
    if kind == "vanilla":
        check_vanilla_tasks(spec.get("tasks"))


def check_vanilla_tasks(tasks: Any) -> None:
    """TVanillaOperationSpec (yt/yt/ytlib/scheduler/config.cpp): `tasks` is NonEmpty, a task
    name may not be empty ("Empty task names are not allowed"), and each TVanillaTaskSpec
    gives its job_count, 1 at least (a required parameter, GreaterThanOrEqual(1))."""
    if not isinstance(tasks, dict) or not tasks:
        raise _parse_error("tasks", "a non-empty map of tasks", tasks)
    for name, task in tasks.items():
        if not str(name):
            raise YtFakeError("Empty task names are not allowed")
        count = (task or {}).get("job_count") if isinstance(task, dict) else None
        if count is None:
            raise _parse_error(f"tasks/{name}/job_count", "a value", "none (it is required)")
        if int(count) < 1:
            raise _parse_error(f"tasks/{name}/job_count", "a value of at least 1", int(count))


#: a user job's memory_limit when the spec gives none, and its bound (TUserJobSpec in
#: yt/yt/ytlib/scheduler/config.cpp: Default(512_MB), GreaterThan(0), LessThanOrEqual(16_TB))
DEFAULT_MEMORY_LIMIT = job_memory.DEFAULT_LIMIT
MAX_MEMORY_LIMIT = 16 * 1024**4
#: a user job's job_time_limit, in ms, is 1 s at least (TUserJobSpec:
#: GreaterThanOrEqual(TDuration::Seconds(1)))
MIN_JOB_TIME_LIMIT_MS = 1000


def _inside_sandbox(path: str) -> bool:
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and ".." not in parts


def check_user_job(job: dict[str, Any]) -> None:
    """The TUserJobSpec postprocessor's checks (yt/yt/ytlib/scheduler/config.cpp): memory
    within bounds; job_time_limit, when given, 1 s (1000 ms) at least; tmpfs volumes
    inside the sandbox (relative, no `..`), together no larger than memory_limit (tmpfs_path
    alone takes memory_limit as its size), and tmpfs_path and tmpfs_size not given with
    tmpfs_volumes, no volume inside another; cpu_limit and gpu_limit not below 0."""
    given = job.get("memory_limit")
    memory = DEFAULT_MEMORY_LIMIT if given is None else int(given)
    if not 0 < memory <= MAX_MEMORY_LIMIT:
        raise YtFakeError(f"Error parsing operation spec: memory_limit {memory} is out of "
                          f"range (0, {MAX_MEMORY_LIMIT}]")
    for key in ("cpu_limit", "gpu_limit"):  # both GreaterThanOrEqual(0)
        value = job.get(key)
        if value is not None and float(value) < 0:
            raise _parse_error(key, "a value of at least 0", value)
    stderr_size = job.get("max_stderr_size")  # GreaterThan(0), LessThanOrEqual(1_GB)
    if stderr_size is not None and not 0 < int(stderr_size) <= MAX_MAX_STDERR_SIZE:
        raise YtFakeError("Error parsing operation spec: /max_stderr_size: expected a value "
                          f"in (0, {MAX_MAX_STDERR_SIZE}], found {int(stderr_size)}")
    time_limit = job.get("job_time_limit")
    if time_limit is not None and int(time_limit) < MIN_JOB_TIME_LIMIT_MS:
        raise YtFakeError("Error parsing operation spec: /job_time_limit: expected a value "
                          f"of at least {MIN_JOB_TIME_LIMIT_MS} ms, found {int(time_limit)}")
    volumes = list(job.get("tmpfs_volumes") or [])
    if volumes and (job.get("tmpfs_size") or job.get("tmpfs_path")):
        raise YtFakeError('Options "tmpfs_size" and "tmpfs_path" cannot be specified '
                          'simultaneously with "tmpfs_volumes"')
    if job.get("tmpfs_path"):
        volumes.append({"path": job["tmpfs_path"], "size": job.get("tmpfs_size") or memory})
    total = 0
    for volume in volumes:
        path = str(volume.get("path"))
        if not _inside_sandbox(path):
            raise YtFakeError(f"Tmpfs path {path} does not point inside the sandbox directory")
        total += int(volume.get("size") or 0)
    if total > memory:
        raise YtFakeError("Total size of tmpfs volumes must be less than or equal to memory "
                          "limit", tmpfs_size=total, memory_limit=memory)
    paths = [PurePosixPath(str(volume.get("path"))) for volume in volumes]
    for index, inner in enumerate(paths):
        for other_index, outer in enumerate(paths):
            # one volume inside another (or two at one path) is refused: TFsPath's
            # IsSubpathOf in the same postprocessor
            if index != other_index and (inner == outer or outer in inner.parents):
                raise YtFakeError(f'Path of tmpfs volume "{inner}" is prefix of other tmpfs '
                                  f'volume "{outer}"')


def cmd_start_operation(state: FakeState, request: Request) -> Any:
    kind = str(request.param("operation_type"))
    if kind not in TYPES:
        raise YtFakeError(f"the fake proxy does not run {kind} operations")
    spec = request.param("spec") or {}
    check_environment_names(plain(spec) or {})
    check_number_types(plain(spec) or {}, kind)
    check_spec_ranges(plain(spec) or {}, kind)
    check_commands(plain(spec) or {}, kind)
    check_required_tables(plain(spec) or {}, kind)
    check_column_lists(plain(spec) or {}, kind)
    check_output_paths(plain(spec) or {}, kind)
    check_postprocessed(plain(spec) or {}, kind)
    check_pool(plain(spec) or {})
    check_pool_trees(plain(spec) or {}, state.cypress)
    for user_job in _user_jobs(plain(spec) or {}):
        check_user_job(user_job)
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


def _brief_progress(op: FakeOperation, failed: int) -> dict[str, Any]:
    """Job counts as the scheduler gives them: `total` is the planned jobs (known once the
    input is split), `completed` those that ended well (a mapping with its own `total` in
    current versions), `failed` the failed attempts."""
    completed = len(op.jobs) - failed
    total = max(op.planned, completed)
    running = 0 if op.finished else max(0, total - completed)
    return {"jobs": {"total": total, "completed": {"total": completed, "interrupted": 0},
                     "failed": failed, "running": min(running, 1), "pending": max(0, running - 1),
                     "aborted": 0}}


def _describe(op: FakeOperation) -> dict[str, Any]:
    failed = sum(1 for job in op.jobs if job.failed)
    spec = {k: v for k, v in (plain(op.spec) or {}).items() if k != "secure_vault"}
    info: dict[str, Any] = {
        "id": op.id, "type": op.type, "operation_type": op.type, "state": op.state,
        "authenticated_user": "root", "spec": spec,
        "start_time": instant(op.started),
        "brief_progress": _brief_progress(op, failed),
        # the full progress: the brief one's job counts and the jobs' statistics
        "progress": {**_brief_progress(op, failed), **progress_statistics(list(op.jobs))},
        "result": {"error": op.error} if op.error else {},
    }
    if op.finished:
        info["finish_time"] = instant(op.finished)
    return info


#: NApi::EErrorCode::NoSuchAttribute (yt/yt/client/api/public.h)
NO_SUCH_ATTRIBUTE = 1920
#: the attributes get_operation may be asked for (SupportedOperationAttributes in
#: yt/yt/ytlib/api/native/client_operations_impl.cpp; test_attributes in
#: scheduler/test_get_operation.py asks for scheduling_attributes_per_pool_tree too)
OPERATION_ATTRIBUTES = frozenset({
    "id", "state", "authenticated_user", "type", "operation_type", "progress", "spec",
    "provided_spec", "experiment_assignments", "experiment_assignment_names", "full_spec",
    "unrecognized_spec", "brief_progress", "brief_spec", "runtime_parameters", "start_time",
    "finish_time", "result", "events", "memory_usage", "suspended",
    "slot_index_per_pool_tree", "scheduling_attributes_per_pool_tree", "alerts",
    "task_names", "controller_features", "alert_events", "has_failed_jobs"})


def cmd_get_operation(state: FakeState, request: Request) -> Any:
    """The operation's attributes, or those asked for: a name a cluster does not know is
    refused (test_attributes in test_get_operation.py: `attributes=["PYSCH"]` raises,
    NoSuchAttribute; the words are CreateCypressOperationAttributes's, in the same source
    as OPERATION_ATTRIBUTES), one it knows but the operation has not (a running one's
    finish_time) is left out."""
    op = _operation(state, request)
    wanted = request.param("attributes")
    for name in wanted or ():
        if str(name) not in OPERATION_ATTRIBUTES:
            raise YtFakeError(f'Operation attribute "{name}" is not supported',
                              code=NO_SUCH_ATTRIBUTE, attribute_name=str(name))
    info = _describe(op)
    if wanted:
        info = {k: v for k, v in info.items() if k in {str(a) for a in wanted}}
    return info


def cmd_abort_operation(state: FakeState, request: Request) -> None:
    _operation(state, request).aborted = True


def _flag(value: Any) -> bool | None:
    """A boolean parameter as it arrives (true, "true", false, "false"), None when absent."""
    if value is None:
        return None
    return value if isinstance(value, bool) else str(value).lower() == "true"


def cmd_list_jobs(state: FakeState, request: Request) -> Any:
    """An operation's jobs, filtered, sorted and paged as ytsaurus-client asks (list_jobs in
    yt/wrapper/job_commands.py sends job_state, job_type, with_stderr, sort_field,
    sort_order, offset and limit). `with_stderr` false keeps the jobs without stderr, not
    all of them (test_list_jobs.py: `("with_stderr", False): job_ids["aborted_map"]`, and
    test_running_jobs_stderr_size: `with_stderr=False` lists none of jobs that wrote one).
    The answer also counts the jobs by state and by type, and carries the errors met while
    listing (`errors`, which checked_list_jobs there raises when not empty)."""
    op = _operation(state, request)
    wanted_state = request.param("job_state")
    wanted_type = request.param("job_type")
    with_stderr = _flag(request.param("with_stderr"))
    records = [(job_record(op, job), job) for job in op.jobs]
    chosen = []
    for record, job in records:
        if wanted_state and str(wanted_state) != record["state"]:
            continue
        if wanted_type and str(wanted_type) != record["type"]:
            continue
        if with_stderr is not None and with_stderr != bool(job.stderr):
            continue
        chosen.append((record, job))
    jobs = sorted_records(chosen, request.param("sort_field"), request.param("sort_order"))
    jobs = jobs[int(request.param("offset") or 0):]
    limit = request.param("limit")
    if limit is not None:
        jobs = jobs[: int(limit)]
    state_counts: dict[str, int] = {}
    type_counts: dict[str, int] = {}
    for record, _ in records:
        state_counts[record["state"]] = state_counts.get(record["state"], 0) + 1
        type_counts[record["type"]] = type_counts.get(record["type"], 0) + 1
    # a finished operation's jobs are in the archive and, until the operation is cleaned,
    # still known to its controller agent and the scheduler (_check_after_finish there);
    # Cypress holds none (`cypress_job_count` is an entity)
    return {"jobs": jobs, "state_counts": state_counts, "type_counts": type_counts,
            "controller_agent_job_count": len(records), "scheduler_job_count": len(records),
            "cypress_job_count": None, "archive_job_count": len(records), "errors": []}


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
