"""An operation's stderr table (spec stderr_table_path), written as a cluster writes it.

Each job's rows are laid out as yt_pipeline.stderr_blob says. The controller writes the
table in its debug output transaction, a top-level one it commits whether the operation
completed or failed, and sets the table's `part_size` attribute (StartDebugOutputTransaction
and DoAbort in operation_controller_detail.cpp). Aborted jobs write nothing there (docs: "Getting full
stderr of all jobs of an operation"). The table must exist, unless its path says `<create=%true>`
(created_outputs.py): ytsaurus-client creates it before it starts the operation
(_prepare_stderr_table in yt/wrapper/run_operation_commands).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yt_pipeline.stderr_blob import DEFAULT_PART_SIZE, MIN_PART_SIZE, in_table_order, job_rows
from yt_pipeline_prod.fake.branches import set_attribute, write_rows
from yt_pipeline_prod.fake.created_outputs import create_if_asked
from yt_pipeline_prod.fake.cypress import split_path
from yt_pipeline_prod.fake.inputs import rich_path
from yt_pipeline_prod.fake.jobs import BY_OPERATION_TIME_LIMIT, JobResult
from yt_pipeline_prod.fake.protocol import YtFakeError, path_attributes

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.cypress import Cypress


def table_of(cypress: Cypress, spec: dict[str, Any]) -> str | None:
    """The stderr table's path, refused when it is not a table (None: the spec has none)."""
    given = spec.get("stderr_table_path")
    if given is None:
        return None
    text, attributes = path_attributes(rich_path(given))
    path = cypress.resolve(split_path(text)[0], None)
    # `<create=%true>`: made in the debug transaction, which is always committed: here
    # outside any (created_outputs.py)
    create_if_asked(cypress, path, attributes, None)
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
    found: list[dict[str, Any]] = []
    for job in jobs:
        if job.stopped_by == BY_OPERATION_TIME_LIMIT:
            continue  # the controller aborts a job still running then
        found.extend(job_rows(job.id, job.stderr, size))
    return in_table_order(found)


def write(cypress: Cypress, path: str, jobs: list[JobResult], size: int) -> None:
    """The rows, committed in a top-level transaction of their own."""
    with cypress.lock:
        tx = cypress.start(None, {"title": "debug output"})
        write_rows(cypress, path, rows(jobs, size), False, tx)
        set_attribute(cypress, path, "part_size", size, tx, locked=True)
        cypress.commit(tx)
