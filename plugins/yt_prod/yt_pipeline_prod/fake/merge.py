"""The fake's merge operation: the input tables' rows into one output table, no user job.

`mode` (YTsaurus docs, Merge): `unordered` (the default) and `ordered` give the rows table
after table; `sorted` merges inputs that are sorted already, by `merge_by` (or, without
it, the first input's sort columns), and the output is sorted by those columns. A sorted
merge refuses an input that is not sorted, or not by columns that start with merge_by,
in the words the sorted controller refuses a reduce's inputs with (inputs.py). Among equal
keys the rows come table by table, in the order the inputs are given.

What schema an unordered or ordered merge writes its output with is decided while the
controller prepares the operation, before a row is read (PrepareOutputTables of
TUnorderedMergeController in yt/yt/server/controller_agent/controllers/
unordered_controller.cpp and of TOrderedMergeController in ordered_controller.cpp; the
helpers they call in operation_controller_detail.cpp). With `schema_inference_mode` auto
(the default) an output of weak schema, or with `from_input` any output, takes its schema
from the inputs (InferSchemaFromInput):
- the inputs must all have a strong schema or all a weak one ("Cannot infer output schema
  from input, tables have different schema modes"); weak ones leave the output weak;
- strong ones must be one schema, compared with their columns' attributes and sort order
  stripped and their columns ordered by name (ToStrippedColumnAttributes()->ToCanonical():
  same names and types, strictness too), else "Cannot infer output schema from input in
  strong schema mode, tables have incompatible schemas";
- the output gets the first input's schema unsorted (ToSorted of no columns), stripped of
  column attributes, its columns ordered by name (ToCanonical in yt/yt/client/table_client/
  schema.cpp sorts the columns after the key ones by name), and no unique_keys;
- an ordered merge of one input into an overwritten table takes that input's schema whole,
  its sort order and mode too (InferSchemaFromInputOrdered): a weak input sorted by some
  columns leaves the output weak and sorted by them;
- when every input path selects columns, the output's schema has only those
  (FilterOutputSchemaByInputColumnSelectors).
An append into a table of weak schema is a weak upload too (GetTableUploadOptions in
yt/yt/ytlib/table_client/table_upload_options.cpp), so it infers the same way, and the table
takes the inferred schema and mode when the upload ends (EndUploadOutputTables in
operation_controller_detail.cpp, TTableNode::EndUpload in yt/yt/server/master/table_server/
table_node.cpp), its rows kept and the new ones after them.
An output of strong schema keeps it, and the inputs of strong schema are compared with it
(output_schema_check.py), but an unordered merge refuses a sorted one ("Cannot perform
unordered merge into a sorted table in a "strong" schema mode", with `from_output` too), and
an ordered merge one when it has more than one input (ValidateOutputSchemaOrdered: "Cannot
generate sorted output for ordered operation with multiple input tables") or an input of
strong schema whose key does not begin with the table's (ValidateOutputSchemaCompatibility
with the sort order: "Table schemas are incompatible", _check_input_keys); the rows of a weak
input meet the table's sorted writer, and an append's must not begin before the table's last
key (op_runner: VerifySortedOutput's "job outputs overlap with original table"). A sorted merge
into a table of strong sorted schema refuses merge columns that are not its key
(TSortedMergeController::PrepareOutputTables in sorted_controller.cpp: "Merge sort columns
do not match output table schema in "strong" schema mode").
"""

from __future__ import annotations

import copy
from typing import Any

import yt.yson as yson

from yt_pipeline.schema_compat import INCOMPATIBLE, INCOMPATIBLE_SCHEMAS_CODE
from yt_pipeline.sorted_writes import SCHEMA_MODES_DIFFER, SCHEMAS_DIFFER, selected_only
from yt_pipeline.yql_type_v3 import v3_of_old
from yt_pipeline_prod.fake.branches import REMOVED
from yt_pipeline_prod.fake.cypress import Node
from yt_pipeline_prod.fake.inputs import InputTable, check_sorted_inputs
from yt_pipeline_prod.fake.job_plans import sort_rows
from yt_pipeline_prod.fake.protocol import YtFakeError
from yt_pipeline_prod.fake.sorted_tables import unique_keys, unique_keys_of

Row = dict[str, Any]

UNORDERED_INTO_SORTED = ('Cannot perform unordered merge into a sorted table in a "strong" '
                         "schema mode")
ORDERED_INTO_SORTED = "Cannot generate sorted output for ordered operation with multiple input tables"
KEY_MISMATCH = 'Merge sort columns do not match output table schema in "strong" schema mode'
#: what merge_output_schema gives for an output written with a weak schema: none
WEAK: Any = REMOVED


def merge_key(tables: list[InputTable], spec: dict[str, Any]) -> list[str] | None:
    """The columns a merge sorts its output by; None for a merge that is not sorted."""
    if str(spec.get("mode") or "unordered") != "sorted":
        return None
    given = [str(column) for column in spec.get("merge_by") or []]
    return given or (list(tables[0].sorted_by) if tables else [])


def merged_rows(tables: list[InputTable], spec: dict[str, Any]) -> list[Row]:
    key = merge_key(tables, spec)
    rows = [row for table in tables for row in table.rows]
    if key is None:
        return rows
    check_sorted_inputs(tables, {"sort_by": key})
    return sort_rows(rows, key)  # stable: equal keys stay table by table


def _inference_mode(spec: dict[str, Any]) -> str:
    return str(spec.get("schema_inference_mode") or "auto")


def _key_of(node: Node) -> list[str]:
    """The key columns of a table of strong sorted schema ([] for any other)."""
    if node.attributes.get("schema") is None:
        return []
    return [str(column) for column in node.attributes.get("sorted_by") or []]


def check_sorted_merge_output(node: Node, tables: list[InputTable], spec: dict[str, Any]
                              ) -> None:
    """A sorted merge into a table of strong sorted schema: its merge columns must be the
    table's key (the controller's PrepareOutputTables, auto and from_output alike)."""
    key = _key_of(node)
    if key and _inference_mode(spec) != "from_input" and merge_key(tables, spec) != key:
        raise YtFakeError(KEY_MISMATCH, output_key=key, merge_by=merge_key(tables, spec))


def merge_output_schema(node: Node, tables: list[InputTable], spec: dict[str, Any],
                        append: bool) -> tuple[Any, list[str]]:
    """The schema an unordered or ordered merge writes its output `node` (as its path left
    it) with, and its key: (None, []) when the output keeps the strong schema it has, WEAK
    when it is written with no schema; YtFakeError as the controller refuses the operation
    (the module's docstring)."""
    inference = _inference_mode(spec)
    ordered = str(spec.get("mode") or "unordered") == "ordered"
    strong = node.attributes.get("schema") is not None
    if inference == "from_input" or (inference == "auto" and not strong):
        if ordered and len(tables) == 1 and not append:
            only = tables[0]
            if only.schema is None:
                # weak, but sorted as the input is: a weak table's schema is its key's
                # (TTableSchema::FromKeyColumns), taken whole as a strong one is
                return _selected(tables, WEAK, list(only.sorted_by))
            return _selected(tables, _whole(only.schema, only.sorted_by), only.sorted_by)
        return _selected(tables, _inferred(tables), [])
    key = _key_of(node)
    if key and not ordered:
        raise YtFakeError(UNORDERED_INTO_SORTED)
    if key and inference == "auto" and len(tables) > 1:
        raise YtFakeError(ORDERED_INTO_SORTED)
    if key and inference == "auto":
        _check_input_keys(tables, key, unique_keys(node))
    return None, []


def _check_input_keys(tables: list[InputTable], key: list[str], unique: bool) -> None:
    """An ordered merge into a table of strong sorted schema compares each input of strong
    schema with it, sort order included (ValidateOutputSchemaCompatibility(false) in
    TOrderedMergeController::PrepareOutputTables, ordered_controller.cpp): the output's key
    must begin the input's (CheckTableSchemaCompatibilityImpl in yt/yt/client/table_client/
    check_schema_compatibility.cpp), before any row is read, so an unsorted input is
    refused even when its rows happen to come in key order. A weak input is not compared:
    its rows meet the sorted writer."""
    for table in tables:
        if table.schema is None:
            continue
        reason = _key_mismatch(table, key, unique)
        if reason is not None:
            raise YtFakeError(INCOMPATIBLE, code=INCOMPATIBLE_SCHEMAS_CODE,
                              inner_errors=[YtFakeError(reason)])


def _key_mismatch(table: InputTable, key: list[str], unique: bool) -> str | None:
    """CheckTableSchemaCompatibilityImpl's reason, in its order, why an input's key does not
    fit the output's; None when it does (the fake's keys are all ascending)."""
    given = table.sorted_by
    if len(key) > len(given):
        return "Output key columns are wider than input key columns"
    if unique:
        if not unique_keys_of(table.schema):
            return 'Input schema "unique_keys" attribute is false'
        if len(key) != len(given):
            return "Input key columns are wider than output key columns"
    for theirs, ours in zip(given, key):
        if theirs != ours:
            return f'Key columns do not match: input column "{theirs}", output column "{ours}"'
    return None


def _column_v3(column: dict[str, Any]) -> Any:
    return column.get("type_v3") or v3_of_old(str(column.get("type", "any")),
                                             bool(column.get("required", False)))


def _strict(schema: Any) -> bool:
    return bool((getattr(schema, "attributes", None) or {}).get("strict", True))


def _canonical(schema: Any) -> tuple[bool, list[tuple[str, str]]]:
    """A strong schema as InferSchemaFromInput compares it: strictness, and its columns'
    names and types (no sort order, no other attribute), ordered by name."""
    return _strict(schema), sorted((str(c["name"]), repr(_column_v3(c))) for c in schema)


def _stripped(column: dict[str, Any]) -> dict[str, Any]:
    return {name: copy.deepcopy(value) for name, value in column.items()
            if name in ("name", "type", "type_v3", "required")}


def _inferred(tables: list[InputTable]) -> Any:
    if any((table.schema is None) != (tables[0].schema is None) for table in tables):
        raise YtFakeError(SCHEMA_MODES_DIFFER)
    first = tables[0].schema
    if first is None:
        return WEAK
    if any(_canonical(table.schema) != _canonical(first) for table in tables[1:]):
        raise YtFakeError(SCHEMAS_DIFFER)
    columns = sorted((_stripped(dict(c)) for c in first), key=lambda c: str(c["name"]))
    return yson.to_yson_type(columns, attributes={"strict": _strict(first),
                                                  "unique_keys": False})


def _whole(schema: Any, sorted_by: list[str]) -> Any:
    """An input's schema as a table of it has it: its key columns first and sorted."""
    columns = [copy.deepcopy(dict(c)) for c in schema]
    first = [dict(c, sort_order="ascending") for name in sorted_by for c in columns
             if str(c["name"]) == name]
    rest = [{k: v for k, v in c.items() if k != "sort_order"} for c in columns
            if str(c["name"]) not in sorted_by]
    return yson.to_yson_type(first + rest,
                             attributes=dict(getattr(schema, "attributes", None) or {}))


def _selected(tables: list[InputTable], schema: Any, key: list[str]) -> tuple[Any, list[str]]:
    """The schema with only the columns the inputs' paths select, when every one selects
    some; the key as far as its columns are all kept."""
    chosen = selected_only([table.columns for table in tables])
    if chosen is None:
        return schema, key
    kept = []
    for name in key:
        if name not in chosen:
            break
        kept.append(name)
    if schema is WEAK:
        return schema, kept
    columns = [dict(c) for c in schema if str(c["name"]) in chosen]
    for column in columns:
        if str(column["name"]) not in kept:
            column.pop("sort_order", None)
    attributes = dict(getattr(schema, "attributes", None) or {})
    if kept != key:
        attributes["unique_keys"] = False
    return yson.to_yson_type(columns, attributes=attributes), kept
