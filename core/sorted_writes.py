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


# A sort into a table of weak schema infers the table's schema from its inputs
# (InferSchemaFromInput in yt/yt/server/controller_agent/controllers/
# operation_controller_detail.cpp), and refuses inputs it cannot take one from:
#: inputs of strong schema and of weak schema together
SCHEMA_MODES_DIFFER = "Cannot infer output schema from input, tables have different schema modes"
#: inputs of strong schemas of different columns (compared as canonical schemas: by name)
SCHEMAS_DIFFER = ("Cannot infer output schema from input tables, schemas of input tables "
                  "are different")


def inferred_columns(schemas: Sequence[Any]) -> Any:
    """The schema a sort gives an output of weak schema, from its inputs' schemas in input
    order (each None for a weak one, else comparable columns): the first input's when all
    are strong, None (weak) when none is; ValueError with the cluster's words otherwise."""
    strong = [schema is not None for schema in schemas]
    if not schemas or not any(strong):
        return None
    if not all(strong):
        raise ValueError(SCHEMA_MODES_DIFFER)
    canonical = sorted(schemas[0])
    if any(sorted(schema) != canonical for schema in schemas[1:]):
        raise ValueError(SCHEMAS_DIFFER)
    return schemas[0]
