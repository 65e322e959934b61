"""A column, or a table's correlation name, that the query's source does not have: YQL's
words for it, placed where the name stands in the query, as a cluster reports it.

Dev mode and the fake query tracker run YQL on DuckDB, whose binder refuses the name in its
own words ("Referenced column "x" not found in FROM clause!"). YQL reads a column of a
table as a member of the row's struct, whose type annotation fails with "Member not found:
x", adding ". Did you mean y?" for the first member (in name order) fewer than 3 edits away
(FindOrReportMissingMember in yql/essentials/core/type_ann/type_ann_core.cpp; FindMistype
and DefaultMistypeDistance = 3 in yql/essentials/ast/yql_expr.h, ydb-platform/ydb). The
issue is placed at the column's reference (MemberWrapper and SqlColumnWrapper report at the
node's own position): in SELECT, WHERE, GROUP BY and ORDER BY alike, a qualified `a.x`
from where the `a` stands. In a JOIN the row's members are named `label.column`, and so is
the one not found. A correlation name no source has is refused when the query is
translated: "Unknown correlation name: z", at the reference (IRealSource::AddColumn in
yql/essentials/sql/v1/source.cpp; sql_ut.cpp, ErrorsInOrderByWhenColumnIsMissingInProjection:
`select subkey from plato.Input as a order by x.key` gives `<main>:1:46: Error: Unknown
correlation name: x`). In a JOIN's ON it is refused at the equality that names it
(yql_join_on); elsewhere in a JOIN, YQL reads `z.a` as member `a` of a column `z`, and
refuses a `z` no joined source has as a missing member of the joined row
(yql_join_members). A column an ON names is a key of the join, which the join refuses in
its own words (yql_join_keys).

DuckDB names its candidates only (the nearest few columns): the hint is chosen among them,
by YQL's rule.
"""

from __future__ import annotations

import re

from yt_pipeline.yql_join_keys import unknown_key_line
from yt_pipeline.yql_join_members import Columns, joined_members
from yt_pipeline.yql_join_on import in_join_on, unknown_join_label
from yt_pipeline.yql_positions import caret_offset, code_tokens, line_column
from yt_pipeline.yql_rules import Token, statements

_COLUMN = re.compile(r'^Binder Error: Referenced column "(.+)" not found in FROM clause!')
_QUALIFIED = re.compile(r'^Binder Error: (?:Table|Values list) "(.+)" does not have a column '
                        r'named "(.+)"')
_TABLE = re.compile(r'^Binder Error: Referenced table "(.+)" not found!')
_CANDIDATES = re.compile(r"^Candidate bindings:[\s:]*(.+)$", re.M)
#: a string of the SQL DuckDB was given, which holds no code
_STRING = re.compile(r"'(?:[^']|'')*'")
#: YQL's DefaultMistypeDistance: a member fewer edits away than this is suggested
MISTYPE_DISTANCE = 3


def _edits(one: str, other: str) -> int:
    """The Levenshtein distance between two names."""
    previous = list(range(len(other) + 1))
    for i, char in enumerate(one, 1):
        current = [i]
        for j, theirs in enumerate(other, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (char != theirs)))
        previous = current
    return previous[-1]


def mistype(name: str, members: list[str]) -> str | None:
    """The member YQL suggests for `name`: the first, in name order, fewer than 3 edits
    away (TStructExprType::FindMistype; a struct's members are kept sorted by name)."""
    return next((member for member in sorted(set(members))
                 if member != name and _edits(name, member) < MISTYPE_DISTANCE), None)


def _candidates(text: str) -> list[str]:
    found = _CANDIDATES.search(text)
    return re.findall(r'"((?:[^"]|"")*)"', found.group(1)) if found else []


def _uses_before(pattern: re.Pattern[str], sqls: list[str]) -> int:
    return sum(len(pattern.findall(_STRING.sub(" ", sql))) for sql in sqls)


def _is_join(query: str, start: int) -> bool:
    """True when the statement holding query[start] joins tables."""
    return any(s.start <= start <= s.end and "JOIN" in s.words() for s in statements(query))


def _references(tokens: list[Token], column: str | None, label: str | None) -> list[Token]:
    """The tokens that name `column` (qualified by `label`, if given), or, without a
    column, any column qualified by `label`: `x`, `a.x`, `` `x` ``, `` a.`x` ``. A
    reference is given as its first token (the label's, when it has one)."""
    found: list[Token] = []
    for index, token in enumerate(tokens):
        if token.kind == "word":
            head, _, tail = token.text.rpartition(".")
            if column is None and head == label or \
                    column is not None and tail == column and head == (label or ""):
                found.append(token)
            continue
        if token.kind != "name" or token.text != column:
            continue
        before = tokens[index - 1] if index else None
        if before is not None and before.kind == "word" and before.end == token.start \
                and before.text.endswith("."):
            if before.text[:-1] == label:  # a.`x`
                found.append(before)
        elif label is None:
            found.append(token)
    return found


def member_error_line(query: str, ran: list[str], executed: str, text: str,
                      columns: Columns | None = None) -> str | None:
    """`YQL: <line>:<col>: Member not found: x[. Did you mean y?]` (or `Unknown correlation
    name: z`) for DuckDB's binder error `text` about a name the source does not have, the
    line and column those of the name in `query`; None for any other error, or when the
    name cannot be found in the query. `ran` holds the SQL of each statement run so far
    (each table as yql_positions.TABLE), `executed` the SQL that failed, as given to
    DuckDB: the names before its caret, in it and in the statements before, tell which
    use of the name in the query failed. `columns` gives a table's columns by its path (None
    when it cannot tell): a JOIN's row is made of them."""
    lines = text.strip().splitlines()
    first = lines[0] if lines else ""
    column_only, qualified, table = (_COLUMN.match(first), _QUALIFIED.match(first),
                                     _TABLE.match(first))
    if column_only:
        label, column = None, column_only.group(1)
    elif qualified:
        label, column = qualified.group(1), qualified.group(2)
    elif table:
        label, column = table.group(1), None
    else:
        return None
    if column is None:
        pattern = re.compile(rf'(?<![\w$.])"?{re.escape(label or "")}"?\.')
    else:
        pattern = re.compile(rf'(?<![\w$]){re.escape(column)}(?![\w$])|"{re.escape(column)}"')
    offset = caret_offset(lines, executed)
    before = _uses_before(pattern, ran[:-1]) + (
        _uses_before(pattern, [executed[:offset]]) if offset is not None else 0)
    uses = _references(code_tokens(query), column, label)
    if not uses:
        return None
    at = uses[min(before, len(uses) - 1)]
    line, column_at = line_column(query, at.start)
    if column is None:
        if _is_join(query, at.start):
            # in ON, refused at its equality; elsewhere a JOIN reads `z.a` as a member of
            # a column `z`, which must then be one of the joined row's (yql_join_members)
            equality = unknown_join_label(query, at, label or "")
            if equality is not None:
                line, column_at = line_column(query, equality.start)
                return f"YQL: {line}:{column_at}: JOIN: unknown corellation name: {label}"
            if in_join_on(query, at) or columns is None:
                return None
            members = joined_members(query, at, label or "", columns)
            if members is None:
                return None
            hint = mistype(label or "", members)
            return (f"YQL: {line}:{column_at}: Member not found: {label}"
                    + (f". Did you mean {hint}?" if hint else ""))
        return f"YQL: {line}:{column_at}: Unknown correlation name: {label}"
    joined = label is not None and _is_join(query, at.start)
    if joined and in_join_on(query, at):
        # a key of the join: checked by the join itself, in other words (yql_join_keys)
        return unknown_key_line(query, at, label or "", column)
    name = f"{label}.{column}" if joined else column
    members = [f"{label}.{each}" if joined else each for each in _candidates(text)]
    hint = mistype(name, members)
    return (f"YQL: {line}:{column_at}: Member not found: {name}"
            + (f". Did you mean {hint}?" if hint else ""))
