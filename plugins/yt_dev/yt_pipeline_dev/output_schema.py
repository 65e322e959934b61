"""Checking a job's output rows against the strict schema of the output table each goes to.

A cluster's job proxy writes a job's rows through the table writer as the job writes them,
and the writer checks each against its table's schema: a column a strict schema lacks
("Unknown column %Qv in strict schema": TSchemalessMultiChunkWriterBase's
ReorderAndValidateRows in yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp) or a value of
another type ("Invalid type of column %Qv...": ValidateValueType in yt/yt/client/
table_client/unversioned_row.cpp) fails that job, which then runs again like any failed job
until the operation's failed jobs reach max_failed_job_count. Dev checks each job's output
as it ends, with the same words (yt_pipeline.column_types), so a bad row fails the job, not
the whole operation at once. A table without a schema takes any row: when no output table
has one, nothing is read.

A table of sorted strict schema is written by a sorted writer, which weighs each row's key
first and refuses one of max_key_weight (16 KiB) or more, "Key weight is too large"
(ValidateKeyWeight in schemaless_chunk_writer.cpp): that fails the job too (`heavy_key`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from yt_pipeline.column_types import MAX_KEY_WEIGHT, HeavyKey, check_key_weight, refused_row
from yt_pipeline.output_switches import switch_target
from yt_pipeline.yson_size import may_reach
from yt_pipeline_dev.schema_fast_check import all_fit
from ytjobs.codec import CHUNK, CONTROL_MARK, is_control, iter_rows, line_blocks, loads_line


def refused_output(path: Path, columns: Sequence[dict[str, str] | None],
                   first: int = 0) -> str | None:
    """What the table writer says of the first row of the job's output stream `path` that
    the strict schema of its output table refuses, or None. `columns`: each output table's
    columns (name: YT type), None for one without a schema; the rows go to table `first`
    until a switch (the stream of fd 3 * first + 1 starts at its own table)."""
    if all(wanted is None for wanted in columns):
        return None
    # one typed decode for a stream of rows all for one table of schema (a stream holding
    # a table switch is not vouched for: its control rows are no table's rows)
    first_columns = columns[first]
    if first_columns is not None and all_fit(first_columns, path):
        return None
    current = first
    with path.open("rb") as handle:
        for row in iter_rows(handle):
            if is_control(row):  # checked before (table_switches.check_switches)
                current = switch_target(row["$attributes"], len(columns))
                continue
            wanted = columns[current]
            if wanted is not None:
                refused = refused_row(wanted, row)
                if refused is not None:
                    return refused
    return None


def heavy_key(path: Path, keys: Sequence[list[str] | None], first: int = 0,
              limit: int = MAX_KEY_WEIGHT, start: int = 0) -> str | None:
    """What a sorted writer says of the first row of the job's output stream `path` (from
    byte `start`) whose key weighs `limit` or more, for an output table of sorted schema;
    or None. `keys`: each output table's key, None for one not sorted; the rows go to table
    `first` until a switch. Only a table switch and a line long enough to weigh the limit
    (yson_size.may_reach) are parsed, and only the blocks holding one are looked at line by
    line: the others are passed over with a few passes in C."""
    if not any(keys):
        return None
    current = first
    with path.open("rb") as handle:
        handle.seek(start)
        for block in line_blocks(handle, CHUNK):
            lines = block.split(b"\n")
            # a line's length with its newline, as a line of the file is read
            if CONTROL_MARK not in block and not may_reach(max(map(len, lines)) + 1, limit):
                continue  # rows of table `current`, none long enough to weigh the limit
            for line in lines:
                if CONTROL_MARK in line:
                    row = loads_line(line)
                    if is_control(row):  # checked before (table_switches.check_switches)
                        current = switch_target(row["$attributes"], len(keys))
                        continue
                key = keys[current] if current < len(keys) else None
                if key and may_reach(len(line) + 1, limit):
                    try:
                        check_key_weight(loads_line(line), key, limit)
                    except HeavyKey as heavy:
                        return str(heavy)
    return None
