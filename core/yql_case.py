"""The branches of YQL's CASE typed as YQL types them, refused before a row is read when
they have no common type, in YQL's words ("Cannot infer common type for Int64 and String"),
where DuckDB failed in its own ("Cannot mix values of type BIGINT and VARCHAR in CASE
expression"), failed only as a row took a branch (a string cast to a number), or gave a
value (a Bool branch and a number one became numbers).

YQL builds `CASE [x] WHEN c1 THEN v1 ... ELSE e END` as the builtin If (CaseRule in
yql/essentials/sql/v1/sql_expression.cpp, ydb-platform/ydb): ReduceCaseBranches halves the
WHEN branches again and again, a pair of halves becoming If(left's condition, left's value,
right's value), and the whole becomes If(any condition, that value, e). Each If types its
two branches as IF(c, a, b) does (IfWrapper: a common type, or "Cannot infer common type
for <then> and <else>"), so the pairs are checked in that order, each by yql_coalesce's
check of IF: a half is represented by a CASE of its values, whose type is DuckDB's union of
theirs (Int32 and Int64 make an Int64, as YQL's common type does).

The check needs the branches as DuckDB reads them, after every rewrite, and the rewrites
write CASEs of their own (IF is one), which must not be checked as the query's. So the
query's own CASEs are first respelled `Case` (DuckDB and the rewrites read the word in any
case; none writes it so), before any rewrite (`mark_case_branches`); once the rewrites are
done, each CASE spelled so is checked and spelled CASE again (`expand_case_branches`). A
rewrite that copies an operand holding one copies its spelling: each copy is checked.
"""

from __future__ import annotations

import re

from yt_pipeline.yql_coalesce import if_checked
from yt_pipeline.yql_int_common import case_converted

#: how a CASE of the query's own is spelled until its check is written
_MARKED = "Case"
_QUERY_CASE = re.compile(r"(?<![\w$.:])CASE(?!\w)", re.I)
_MARKED_CASE = re.compile(rf"(?<![\w$.:]){_MARKED}(?!\w)")
#: CASE's words and the brackets around them; not a word of a longer name ($case, t.end)
_PART = re.compile(r"(?<![\w$.:])(CASE|WHEN|THEN|ELSE|END)(?!\w)|[()\[\]{}]", re.I)
#: a CASE longer than this is left unchecked: each check copies the values it checks, and
#: a CASE nested in another's value is copied with it
_LONGEST = 4000


def mark_case_branches(text: str) -> str:
    """`text` with the word CASE spelled `Case`, which expand_case_branches looks for once
    the rewrites are done. Strings and names must already be markers (their text is not
    read)."""
    return _QUERY_CASE.sub(_MARKED, text)


def expand_case_branches(text: str) -> str:
    """`text` with each CASE marked by mark_case_branches checked and spelled CASE again:
    the last first, so that a CASE holding another holds it checked."""
    while True:
        marked = list(_MARKED_CASE.finditer(text))
        if not marked:
            return text
        found = marked[-1]
        start = found.start()
        parsed = _branches(text, start)
        if parsed is None:  # unbalanced, or no END: DuckDB reports it with its own line
            return text[:start] + "CASE" + text[found.end():]
        end, branches, has_else = parsed
        case = "CASE" + text[found.end():end]
        if has_else and len(case) <= _LONGEST:
            # without ELSE YQL refuses the CASE on its own (yql_refusals)
            case = checked_case(case, [(a - start, b - start) for a, b in branches])
        text = text[:start] + case + text[end:]


def _branches(text: str, start: int) -> tuple[int, list[tuple[int, int]], bool] | None:
    """For the CASE whose word starts at `start`: where its END ends, the spans of its THEN
    values and ELSE value, and whether it has an ELSE; None when it has no END."""
    depth, values, value_start, has_else = 0, [], -1, False
    for found in _PART.finditer(text, start + len(_MARKED)):
        token = found.group(0)
        word = token.upper()
        if token in "([{":
            depth += 1
        elif token in ")]}":
            depth -= 1
            if depth < 0:
                return None
        elif word == "CASE":
            depth += 1
        elif word == "END" and depth > 0:
            depth -= 1
        elif depth == 0 and word in ("WHEN", "THEN", "ELSE", "END"):
            if value_start >= 0:
                values.append((value_start, found.start()))
                value_start = -1
            if word in ("THEN", "ELSE"):
                value_start = found.end()
                has_else = has_else or word == "ELSE"
            if word == "END":
                return found.end(), values, has_else
    return None


def checked_case(value: str, spans: list[tuple[int, int]]) -> str:
    """`value`, a CASE whose THEN values and ELSE value are at `spans` of its text, with the
    checks of their pairs in the order YQL unites them: the first pair's check outermost,
    so that DuckDB binds it first and its refusal is the one given."""
    *thens, otherwise = (value[start:end].strip() for start, end in spans)
    pairs: list[tuple[str, str]] = []

    def united(values: list[str]) -> str:
        if len(values) == 1:
            return values[0]
        middle = len(values) // 2
        left, right = united(values[:middle]), united(values[middle:])
        pairs.append((left, right))
        # typed as DuckDB unites the values, which is YQL's common type for those it accepts
        return "(CASE " + " ".join(f"WHEN false THEN {v}" for v in values) + " END)"

    pairs.append((united(thens), otherwise))
    # integers of mixed signedness in the type YQL unites them in (yql_int_common)
    value = case_converted(value, spans)
    for then, other in reversed(pairs):
        value = if_checked(value, then, other)
    return value
