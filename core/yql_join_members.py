"""The members of a JOIN's row, which YQL looks a column up in: what it names when a
query outside the ON qualifies a column by a correlation name no source has.

Outside ON, YQL's translator reads `z.a` with an unknown `z` as member `a` of a column `z`
(TJoinBase::AddColumn in yql/essentials/sql/v1/join.cpp: "either mistake in correlation
name, either it's a column"), a column of unknown source: `SqlColumn(row, 'z')`, placed
where `z` stands (TColumnNode::DoInit in sql/v1/node.cpp; TAccessNode keeps the column's
position). Its type annotation looks for the one member of the joined row named
`label.z`, and without one refuses `z` as a missing member: "Member not found: z", with
the usual hint among the row's members, named `label.column` (SqlColumnWrapper and
FindOrReportMissingMember in yql/essentials/core/type_ann/type_ann_core.cpp), ydb-platform/ydb.
"""

from __future__ import annotations

from collections.abc import Callable

from yt_pipeline.yql_join_sources import joined_sources
from yt_pipeline.yql_rules import Token, located

#: a table's columns as YQL reads them, by the table's path as the query writes it; None
#: when they cannot be told
Columns = Callable[[str], list[str] | None]


def joined_members(query: str, at: Token, label: str, columns: Columns) -> list[str] | None:
    """The members of the row of the JOIN whose SELECT holds the reference at `at`; None
    when its sources cannot all be told (a subquery, an unread shape, a one-sided join),
    or when one has a column `label`, which YQL then reads `label.x` a member of."""
    found_at = located(query, at)
    if found_at is None:
        return None
    tokens, index = found_at
    joined = joined_sources(tokens, index)
    if joined is None or joined.one_sided:
        return None
    members: list[str] = []
    for source in joined.sources:
        if source.label.text == label:
            return None
        names = None if source.path is None else columns(source.path)
        if names is None or label in names:
            return None
        members.extend(f"{source.label.text}.{name}" for name in names)
    return members
