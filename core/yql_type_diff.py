"""The words YQL refuses an append with when the query's row type does not fit the table's:
its diff of the two row types, for dev, the fake query tracker and prod's staged appends.

YQL's append check (the write handler of yt/yql/providers/yt/provider/
yql_yt_datasink_type_ann.cpp, ydb-platform/ydb) tries TryConvertTo and, when that fails,
says `Table "<path>" row type differs from the written row type: ` and GetTypeDiff(table
row type, written row type); a second append to the same table in one query is checked
against the first one's row type and says "differs from the appended row type".

GetTypeDiff (PrintTypeDiff and PrintStructDiff in yql/essentials/core/
yql_expr_type_annotation.cpp) writes a row type as `Struct<...>` of the members that differ,
separated by commas without spaces: `name:<diff>` for a member both have, `-name:<type>` for
one only the table has, `+name:<type>` for one only the query writes. Members are in YQL's
struct order (by name); the `+` members come from a hash map, whose order YQL leaves open:
here they are by name too. Two types of one kind (Optional, List, Struct, Dict) are diffed
inside it (`Optional<Int64!=String>`); any others are `<table type>!=<written type>`.
"""

from __future__ import annotations

from typing import Any

from yt_pipeline.yql_type_v3 import yql_type_name

#: the type_v3 kinds whose insides GetTypeDiff diffs (PrintTypeDiff's same-kind cases)
_WRAPPERS = {"optional": "Optional", "list": "List"}


def yql_type_text(v3: Any) -> str:
    """A type_v3 as YQL prints the type: `Optional<Int64>`, `Int64` (a required column),
    `List<String>`, `Null`."""
    if isinstance(v3, dict) and v3.get("type_name") in _WRAPPERS:
        return f"{_WRAPPERS[v3['type_name']]}<{yql_type_text(v3.get('item'))}>"
    if isinstance(v3, dict) and v3.get("type_name") == "tagged":
        return yql_type_text(v3.get("item"))
    return yql_type_name(v3)


def _kind(v3: Any) -> str:
    return str(v3.get("type_name")) if isinstance(v3, dict) else "data"


def _type_diff(table: Any, written: Any) -> str:
    kind = _kind(table)
    if kind == _kind(written) and kind in _WRAPPERS:
        return f"{_WRAPPERS[kind]}<{_type_diff(table.get('item'), written.get('item'))}>"
    if kind == _kind(written) == "struct":
        return "Struct<" + _members_diff(
            {m["name"]: m["type"] for m in table.get("members") or []},
            {m["name"]: m["type"] for m in written.get("members") or []}) + ">"
    return f"{yql_type_text(table)}!={yql_type_text(written)}"


def _members_diff(table: dict[str, Any], written: dict[str, Any]) -> str:
    parts = []
    for name in sorted(table):
        if name not in written:
            parts.append(f"-{name}:{yql_type_text(table[name])}")
        elif yql_type_text(table[name]) != yql_type_text(written[name]):
            parts.append(f"{name}:{_type_diff(table[name], written[name])}")
    parts.extend(f"+{name}:{yql_type_text(written[name])}"
                 for name in sorted(written) if name not in table)
    return ",".join(parts) or "no diff"


def row_type_diff(table: dict[str, Any], written: dict[str, Any]) -> str:
    """GetTypeDiff of two row types, each given as name: type_v3 (an optional for a column
    that takes null): `Struct<n:Optional<Int64!=String>,-note:Optional<String>>`."""
    return f"Struct<{_members_diff(table, written)}>"
