"""The checks a master makes of the `schema` a table is created with, in its order and
words, so that a schema a cluster refuses is refused by the fake too.

A master reads the attribute first (IAttributeDictionary::Find in yt/yt/core/ytree/
attributes-inl.h wraps what fails as 'Error parsing attribute "schema"'); reading a column
(TSerializableColumnSchema::RunPostprocessor in yt/yt/client/table_client/
schema_serialization_helpers.cpp) refuses an empty name and a required `any`. It then
validates the whole schema (TTableNodeTypeHandlerBase::DoCreate in yt/yt/server/master/
table_server/table_node_type_handler_detail.cpp calls ValidateTableSchemaUpdate, which wraps
what ValidateTableSchema in yt/yt/client/table_client/schema.cpp finds as "New table schema
is not valid"): each column (ValidateColumnSchema: a system name, the name's length), then
no name twice (ValidateColumnUniqueness), then key columns first
(ValidateKeyColumnsFormPrefix), and last the schema's attributes: `unique_keys` only with key
columns (ValidateSchemaAttributes).

A computed column (one with an `expression`) may not be required (ValidateColumnSchema:
"Computed column cannot be required"). Past that a master checks the expression with the
query engine (ValidateComputedColumns, called by ValidateTableSchemaHeavy in
yt/yt/ytlib/table_client/schema.cpp: its type, the columns it reads) and every writer then
computes the column's values; the fake does neither, so it refuses any schema with a computed
column the cluster would get this far with, saying so, rather than keep rows whose computed
values are missing or wrong.

Reading a column wraps its required-any refusal in one more error naming the column; that
one's exact quoting is not checked here, so the fake leaves it out and gives the cause.
"""

from __future__ import annotations

from typing import Any

from yt_pipeline_prod.fake.protocol import YtFakeError

#: EErrorCode::InvalidSchemaValue (yt/yt/client/table_client/public.h), the code of "New
#: table schema is not valid"
INVALID_SCHEMA_VALUE = 314
#: MaxColumnNameLength (yt/yt/client/table_client/public.h): bytes of a column name
MAX_COLUMN_NAME_LENGTH = 256
#: the system columns ValidateSystemColumnSchema lets an unsorted schema have (an ordered
#: dynamic table's); a sorted schema may have none. The fake does not check their types.
UNSORTED_SYSTEM_COLUMNS = frozenset({"$timestamp", "$cumulative_data_weight"})


def check_new_table_schema(columns: list[Any], unique_keys: bool = False) -> None:
    """YtFakeError, as a master gives it, for the first thing in `columns` (the `schema`
    attribute's list; `unique_keys` its attribute) a cluster refuses at create time."""
    for column in columns:
        refused = _unreadable(column)
        if refused is not None:
            raise YtFakeError('Error parsing attribute "schema"', inner_errors=[refused])
    refused = _invalid(columns)
    if refused is None and unique_keys and \
            not any(isinstance(c, dict) and c.get("sort_order") for c in columns):
        refused = YtFakeError('"unique_keys" can only be true if key columns are present')
    if refused is not None:
        raise YtFakeError("New table schema is not valid", code=INVALID_SCHEMA_VALUE,
                          inner_errors=[refused])
    computed = [c for c in columns if isinstance(c, dict) and c.get("expression")]
    if computed:
        raise YtFakeError(
            "The fake YT proxy does not model computed columns: column "
            f'"{computed[0]["name"]}" has the expression "{computed[0]["expression"]}", whose '
            "values a cluster computes on every write and the fake cannot")


#: the names a column's old `type` may take: ESimpleLogicalValueType (yt/yt/client/
#: table_client/row_base.h); the loader parses the enum before the column's postprocessor runs
SIMPLE_TYPES = frozenset({
    "null", "int64", "uint64", "double", "boolean", "string", "any", "int8", "uint8",
    "int16", "uint16", "int32", "uint32", "utf8", "date", "datetime", "timestamp",
    "interval", "void", "float", "json", "uuid", "date32", "datetime64", "timestamp64",
    "interval64"})


def _unreadable(column: Any) -> YtFakeError | None:
    if not isinstance(column, dict):
        return None
    kind = column.get("type")
    if kind is not None and str(kind) not in SIMPLE_TYPES:
        return YtFakeError(f'Error parsing ESimpleLogicalValueType value "{kind}"')
    if not column.get("name"):
        return YtFakeError("Column name cannot be empty")
    if kind is None and column.get("type_v3") is None:
        # RunPostprocessor's own refusals are wrapped in one naming the column
        return YtFakeError(f'Error validating column "{column["name"]}" in table schema',
                           inner_errors=[YtFakeError("Column type is not specified")])
    if _is_required_any(column):
        return YtFakeError('Column of type "any" cannot be "required"')
    return None


def _is_required_any(column: dict[str, Any]) -> bool:
    """Whether the column's type is a bare (tags aside) `yson`: `type: any` with `required:
    true`, or a type_v3 of yson outside an optional (DetagLogicalType compared with
    SimpleLogicalType(Any))."""
    v3 = column.get("type_v3")
    if v3 is None:
        return column.get("type") == "any" and column.get("required") is True
    while isinstance(v3, dict) and v3.get("type_name") == "tagged":
        v3 = v3.get("item")
    if isinstance(v3, dict) and set(v3) == {"type_name"}:
        v3 = v3["type_name"]
    return v3 == "yson"


def _invalid(columns: list[Any]) -> YtFakeError | None:
    named = [column for column in columns if isinstance(column, dict)]
    is_sorted = any(column.get("sort_order") for column in named)
    for column in named:
        name = str(column["name"])
        refused = _column_refusal(column, name, is_sorted)
        if refused is not None:
            return YtFakeError(f'Error validating schema of column "{name}"',
                               inner_errors=[YtFakeError(refused)])
    seen: set[str] = set()
    for column in named:
        name = str(column["name"])
        if name in seen:
            return YtFakeError(f'Duplicate column name "{name}" in table schema')
        seen.add(name)
    key_count = sum(1 for column in named if column.get("sort_order"))
    if not all(column.get("sort_order") for column in named[:key_count]):
        return YtFakeError("Key columns must form a prefix of schema")
    return None


def _column_refusal(column: dict[str, Any], name: str, is_sorted: bool) -> str | None:
    if name.startswith("$") and (is_sorted or name not in UNSORTED_SYSTEM_COLUMNS):
        return f'System column name "{name}" is not allowed here'
    size = len(name.encode("utf-8", "surrogatepass"))
    if size > MAX_COLUMN_NAME_LENGTH:
        # the current master names the column (ValidateColumnName in schema.cpp)
        return (f'Column name "{name}" is longer than maximum allowed: {size} > '
                f"{MAX_COLUMN_NAME_LENGTH}")
    if column.get("expression") and _is_required(column):
        return "Computed column cannot be required"
    return None


def _is_required(column: dict[str, Any]) -> bool:
    """Whether the column takes no null: `required: true`, or a type_v3 that is not an
    optional (tags aside) nor null or void (TColumnSchema::Required is
    !LogicalType()->IsNullable())."""
    v3 = column.get("type_v3")
    if v3 is None:
        return column.get("required") is True
    while isinstance(v3, dict) and v3.get("type_name") == "tagged":
        v3 = v3.get("item")
    kind = v3.get("type_name") if isinstance(v3, dict) else v3
    return kind not in ("optional", "null", "void")
