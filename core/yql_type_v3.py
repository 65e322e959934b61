"""The `type_v3` a YQL write gives a column of its table, from the column's DuckDB type, and
back: what the fake query tracker writes in a table's @schema and reads the table by.

The YTsaurus query tracker's YQL writes native YT types (UseNativeYtTypes "true" and
NativeYtTypeCompatibility "complex,...": DefaultGatewaySettings in yt/yql/plugin/config.cpp,
ytsaurus/ytsaurus), so every column has the type_v3 of its YQL type (RowSpecToYTSchema and
RowSpecYqlTypeToYtNativeType in yt/yql/providers/yt/lib/schema/schema.cpp,
ydb-platform/ydb): a YQL column is Optional (unless yql_required finds it is not), a
List<String> is `list` of `string`, a Struct a `struct` of its members, a Dict a `dict`
of its key and value, Yson is `yson`.
The master shows each column with its old `type` too, `any` for a composite or Yson one
(TSerializableColumnSchema::SetColumnSchema, yt/yt/client/table_client/
schema_serialization_helpers.cpp).
"""

from __future__ import annotations

from typing import Any

from yt_pipeline.column_types import (
    NULL_KINDS,
    YQL_COLUMN_TYPES,
    append_type_differs,
    yt_column_type,
)
from yt_pipeline.yql_yson import is_yson_kind

#: old `type` names whose type_v3 name differs ("Data types" page of the YTsaurus docs)
_V3_NAMES = {"boolean": "bool", "any": "yson"}
#: type_v3 scalars and the DuckDB type a read gives a value of one inside a composite
_DUCKDB_SCALARS = {"int64": "BIGINT", "int32": "INTEGER", "int16": "SMALLINT",
                   "int8": "TINYINT", "uint64": "UBIGINT", "uint32": "UINTEGER",
                   "uint16": "USMALLINT", "uint8": "UTINYINT", "double": "DOUBLE",
                   "float": "DOUBLE", "bool": "BOOLEAN", "string": "VARCHAR",
                   "utf8": "VARCHAR", "yson": "JSON"}


def optional(item: Any) -> dict[str, Any]:
    return {"type_name": "optional", "item": item}


def _split_top(text: str) -> list[str]:
    """`text` cut at its commas outside parentheses and double quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return [part for part in parts if part]


def _member(text: str) -> tuple[str, str]:
    """A STRUCT member `name TYPE` (the name in double quotes when it needs them)."""
    if text.startswith('"'):
        end = 1
        while True:
            end = text.index('"', end)
            if text[end + 1:end + 2] != '"':
                break
            end += 2
        return text[1:end].replace('""', '"'), text[end + 1:].strip()
    name, _, kind = text.partition(" ")
    return name, kind.strip()


def _inner(kind: str) -> Any:
    """The type_v3 of a value of DuckDB type `kind` inside a column (not optional)."""
    kind = kind.strip()
    if kind in NULL_KINDS:
        return "null"
    if is_yson_kind(kind) or kind.upper() == "JSON":
        return "yson"
    if kind.endswith("]"):  # VARCHAR[] or VARCHAR[3]: a list
        return {"type_name": "list", "item": _inner(kind[:kind.rindex("[")])}
    head, _, rest = kind.partition("(")
    head = head.strip().upper()
    if head == "STRUCT":
        members = [_member(part) for part in _split_top(rest[:-1])]
        return {"type_name": "struct",
                "members": [{"name": name, "type": _inner(inner)} for name, inner in members]}
    if head == "MAP":
        key, value = _split_top(rest[:-1])
        return {"type_name": "dict", "key": _inner(key), "value": _inner(value)}
    old = YQL_COLUMN_TYPES.get(head, "any")
    return _V3_NAMES.get(old, old)


def column_type_v3(kind: str, required: bool = False) -> Any:
    """The type_v3 of a column YQL writes from a result column of DuckDB type `kind`: a
    NULL literal's is `null` itself, not an optional (RowSpecYqlTypeToYtNativeType writes
    YQL's NullType as "null", and an Optional only for an OptionalType), as is a
    `required` one's, whose YQL type is not Optional (yql_required)."""
    inner = _inner(kind)
    return inner if inner == "null" or required else optional(inner)


def v3_of_old(kind: str, required: bool) -> Any:
    """The type_v3 a master gives a column declared by its old `type` alone."""
    v3 = _V3_NAMES.get(kind, kind)
    return v3 if required else optional(v3)


#: the old `type` names a schema declares columns by ("Data types" page of the YTsaurus
#: docs); DuckDB writes its types in capitals, so the two never meet
_OLD_NAMES = frozenset(YQL_COLUMN_TYPES.values()) | {
    "any", "yson", "utf8", "float", "null", "void", "interval", "json", "uuid", "string"}


def declared_kind_v3(kind: str, required: bool = False) -> Any:
    """The type_v3 of a column dev's schema declares as `kind`: a DuckDB type (what a YQL
    write gave it), or an old YT `type` (a schema declared with YT's names); a `required`
    one's is not optional."""
    if kind in _OLD_NAMES:
        return v3_of_old(kind, required)
    return column_type_v3(kind, required)


def declared_old_type(kind: str) -> str:
    """The old `type` of a column dev's schema declares as `kind` (see declared_kind_v3)."""
    return kind if kind in _OLD_NAMES else yt_column_type(kind)


def written_v3(kind: str) -> Any:
    """The type_v3 of a column a YQL write gives from DuckDB type `kind`; None for a
    column of nulls alone, which YQL converts to any Optional column it is appended to."""
    return None if kind in NULL_KINDS else column_type_v3(kind)


def append_v3_differs(table: Any, written: Any) -> bool:
    """Whether a YQL append refuses a column of type_v3 `written` in a table's column of
    type_v3 `table`, where the old types cannot tell (both `any`: a List<String> and a
    Yson). YQL compares the row types themselves and appends when they are the same or the
    written one converts (IsSameAnnotation, then TryConvertTo, in the append checks of
    yt/yql/providers/yt/provider/yql_yt_datasink_type_ann.cpp, ydb-platform/ydb), and
    nothing converts to Yson or a composite of another type: those differ."""
    if written is None or table is None:
        return False
    table, written = _unwrapped(table), _unwrapped(written)
    if table == written:
        return False
    # two scalars are the old types' to judge (column_types.append_type_differs)
    if isinstance(table, str) and isinstance(written, str):
        return "yson" in (table, written)
    return not _converts(table, written)


def _old_name(v3: str) -> str:
    return {new: old for old, new in _V3_NAMES.items()}.get(v3, v3)


def _converts(table: Any, written: Any) -> bool:
    """Whether YQL converts a value of type_v3 `written` into one of `table`: a List's,
    Dict's or Struct's items item by item (the List, Dict and Struct branches of
    TryConvertToImpl, yql/essentials/core/yql_expr_type_annotation.cpp, ydb-platform/ydb:
    an OrderedMap of the item's conversion), a scalar as a column's is (an Int64 into a
    Double), an Optional into an Optional; nothing into Yson but Yson."""
    table, written = _unwrapped(table), _unwrapped(written)
    if table == written:
        return True
    if written == "null":
        return True
    if isinstance(table, str) or isinstance(written, str):
        if not (isinstance(table, str) and isinstance(written, str)) or "yson" in (table, written):
            return False
        return not append_type_differs({"v": _old_name(table)}, {"v": _old_name(written)})
    name = table.get("type_name")
    if name != written.get("type_name"):
        return False
    if name == "list":
        return _converts(table.get("item"), written.get("item"))
    if name == "dict":
        return (_converts(table.get("key"), written.get("key"))
                and _converts(table.get("value"), written.get("value")))
    if name == "struct":
        mine = {m["name"]: m["type"] for m in table.get("members") or []}
        theirs = {m["name"]: m["type"] for m in written.get("members") or []}
        return mine.keys() == theirs.keys() and all(
            _converts(kind, theirs[member]) for member, kind in mine.items())
    return False


def converted_composites(table: dict[str, Any], written: dict[str, Any]) -> list[str]:
    """The List, Dict and Struct columns of a YQL append whose written type differs from
    the table's and converts to it: their values are given the table's type."""
    return [name for name, kind in table.items()
            if isinstance(_unwrapped(kind), dict) and written.get(name) is not None
            and _unwrapped(written[name]) != _unwrapped(kind)]


def converted_value(value: Any, v3: Any) -> Any:
    """`value` as a column of type_v3 `v3` holds it once YQL converted it: its integers
    doubles where the type says Double, inside lists, dicts and structs too."""
    v3 = _unwrapped(v3)
    if value is None:
        return None
    if v3 in ("double", "float"):
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(v3, dict):
        return value
    name = v3.get("type_name")
    if name == "list" and isinstance(value, list):
        return [converted_value(item, v3.get("item")) for item in value]
    if name == "dict" and isinstance(value, list):
        return [[converted_value(pair[0], v3.get("key")), converted_value(pair[1], v3.get("value"))]
                for pair in value]
    if name == "struct" and isinstance(value, dict):
        kinds = {m["name"]: m["type"] for m in v3.get("members") or []}
        return {key: converted_value(item, kinds.get(key)) for key, item in value.items()}
    return value


_YQL_SCALARS = {"int64": "Int64", "int32": "Int32", "int16": "Int16", "int8": "Int8",
                "uint64": "Uint64", "uint32": "Uint32", "uint16": "Uint16",
                "uint8": "Uint8", "double": "Double", "float": "Float", "bool": "Bool",
                "string": "String", "utf8": "Utf8", "yson": "Yson", "date": "Date",
                "datetime": "Datetime", "timestamp": "Timestamp", "null": "Null",
                "interval": "Interval"}


def yql_type_name(v3: Any) -> str:
    """How YQL writes the type of type_v3 `v3` (Optional left out): `List<String>`,
    `Yson`, `Struct<n:Int64>`, for a message."""
    v3 = _unwrapped(v3)
    if isinstance(v3, str):
        return _YQL_SCALARS.get(v3, v3)
    if not isinstance(v3, dict):
        return str(v3)
    name = v3.get("type_name")
    if name == "list":
        return f"List<{yql_type_name(v3.get('item'))}>"
    if name == "dict":
        return f"Dict<{yql_type_name(v3.get('key'))},{yql_type_name(v3.get('value'))}>"
    if name == "struct":
        members = ",".join(f"{m['name']}:{yql_type_name(m['type'])}"
                           for m in v3.get("members") or [])
        return f"Struct<{members}>"
    return str(name)


def _unwrapped(v3: Any) -> Any:
    while isinstance(v3, dict) and v3.get("type_name") == "optional":
        v3 = v3.get("item")
    return v3


def is_yson_v3(v3: Any) -> bool:
    """True for a column YQL reads as Yson: `yson` (`any`), optional or not."""
    return _unwrapped(v3) == "yson"


def _duckdb(v3: Any) -> str | None:
    v3 = _unwrapped(v3)
    if isinstance(v3, str):
        return _DUCKDB_SCALARS.get(v3)
    if not isinstance(v3, dict):
        return None
    name = v3.get("type_name")
    if name == "list":
        item = _duckdb(v3.get("item"))
        return None if item is None else item + "[]"
    if name == "struct":
        members = [(str(m["name"]), _duckdb(m["type"])) for m in v3.get("members") or []]
        if not members or any(kind is None for _, kind in members):
            return None
        return "STRUCT(" + ", ".join('"' + n.replace('"', '""') + '" ' + str(k)
                                     for n, k in members) + ")"
    if name == "dict":
        key, value = _duckdb(v3.get("key")), _duckdb(v3.get("value"))
        return None if key is None or value is None else f"MAP({key}, {value})"
    return None


def composite_duckdb_type(v3: Any) -> str | None:
    """The DuckDB type a List, Struct or Dict column of type_v3 `v3` is read as; None for
    any other column (a scalar, Yson), whose values say their type."""
    if not isinstance(_unwrapped(v3), dict):
        return None
    return _duckdb(v3)
