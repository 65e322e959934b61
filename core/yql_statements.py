"""A YQL query cut into its statements: the one reading of where a statement ends, shared by
dev mode's translator, the named expressions and the fake query tracker, so that none of them
takes a `;` inside a string, a name or a comment for the end of a statement.

What YQL's lexer reads (ydb/docs/en/core/yql/reference/syntax/lexer.md, ydb-platform/ydb):
statements are separated by `;` and the last one may be left out; `--` comments run to the
end of the line, `/* */` comments to the nearest `*/`, and a comment counts as a space;
strings are quoted with ' or " and names (paths included) with backticks, all three with
C-style backslash escapes (a name may also double a backtick); a multi-line string runs
from `@@` to `@@`, `@@@@` inside it standing for `@@`. The ANSI lexer (`--!ansi_lexer`)
is not followed.
"""

from __future__ import annotations

from yt_pipeline.errors import QueryFailed

QUOTES = "'\"`"


def unterminated(query: str, start: int, what: str) -> QueryFailed:
    """The error for `what` opened at query[start] and never closed, placed as YQL places
    an issue: line and column, each counted from 1."""
    line = query.count("\n", 0, start) + 1
    column = start - (query.rfind("\n", 0, start) + 1) + 1
    return QueryFailed(f"YQL: {line}:{column}: unterminated {what} "
                       f"(line {line}, column {column} of the query)")


def quoted_end(query: str, start: int) -> int:
    """The index past the quote closing the string or name opened at query[start]."""
    quote, i = query[start], start + 1
    while i < len(query):
        if query[i] == "\\":
            i += 2
        elif query.startswith("``", i) and quote == "`":  # a backtick in a name
            i += 2
        elif query[i] == quote:
            return i + 1
        else:
            i += 1
    raise unterminated(query, start, f"{quote} quote")


def multiline_end(query: str, start: int) -> int:
    """The index past the `@@` closing the multi-line string opened at query[start]."""
    i = start + 2
    while True:
        i = query.find("@@", i)
        if i < 0:
            raise unterminated(query, start, "@@ string")
        if not query.startswith("@@@@", i):
            return i + 2
        i += 4


def _comment_end(query: str, start: int) -> int:
    """The index past the comment opening at query[start] (a `--` one keeps its newline)."""
    if query.startswith("--", start):
        end = query.find("\n", start)
        return len(query) if end < 0 else end
    end = query.find("*/", start + 2)
    if end < 0:
        raise unterminated(query, start, "/* comment")
    return end + 2


def _scan(query: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The spans of the query's statements (as written, their `;` left out, one more than
    the `;`s in code) and of its comments."""
    statements, comments = [], []
    start, i, n = 0, 0, len(query)
    braces = 0  # a lambda's body, `($x) -> { RETURN $x; }`, holds a `;` of its own
    while i < n:
        char = query[i]
        if query.startswith("--", i) or query.startswith("/*", i):
            end = _comment_end(query, i)
            comments.append((i, end))
            i = end
        elif char in QUOTES:
            i = quoted_end(query, i)
        elif query.startswith("@@", i):
            i = multiline_end(query, i)
        elif char in "{}":
            braces = max(0, braces + (1 if char == "{" else -1))
            i += 1
        elif char == ";" and not braces:
            statements.append((start, i))
            start = i = i + 1
        else:
            i += 1
    statements.append((start, n))
    return statements, comments


def statement_spans(query: str) -> list[tuple[int, int]]:
    """Where each statement of the query stands in it, `;` left out, empty ones included:
    query[start:end] for each (start, end)."""
    return _scan(query)[0]


def split_statements(query: str) -> list[str]:
    """The statements of the query that hold any code, each comment in them a space (a
    comment is a space to YQL), stripped; statements of spaces and comments are left out."""
    spans, comments = _scan(query)
    out = []
    for start, end in spans:
        parts, at = [], start
        for first, last in comments:
            if start <= first < end:
                parts += [query[at:first], " "]
                at = last
        parts.append(query[at:end])
        text = "".join(parts).strip()
        if text:
            out.append(text)
    return out
