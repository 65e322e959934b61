"""How the fake's YQL sees a table, and what a YQL write leaves behind, as on a cluster.

A table with a schema (one a YQL INSERT wrote) is read with its columns. A table without
one (write_table, operation outputs) is refused unless the query sets `yt.InferSchema`
(or `yt.ForceInferSchema`); then its columns are the keys holding a non-null value in the
first N rows, and an empty table is refused. YQL appends only to a table with a schema and
the same columns. Facts and error texts: yt/yql/providers/yt/provider/yql_yt_provider.cpp
(`TYtTableDescription::Validate`), lib/infer_schema/infer_schema.cpp (`AddRow` skips null
values), provider/yql_yt_datasink_type_ann.cpp (the append checks), in ytsaurus/ytsaurus.
"""

from __future__ import annotations

from typing import Any

import yt.yson as yson

from yt_pipeline.column_types import (
    SchemaColumns,
    append_type_differs,
    refused_row,
    widened_columns,
    yt_column_type,
)
from yt_pipeline.yql_required import optional_into_required
from yt_pipeline.yql_rules import (
    append_refused,
    empty_column_name,
    empty_table,
    inferred_columns,
    no_columns,
    no_schema,
    row_type_differs,
)
from yt_pipeline.yql_type_v3 import (
    append_v3_differs,
    column_type_v3,
    converted_composites,
    converted_value,
    is_yson_v3,
    v3_of_old,
    written_v3,
)
from yt_pipeline.yql_utf8 import utf8_refused
from yt_pipeline_prod.fake.cypress import Node
from yt_pipeline_prod.fake.protocol import YtFakeError


def schema_columns(node: Node) -> list[str]:
    """The columns of the table's schema; none for a schemaless table."""
    return [str(column["name"]) for column in node.attributes.get("schema") or []]


#: EErrorCode::SchemaViolation (yt/yt/client/table_client/public.h)
SCHEMA_VIOLATION = 307


def strict_columns(node: Node) -> dict[str, str] | None:
    """The columns (name: YT type) of a table with a strict schema (one a YQL write gave
    it); None when any value may be written (no schema, or a schema that is not strict)."""
    schema = node.attributes.get("schema")
    if not schema or not getattr(schema, "attributes", {}).get("strict", True):
        return None
    return SchemaColumns({str(column["name"]): str(column.get("type", "any")) for column in schema},
                         required_of(node))


def writer_columns(node: Node) -> SchemaColumns | None:
    """The columns (name: YT type) a writer checks each row against: those of the table's
    schema, strict or not (SchemaColumns.strict says which); None for a table of no
    schema. A cluster's writer checks a non-strict schema's own columns as a strict one's
    and only lets other columns through (ReorderAndValidateRows in yt/yt/ytlib/
    table_client/schemaless_chunk_writer.cpp; test_infer_output_yt_8661_first in
    yt/yt/tests/integration/tests/controller/test_merge_operation.py merges string values
    into a non-strict schema's uint64 column and fails)."""
    schema = node.attributes.get("schema")
    if schema is None:
        return None
    strict = bool((getattr(schema, "attributes", None) or {}).get("strict", True))
    return SchemaColumns({str(column["name"]): str(column.get("type", "any")) for column in schema},
                         required_of(node), strict)


def required_of(node: Node) -> frozenset[str]:
    """The columns of the table's schema that take no null (`required: true`)."""
    return frozenset(str(column["name"]) for column in node.attributes.get("schema") or []
                     if column.get("required", False))


def schema_violation(columns: dict[str, str] | None, rows: list[dict[str, Any]]) -> str | None:
    """What a cluster's table writer says of the first row a schema (writer_columns;
    strict_columns) refuses, or None. A write keeps a table's strong schema, an overwrite
    too (GetTableUploadOptions in yt/yt/client/table_client/table_upload_options.cpp); the
    chunk writer refuses a column a strict schema lacks ("Unknown column %Qv in strict schema":
    yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp) and a value of another type
    (yt_pipeline.column_types)."""
    if columns is None:
        return None
    for row in rows:
        refused = refused_row(columns, row)
        if refused is not None:
            return refused
    return None


def declared_v3(node: Node) -> dict[str, Any]:
    """The type_v3 of each column of the table's schema (from its old `type` when the
    schema gives none, as a master does); empty for a schemaless table."""
    return {str(column["name"]): column.get("type_v3") or v3_of_old(
        str(column.get("type", "any")), bool(column.get("required", False)))
        for column in node.attributes.get("schema") or []}


def declared_yson(node: Node) -> set[str]:
    """The columns of the table's schema YQL reads as Yson (`any`, type_v3 yson)."""
    return {name for name, v3 in declared_v3(node).items() if is_yson_v3(v3)}


def columns_for_read(node: Node, path: str, infer_rows: int | None) -> list[str]:
    """The columns YQL sees in the table, or the cluster's error."""
    declared = schema_columns(node)
    if declared:
        return declared
    if infer_rows is None:
        raise YtFakeError(no_schema(path))
    if not node.rows:
        raise YtFakeError(empty_table(path))
    # the same columns dev infers: `$` system columns skipped, as a cluster does
    names = inferred_columns(node.rows, infer_rows)
    if not names:
        raise YtFakeError(no_columns(path, min(infer_rows, len(node.rows))))
    if "" in names:
        raise YtFakeError(empty_column_name(path))
    return names


def projected(rows: list[dict[str, Any]], columns: list[str]) -> list[dict[str, Any]]:
    """Each row with exactly these columns (a missing one is null)."""
    return [{name: row.get(name) for name in columns} for row in rows]


def yql_schema(columns: list[tuple[str, str]], required: frozenset[str] = frozenset(),
               unique_keys: bool = False, utf8: frozenset[str] = frozenset()) -> Any:
    """The strict schema a YQL write gives its table, from (name, DuckDB type) pairs, the
    names of those whose YQL type is not Optional (yql_required) and of the text ones YQL
    types Utf8 (yql_utf8): each column's type_v3 as YQL writes it, and the old `type` and
    `required` the master shows with it (yql_type_v3)."""
    described = [{"name": name, "type": _written_type(kind, name in utf8),
                  "required": name in required,
                  "type_v3": _written_v3(kind, name in utf8, name in required)}
                 for name, kind in columns]
    return yson.to_yson_type(described, attributes={"strict": True, "unique_keys": unique_keys})


def _written_type(kind: str, utf8: bool) -> str:
    """The YT type a YQL write gives a result column of DuckDB type `kind`: `utf8` for a
    text one YQL types Utf8 (RowSpecYqlTypeToYtType, yql_utf8)."""
    return "utf8" if utf8 and kind == "VARCHAR" else yt_column_type(kind)


def _written_v3(kind: str, utf8: bool, required: bool) -> Any:
    if utf8 and kind == "VARCHAR":
        return v3_of_old("utf8", required)
    return column_type_v3(kind, required)


def check_append(node: Node, path: str, described: list[tuple[str, str]],
                 required: frozenset[str] = frozenset(), appended: bool = False,
                 utf8: frozenset[str] = frozenset(), literals: frozenset[str] = frozenset()
                 ) -> list[str]:
    """A YQL append of columns (name, DuckDB type; `required` those not Optional, `utf8`
    the text ones YQL types Utf8, `literals` those that are a String literal) to the table
    `node`: refused unless the table has a schema of the same columns, of types the
    written ones convert to; `appended`: the query made or replaced the table before (YQL
    says "appended row type" of it). Returns the columns whose integers YQL makes doubles."""
    declared = schema_columns(node)
    if not declared:
        raise YtFakeError(append_refused(path))
    # each side's full YQL type (Optional unless required), for YQL's type diff
    table_row = declared_v3(node)
    written_row = {name: _written_v3(kind, name in utf8, name in required)
                   for name, kind in described}
    refused = YtFakeError(row_type_differs(path, table_row, written_row, appended))
    if sorted(declared) != sorted(written_row):
        raise refused
    table = strict_columns(node) or {}
    written = {name: _written_type(kind, name in utf8) for name, kind in described}
    # a String into a `utf8` column is judged by utf8_refused (a literal converts)
    text = frozenset(name for name, kind in described if kind == "VARCHAR")
    table_utf8 = frozenset(name for name, kind in table.items() if kind == "utf8")
    written.update({name: "utf8" for name in table_utf8 & text})
    # a List<String> and a Yson column are both `any`: their type_v3 tells them apart
    table_v3 = declared_v3(node)
    written_v3s = {name: written_v3(kind) for name, kind in described}
    if append_type_differs(table, written) or any(
            append_v3_differs(table_v3.get(name), written_v3s.get(name)) for name in table):
        raise refused
    if optional_into_required(required_of(node), required):
        raise refused
    if utf8_refused(table_utf8, utf8, text, literals):
        raise refused
    return widened_columns(table, written)


def converted_rows(node: Node, described: list[tuple[str, str]],
                   rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of a YQL append with their List, Dict and Struct values of the table's
    column types: List<Int64> values appended to a List<Double> column are doubles
    (yql_type_v3.converted_value)."""
    table_v3 = declared_v3(node)
    names = converted_composites(table_v3, {name: written_v3(kind) for name, kind in described})
    if not names:
        return rows
    return [{**row, **{name: converted_value(row.get(name), table_v3[name]) for name in names}}
            for row in rows]
