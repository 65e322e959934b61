"""YQL's lambdas written where they are used, `($x) -> { RETURN $x > 1; }` or
`($x) -> ($x * 2)`, as DuckDB's `lambda yql_lambda_x: (yql_lambda_x > 1)`, for the list
functions that take one (yql_lists: ListMap, ListFilter). A lambda named first
(`$f = ($x) -> ...`) is refused by yql_named, as before.

Source: the lambda forms of ydb-platform/ydb's ydb/docs/en/core/yql/reference/syntax/
expressions.md#lambda (the body in parentheses, or in braces ending in RETURN) and the
grammar's `lambda` rule (yql/essentials/sql/v1/SQLv1.g.in).
"""

from __future__ import annotations

import re

from yt_pipeline.errors import QueryFailed

#: `($a, $b) -> (` or `($a) -> {`: the parameters, then the body's opening
_HEAD = re.compile(r"\(\s*(\$\w+(?:\s*,\s*\$\w+)*)\s*\)\s*->\s*([({])")
_RETURN = re.compile(r"\s*RETURN\b(.*?);?\s*$", re.I | re.S)
_PARAMETER = re.compile(r"\$(\w+)")
#: what a lambda's parameter is called in DuckDB's SQL
PREFIX = "yql_lambda_"


def _closing(masked: str, opening: int) -> int:
    pairs = {"(": ")", "{": "}"}
    depth, close = 0, pairs[masked[opening]]
    for at in range(opening, len(masked)):
        if masked[at] == masked[opening]:
            depth += 1
        elif masked[at] == close:
            depth -= 1
            if depth == 0:
                return at
    raise QueryFailed("YQL: a lambda's body is not closed")


def inline_lambdas(text: str, masked: str, where: str) -> str:
    """`text` with each lambda as DuckDB's. `masked` is `text` with each string and name
    blanked out (as long), so nothing inside them is read as code."""
    while True:
        head = _HEAD.search(masked)
        if head is None:
            return text
        params = [name.strip()[1:] for name in head.group(1).split(",")]
        opening = head.start(2)
        closing = _closing(masked, opening)
        start, end = opening + 1, closing
        if head.group(2) == "{":
            body = _RETURN.fullmatch(masked, start, end)
            if body is None:
                raise QueryFailed(f"YQL: a lambda's body other than one RETURN expression "
                                  f"is not supported in {where}")
            start, end = body.start(1), body.end(1)
        pieces, at = [], start
        for found in _PARAMETER.finditer(masked, start, end):
            if found.group(1) in params:
                pieces.append(text[at:found.start()] + PREFIX + found.group(1))
                at = found.end()
        pieces.append(text[at:end])
        made = f"lambda {', '.join(PREFIX + p for p in params)}: ({''.join(pieces)})"
        blank = f"lambda {', '.join(PREFIX + p for p in params)}: ("
        masked_made = blank + _masked_body(masked, text, start, end, params) + ")"
        text = text[:head.start()] + made + text[closing + 1:]
        masked = masked[:head.start()] + masked_made + masked[closing + 1:]


def _masked_body(masked: str, text: str, start: int, end: int, params: list[str]) -> str:
    """The body as `masked` has it, with the parameters renamed as in `text`'s."""
    return _PARAMETER.sub(lambda m: PREFIX + m.group(1) if m.group(1) in params else m.group(0),
                          masked[start:end])
