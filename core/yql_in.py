"""YQL's IN, which unless told otherwise is not SQL's: a NULL among the items is passed over.

YQL's SQL translator (yql/essentials/sql/v1, ydb-platform/ydb) leaves
AnsiInForEmptyOrNullableItemsCollections unset unless a PRAGMA sets it, and then writes
SqlIn without its "ansi" hint: `1 IN (2, 3, NULL)` is false, not NULL, so `1 NOT IN (2, 3,
NULL)` is true and keeps its row; a NULL on the left is NULL, even before an empty
collection (the suite cases yql/essentials/tests/sql/suites/in/in_noansi.yql and
in_noansi_empty.yql say so, and in_ansi.yql what `PRAGMA AnsiInForEmptyOrNullableItems
Collections;` changes). DuckDB's IN is SQL's, the pragma's: `x IN (...)` is written here as

    CASE WHEN x IS NULL THEN NULL ELSE COALESCE(x IN (...), false) END

with the pragma's SQL IN left to DuckDB.
"""

from __future__ import annotations

import re
from contextvars import ContextVar

from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_udf_calls import closing_bracket

#: whether the statement is under `PRAGMA AnsiInForEmptyOrNullableItemsCollections`
ANSI_IN: ContextVar[bool] = ContextVar("yql_ansi_in", default=False)

_PRAGMA = re.compile(r"\s*PRAGMA\s+(Disable)?AnsiInForEmptyOrNullableItemsCollections\b",
                     re.I)
_IN = re.compile(r"\bIN\b", re.I)
_DONE = "\x03"  # marks an IN already written out, so that it is not read again
#: the words before which a left side starts: YQL's IN takes as its left side everything
#: back to a logical operator, a clause or a branch (`a + 1 IN (...)` is `(a + 1) IN
#: (...)`: xor_subexpr is eq_subexpr cond_expr in the grammar, yql/essentials/sql/v1/
#: SQLv1.g.in)
_BOUNDARY = {"AND", "OR", "NOT", "XOR", "WHERE", "SELECT", "WHEN", "THEN", "ELSE", "ON",
             "HAVING", "DISTINCT", "ALL", "RETURN", "BY", "CASE"}
_WORD = re.compile(r"\w+$")


def pragma_sets_ansi_in(statement: str) -> bool | None:
    """True or False when `statement` is the pragma turning YQL's SQL IN on or off."""
    found = _PRAGMA.match(statement)
    return None if found is None else found.group(1) is None


def _opening(text: str, closing: int) -> int:
    """The index of the bracket opening the one closing at `closing`, or -1."""
    pairs = {")": "(", "]": "["}
    depth = 0
    for index in range(closing, -1, -1):
        if text[index] in pairs:
            depth += 1
        elif text[index] in "([":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _closing(text: str, opening: int) -> int:
    """The index of the bracket closing the one opened at `opening`, or -1."""
    try:
        return closing_bracket(text, opening)
    except QueryFailed:
        return -1


def _word_start(text: str, end: int) -> int:
    found = _WORD.search(text[:end])
    return end if found is None else found.start()


def left_operand_start(text: str, end: int) -> int:
    """Where the left side of an IN (or of a REGEXP) ending at `end` (exclusive) starts, or
    -1: back to a boundary word, a comma or an opening bracket, over brackets, strings and
    CASE ... END."""
    at, cases = end, 0
    while True:
        while at > 0 and text[at - 1].isspace():
            at -= 1
        if at == 0 or text[at - 1] in ",([;":
            break
        char = text[at - 1]
        if char in ")]":
            at = _opening(text, at - 1)
            if at < 0:
                return -1
        elif char in "\x00\x01":
            at = text.rfind(char, 0, at - 1)
            if at < 0:
                return -1
        elif char.isalnum() or char == "_":
            word_at = _word_start(text, at)
            word = text[word_at:at].upper()
            if word == "END":
                cases += 1
            elif word == "CASE" and cases:
                cases -= 1
            elif word in _BOUNDARY and not cases:
                break
            at = word_at
        else:  # an operator, a dot, a `$`
            at -= 1
    return at if at < end else -1


def _last(text: str) -> re.Match[str] | None:
    """The last IN not written out yet: the ones inside its items come first."""
    matches = list(_IN.finditer(text))
    return matches[-1] if matches else None


def rewrite_in(text: str, where: str) -> str:
    """`text` with each `x [NOT] IN (...)` meaning YQL's IN (see the module's doc)."""
    if ANSI_IN.get() or not _IN.search(text):
        return text
    while True:
        found = _last(text)
        if found is None:
            return text.replace(_DONE, "IN")
        right = found.end() + len(text[found.end():]) - len(text[found.end():].lstrip())
        left_end = len(text[:found.start()].rstrip())
        negated = re.search(r"\bNOT\s*$", text[:left_end], re.I)
        if negated:
            left_end = len(text[:negated.start()].rstrip())
        start = left_operand_start(text, left_end)
        close = _closing(text, right) if text[right:right + 1] == "(" else -1
        if close < 0:  # not a parenthesized collection: left as written
            text = text[:found.start()] + _DONE + text[found.end():]
            continue
        if start < 0:
            raise QueryFailed(f"YQL: the left side of this IN is not understood in {where} "
                              "(YQL passes over a NULL among the items); put it in "
                              "parentheses: (a + b) IN (...)")
        left, items = f"({text[start:left_end].strip()})", text[right:close + 1]
        test = f"COALESCE({left} {_DONE} {items}, false)"
        written = (f"(CASE WHEN {left} IS NULL THEN NULL ELSE "
                   f"{'NOT ' if negated else ''}{test} END)")
        text = text[:start] + written + text[close + 1:]
