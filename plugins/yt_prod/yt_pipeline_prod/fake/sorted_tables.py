"""Tables of a strong sorted schema: what a write to one must respect.

A table of strict schema (a YQL write gave it one) that a sort operation then sorted keeps a
strong schema, now sorted by the sort's columns (the sort controller's PrepareOutputTables:
a strong output's schema becomes `ToSorted(sort_by)`, in yt/yt/server/controller_agent/
controllers/sort_controller.cpp). A write without `sorted_by` in its path keeps that schema,
appends and overwrites alike, and an append takes an exclusive lock instead of a shared one
(GetTableUploadOptions in yt/yt/ytlib/table_client/table_upload_options.cpp: "append,
no sorted_by, strong": `schema->IsSorted() ? Exclusive : Shared`, `TableSchema = schema`).
So the rows must come in key order, and appended ones after the table's last row:

- a writer refuses a row before the previous one: "Sort order violation: %v > %v"
  (EErrorCode::SortOrderViolation, 301; the sorted chunk writer in yt/yt/ytlib/
  table_client/schemaless_chunk_writer.cpp);
- an append whose first row sorts before the table's last one fails: write_table's writer
  starts from the table's last key (GetTableUploadParams, `fetch_last_key`) and refuses
  the first row as any row out of order, "Sort order violation: <last> > <first>"
  (TSchemalessMultiChunkWriterBase::ValidateSortOrderAndUniqueness, `LastKey_ &&
  IsFirstRow_`, schemaless_chunk_writer.cpp); an operation fails with "Output table %v is
  not sorted: job outputs overlap with original table" (VerifySortedOutput);
- `concatenate` into such a table is a sorted concatenation (TNodeConcatenator in
  yt/yt/ytlib/api/native/client_cypress.cpp): a source without the key columns is refused
  ("Chunk %v has less key columns than output schema", SchemaViolation), sources whose key
  ranges overlap are ("Chunks ranges are overlapping"), and so is one before the table's
  last row ("First key of chunk to append is less than last key in table").

A table of weak schema (write_table, operation outputs) has none of this: a write without
`sorted_by` resets its key columns (the fake drops its `sorted_by`). A path's `sorted_by`
makes any write a sorted one, checked as above (`upload_key`); GetTableUploadOptions takes
it only when it is the key of a strong schema ("YPath attribute "sorted_by" must be
compatible with table schema for a "strong" schema mode": ValidateKeyColumnsEqual) or,
appending to a non-empty table of weak schema, a prefix of the table's key columns ("Key
columns mismatch while trying to append sorted data into a non-empty table":
ValidateAppendKeyColumns; an unsorted table has none, so any `sorted_by` is refused there).

A strong sorted table whose schema says `unique_keys` refuses a repeated key the same way, at
the same places (yt_pipeline.sorted_writes): the writer a row whose key equals the previous
one, or an append's first row with the table's last key ("Duplicate key %v",
UniqueKeyViolation), the controller an operation's outputs meeting at one key (`unique`).
"""

from __future__ import annotations

import copy
from typing import Any

import yt.yson as yson

from yt_pipeline.sorted_writes import (
    UNIQUE_KEY_VIOLATION,
    appended_before_last,
    duplicate_key,
    duplicates_table,
    inferred_columns,
    jobs_duplicate,
    jobs_overlap,
    overlaps_table,
    selected_only,
    sort_order_violation,
)
from yt_pipeline_prod.fake.branches import REMOVED
from yt_pipeline_prod.fake.cypress import Node
from yt_pipeline_prod.fake.job_plans import row_key
from yt_pipeline_prod.fake.protocol import YtFakeError
from yt_pipeline_prod.fake.schema_validation import check_new_table_schema
from yt_pipeline_prod.fake.yql_tables import SCHEMA_VIOLATION

Row = dict[str, Any]

#: what sort_output_schema gives for an output of strong schema a sort leaves weak: its
#: `schema` attribute removed (branches.REMOVED)
WEAK_OUTPUT: Any = REMOVED

#: EErrorCode::SortOrderViolation (yt/yt/client/table_client/public.h)
SORT_ORDER_VIOLATION = 301


def strong_key(node: Node) -> list[str] | None:
    """The key columns of a table whose schema is strong and sorted; None for any other.
    A schema a table was given is strong whether it is strict or not (what @schema_mode
    says); a table of weak schema keeps its key as `sorted_by` and no `schema`."""
    sorted_by = node.attributes.get("sorted_by")
    if not sorted_by or node.attributes.get("schema") is None:
        return None
    return [str(column) for column in sorted_by]


def unique_keys(node: Node) -> bool:
    """Whether the table's strong sorted schema says `unique_keys`."""
    schema = node.attributes.get("schema")
    attributes = getattr(schema, "attributes", None) or {}
    return bool(attributes.get("unique_keys")) and strong_key(node) is not None


def unique_keys_of(schema: Any) -> bool:
    """Whether a `schema` attribute says unique_keys."""
    return bool((getattr(schema, "attributes", None) or {}).get("unique_keys"))


def sort_keeps_unique(key: list[str] | None, sort_by: list[str]) -> bool:
    """Whether a sort by `sort_by` keeps a table of unique keys by `key` so: the sort makes
    the output's schema sorted by its columns, unique when every old key column is among
    them (TTableSchema::ToSorted: `UniqueKeys_ && oldKeyColumnCount == GetKeyColumnCount()`,
    yt/yt/client/table_client/schema.cpp, called by the sort controller's
    PrepareOutputTables in sort_controller.cpp)."""
    return bool(key) and set(key or []) <= set(sort_by)


def without_unique_keys(schema: Any) -> Any:
    """A table's `schema` attribute, saying unique_keys no more."""
    attributes = dict(getattr(schema, "attributes", None) or {})
    attributes["unique_keys"] = False
    return yson.to_yson_type([dict(column) for column in schema], attributes=attributes)


def path_schema(attributes: dict[str, Any]) -> Any:
    """The schema an output path gives its table (`<schema=...>//t`), as the table's
    `schema` attribute keeps one; None when it gives none. A path's schema makes the write
    an overwrite of strong schema, that schema's (GetTableUploadOptions in yt/yt/ytlib/
    table_client/table_upload_options.cpp: `!path.GetAppend() && pathSchema`:
    `TableSchema = pathSchema`), which the table has after it; YtFakeError, in its words, with
    `append` or `sorted_by` on the path."""
    given = attributes.get("schema")
    if given is None:
        return None
    if attributes.get("append"):
        raise YtFakeError('YPath attributes "append" and "schema" are not compatible')
    if attributes.get("sorted_by"):
        raise YtFakeError('YPath attributes "sorted_by" and "schema" are not compatible')
    if isinstance(given, dict):
        columns, shape = given.get("$value") or [], dict(given.get("$attributes") or {})
    else:
        columns, shape = given, dict(getattr(given, "attributes", None) or {})
    # a schema a cluster refuses is refused here too (the integration test
    # test_schemaful_write: two columns of one name); the fake gives the words a master
    # gives a created table's schema (schema_validation), not checked for a write's path
    check_new_table_schema(list(columns), bool(shape.get("unique_keys", False)))
    refuse_descending(columns)
    return yson.to_yson_type([dict(column) for column in columns],
                             attributes={"strict": shape.get("strict", True),
                                         "unique_keys": shape.get("unique_keys", False)})


def with_schema(node: Node, schema: Any) -> Node:
    """The table as an overwrite of schema `schema` (path_schema) finds it: that schema, its
    key columns as `sorted_by`, no rows."""
    attributes = {name: value for name, value in node.attributes.items() if name != "sorted_by"}
    attributes["schema"] = schema
    key = [str(column["name"]) for column in schema if column.get("sort_order")]
    if key:
        attributes["sorted_by"] = key
    return Node(type=node.type, id=node.id, attributes=attributes)


def violation_code(refused: str) -> int:
    """The error code of a writer's refusal (unsorted_rows, write_refusal)."""
    return UNIQUE_KEY_VIOLATION if refused.startswith("Duplicate key") else SORT_ORDER_VIOLATION


def unsorted_rows(rows: list[Row], key: list[str], unique: bool = False) -> str | None:
    """The writer's refusal of the first row that sorts before the one written before it,
    or (`unique`: the table's schema says unique_keys) has its very key."""
    for previous, current in zip(rows, rows[1:]):
        before, after = row_key(previous, key), row_key(current, key)
        if before > after:
            return sort_order_violation(previous, current, key)
        if unique and before == after:
            return duplicate_key(previous, key)
    return None


def before_last_row(node: Node, first: Row | None, key: list[str]) -> bool:
    """True when `first` sorts before the last row the table holds."""
    return bool(node.rows) and first is not None and \
        row_key(first, key) < row_key(node.rows[-1], key)


def write_refusal(node: Node, rows: list[Row], append: bool, key: list[str] | None,
                  unique: bool = False) -> str | None:
    """Why write_table refuses `rows` for a table it writes sorted by `key` (`upload_key`);
    None if it takes them (or `key` is None). The writer checks an append's first row
    against the table's last key first, then each row against the one before it; a repeated
    key too when `unique` (violation_code tells the two apart)."""
    if key is None:
        return None
    if append and before_last_row(node, rows[0] if rows else None, key):
        return appended_before_last(node.rows[-1], rows[0], key)
    if unique and append and node.rows and rows and \
            row_key(rows[0], key) == row_key(node.rows[-1], key):
        return duplicate_key(node.rows[-1], key)
    return unsorted_rows(rows, key, unique)


def sort_column_names(columns: Any) -> list[str]:
    """The names of the key columns a path's `sorted_by` gives: each a name, or a sort
    column as a map (`{name=k; sort_order=ascending}`: TSortColumn's serialization in yt/yt/
    client/table_client/schema_serialization_helpers.cpp takes either form). The fake keeps
    ascending keys only, so a descending one is refused rather than taken as ascending."""
    names = []
    for column in columns or []:
        if isinstance(column, dict):
            refuse_descending([column])
            names.append(str(column.get("name")))
        else:
            names.append(str(column))
    return names


def refuse_descending(columns: Any) -> None:
    """YtFakeError for a column (of a schema, or a sort column) of descending sort order: a
    cluster keeps such tables in reverse order, which the fake does not model."""
    for column in columns or []:
        if isinstance(column, dict) and column.get("sort_order") == "descending":
            raise YtFakeError(f"the fake proxy does not model the descending sort order of "
                              f"column {column.get('name')!r}")


def upload_key(node: Node, attributes: dict[str, Any]) -> list[str] | None:
    """The key a write (write_table, an operation's output) takes rows in: its path's
    `sorted_by`, else the key of the table's strong sorted schema; None for any order.
    A path's `sorted_by` gives the table a sorted schema of those columns, under an
    exclusive lock (GetTableUploadOptions in yt/yt/ytlib/table_client/
    table_upload_options.cpp), so the writer is a sorted one; YtFakeError for a `sorted_by`
    GetTableUploadOptions refuses (the module's docstring)."""
    given = sort_column_names(attributes.get("sorted_by"))
    if not given:
        return strong_key(node)
    if node.attributes.get("schema") is not None:  # strong, strict or not
        if given != (strong_key(node) or []):
            raise YtFakeError('YPath attribute "sorted_by" must be compatible with table '
                              'schema for a "strong" schema mode')
    elif attributes.get("append") and node.rows:
        current = [str(column) for column in node.attributes.get("sorted_by") or []]
        if current[: len(given)] != given:
            raise YtFakeError("Key columns mismatch while trying to append sorted data into "
                              "a non-empty table")
    return given



def ordered_job_outputs(node: Node, path: str, outputs: list[list[Row]], append: bool,
                        key: list[str] | None = None, unique: bool = False) -> list[Row]:
    """The rows jobs wrote to a table of strong sorted schema, in key order, as the
    controller attaches them (VerifySortedOutput in yt/yt/server/controller_agent/
    controllers/operation_controller_detail.cpp): the jobs' sorted outputs stably ordered
    by their first key, then their last; an append's first output checked against the
    table's last row first, then each output against the one before it (ValueError with
    the cluster's words). Each job's own rows were checked by its writer (unsorted_rows).
    `unique` (the table's schema says unique_keys): outputs meeting at one key are refused
    too, an append's first output beginning with the table's last key as well."""
    key = key or strong_key(node) or []
    chunks = sorted((rows for rows in outputs if rows),
                    key=lambda rows: (row_key(rows[0], key), row_key(rows[-1], key)))
    if append and chunks and before_last_row(node, chunks[0][0], key):
        raise ValueError(overlaps_table(path))
    if unique and append and chunks and node.rows and \
            row_key(chunks[0][0], key) == row_key(node.rows[-1], key):
        raise ValueError(duplicates_table(path))
    for current, following in zip(chunks, chunks[1:]):
        ended, begins = row_key(current[-1], key), row_key(following[0], key)
        if ended > begins:
            raise ValueError(jobs_overlap(path))
        if unique and ended == begins:
            raise ValueError(jobs_duplicate(path))
    return [row for rows in chunks for row in rows]


def sorted_concatenation(node: Node, sources: list[tuple[str, Node]], append: bool
                         ) -> list[Row] | None:
    """The sources' rows in the order a sorted concatenation into `node` puts them (its
    sources' chunks ordered by their keys); None when `node` has no strong sorted schema
    (rows then go table after table). A concatenation the cluster refuses raises."""
    key = strong_key(node)
    if key is None:
        return None
    chunks = []
    for source_path, source in sources:
        source_key = [str(c) for c in source.attributes.get("sorted_by") or []]
        if source_key[: len(key)] != key:
            raise YtFakeError(f"Chunk of {source_path} has less key columns than output "
                              "schema", code=SCHEMA_VIOLATION)
        if source.rows:
            chunks.append(source.rows)
    chunks.sort(key=lambda rows: row_key(rows[0], key))
    for current, following in zip(chunks, chunks[1:]):
        if row_key(current[-1], key) > row_key(following[0], key):
            raise YtFakeError("Chunks ranges are overlapping", code=SORT_ORDER_VIOLATION)
    if append and chunks and before_last_row(node, chunks[0][0], key):
        raise YtFakeError("First key of chunk to append is less than last key in table",
                          code=SORT_ORDER_VIOLATION)
    return [row for rows in chunks for row in rows]


def canonical_sorted(schema: Any, sort_by: list[str]) -> list[dict[str, Any]]:
    """A strong schema's columns as InferSchemaFromInput gives them to a sort's output:
    `ToSorted(sortColumns)` puts the sort columns first, in their order,
    ascending, `ToSortedStrippedColumnAttributes()` keeps of each column its name, type and
    sort order, and `ToCanonical()` orders the columns after the key by name (yt/yt/client/
    table_client/schema.cpp)."""
    columns = [{name: copy.deepcopy(value) for name, value in dict(c).items()
                if name in ("name", "type", "type_v3", "required")} for c in schema]
    by_name = {str(c["name"]): c for c in columns}
    key = [dict(by_name[name], sort_order="ascending") for name in sort_by if name in by_name]
    rest = sorted((c for c in columns if str(c["name"]) not in sort_by),
                  key=lambda c: str(c["name"]))
    return key + rest


def sort_output_schema(node: Node, inputs: list[Any], sort_by: list[str],
                       inference: str = "auto") -> Any:
    """The `schema` a sort (or a sorted merge, by its merge columns) gives its output
    `node`: None when the output has a schema of its own (a strong one, which the sort
    sorts by its columns) or the inputs have none; else the first input's sorted by
    `sort_by` (canonical_sorted: the key, then the other columns by name), as the
    controller's PrepareOutputTables infers it for an output of weak schema
    (InferSchemaFromInput, yt_pipeline.sorted_writes). YtFakeError when the inputs'
    schemas cannot give one.

    The inputs are compared with their sort order and unique_keys stripped
    (ToStrippedColumnAttributes), but the output's schema is the first input's made sorted
    (`->ToSorted(sortColumns)->ToSortedStrippedColumnAttributes()`, in InferSchemaFromInput
    of yt/yt/server/controller_agent/controllers/operation_controller_detail.cpp): it says
    unique_keys when the first input's does and every key column of it is among `sort_by`
    (TTableSchema::ToSorted in yt/yt/client/table_client/schema.cpp), whatever the other
    inputs' say.

    `inference` is the spec's `schema_inference_mode`. `from_input` infers it for an
    output of strong schema too, which it replaces, and inputs of weak schema then leave
    the output weak, sorted by `sort_by` (WEAK_OUTPUT: the weak schema of the key columns,
    TTableSchema::FromSortColumns in InferSchemaFromInput); `from_output` infers nothing,
    an output of weak schema getting that weak schema of the key whatever the inputs'.
    Both controllers switch so (TSortController::PrepareOutputTables in sort_controller.cpp,
    TSortedMergeController::PrepareOutputTables in sorted_controller.cpp; the integration
    tests test_unique_keys_inference and test_complex_types_schema_validation in
    yt/yt/tests/integration/tests/controller/test_sort_operation.py)."""
    strong = node.attributes.get("schema") is not None
    if inference == "from_output" or (strong and inference != "from_input"):
        return None
    described = [None if table.schema is None else
                 [(str(c["name"]), str(c.get("type", "any")), bool(c.get("required", False)))
                  for c in table.schema] for table in inputs]
    try:
        found = inferred_columns(described)
    except ValueError as refused:
        raise YtFakeError(str(refused)) from None
    if found is None:
        return WEAK_OUTPUT if strong else None
    first = inputs[0].schema
    key = [str(c["name"]) for c in first if c.get("sort_order")]
    attributes = dict(getattr(first, "attributes", None) or {})
    attributes["unique_keys"] = bool(attributes.get("unique_keys")) and \
        sort_keeps_unique(key, sort_by)
    columns = canonical_sorted(first, sort_by)
    # inputs that each select columns give the output those alone (selected_only)
    kept = selected_only([table.columns for table in inputs])
    if kept is not None:
        columns = [c for c in columns if str(c["name"]) in kept]
        attributes["unique_keys"] = attributes["unique_keys"] and set(key) <= kept
    return yson.to_yson_type(columns, attributes=attributes)
