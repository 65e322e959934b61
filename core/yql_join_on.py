"""A correlation name that none of a JOIN's sources has, named in the JOIN's ON: YQL's
words for it, at the equality that names it, as a cluster reports it.

YQL reads ON as a conjunction of equalities, each between columns of two sources, and
checks each side's correlation name when the query is translated: one no source has is
refused with "JOIN: unknown corellation name: x" (so spelled) at the equality's `=` or
`==` (TJoinBase::InitKeysOrFilters in yql/essentials/sql/v1/join.cpp reports at the
equality's position; sql_ut.cpp's SelectJoinMissingCorrName shows that position to be
the `==`'s: `... as b on a.key == key` gives `<main>:1:65`), ydb-platform/ydb.

An ON of any other shape (a non-equality, a bracket, an expression) draws another issue
of YQL's first, and a name that labels a source is refused in other words: neither is
told here.
"""

from __future__ import annotations

from yt_pipeline.yql_rules import Token, located

#: words that end an ON clause at its own bracket depth
_CLAUSE_ENDS = {"JOIN", "LEFT", "RIGHT", "INNER", "FULL", "CROSS", "EXCLUSION", "WHERE",
                "GROUP", "ORDER", "HAVING", "LIMIT", "UNION", "WINDOW", "ASSUME", "FLATTEN",
                "SAMPLE", "TABLESAMPLE", "INTO", "ANY", "SEMI", "ONLY", "NATURAL"}


def on_clause(tokens: list[Token], index: int) -> list[Token] | None:
    """The tokens of the ON clause holding tokens[index], without its ON; None when no
    ON holds it, or its ON has brackets."""
    depth, start, bracketed = 0, None, False
    for i, token in enumerate([*tokens, Token("symbol", ";", -1, -1)]):
        word = token.text.upper() if token.kind == "word" else None
        closes = token.kind == "symbol" and token.text == ")" and start is not None \
            and depth == start[1]
        if start is not None and (word in _CLAUSE_ENDS or token.text == ";" or closes):
            if start[0] <= index < i:
                return None if bracketed else tokens[start[0]:i]
            start = None
        if token.kind == "symbol" and token.text in "()":
            bracketed = bracketed or start is not None
            depth += 1 if token.text == "(" else -1
        if word == "ON":
            start, bracketed = (i + 1, depth), False
    return None


def _references(part: list[Token]) -> list[Token] | None:
    """The sides of a `label.column = label.column` (or `==`), each as its first token."""
    texts = [t.text for t in part]
    for op in (["="], ["=", "="]):
        for split in range(1, len(part)):
            if texts[split:split + len(op)] == op and all(
                    t.kind == "symbol" for t in part[split:split + len(op)]):
                left, right = part[:split], part[split + len(op):]
                if _qualified(left) and _qualified(right):
                    return [left[0], part[split], right[0]]
    return None


def _qualified(side: list[Token]) -> bool:
    if len(side) == 1:
        head, dot, tail = side[0].text.rpartition(".")
        return side[0].kind == "word" and bool(head and dot and tail)
    return (len(side) == 2 and side[0].kind == "word" and side[0].text.endswith(".")
            and side[1].kind == "name" and side[0].end == side[1].start)


def _label(reference: Token) -> str:
    return reference.text.rpartition(".")[0] if not reference.text.endswith(".") \
        else reference.text[:-1]


def unknown_join_label(query: str, at: Token, label: str) -> Token | None:
    """The `=` YQL reports `label`, named at `at` in a JOIN's ON, unknown at; None when
    the ON is of another shape, or `label` names a source of the statement."""
    found_at = located(query, at)
    if found_at is None:
        return None
    tokens, index = found_at
    clause = on_clause(tokens, index)
    if clause is None:
        return None
    equalities = _equalities(clause)
    if equalities is None:
        return None
    found: Token | None = None
    for sides in equalities:
        if at.start in (sides[0].start, sides[2].start):
            found = sides[1]
    others = [t for t in tokens if t not in clause]
    if any(t.text == label or t.text.rpartition("/")[2] == label for t in others
           if t.kind in ("word", "name")):
        return None  # a source's label, or a table's own name: refused in other words
    return found


#: the words that open a clause: the last one before a reference names its clause
_CLAUSE_STARTS = {"SELECT", "FROM", "JOIN", "ON", "USING", "WHERE", "GROUP", "HAVING",
                  "ORDER", "WINDOW", "LIMIT"}


def in_join_on(query: str, at: Token) -> bool:
    """True when the reference at `at` stands in a JOIN's ON (in brackets or not)."""
    found_at = located(query, at)
    if found_at is None:
        return False
    tokens, index = found_at
    # back from the reference, skipping closed brackets; an open one's outside counts
    depth = floor = 0
    for token in reversed(tokens[:index]):
        if token.kind == "symbol" and token.text in "()":
            depth += 1 if token.text == ")" else -1
            floor = min(floor, depth)
        elif depth == floor and token.kind == "word" \
                and token.text.upper() in _CLAUSE_STARTS:
            return token.text.upper() == "ON"
    return False


def on_equalities(tokens: list[Token], index: int
                  ) -> list[tuple[tuple[Token, str], tuple[Token, str]]] | None:
    """The equalities of the ON holding tokens[index], each side as its first token and
    its correlation name; None when that ON is not a conjunction of equalities between
    qualified columns, or is bracketed."""
    clause = on_clause(tokens, index)
    equalities = None if clause is None else _equalities(clause)
    if equalities is None:
        return None
    return [((sides[0], _label(sides[0])), (sides[2], _label(sides[2])))
            for sides in equalities]


def _equalities(clause: list[Token]) -> list[list[Token]] | None:
    """Each equality of an ON clause joined by AND as `_references` reads it (its left
    side's first token, the `=`, its right side's first token); None when a part is not
    an equality between qualified columns."""
    found = []
    part: list[Token] = []
    for token in [*clause, Token("word", "AND", -1, -1)]:
        if token.kind != "word" or token.text.upper() != "AND":
            part.append(token)
            continue
        sides = _references(part)
        if sides is None:
            return None
        found.append(sides)
        part = []
    return found
