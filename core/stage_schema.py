"""The strict schema stage code declares for a new table (`create_path(..., schema=...)`),
checked the same way for both backends before either makes the table.

A column is `{"name": ..., "type": ...}`, with `"sort_order": "ascending"` for a key
column; key columns come first, as a cluster keeps them (the "Data schema" and "Sorted
tables" pages of the YTsaurus docs). Types are those whose values both backends check a row
against (yt_pipeline.column_types); a column takes null unless it is `"required": true`,
whose null both backends refuse ("Required column ... cannot have "null" value").
A ytsaurus-client TableSchema is taken too, read as this list (yt_pipeline.schema_object).
A schema whose `unique_keys` attribute is true (a TableSchema's, or a YsonList's as
`@schema` gives it) makes a table that takes no key twice (yt_pipeline.sorted_writes); it
needs key columns, as a master refuses it without ('"unique_keys" can only be true if key
columns are present': ValidateSchemaAttributes in yt/yt/client/table_client/schema.cpp).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yt_pipeline.column_types import INTEGER_RANGES
from yt_pipeline.errors import InvalidSchema
from yt_pipeline.schema_object import ListedColumns, listed_schema

#: the column types a declared schema may give: those whose values both backends keep and
#: read back as a cluster does (a float column's values are doubles in a float's range,
#: an interval's signed microseconds, a utf8 column's text valid UTF-8, which YQL reads as
#: Utf8: yt_pipeline.column_types)
COLUMN_TYPES = (*sorted(INTEGER_RANGES, key=lambda kind: (kind[0] == "u", len(kind), kind)),
                "double", "float", "boolean", "string", "utf8", "any", "date", "datetime",
                "timestamp", "interval")
#: the other simple types a cluster takes in a schema (ESimpleLogicalValueType in
#: yt/yt/client/table_client/row_base.h, ytsaurus/ytsaurus: a column's old `type` is any of
#: them, MakeLogicalType in yt/yt/client/table_client/logical_type.cpp), and why dev cannot
#: keep or read their values as a cluster does; a schema of one is refused in both modes
#: (docs/dev-vs-prod.md)
UNKEPT_TYPES = {
    "json": "a cluster checks each value is JSON text and YQL reads it as Json; dev keeps a "
            "string",
    "uuid": "a cluster takes only 16-byte strings and YQL reads them as Uuid; dev keeps a "
            "string",
    "date32": "a signed count of days before 1970 too, which dev's date columns do not hold",
    "datetime64": "a signed count of seconds before 1970 too, which dev's datetime columns "
                  "do not hold",
    "timestamp64": "a signed count of microseconds before 1970 too, which dev's timestamp "
                   "columns do not hold",
    "interval64": "an interval wider than dev's interval columns hold",
    "null": "a column only of nulls, which YQL reads as Null; dev has no such column",
    "void": "a column only of nulls, which YQL reads as Void; dev has no such column",
}
#: the simple types a cluster refuses as required ("Null type cannot be required":
#: MakeLogicalType in yt/yt/client/table_client/logical_type.cpp)
_NEVER_REQUIRED = ("null", "void")
#: the keys a column may have
COLUMN_KEYS = ("name", "type", "sort_order", "required")
#: what YT's own column names begin with, which a schema's may not (SystemColumnNamePrefix:
#: ValidateColumnSchema in yt/yt/client/table_client/schema.cpp hands such a name to
#: ValidateSystemColumnSchema, which takes none in a static table's schema but an ordered
#: dynamic table's $timestamp and $cumulative_data_weight: "System column name %Qv is not
#: allowed here")
SYSTEM_PREFIX = "$"
#: the longest column name a cluster takes, in bytes of its UTF-8 (MaxColumnNameLength in
#: yt/yt/client/table_client/public.h, checked by ValidateColumnSchema)
MAX_NAME_BYTES = 256


def checked_schema(path: str, schema: Any) -> list[dict[str, Any]]:
    """The columns of `schema`, each {"name", "type"}, "sort_order" for a key column and
    "required" (True) for one that takes no null, and whether it says unique_keys
    (`unique_of`); InvalidSchema naming the table and the column for one a cluster would
    not take."""

    def refused(what: str) -> InvalidSchema:
        return InvalidSchema(f"create_path {path}: schema {what}")

    schema = listed_schema(path, schema)
    if isinstance(schema, (str, bytes, Mapping)) or not isinstance(schema, (list, tuple)) \
            or not schema:
        raise refused("must be a non-empty list of columns such as "
                      "{'name': 'id', 'type': 'int64'}, or a yt.wrapper.schema.TableSchema")
    columns: list[dict[str, Any]] = []
    keys_ended = False
    for index, column in enumerate(schema):
        if not isinstance(column, Mapping):
            raise refused(f"column {index + 1} is a {type(column).__name__}, not a mapping")
        name = column.get("name")
        if not isinstance(name, str) or not name:
            raise refused(f"column {index + 1} has no name (a non-empty string)"
                          + (_as_cluster("Column name cannot be empty") if name == "" else ""))
        where = f"column {_shown_name(name)}"
        if name.startswith(SYSTEM_PREFIX):
            raise refused(f'{where}: a column name cannot start with "{SYSTEM_PREFIX}", which '
                          "names YT's own columns" + _as_cluster(
                              f'System column name "{name}" is not allowed here'))
        size = len(name.encode("utf-8", "surrogatepass"))
        if size > MAX_NAME_BYTES:
            raise refused(f"{where}: a column name is at most {MAX_NAME_BYTES} bytes long, this "
                          f"one {size}" + _as_cluster(
                              f'Column name "{name}" is longer than maximum allowed: {size} > '
                              f"{MAX_NAME_BYTES}"))
        if any(name == seen["name"] for seen in columns):
            raise refused(f"{where} is given twice" + _as_cluster(
                f'Duplicate column name "{name}" in table schema'))
        unknown = [key for key in column if key not in COLUMN_KEYS]
        if unknown:
            raise refused(f"{where}: unknown key {unknown[0]!r} (a column takes "
                          f"{', '.join(COLUMN_KEYS)})")
        kind = column.get("type")
        required = column.get("required", False)
        if not isinstance(required, bool):
            raise refused(f"{where}: required {required!r} is not true or false")
        if required and kind in _NEVER_REQUIRED:
            raise refused(f"{where}: a column of type {kind} cannot be required (its values "
                          "are all null)" + _as_cluster("Null type cannot be required"))
        if kind in UNKEPT_TYPES:
            raise refused(f"{where}: type {kind!r} is one a cluster takes, but not here: "
                          f"{UNKEPT_TYPES[kind]} (take one of {', '.join(COLUMN_TYPES)})")
        if kind not in COLUMN_TYPES:
            raise refused(f"{where}: type {kind!r} is not one of {', '.join(COLUMN_TYPES)}")
        if required and kind == "any":
            # a column of type any takes null whatever it says: a cluster refuses the column
            # as it reads the schema (TSerializableColumnSchema::RunPostprocessor in
            # yt/yt/client/table_client/schema_serialization_helpers.cpp)
            raise refused(f"{where}: a column of type any cannot be required (its values may "
                          "be null)" + _as_cluster('Column of type "any" cannot be "required"'))
        order = column.get("sort_order")
        if order not in (None, "ascending"):
            raise refused(f"{where}: sort_order {order!r} is not 'ascending'")
        if order and keys_ended:
            raise refused(f"{where} is a key column after a column that is not one: key "
                          "columns (sort_order) come first"
                          + _as_cluster("Key columns must form a prefix of schema"))
        keys_ended = keys_ended or not order
        checked: dict[str, Any] = {"name": name, "type": str(kind)}
        if order:
            checked["sort_order"] = "ascending"
        if required:
            checked["required"] = True
        columns.append(checked)
    unique = bool(getattr(schema, "unique_keys", False))
    if unique and not key_of(columns):
        raise refused("says unique_keys but has no key column (sort_order): unique keys are "
                      "those of a sorted table" + _as_cluster(
                          '"unique_keys" can only be true if key columns are present'))
    return ListedColumns(columns, unique)


def unique_of(columns: list[dict[str, Any]]) -> bool:
    """Whether checked columns (checked_schema) say unique_keys."""
    return bool(getattr(columns, "unique_keys", False))


def _as_cluster(words: str) -> str:
    """The cluster's own words for a refusal, as the end of ours (ValidateColumnSchema,
    ValidateColumnUniqueness and ValidateKeyColumnsFormPrefix in yt/yt/client/table_client/
    schema.cpp, which a master runs on a new table's schema)."""
    return f' (as a cluster refuses it: "{words}")'


def _shown_name(name: str) -> str:
    """A column name as a refusal shows it: a long one cut short."""
    return repr(name) if len(name) <= 40 else repr(name[:40]) + "..."


def key_of(columns: list[dict[str, Any]]) -> list[str]:
    """The key columns (those with a sort_order), in order."""
    return [column["name"] for column in columns if column.get("sort_order")]


def required_names(columns: list[dict[str, Any]]) -> list[str]:
    """The columns that take no null (`required: true`)."""
    return [column["name"] for column in columns if column.get("required")]


def as_declared(columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The columns as TableClient.declared_schema shows them."""
    return [dict(column, required=bool(column.get("required"))) for column in columns]


def refuse_another_schema(path: str, declared: dict[str, Any] | None,
                          columns: list[dict[str, Any]]) -> None:
    """An existing table is taken as created when it has this very schema (a stage run
    again); InvalidSchema when it has another one, or none."""
    if declared is not None and declared.get("strict") and \
            declared["columns"] == as_declared(columns) and \
            bool(declared.get("unique_keys")) == unique_of(columns):
        return
    # key columns are shown with their sort order: a table whose only difference is a key
    # lost (a YQL INSERT WITH TRUNCATE gives the table the query's schema) would otherwise
    # read as the very schema declared
    shown = ("no schema" if declared is None else "the schema " + _described(
        declared["columns"]) + (" (unique keys)" if declared.get("unique_keys") else ""))
    raise InvalidSchema(f"create_path {path}: the table exists with {shown}, not the one "
                        f"declared ({_described(columns)}"
                        f"{' (unique keys)' if unique_of(columns) else ''}); remove it first "
                        "to make it "
                        "with this schema")


def _described(columns: list[dict[str, Any]]) -> str:
    return ", ".join(f"{c['name']} {c['type']}" + (" ascending" if c.get("sort_order") else "")
                     for c in columns)
