"""The sources a SELECT joins, read from its tokens: what YQL's words for a JOIN mistake
name (a source's correlation name, its columns) and where it places them.

Only the plain shape is read: `FROM <source> AS <label> (<join> <source> AS <label>
(ON ... | USING (...)))*`, each source a table (`//t`, `cluster.`//t``), a named node or a
bracketed subquery. Any other shape reads as None, and the caller keeps DuckDB's words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from yt_pipeline.yql_rules import Token

#: the words that may stand before JOIN in a join operator, ANY before a source
_JOIN_WORDS = {"LEFT", "RIGHT", "INNER", "FULL", "OUTER", "CROSS", "SEMI", "ONLY",
               "EXCLUSION", "NATURAL"}
#: the words that end a FROM clause at its own bracket depth
_FROM_ENDS = {"WHERE", "GROUP", "ORDER", "HAVING", "LIMIT", "UNION", "WINDOW", "ASSUME",
              "INTO", "INTERSECT", "EXCEPT", "OFFSET"}


@dataclass
class Source:
    """One source of a JOIN: the table's path as written (None for a subquery or a named
    node), and the token of its correlation name."""

    path: str | None
    label: Token


@dataclass
class Joined:
    """A FROM clause joining two or more sources; for each join after the first source,
    the columns its USING names (empty for an ON)."""

    sources: list[Source]
    using: list[list[Token]] = field(default_factory=list)
    #: True when a join keeps one side's rows only (LEFT SEMI, RIGHT ONLY...): the joined
    #: row then lacks the other side's columns
    one_sided: bool = False


def _scope(tokens: list[Token], index: int) -> tuple[int, int]:
    """The span [start, end) of the innermost brackets holding tokens[index] (without the
    brackets), or of all the tokens."""
    depth, start = 0, 0
    for i in range(index - 1, -1, -1):
        text = tokens[i].text if tokens[i].kind == "symbol" else ""
        if text == ")":
            depth += 1
        elif text == "(":
            if depth == 0:
                start = i + 1
                break
            depth -= 1
    depth, end = 0, len(tokens)
    for i in range(index, len(tokens)):
        text = tokens[i].text if tokens[i].kind == "symbol" else ""
        if text == "(":
            depth += 1
        elif text == ")":
            if depth == 0:
                end = i
                break
            depth -= 1
    return start, end


def _bracket_end(tokens: list[Token], i: int, end: int) -> int | None:
    """The index after the `)` closing the `(` at tokens[i]."""
    depth = 0
    for j in range(i, end):
        if tokens[j].kind == "symbol" and tokens[j].text in "()":
            depth += 1 if tokens[j].text == "(" else -1
            if depth == 0:
                return j + 1
    return None


def _word(token: Token) -> str | None:
    return token.text.upper() if token.kind == "word" else None


def _source(tokens: list[Token], i: int, end: int) -> tuple[Source, int] | None:
    """The source starting at tokens[i] and the index after it (and its label)."""
    path: str | None = None
    if i < end and _word(tokens[i]) == "ANY":
        i += 1
    if i >= end:
        return None
    token = tokens[i]
    if token.kind == "symbol" and token.text == "(":
        after = _bracket_end(tokens, i, end)
        if after is None:
            return None
        i = after
    elif token.kind == "name":
        path, i = token.text, i + 1
    elif token.kind == "word" and token.text.endswith(".") and i + 1 < end \
            and tokens[i + 1].kind == "name" and token.end == tokens[i + 1].start:
        path, i = tokens[i + 1].text, i + 2  # cluster.`//t`
    elif token.kind == "word" and token.text.startswith("$") and "." not in token.text:
        i += 1
    else:
        return None
    if i + 1 >= end or _word(tokens[i]) != "AS" or tokens[i + 1].kind not in ("word", "name") \
            or tokens[i + 1].kind == "word" and "." in tokens[i + 1].text:
        return None
    return Source(path, tokens[i + 1]), i + 2


def _constraint(tokens: list[Token], i: int, end: int) -> tuple[list[Token], int] | None:
    """The columns of the USING (none for an ON) at tokens[i], and the index after the
    constraint; None for a USING of another shape."""
    if _word(tokens[i]) == "USING":
        if i + 1 >= end or tokens[i + 1].text != "(" or tokens[i + 1].kind != "symbol":
            return None
        after = _bracket_end(tokens, i + 1, end)
        if after is None:
            return None
        inside = tokens[i + 2:after - 1]
        columns = inside[0::2]
        if not columns or any(t.kind not in ("word", "name") or "." in t.text and t.kind == "word"
                              for t in columns) \
                or any(t.kind != "symbol" or t.text != "," for t in inside[1::2]):
            return None
        return columns, after
    depth = 0
    for j in range(i + 1, end):
        token = tokens[j]
        if token.kind == "symbol" and token.text in "()":
            depth += 1 if token.text == "(" else -1
        elif depth == 0 and (_word(token) in _JOIN_WORDS | _FROM_ENDS | {"JOIN", "ANY"}):
            return [], j
    return [], end


def _from_at(tokens: list[Token], start: int, end: int) -> int | None:
    """The index after the FROM of tokens[start:end] at their own bracket depth."""
    depth = 0
    for j in range(start, end):
        token = tokens[j]
        if token.kind == "symbol" and token.text in "()":
            depth += 1 if token.text == "(" else -1
        elif depth == 0 and _word(token) == "FROM":
            return j + 1
    return None


def joined_sources(tokens: list[Token], index: int) -> Joined | None:
    """The sources joined by the FROM clause of the SELECT holding tokens[index] at its own
    bracket depth; None without a JOIN there, or for a shape not read here."""
    start, end = _scope(tokens, index)
    i = _from_at(tokens, start, end)
    while i is None and start > 0:  # brackets of an expression: the SELECT holding them
        start, end = _scope(tokens, start - 1)
        i = _from_at(tokens, start, end)
    if i is None:
        return None
    first = _source(tokens, i, end)
    if first is None:
        return None
    joined = Joined([first[0]])
    i = first[1]
    while i < end and _word(tokens[i]) not in _FROM_ENDS:
        while i < end and _word(tokens[i]) in _JOIN_WORDS:
            joined.one_sided = joined.one_sided or _word(tokens[i]) in ("SEMI", "ONLY")
            i += 1
        if i >= end or _word(tokens[i]) != "JOIN":
            return None
        found = _source(tokens, i + 1, end)
        if found is None:
            return None
        joined.sources.append(found[0])
        i = found[1]
        if i < end and _word(tokens[i]) in ("ON", "USING"):
            constraint = _constraint(tokens, i, end)
            if constraint is None:
                return None
            columns, i = constraint
        else:
            columns = []  # a CROSS JOIN
        joined.using.append(columns)
    return joined if len(joined.sources) > 1 else None
