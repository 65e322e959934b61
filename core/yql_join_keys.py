"""A column a JOIN's ON names that its source does not have: YQL's words for it, where a
cluster places them.

YQL's translator takes each equality of an ON as a key pair, checking only the correlation
names (TJoinBase::InitKeysOrFilters in yql/essentials/sql/v1/join.cpp); the columns are
checked by the EquiJoin's type annotation, the left keys (those of the earlier source) in
order, then the right ones: "Unknown column: k in correlation name: b" at the join's
position, the first source's correlation name (ParseJoinKeys in
yql/essentials/core/yql_join.cpp; yql_join_using tells why that position), ydb-platform/ydb.

DuckDB refuses the first column it misses in the ON as written. That is YQL's first when
it is a left key; a right key is only when no left key follows it (a later one may be
missing too, which YQL finds first). Only an ON joining two sources, made of equalities
between their columns, is told: another shape draws other words of YQL's first.
"""

from __future__ import annotations

from yt_pipeline.yql_join_on import on_equalities
from yt_pipeline.yql_join_sources import joined_sources
from yt_pipeline.yql_positions import line_column
from yt_pipeline.yql_rules import Token, located


def unknown_key_line(query: str, at: Token, label: str, column: str) -> str | None:
    """`YQL: <line>:<col>: Unknown column: column in correlation name: label` for the
    reference at `at` in a JOIN's ON, which DuckDB found missing; None when the ON is not
    read here, or YQL may name another key first."""
    found_at = located(query, at)
    if found_at is None:
        return None
    tokens, index = found_at
    equalities = on_equalities(tokens, index)
    joined = joined_sources(tokens, index)
    if equalities is None or joined is None or len(joined.sources) != 2:
        return None
    first, second = (s.label.text for s in joined.sources)
    left: list[Token] = []
    for one, other in equalities:
        sides = {one[1]: one[0], other[1]: other[0]}
        if set(sides) != {first, second}:
            return None  # YQL refuses such an equality in other words
        left.append(sides[first])
    if label == second and any(t.start > at.start for t in left):
        return None
    if label not in (first, second):
        return None
    line, column_at = line_column(query, joined.sources[0].label.start)
    return (f"YQL: {line}:{column_at}: Unknown column: {column} "
            f"in correlation name: {label}")
