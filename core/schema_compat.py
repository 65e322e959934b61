"""Whether a sort or a merge may write its inputs into an output table of strict schema:
the check a cluster makes before the operation runs, in the words both backends give.

A sort or a merge whose output table has a strong schema (schema_inference_mode `auto`)
compares the schema of each input of strong schema with the output's before it reads a
row (ValidateOutputSchemaCompatibility in yt/yt/server/controller_agent/controllers/
operation_controller_detail.cpp, called from the sort controller's and the merge
controllers' PrepareOutputTables); an input of weak schema (no schema: rows write_table
wrote) is not compared, and its rows meet the output table's writer, which refuses null in
a required column (yt_pipeline.column_types.refused_row). The comparison
(CheckTableSchemaCompatibilityImpl in yt/yt/client/table_client/
check_schema_compatibility.cpp) refuses, into a strict output, an input column the output
lacks; then, column by column in the output's order, an input column whose type cannot go
into the output column's (column_type_fit: composite types too, yt_pipeline.type_compat),
or a required output column the input lacks.
The controller fails the operation only on an incompatible result: one that "requires
validation" (int64 into int32, string into utf8, optional<T> into T: "for historical
reasons") passes, and its values are checked row by row as they are written.
`schema_inference_mode: from_output` skips the comparison, as the controllers do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# the ESchemaCompatibility values, for this comparison's callers too
from yt_pipeline.type_compat import FULLY_COMPATIBLE as FULLY_COMPATIBLE
from yt_pipeline.type_compat import INCOMPATIBLE_TYPE as INCOMPATIBLE_TYPE
from yt_pipeline.type_compat import REQUIRES_VALIDATION as REQUIRES_VALIDATION
from yt_pipeline.type_compat import simple_name, type_fit

#: what the scheduler says of an operation its controller failed to prepare
PREPARE_FAILED = "Operation has failed to prepare"
#: CheckTableSchemaCompatibility's outer error (EErrorCode::IncompatibleSchemas)
INCOMPATIBLE = "Table schemas are incompatible"
INCOMPATIBLE_SCHEMAS_CODE = 316  # yt/yt/client/table_client/public.h

#: the types of no value but null, which a YQL write gives a column of NULLs (yql_type_v3.
#: column_type_v3): a cluster takes them only into the same type, and dev's YQL keeps such
#: a column where a cluster's would have another type, so this comparison leaves them to
#: the row check
_NULL_TYPES = frozenset({"null", "void"})


def column_type_fit(given_v3: Any, taken_v3: Any) -> tuple[int, str]:
    """How an input column of type_v3 `given_v3` goes into an output column of type_v3
    `taken_v3` (an ESchemaCompatibility value), with the reason a cluster gives when it is
    not fully compatible (yt_pipeline.type_compat: CheckTypeCompatibility, composite types
    included). Optional<T> into T at best requires validation (its nulls are refused row
    by row). A column of nulls (`null`, `void`, optional or not), or of a type not
    compared (None), is left to the row check."""
    if given_v3 is None or taken_v3 is None or \
            simple_name(_under_optionals(given_v3)) in _NULL_TYPES:
        return FULLY_COMPATIBLE, ""
    return type_fit(given_v3, taken_v3)


def _under_optionals(v3: Any) -> Any:
    while isinstance(v3, dict) and v3.get("type_name") in ("optional", "tagged"):
        v3 = v3.get("item")
    return v3


def incompatible_input(input_columns: Mapping[str, Any], output_columns: Mapping[str, Any],
                       output_required: Iterable[str], input_strict: bool = True,
                       output_strict: bool = True) -> list[str] | None:
    """The cluster's reason an input of strong schema (its columns, name: type_v3, None
    for a type not compared) cannot be written into an output of strong schema (its
    columns, name: type_v3, in its order, and which of them are required), as the chain of
    messages of its error, outermost first; None when it can. Columns are named as
    GetDiagnosticNameString names them (quoted).

    Either schema may be non-strict (`input_strict`, `output_strict`): a strict output
    takes no non-strict input and no input column it lacks; a non-strict one takes input
    columns it does not name. An output column a non-strict input does not name is refused,
    as its values are unknown. (A non-strict output also refuses an input column of a
    composite type it does not name; the callers' schemas carry no such column's type, so
    that rule is not checked here.)"""
    if output_strict:
        if not input_strict:
            return ["Incompatible strictness: input schema is not strict while output "
                    "schema is"]
        for name in input_columns:
            if name not in output_columns:
                return [f'Column "{name}" is found in input schema but is missing in output '
                        "schema"]
    required = set(output_required)
    for name, taken in output_columns.items():
        if name in input_columns:
            fit, reason = column_type_fit(input_columns[name], taken)
            if fit == INCOMPATIBLE_TYPE:
                return [f'Column "{name}" input type is incompatible with output type', reason]
        elif not input_strict:
            return [f'Column "{name}" is present in output schema and is missing in '
                    "non-strict input schema"]
        elif name in required:
            return [f'Required column "{name}" is present in output schema and is missing '
                    "in input schema"]
    return None


def checks_output_schema(spec: dict[str, Any] | None) -> bool:
    """Whether the operation compares its inputs' schemas with its output's: not with
    `schema_inference_mode: from_output` in its spec (ESchemaInferenceMode::FromOutput)."""
    mode = (spec or {}).get("schema_inference_mode") or "auto"
    return str(mode) != "from_output"


def prepare_failure(reasons: list[str]) -> str:
    """The operation's error as one line: the scheduler's, the comparison's and the
    reason's messages."""
    return ": ".join([PREPARE_FAILED, INCOMPATIBLE, *reasons])
