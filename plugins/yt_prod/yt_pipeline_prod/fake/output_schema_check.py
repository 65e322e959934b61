"""The fake's check of a sort's or a merge's inputs against its output table's strong schema,
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


def _strong_types(schema: Any) -> tuple[dict[str, Any], bool] | None:
    """name: type_v3 of a strong schema's columns (from the old `type` and `required` when
    a column gives none, as a master does), and whether the schema is strict; None for a
    table of weak schema (no `schema` attribute: the weak schema a sort leaves on a table
    of none, `<strict=%false>[key columns]`, is not kept as one)."""
    if schema is None:
        return None
    strict = bool((getattr(schema, "attributes", None) or {}).get("strict", True))
    return {str(column["name"]): column.get("type_v3") or v3_of_old(
        str(column.get("type", "any")), bool(column.get("required", False)))
        for column in schema}, strict


def _error(message: str, inner: list[dict[str, Any]], code: int = 1) -> dict[str, Any]:
    return {"code": code, "message": message, "attributes": {}, "inner_errors": inner}


def refused_inputs(spec: dict[str, Any], tables: list[InputTable],
                   output: dict[str, str] | None,
                   output_schema: Any = None) -> dict[str, Any] | None:
    """The operation's error (YT's error form) when an input of strong schema cannot go
    into the output of strong schema `output` (name: type, SchemaColumns with its required
    ones and its strictness; `output_schema` the table's schema, which gives its columns'
    type_v3); None when every input may, or the output has no schema. Strict or not, both
    are compared (ValidateOutputSchemaCompatibility compares every input of strong schema
    mode; CheckTableSchemaCompatibilityImpl in yt/yt/client/table_client/
    check_schema_compatibility.cpp has the rules for non-strict ones:
    yt_pipeline.schema_compat.incompatible_input)."""
    if output is None or not checks_output_schema(spec):
        return None
    required: frozenset[str] = getattr(output, "required", frozenset())
    output_strict: bool = getattr(output, "strict", True)
    described = _strong_types(output_schema)
    output_types = described[0] if described else {
        name: v3_of_old(kind, name in required) for name, kind in output.items()}
    for table in tables:
        found = _strong_types(table.schema)
        if found is None:  # weak: its rows meet the writer
            continue
        types, strict = found
        if table.columns is not None:  # the controller compares the selected columns
            types = {name: kind for name, kind in types.items() if name in table.columns}
        reasons = incompatible_input(types, output_types, required, strict, output_strict)
        if reasons is not None:
            # each message the cause of the one before (TError << inner error)
            inner: list[dict[str, Any]] = []
            for message in reversed(reasons):
                inner = [_error(message, inner)]
            return _error(PREPARE_FAILED, [_error(INCOMPATIBLE, inner,
                                                  INCOMPATIBLE_SCHEMAS_CODE)])
    return None
