"""`spec: {stderr_table_path: ...}`: every job's stderr in a table, as a cluster writes it.

What a cluster does (YTsaurus source): each job's rows are laid out as
yt_pipeline.stderr_blob says; the jobs that were not aborted write there, failed ones too
(the docs' page "Getting full stderr of all jobs of an operation"), and the table is
committed in the operation's debug output transaction, a top-level one, also when the
operation fails (TOperationControllerBase::DoAbort, StartDebugOutputTransaction in
operation_controller_detail.cpp): it survives the failure it helps to debug.

Dev writes the same rows (the data masked of secrets, as every job log is), outside the
stage's transaction, whether the operation succeeded or failed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from yt_pipeline.errors import ConfigError
from yt_pipeline.operations import OperationSpec
from yt_pipeline.stderr_blob import DEFAULT_PART_SIZE, MIN_PART_SIZE, in_table_order, job_rows

#: MaxRowWeightLimit (yt/yt/client/table_client/config.h): the writer's upper bound
MAX_PART_SIZE = 128 * 1024 * 1024
WRITER_KEYS = ("stderr_table_writer", "stderr_table_writer_config")


def _error(spec: OperationSpec, key: str, problem: str) -> ConfigError:
    return ConfigError(f"stage {spec.stage_name} operation {spec.name}: spec.{key} "
                       f"{problem}")


def table_of(spec: OperationSpec) -> str | None:
    """The stderr table the section asks for, or None."""
    path = spec.extra_spec.get("stderr_table_path")
    if path is None:
        return None
    if not isinstance(path, str) or not path.startswith("//"):
        raise _error(spec, "stderr_table_path", f"must be a table path (//...), got {path!r}")
    return path


def part_size(spec: OperationSpec) -> int:
    """The bytes of stderr one row holds (max_part_size)."""
    for key in WRITER_KEYS:
        writer = spec.extra_spec.get(key)
        if writer is None:
            continue
        if not isinstance(writer, Mapping):
            raise _error(spec, key, "must be a mapping")
        size = writer.get("max_part_size", DEFAULT_PART_SIZE)
        if (not isinstance(size, int) or isinstance(size, bool)
                or not MIN_PART_SIZE <= size <= MAX_PART_SIZE):
            raise _error(spec, f"{key}.max_part_size",
                         f"must be an integer from {MIN_PART_SIZE} to {MAX_PART_SIZE}, "
                         f"got {size!r}")
        return size
    return DEFAULT_PART_SIZE


def job_id() -> str:
    """An id written as a cluster writes a job's: four hex numbers joined by `-`."""
    raw = uuid.uuid4().int
    return "-".join(f"{(raw >> shift) & 0xFFFFFFFF:x}" for shift in (96, 64, 32, 0))


def rows(stderrs: list[bytes], size: int) -> list[dict[str, Any]]:
    """The table's rows for the jobs' stderr, in the table's order (job_id, part_index)."""
    return in_table_order([row for data in stderrs if data
                           for row in job_rows(job_id(), data, size)])


def stderr_files(sandbox: Path, stopped: set[tuple[str, int]]) -> list[Path]:
    """The stderr of every job attempt that was not stopped (a cluster aborts those)."""
    from yt_pipeline_dev.job_attempts import parse

    kept = []
    for path in sorted(sandbox.glob("*.stderr")):
        phase, index, attempt = parse(path.stem)
        if not attempt and (phase, index) in stopped:
            continue
        kept.append(path)
    return kept
