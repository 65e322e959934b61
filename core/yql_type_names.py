"""The type names a YQL CAST takes, so that one DuckDB takes and YQL has not (BOOLEAN,
HUGEINT, BLOB, REAL, TIME...) is refused in dev as a cluster refuses it, not cast on DuckDB.

YQL reads a simple type's name in lower case as one of LookupSimpleTypeBySqlAlias's
(yql/essentials/core/sql_types/simple_types.cpp, ydb-platform/ydb), SQL's TINYINT,
SMALLINT, INT, INTEGER, BIGINT and VARCHAR among them; Decimal(p, s) and the containers
(List<...>, Optional<...>, Struct<...>...) have their own grammar (SQLv1.g.in). The
statement's code is read with each string and name a marker (yql_refusals).
"""

from __future__ import annotations

import re

from yt_pipeline.errors import QueryFailed

#: LookupSimpleTypeBySqlAlias's names, "text" and "bytes" too (its flexible types)
YQL_SIMPLE_TYPES = frozenset({
    "void", "unit", "generic", "emptylist", "emptydict", "bool", "int8", "int16", "int32",
    "int64", "tinyint", "smallint", "int", "integer", "bigint", "uint8", "uint16", "uint32",
    "uint64", "float", "double", "dynumber", "string", "varchar", "utf8", "uuid", "yson",
    "json", "jsondocument", "json_document", "xml", "yaml", "date", "datetime",
    "timestamp", "interval", "tzdate", "tzdatetime", "tztimestamp", "date32", "datetime64",
    "timestamp64", "interval64", "tzdate32", "tzdatetime64", "tztimestamp64", "text",
    "bytes"})
_CAST = re.compile(r"(?<![\w.:$])CAST\s*\(", re.I)
#: the type after a CAST's last AS: a simple name, maybe Optional (`?`), at the call's end
_TYPE = re.compile(r"\bAS\s+([A-Za-z_]\w*)\s*\?*\s*$", re.I | re.S)


def refuse_unknown_cast_types(code: str) -> None:
    """Refuse a CAST to a simple type name YQL has not (see the module's docstring)."""
    for found in _CAST.finditer(code):
        end = _closing(code, found.end() - 1)
        if end < 0:
            return
        typed = _TYPE.search(code, found.end(), end)
        if typed is None:
            continue  # Decimal(p, s), a container type, a $name
        name = typed.group(1)
        if name.lower() not in YQL_SIMPLE_TYPES and name.lower() != "decimal":
            raise QueryFailed(f"YQL: {name} is not a YQL type, so CAST(... AS {name}) fails "
                              "on a cluster: name YQL's (Bool, Int32, Int64, Double, String, "
                              "Utf8, Date, Timestamp...)")


def _closing(code: str, opening: int) -> int:
    """The index of the parenthesis that closes the one at `opening`, or -1."""
    depth = 0
    for index in range(opening, len(code)):
        if code[index] == "(":
            depth += 1
        elif code[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    return -1
