"""How a cluster lays a job's stderr out in an operation's stderr table
(`spec: {stderr_table_path: ...}`), shared by dev and the fake proxy.

The job proxy tees a user job's whole stderr into a blob table writer, which cuts it into
parts of `max_part_size` bytes and writes one row per part: the job's id, the part's index
from 0, the part's bytes; a job that wrote nothing writes no row
(yt/yt/ytlib/table_client/blob_table_writer.cpp, DoWrite/DoFlush; the columns:
GetStderrBlobTableSchema and TBlobTableSchema::ToTableSchema, sorted by job_id,
part_index). max_part_size is the spec's stderr_table_writer.max_part_size (alias
stderr_table_writer_config), 4 MiB unless set, 1 MiB at least (TBlobTableWriterConfig in
yt/yt/ytlib/table_client/config.cpp).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

DEFAULT_PART_SIZE = 4 * 1024 * 1024
MIN_PART_SIZE = 1024 * 1024


def job_rows(job: str, data: bytes, size: int) -> Iterator[dict[str, Any]]:
    """One job's rows: its stderr cut into parts of `size` bytes. The data column holds
    bytes on a cluster; a dev or fake table holds JSON text, so a part is decoded, a byte
    that is not UTF-8 replaced."""
    for index, start in enumerate(range(0, len(data), size)):
        part = data[start:start + size]
        yield {"job_id": job, "part_index": index, "data": part.decode("utf-8", "replace")}


def in_table_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows in the table's order: by job_id, then part_index."""
    return sorted(rows, key=lambda row: (row["job_id"], row["part_index"]))
