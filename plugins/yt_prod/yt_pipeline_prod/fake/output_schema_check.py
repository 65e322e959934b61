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
from yt_pipeline_prod.fake.inputs import InputTable


def _strict_names(schema: Any) -> list[str] | None:
    """The column names of a strict schema; None for none or one that is not strict (the
    weak schema a sort leaves on a table of none: `<strict=%false>[key columns]`)."""
    if not schema or not getattr(schema, "attributes", {}).get("strict", True):
        return None
    return [str(column["name"]) for column in schema]


def refused_inputs(spec: dict[str, Any], tables: list[InputTable],
                   output: dict[str, str] | None) -> dict[str, Any] | None:
    """The operation's error (YT's error form) when an input of strict schema cannot go into
    the output of strict schema `output` (name: type, SchemaColumns with its required ones);
    None when every input may, or the output has no strict schema."""
    if output is None or not checks_output_schema(spec):
        return None
    required: frozenset[str] = getattr(output, "required", frozenset())
    for table in tables:
        names = _strict_names(table.schema)
        if names is None:  # weak: its rows meet the writer
            continue
        if table.columns is not None:  # the controller compares the selected columns
            names = [name for name in names if name in table.columns]
        reason = incompatible_input(names, list(output), required)
        if reason is not None:
            inner = {"code": INCOMPATIBLE_SCHEMAS_CODE, "message": INCOMPATIBLE,
                     "attributes": {}, "inner_errors": [
                         {"code": 1, "message": reason, "attributes": {}, "inner_errors": []}]}
            return {"code": 1, "message": PREPARE_FAILED, "attributes": {},
                    "inner_errors": [inner]}
    return None
