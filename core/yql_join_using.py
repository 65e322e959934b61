"""A JOIN's USING naming a column one of its two sources does not have: YQL's words for
it, where a cluster places them.

YQL turns `a JOIN b USING (k, j)` into the EquiJoin keys `a.k, a.j` (left) and `b.k, b.j`
(right) (TJoinBase::BuildJoinKeys, yql/essentials/sql/v1/join.cpp); the EquiJoin's type
annotation checks the left keys, then the right ones, each in order, and refuses the first
missing one with "Unknown column: k in correlation name: b" (ParseJoinKeys in
yql/essentials/core/yql_join.cpp), ydb-platform/ydb. The issue stands at the keys' tuple,
which TEquiJoin::GetColumnNames builds at the join's own position: the one
TSqlSelect::JoinSource (yql/essentials/sql/v1/select.cpp) takes from the context right
after reading the first source, i.e. the last token read there, that source's correlation
name (TContext::Token sets the position; IdEx in sql_translation.h reads a name's position
so).

DuckDB checks the USING columns in order, each on the left side, then the right, and names
the first it misses with its side ("Column "k" does not exist on right side of join!"). A
column missing on the left is so YQL's first; one missing on the right is only when it is
the last column of the USING (a later one may miss on the left, which YQL finds first).
"""

from __future__ import annotations

import re

from yt_pipeline.yql_join_sources import Joined, joined_sources
from yt_pipeline.yql_positions import code_tokens, line_column
from yt_pipeline.yql_rules import Token

_MISSING = re.compile(r'^Binder Error: Column "(.+)" does not exist on (left|right) side of join!')
_USING = re.compile(r"\bUSING\s*\(([^()]*)\)", re.I)


def _names(columns: list[Token]) -> list[str]:
    return [t.text for t in columns]


def _using_before(column: str, sqls: list[str]) -> int:
    """How many USING lists of these statements' SQL name `column`."""
    return sum(column in [name.strip().strip('"`') for name in found.split(",")]
               for sql in sqls for found in _USING.findall(sql))


def using_error_line(query: str, ran: list[str], text: str) -> str | None:
    """`YQL: <line>:<col>: Unknown column: k in correlation name: b` for DuckDB's binder
    error `text` about a USING column a side lacks; None for any other error, or when the
    USING cannot be told from others, or YQL would name another column first. `ran` holds
    the SQL of each statement run so far, the failed one last."""
    found = _MISSING.match(text.strip())
    if found is None:
        return None
    column, side = found.group(1), found.group(2)
    tokens = code_tokens(query)
    candidates: list[tuple[Joined, list[Token]]] = []
    for index, token in enumerate(tokens):
        if token.kind != "word" or token.text.upper() != "USING" or index + 2 >= len(tokens):
            continue
        joined = joined_sources(tokens, index)
        if joined is None:
            continue
        candidates.extend((joined, columns) for columns in joined.using
                          if columns and columns[0] is tokens[index + 2]
                          and column in _names(columns))
    before = _using_before(column, ran[:-1])
    if before >= len(candidates) or _using_before(column, ran[-1:]) != 1:
        return None  # not found, or one of several in the failed statement
    joined, columns = candidates[before]
    if len(joined.sources) != 2:
        return None  # YQL refuses a USING joining more sources, in other words
    names = _names(columns)
    if side == "right" and names.index(column) != len(names) - 1:
        return None
    label = joined.sources[0 if side == "left" else 1].label.text
    line, column_at = line_column(query, joined.sources[0].label.start)
    return f"YQL: {line}:{column_at}: Unknown column: {column} in correlation name: {label}"
