"""A fake operation's jobs as a cluster's list_jobs gives them.

Each job is TJob's Serialize (yt/yt/client/api/operation_client.cpp): its `type`, `state`,
`start_time` and `finish_time` (instants, written with microseconds), `task_name`,
`job_cookie`, `stderr_size` and, for a failed job, its `error`.

A job's type is the controller's, not the operation's: a reduce operation runs
`sorted_reduce` jobs (TReduceController::GetJobType in controllers/sorted_controller.cpp),
a map_reduce's mapper `partition_map` jobs and its reducer, over data that needs no
intermediate sort, `partition_reduce` jobs (EJobType in yt/cpp/mapreduce/interface/
operation.h). A task is named by its job type (TTask::GetVertexDescriptor, FormatEnum of the
job type, in controllers/task.cpp) but for the partition task, which adds its level:
`partition_map(0)` (ETaskName there; the integration tests' get_operation_tasks of a
map_reduce: {"partition_map(0)", "sorted_reduce", ...}); a vanilla job's task is the spec's.

Without a sort_field the jobs come sorted by their id (GetJobsComparator in
yt/yt/ytlib/api/native/client_jobs_impl.cpp: `EJobSortField::None` compares TJob::Id), not
in the order they ran: the last job to fail is found by its finish_time, not its place.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.jobs import JobResult
    from yt_pipeline_prod.fake.op_runner import FakeOperation


def instant(seconds: float) -> str:
    """A time as YT writes an instant, with microseconds ("2024-01-02T03:04:05.678901Z"):
    ytsaurus-client parses an operation's start_time with YT_DATETIME_FORMAT_STRING,
    `%Y-%m-%dT%H:%M:%S.%fZ` (PrintOperationInfo in yt/wrapper/operation_commands.py,
    date_string_to_datetime in yt/common.py)."""
    whole = int(seconds)
    micros = int((seconds - whole) * 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{micros:06d}Z"


def cluster_job_type(op: FakeOperation, job: JobResult) -> str:
    if op.type == "map_reduce":
        return "partition_map" if job.type == "map" else "partition_reduce"
    if op.type == "reduce":
        return "sorted_reduce"
    if op.type == "map" and (op.spec or {}).get("ordered"):
        return "ordered_map"
    return job.type


def task_name(op: FakeOperation, job: JobResult) -> str:
    if job.task:  # a vanilla task: its name in the spec
        return job.task
    job_type = cluster_job_type(op, job)
    return f"{job_type}(0)" if job_type == "partition_map" else job_type


def job_record(op: FakeOperation, job: JobResult) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": job.id, "type": cluster_job_type(op, job),
        "state": "aborted" if job.aborted else "failed" if job.failed else "completed",
        "address": "localhost",
        "start_time": instant(job.started), "finish_time": instant(job.finished),
        "task_name": task_name(op, job), "stderr_size": len(job.stderr),
        "job_cookie": job.cookie}
    if job.failed:
        record["error"] = {"code": job.error_code, "message": job.error,
                           "attributes": dict(job.error_attributes), "inner_errors": []}
    return record


def _id_key(job_id: str) -> tuple[int, ...]:
    """A job id as TGuid compares it: its parts as numbers, not as text."""
    return tuple(int(part, 16) for part in job_id.split("-"))


def _duration(record: dict[str, Any]) -> float:
    return record["_finished"] - record["_started"]


#: list_jobs' sort fields (EJobSortField), each with the jobs' ids to break its ties; a
#: state or a type orders by its name (test_list_jobs.py, _get_answers_for_sorting_*:
#: `aborted`, `completed`, `failed`, `running` in that order)
SORT_KEYS = {
    "none": lambda record: _id_key(record["id"]),
    "id": lambda record: record["id"],
    "start_time": lambda record: (record["start_time"], _id_key(record["id"])),
    "finish_time": lambda record: (record["finish_time"], _id_key(record["id"])),
    "type": lambda record: (record["type"], _id_key(record["id"])),
    "state": lambda record: (record["state"], _id_key(record["id"])),
    "duration": lambda record: (_duration(record), _id_key(record["id"])),
    "task_name": lambda record: (record["task_name"], _id_key(record["id"])),
    "address": lambda record: (record["address"], _id_key(record["id"])),
}


def sorted_records(records: list[tuple[dict[str, Any], JobResult]], sort_field: Any,
                   sort_order: Any) -> list[dict[str, Any]]:
    """The records in list_jobs' order: by `sort_field` (by id when none is given),
    descending when `sort_order` says so."""
    key = SORT_KEYS.get(str(sort_field or "none"), SORT_KEYS["none"])
    timed = [dict(record, _started=job.started, _finished=job.finished)
             for record, job in records]
    ordered = sorted(timed, key=key, reverse=str(sort_order or "") == "descending")
    return [{k: v for k, v in record.items() if not k.startswith("_")} for record in ordered]
