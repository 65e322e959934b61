"""What a cluster says when a write breaks the key order of a table of strong sorted schema.

Both backends say it in the same words: dev when it refuses such a write itself, the fake
proxy as the cluster it stands for. The texts are the cluster's:

- the sorted chunk writer refuses a row that sorts before the one written before it:
  "Sort order violation: %v > %v" (EErrorCode::SortOrderViolation; yt/yt/ytlib/
  table_client/schemaless_chunk_writer.cpp);
- an append whose first row sorts before the table's last row: "Output table %v is not
  sorted: key ranges overlap with original table" for write_table, "... job outputs
  overlap with original table" for an operation, and jobs whose sorted outputs overlap
  each other: "... job outputs have overlapping key ranges" (the operation controller's
  output table checks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def key_text(row: Any, key: Sequence[str]) -> str:
    """A row's key as the messages show it."""
    get = row.get if isinstance(row, dict) else (lambda _column: None)
    return "[" + "; ".join(repr(get(column)) for column in key) + "]"


def sort_order_violation(previous: Any, current: Any, key: Sequence[str]) -> str:
    return f"Sort order violation: {key_text(previous, key)} > {key_text(current, key)}"


def overlaps_table(path: str, *, by_jobs: bool) -> str:
    """An append whose first row sorts before the table's last one."""
    what = "job outputs overlap" if by_jobs else "key ranges overlap"
    return f"Output table {path} is not sorted: {what} with original table"


def jobs_overlap(path: str) -> str:
    return f"Output table {path} is not sorted: job outputs have overlapping key ranges"
