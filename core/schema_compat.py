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
into the output column's (column_type_fit), or a required output column the input lacks.
The controller fails the operation only on an incompatible result: one that "requires
validation" (int64 into int32, string into utf8, optional<T> into T: "for historical
reasons") passes, and its values are checked row by row as they are written.
`schema_inference_mode: from_output` skips the comparison, as the controllers do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: what the scheduler says of an operation its controller failed to prepare
PREPARE_FAILED = "Operation has failed to prepare"
#: CheckTableSchemaCompatibility's outer error (EErrorCode::IncompatibleSchemas)
INCOMPATIBLE = "Table schemas are incompatible"
INCOMPATIBLE_SCHEMAS_CODE = 316  # yt/yt/client/table_client/public.h

#: ESchemaCompatibility, in the order the comparison takes the least of
INCOMPATIBLE_TYPE, REQUIRES_VALIDATION, FULLY_COMPATIBLE = 0, 1, 2

#: the simple types of one class and their rank in it: a value goes without a check into
#: a type of its class of the same or a higher rank, with a check into a lower one, and
#: not into another class (GetSimpleTypeRank and CheckCompatibilityUsingClass in
#: yt/yt/client/complex_types/check_type_compatibility.cpp)
_RANKED = {"int8": ("int", 8), "int16": ("int", 16), "int32": ("int", 32),
           "int64": ("int", 64), "uint8": ("uint", 8), "uint16": ("uint", 16),
           "uint32": ("uint", 32), "uint64": ("uint", 64), "float": ("floating", 32),
           "double": ("floating", 64), "utf8": ("string", 1), "string": ("string", 2)}
#: the types that go only into themselves (and, but for json and uuid, into yson)
_UNRANKED = frozenset({"bool", "date", "datetime", "timestamp", "interval", "json", "uuid",
                       "yson"})
#: what a yson (`any`) column takes "for historical reasons" (CheckTypeCompatibilitySimple)
_INTO_YSON = frozenset(_RANKED) | (_UNRANKED - {"json", "uuid"})
#: type_v3's names of the old types that differ (the "Data types" page of the YTsaurus docs)
_V3_NAME = {"boolean": "bool", "any": "yson"}


def _unwrapped(type_v3: Any) -> tuple[str, int] | None:
    """A column's type_v3 as (simple type, how many optionals wrap it); None for a type
    this comparison leaves to the row check: a composite one (list, struct, tagged, ...),
    null and void (which only equal types take, not left to dev's YQL null columns), or one
    it does not know."""
    nesting = 0
    while isinstance(type_v3, dict) and type_v3.get("type_name") == "optional":
        nesting += 1
        type_v3 = type_v3.get("item")
    if isinstance(type_v3, dict) and set(type_v3) == {"type_name"}:
        type_v3 = type_v3["type_name"]
    if not isinstance(type_v3, str):
        return None
    name = _V3_NAME.get(type_v3, type_v3)
    return (name, nesting) if name in _RANKED or name in _UNRANKED else None


def _simple_fit(given: str, taken: str) -> int:
    """How a value of simple type `given` goes into a column of simple type `taken`
    (CheckTypeCompatibilitySimple)."""
    if taken == "yson":
        return FULLY_COMPATIBLE if given in _INTO_YSON else INCOMPATIBLE_TYPE
    if given in _RANKED:
        given_class, given_rank = _RANKED[given]
        taken_class, taken_rank = _RANKED.get(taken, ("", 0))
        if taken_class != given_class:
            return INCOMPATIBLE_TYPE
        return FULLY_COMPATIBLE if taken_rank >= given_rank else REQUIRES_VALIDATION
    return FULLY_COMPATIBLE if given == taken else INCOMPATIBLE_TYPE


def column_type_fit(given_v3: Any, taken_v3: Any) -> tuple[int, str]:
    """How an input column of type_v3 `given_v3` goes into an output column of type_v3
    `taken_v3` (an ESchemaCompatibility value), with the field the comparison names when
    it is not fully compatible: the input type's element under its optionals (the
    TComplexTypeFieldDescriptor of a column's type has an empty name, each optional adds
    ".<optional-element>": yt/yt/client/table_client/logical_type.cpp).

    Optionals as CheckTypeCompatibilityImpl takes them: T into optional<T>, or as many
    optionals on either side, compare the elements; optional<T> into T does too and at
    best requires validation (its nulls are refused row by row); other nestings are
    incompatible. A type left to the row check (_unwrapped) fits here."""
    given, taken = _unwrapped(given_v3), _unwrapped(taken_v3)
    if given is None or taken is None:
        return FULLY_COMPATIBLE, ""
    (given_type, given_nesting), (taken_type, taken_nesting) = given, taken
    field = ".<optional-element>" * given_nesting
    if given_nesting == taken_nesting or (given_nesting, taken_nesting) == (0, 1):
        return _simple_fit(given_type, taken_type), field
    if (given_nesting, taken_nesting) == (1, 0):
        return min(_simple_fit(given_type, taken_type), REQUIRES_VALIDATION), field
    return INCOMPATIBLE_TYPE, field


def incompatible_input(input_columns: Mapping[str, Any], output_columns: Mapping[str, Any],
                       output_required: Iterable[str]) -> list[str] | None:
    """The cluster's reason an input of strict schema (its columns, name: type_v3, None
    for a type not compared) cannot be written into an output of strict schema (its
    columns, name: type_v3, in its order, and which of them are required), as the chain of
    messages of its error, outermost first; None when it can. Columns are named as
    GetDiagnosticNameString names them (quoted)."""
    for name in input_columns:
        if name not in output_columns:
            return [f'Column "{name}" is found in input schema but is missing in output '
                    "schema"]
    required = set(output_required)
    for name, taken in output_columns.items():
        if name in input_columns:
            fit, field = column_type_fit(input_columns[name], taken)
            if fit == INCOMPATIBLE_TYPE:
                return [f'Column "{name}" input type is incompatible with output type',
                        f'Type of "{field}" field is modified in non backward compatible '
                        "manner"]
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
