"""An operation's stderr table (spec stderr_table_path), written as a cluster writes it.

The job proxy tees a user job's whole stderr into a blob table writer that cuts it into
parts of max_part_size bytes, one row each: job_id, part_index from 0, data; a job that
wrote nothing writes no row (yt/yt/ytlib/table_client/blob_table_writer.cpp; the columns:
GetStderrBlobTableSchema and TBlobTableSchema::ToTableSchema, sorted by job_id,
part_index). max_part_size is the spec's stderr_table_writer (alias
stderr_table_writer_config), 4 MiB unless set, 1 MiB at least (TBlobTableWriterConfig in
yt/yt/ytlib/table_client/config.cpp). The controller writes the table in its debug output
transaction, a top-level one it commits whether the operation completed or failed, and
sets the table's `part_size` attribute (StartDebugOutputTransaction and DoAbort in
operation_controller_detail.cpp). Aborted jobs write nothing there (docs: "Getting full
stderr of all jobs of an operation"). The table must exist: ytsaurus-client creates it
before it starts the operation (_prepare_stderr_table in yt/wrapper/run_operation_commands).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yt_pipeline_prod.fake.branches import set_attribute, write_rows
from yt_pipeline_prod.fake.cypress import split_path
from yt_pipeline_prod.fake.jobs import BY_OPERATION_TIME_LIMIT, JobResult
from yt_pipeline_prod.fake.protocol import YtFakeError, path_attributes

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.cypress import Cypress

DEFAULT_PART_SIZE = 4 * 1024 * 1024
MIN_PART_SIZE = 1024 * 1024


def table_of(cypress: Cypress, spec: dict[str, Any]) -> str | None:
    """The stderr table's path, refused when it is not a table (None: the spec has none)."""
    given = spec.get("stderr_table_path")
    if given is None:
        return None
    text, _attributes = path_attributes(given)
    path = cypress.resolve(split_path(text)[0], None)
    node = cypress.get_node(path, None)  # the cluster's "has no child" error when missing
    if node.type != "table":
        raise YtFakeError(f"{path} is a {node.type}, not a table")
    return path


def part_size(spec: dict[str, Any]) -> int:
    writer = spec.get("stderr_table_writer") or spec.get("stderr_table_writer_config") or {}
    size = int(writer.get("max_part_size", DEFAULT_PART_SIZE))
    if size < MIN_PART_SIZE:
        raise YtFakeError(f"Error parsing operation spec: \"max_part_size\" {size} is less "
                          f"than {MIN_PART_SIZE}")
    return size


def rows(jobs: list[JobResult], size: int) -> list[dict[str, Any]]:
    found = []
    for job in jobs:
        if job.stopped_by == BY_OPERATION_TIME_LIMIT:
            continue  # the controller aborts a job still running then
        for index, start in enumerate(range(0, len(job.stderr), size)):
            part = job.stderr[start:start + size]
            # the column holds bytes; a fake table holds JSON text, as dev's does
            found.append({"job_id": job.id, "part_index": index,
                          "data": part.decode("utf-8", "replace")})
    return sorted(found, key=lambda row: (row["job_id"], row["part_index"]))


def write(cypress: Cypress, path: str, jobs: list[JobResult], size: int) -> None:
    """The rows, committed in a top-level transaction of their own."""
    with cypress.lock:
        tx = cypress.start(None, {"title": "debug output"})
        write_rows(cypress, path, rows(jobs, size), False, tx)
        set_attribute(cypress, path, "part_size", size, tx, locked=True)
        cypress.commit(tx)
