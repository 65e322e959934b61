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
lacks, then an output column that is required and that the input lacks. An optional input
column going into a required one passes here ("optional<T> compatible with T" for
historical reasons): its nulls are refused row by row. Column types are not compared here.
`schema_inference_mode: from_output` skips the comparison, as the controllers do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: what the scheduler says of an operation its controller failed to prepare
PREPARE_FAILED = "Operation has failed to prepare"
#: CheckTableSchemaCompatibility's outer error (EErrorCode::IncompatibleSchemas)
INCOMPATIBLE = "Table schemas are incompatible"
INCOMPATIBLE_SCHEMAS_CODE = 316  # yt/yt/client/table_client/public.h


def incompatible_input(input_columns: Sequence[str], output_columns: Sequence[str],
                       output_required: Iterable[str]) -> str | None:
    """The cluster's reason an input of strict schema (its column names) cannot be written
    into an output of strict schema (its column names, and which of them are required), or
    None when it can. Columns are named as GetDiagnosticNameString names them (quoted)."""
    output = set(output_columns)
    for name in input_columns:
        if name not in output:
            return f'Column "{name}" is found in input schema but is missing in output schema'
    given, required = set(input_columns), set(output_required)
    for name in output_columns:
        if name not in given and name in required:
            return (f'Required column "{name}" is present in output schema and is missing '
                    "in input schema")
    return None


def checks_output_schema(spec: dict | None) -> bool:
    """Whether the operation compares its inputs' schemas with its output's: not with
    `schema_inference_mode: from_output` in its spec (ESchemaInferenceMode::FromOutput)."""
    mode = (spec or {}).get("schema_inference_mode") or "auto"
    return str(mode) != "from_output"


def prepare_failure(reason: str) -> str:
    """The operation's error as one line: the scheduler's, the comparison's and the reason."""
    return f"{PREPARE_FAILED}: {INCOMPATIBLE}: {reason}"
