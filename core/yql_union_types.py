"""A UNION ALL whose parts give one column types of two kinds YQL has no common type for.

YQL: "If a column in different input tables had a heterogeneous type, for example, string
and numeric, an error is raised" (yt/docs/en/yql/syntax/select/operators.md, "By column
names", ytsaurus/ytsaurus). DuckDB's UNION makes such a column a VARCHAR and runs: dev
gave `SELECT 1 AS a UNION ALL SELECT 'x' AS a` two strings. The types compared are those
the text tells (yql_utf8.result_types: literals, CASTs, the declared columns of the tables
read...); the kinds are numbers, strings, Bool, dates and times, and Interval, each of
which has a common type within itself.
"""

from __future__ import annotations

from collections.abc import Callable

from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_required import union_all_parts
from yt_pipeline.yql_utf8 import result_types

_KINDS = {
    **dict.fromkeys(("Int8", "Uint8", "Int16", "Uint16", "Int32", "Uint32", "Int64",
                     "Uint64", "Float", "Double"), "a number"),
    **dict.fromkeys(("String", "Utf8"), "a string"),
    "Bool": "a Bool",
    **dict.fromkeys(("Date", "Datetime", "Timestamp"), "a date or time"),
    "Interval": "an Interval",
}


def refuse_mixed_union(statement: str,
                       source_types: Callable[[str], dict[str, str]] | None = None,
                       source_required: Callable[[str], frozenset[str]] | None = None
                       ) -> None:
    """Refuse `statement` when its UNION ALL gives a column types of two kinds."""
    parts = union_all_parts(statement)
    if parts is None:
        return
    seen: dict[str, tuple[str, str]] = {}  # a column: the first part's type and its kind
    for part in parts:
        for name, kind in result_types(part, source_types, source_required).items():
            family = _KINDS.get(kind)
            if family is None:
                continue
            first = seen.setdefault(name, (kind, family))
            if first[1] != family:
                raise QueryFailed(
                    f"YQL: UNION ALL gives column {name} types with no common type: "
                    f"{first[0]} in one part, {kind} in another ({first[1]} and {family}); "
                    "CAST one to the other's type")
