"""What a cluster says when a write breaks the key order of a table of strong sorted schema.

Both backends say it in the same words: dev when it refuses such a write itself, the fake
proxy as the cluster it stands for. The texts are the cluster's:

- the sorted chunk writer refuses a row that sorts before the one written before it:
  "Sort order violation: %v > %v" (EErrorCode::SortOrderViolation; yt/yt/ytlib/
  table_client/schemaless_chunk_writer.cpp);
- write_table appending to such a table: its writer starts from the table's last key
  (GetTableUploadParams asks the master for it, `fetch_last_key`, for an append to a
  sorted schema), and its first row is checked against that key before any other
  (TSchemalessMultiChunkWriterBase::ValidateSortOrderAndUniqueness: `LastKey_ &&
  IsFirstRow_`), in the same words: "Sort order violation: <last key> > <first key>"
  (`appended_before_last`). "... key ranges overlap with original table" is the words of
  the distributed write sessions only (SortAndValidateDistributedWriteResults in
  yt/yt/ytlib/api/native/client_distributed_table_impl.cpp), which write_table is not;
- an operation's append whose first output sorts before the table's last row: "Output
  table %v is not sorted: job outputs overlap with original table", and jobs whose sorted
  outputs overlap each other: "... job outputs have overlapping key ranges"
  (VerifySortedOutput in the operation controller).

A table whose schema says `unique_keys` (a sorted one: a master refuses it on a schema of no
key columns, '"unique_keys" can only be true if key columns are present', ValidateSchemaAttributes
in yt/yt/client/table_client/schema.cpp) refuses a row whose key equals the one before it too:

- the writer, in the same check as the sort order (the inner ValidateSortOrderAndUniqueness of
  TSchemalessMultiChunkWriterBase in schemaless_chunk_writer.cpp): "Duplicate key %v" of the
  repeated key (EErrorCode::UniqueKeyViolation, 306), an append's first row compared with the
  table's last key first, as for the sort order (`duplicate_key`);
- the controller, of an operation's outputs (VerifySortedOutput): an append whose first output
  begins with the table's last key, "Output table %v contains duplicate keys: job outputs
  overlap with original table" (SortOrderViolation), and jobs whose outputs meet at one key,
  "Output table %v contains duplicate keys: job outputs have overlapping key ranges".
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any


def key_text(row: Any, key: Sequence[str]) -> str:
    """A row's key as the messages show it."""
    get = row.get if isinstance(row, dict) else (lambda _column: None)
    return "[" + "; ".join(repr(get(column)) for column in key) + "]"


def sort_order_violation(previous: Any, current: Any, key: Sequence[str]) -> str:
    return f"Sort order violation: {key_text(previous, key)} > {key_text(current, key)}"


def overlaps_table(path: str) -> str:
    """An operation's append whose first output row sorts before the table's last one."""
    return f"Output table {path} is not sorted: job outputs overlap with original table"


def appended_before_last(last: Any, first: Any, key: Sequence[str]) -> str:
    """write_table's append whose first row sorts before the table's last one: the writer
    compares the table's last key with it as with any row before it."""
    return sort_order_violation(last, first, key)


def duplicate_key(row: Any, key: Sequence[str]) -> str:
    """A row whose key equals the one written before it (or, first in an append, the
    table's last key), in a table of unique keys."""
    return f"Duplicate key {key_text(row, key)}"


def duplicates_table(path: str) -> str:
    """An operation's append whose first output row has the table's last key (unique keys)."""
    return f"Output table {path} contains duplicate keys: job outputs overlap with original table"


def jobs_duplicate(path: str) -> str:
    """Jobs' outputs of unique keys where one ends with the key the next begins with."""
    return (f"Output table {path} contains duplicate keys: job outputs have overlapping key "
            "ranges")


#: EErrorCode::UniqueKeyViolation (yt/yt/client/table_client/public.h)
UNIQUE_KEY_VIOLATION = 306


def jobs_overlap(path: str) -> str:
    return f"Output table {path} is not sorted: job outputs have overlapping key ranges"


# A sort into a table of weak schema infers the table's schema from its inputs
# (InferSchemaFromInput in yt/yt/server/controller_agent/controllers/
# operation_controller_detail.cpp), and refuses inputs it cannot take one from:
#: inputs of strong schema and of weak schema together
SCHEMA_MODES_DIFFER = "Cannot infer output schema from input, tables have different schema modes"
#: inputs of strong schemas of different columns (compared as canonical schemas: by name);
#: the words YTsaurus's own tests expect of a merge or sort of such inputs (raises_yt_error(
#: "tables have incompatible schemas") in yt/yt/tests/integration/.../test_schema.py)
SCHEMAS_DIFFER = ("Cannot infer output schema from input in strong schema mode, tables have "
                  "incompatible schemas")


def selected_only(selections: Sequence[Collection[str] | None]) -> set[str] | None:
    """The columns an operation's output keeps of the schema inferred from its inputs: those
    the input paths select (`//t{a,b}`) when every one selects some, else None (all). The
    controller filters the inferred schema so after inferring it
    (FilterOutputSchemaByInputColumnSelectors, yt/yt/server/controller_agent/
    operation_controller_detail.cpp): the rows hold no other column."""
    if not selections or any(selection is None for selection in selections):
        return None
    return {column for selection in selections for column in selection or ()}


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
