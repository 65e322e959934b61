"""A JOIN's ON of a shape YQL refuses, in YQL's words, where a cluster places them: the
same in dev mode and in the fake YT proxy's query tracker. DuckDB joins on any condition.

YQL's translator splits an ON at its ANDs and takes each part as a key pair
(TJoinBase::DoInit and InitKeysOrFilters in yql/essentials/sql/v1/join.cpp,
ydb-platform/ydb), refusing, at the part's operator:
- a part that is not an equality (`a.k > b.k`, `a.k != b.k`): "JOIN ON expression must be
  a conjunction of equality predicates";
- an equality a side of which is no column (a literal, `a.k + 1`): "JOIN: each equality
  predicate argument must depend on exactly one JOIN input";
- one a side of which is a column without its correlation name: "JOIN: column requires
  correlation name";
- one whose two sides name the same source: "JOIN: different correlation names are
  required for joined tables";
- one naming a source joined later: "JOIN: can not use source: c in equality predicate,
  it is out of current join scope";
- one naming neither the source being joined: "JOIN ON equality predicate must have one of
  its arguments from the rightmost source".
- one naming a correlation name no source has: "JOIN: unknown corellation name: x" (so
  spelled; yql_join_on tells it, from DuckDB's error, for an ON of equalities alone).
The parts are looked at in order, each side left first, as YQL does. A
comparison's position is that of its operator (TSqlExpression::BinOpList in
yql/essentials/sql/v1/sql_expression.cpp takes it from the operator's token); an OR's is
not, so an ON holding OR, brackets or more than one operator in a part is left to DuckDB,
which joins on it.
"""

from __future__ import annotations

from yt_pipeline.yql_join_on import on_clause
from yt_pipeline.yql_join_sources import joined_sources
from yt_pipeline.yql_positions import line_column
from yt_pipeline.yql_rules import Token, statements

NOT_EQUALITY = "JOIN ON expression must be a conjunction of equality predicates"
NOT_A_COLUMN = "JOIN: each equality predicate argument must depend on exactly one JOIN input"
UNQUALIFIED = "JOIN: column requires correlation name"
SAME_SOURCE = "JOIN: different correlation names are required for joined tables"
#: so spelled by YQL
UNKNOWN = "JOIN: unknown corellation name: {}"
OUT_OF_SCOPE = "JOIN: can not use source: {} in equality predicate, it is out of current join scope"
NO_RIGHT = "JOIN ON equality predicate must have one of its arguments from the rightmost source"

#: the operators of a comparison, as the tokens they are written with
_COMPARISONS = {"=", "==", "!=", "<>", "<", ">", "<=", ">="}
#: words of an ON part whose shape is not read here
_OTHER_SHAPES = {"OR", "NOT", "BETWEEN", "IN", "IS", "LIKE", "ILIKE", "REGEXP", "RLIKE",
                 "MATCH", "GLOB", "CASE", "ESCAPE", "XOR", "DISTINCT"}
_LITERAL_WORDS = {"TRUE", "FALSE", "NULL"}


def join_shape_error(query: str) -> str | None:
    """`YQL: <line>:<col>: <YQL's words>` for the first ON part of `query` YQL refuses for
    its shape; None when every ON is read as YQL reads it, or is of a shape left to
    DuckDB."""
    for statement in statements(query):
        tokens = statement.tokens
        for on, clause in _on_clauses(tokens):
            joined = joined_sources(tokens, on)
            if joined is None:
                continue
            labels = [source.label.text for source in joined.sources]
            tables = {source.path.rpartition("/")[2] for source in joined.sources
                      if source.path}
            right = _joins_before(tokens, on)
            for part in _parts(clause):
                found = _refusal(part, labels, right, tables)
                if found is None:
                    continue
                if found[0] == "":
                    break  # YQL's words for this part are told elsewhere, or not read here
                message, at = found
                assert at is not None
                line, column = line_column(query, at.start)
                return f"YQL: {line}:{column}: {message}"
    return None


def _on_clauses(tokens: list[Token]) -> list[tuple[int, list[Token]]]:
    """The ON clauses without brackets (yql_join_on.on_clause): each ON's index, and its
    tokens after it."""
    found = []
    for i, token in enumerate(tokens[:-1]):
        if token.kind == "word" and token.text.upper() == "ON":
            clause = on_clause(tokens, i + 1)
            if clause:
                found.append((i, clause))
    return found


def _joins_before(tokens: list[Token], on: int) -> int:
    """The index among the joined sources of the one the ON at `on` joins: the JOINs of
    its own bracket depth before it."""
    depth, joins = 0, 0
    for token in reversed(tokens[:on]):
        if token.kind == "symbol" and token.text in "()":
            depth += 1 if token.text == ")" else -1
            if depth < 0:
                break
        elif depth == 0 and token.kind == "word" and token.text.upper() == "JOIN":
            joins += 1
    return joins


def _parts(clause: list[Token]) -> list[list[Token]]:
    parts: list[list[Token]] = [[]]
    for token in clause:
        if token.kind == "word" and token.text.upper() == "AND":
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def _operators(part: list[Token]) -> list[tuple[int, int, str]]:
    """(first index, index after, text) of each comparison operator: adjacent symbols
    (`<` `=`) make one."""
    found = []
    i = 0
    while i < len(part):
        token = part[i]
        if token.kind == "symbol" and token.text in "=<>!":
            j = i + 1
            while j < len(part) and part[j].kind == "symbol" and part[j].text in "=<>" \
                    and part[j].start == part[j - 1].end:
                j += 1
            found.append((i, j, "".join(t.text for t in part[i:j])))
            i = j
        else:
            i += 1
    return found


def _refusal(part: list[Token], labels: list[str], right: int,
             tables: set[str]) -> tuple[str, Token | None] | None:
    """YQL's words for `part` and the token they stand at; ("", ...) when YQL's words
    for it are not told here (an empty part, after a last AND, is a syntax error); None
    when YQL takes it."""
    operators = _operators(part)
    if any(t.kind == "word" and t.text.upper() in _OTHER_SHAPES for t in part) or \
            len(operators) != 1 or operators[0][2] not in _COMPARISONS:
        return "", None
    first, after, text = operators[0]
    at = part[first]
    if text not in ("=", "=="):
        return NOT_EQUALITY, at
    sides = []
    for kind in (_side(part[:first]), _side(part[after:])):
        if kind == "unknown":
            return "", at
        if kind == "other":
            return NOT_A_COLUMN, at
        if kind == "unqualified":
            return UNQUALIFIED, at
        if kind not in labels:
            if kind in tables:
                return "", at  # a table's own name, which YQL refuses in other words
            return UNKNOWN.format(kind), at
        if labels.index(kind) > right:
            return OUT_OF_SCOPE.format(kind), at
        sides.append(labels.index(kind))
    if sides[0] == sides[1]:
        return SAME_SOURCE, at
    if right not in sides:
        return NO_RIGHT, at
    return None


def _side(side: list[Token]) -> str:
    """The correlation name of a qualified column, "unqualified" for a column alone,
    "other" for anything else (a literal, an expression), "unknown" for what YQL may read
    either way (a member of a column, `a.b.c`; a named expression, `$x`)."""
    if len(side) == 1 and side[0].kind == "name":
        return "unqualified"
    if len(side) == 2 and side[0].kind == "word" and side[0].text.endswith(".") \
            and side[1].kind == "name" and side[0].end == side[1].start:
        return side[0].text[:-1]
    if len(side) != 1 or side[0].kind != "word":
        return "other"
    text = side[0].text
    if text.startswith("$"):
        return "unknown"
    if text[:1].isdigit() or text.startswith(".") or text.upper() in _LITERAL_WORDS:
        return "other"
    label, dot, column = text.partition(".")
    if not dot:
        return "unqualified"
    return label if column and "." not in column else "unknown"
