"""The fake's check of a sort's or a merge's inputs against its output table's strict schema,
before any row is read, as a cluster's controller makes it while it prepares the operation
(ValidateOutputSchemaCompatibility in yt/yt/server/controller_agent/controllers/
operation_controller_detail.cpp; the rules and words: yt_pipeline.schema_compat)."""

from __future__ import annotations

from typing import Any

from yt_pipeline.schema_compat import (
    INCOMPATIBLE,
    INCOMPATIBLE_SCHEMAS_CODE,
    PREPARE_FAILED,
    checks_output_schema,
    incompatible_input,
)
from yt_pipeline.yql_type_v3 import v3_of_old
from yt_pipeline_prod.fake.inputs import InputTable


def _strict_types(schema: Any) -> dict[str, Any] | None:
    """name: type_v3 of a strict schema's columns (from the old `type` and `required` when
    a column gives none, as a master does); None for no schema or one that is not strict
    (the weak schema a sort leaves on a table of none: `<strict=%false>[key columns]`)."""
    if not schema or not getattr(schema, "attributes", {}).get("strict", True):
        return None
    return {str(column["name"]): column.get("type_v3") or v3_of_old(
        str(column.get("type", "any")), bool(column.get("required", False)))
        for column in schema}


def _error(message: str, inner: list[dict[str, Any]], code: int = 1) -> dict[str, Any]:
    return {"code": code, "message": message, "attributes": {}, "inner_errors": inner}


def refused_inputs(spec: dict[str, Any], tables: list[InputTable],
                   output: dict[str, str] | None,
                   output_schema: Any = None) -> dict[str, Any] | None:
    """The operation's error (YT's error form) when an input of strict schema cannot go into
    the output of strict schema `output` (name: type, SchemaColumns with its required ones;
    `output_schema` the table's schema, which gives its columns' type_v3); None when every
    input may, or the output has no strict schema. An output of non-strict schema is not
    compared here (a cluster compares it too, with rules of its own for a non-strict
    output: CheckTableSchemaCompatibilityImpl), but its writer checks its columns' values
    row by row (yql_tables.writer_columns)."""
    if output is None or not getattr(output, "strict", True) or \
            not checks_output_schema(spec):
        return None
    required: frozenset[str] = getattr(output, "required", frozenset())
    output_types = _strict_types(output_schema) or {
        name: v3_of_old(kind, name in required) for name, kind in output.items()}
    for table in tables:
        types = _strict_types(table.schema)
        if types is None:  # weak: its rows meet the writer
            continue
        if table.columns is not None:  # the controller compares the selected columns
            types = {name: kind for name, kind in types.items() if name in table.columns}
        reasons = incompatible_input(types, output_types, required)
        if reasons is not None:
            # each message the cause of the one before (TError << inner error)
            inner: list[dict[str, Any]] = []
            for message in reversed(reasons):
                inner = [_error(message, inner)]
            return _error(PREPARE_FAILED, [_error(INCOMPATIBLE, inner,
                                                  INCOMPATIBLE_SCHEMAS_CODE)])
    return None
