"""Where in the query a DuckDB syntax error is, as YQL reports one: `<line>:<column>`.

DuckDB parses the SQL that dev mode and the fake query tracker made of the query (rewritten,
its tables put in, each its own way), so its `LINE n` and caret point into that text, not
the query. The failing statement is parsed again with each table as one name (TABLE), so
that both place the error alike, and the token DuckDB names is found in the query's own
code (outside strings, backticked names and comments; a table's path for TABLE): the
occurrence that has as many of the same token before it in the SQL DuckDB was given (this
statement's up to the caret, and the earlier statements'). YQL counts lines and columns
from 1 (`<main>:1:8: Error: ...`: TPosition in yql/essentials/public/issue/yql_issue.h,
ydb-platform/ydb).
"""

from __future__ import annotations

import re
from typing import Any

from yt_pipeline.yql_rules import QUIET_STATEMENTS, Token, insert_target, statements

#: the name each table read stands as when a statement is parsed again
TABLE = "ytp_table"
_NEAR = re.compile(r'^Parser Error: (syntax error at or near) "(.*)"\s*$')
_LINE = re.compile(r"^LINE (\d+): (.*)$")
#: a string or a double-quoted name of the SQL DuckDB was given, which holds no code
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


def _count(token: str, sql: str) -> int:
    """How many times `token` stands in `sql`'s code, as a word when it is one."""
    code = _QUOTED.sub(" ", sql)
    if re.fullmatch(r"\w+", token):
        return len(re.findall(rf"(?<![\w$.]){re.escape(token)}(?![\w$.])", code, re.I))
    return code.count(token)


def caret_offset(message_lines: list[str], sql: str) -> int | None:
    """Where in `sql` DuckDB's caret points (its `LINE n: ...` excerpt and the `^` under
    it), None when the excerpt cannot be placed. A long line is shown cut, "..." standing
    for what is left out: the excerpt is found in the line to place the caret."""
    for index, line in enumerate(message_lines[:-1]):
        found = _LINE.match(line)
        if not found:
            continue
        shown = found.group(2)
        offset = message_lines[index + 1].find("^") - (len(line) - len(shown))
        lines = sql.split("\n")
        number = int(found.group(1))
        if offset < 0 or number > len(lines):
            return None
        text = lines[number - 1]
        if shown.startswith("..."):
            excerpt = shown[3:].removesuffix("...")
            start = text.find(excerpt)
            if start < 0:
                return None
            offset += start - 3
        return sum(len(each) + 1 for each in lines[:number - 1]) + offset
    return None


def _before_caret(token: str, message_lines: list[str], sql: str) -> int:
    """How many times `token` stands in the statement's SQL before DuckDB's caret (0 when
    its excerpt of the line cannot be placed)."""
    offset = caret_offset(message_lines, sql)
    return 0 if offset is None else _count(token, sql[:offset])


def _parse_error(duckdb: Any, sql: str) -> str | None:
    """DuckDB's parser error for `sql` (parsed only, nothing run), or None."""
    connection = duckdb.connect()
    try:
        connection.extract_statements(sql)
    except duckdb.ParserException as error:
        return str(error)
    finally:
        connection.close()
    return None


def code_tokens(query: str) -> list[Token]:
    """The tokens of the query that DuckDB is given: PRAGMA, USE and COMMIT are not, nor
    the table an INSERT writes."""
    return [t for statement in statements(query)
            if statement.first_word not in QUIET_STATEMENTS for t in statement.tokens
            if t is not insert_target(statement)]


def line_column(query: str, start: int) -> tuple[int, int]:
    """The line and column (both from 1, as YQL counts them) of `query[start]`."""
    return query.count("\n", 0, start) + 1, start - (query.rfind("\n", 0, start) + 1) + 1


def syntax_error_line(duckdb: Any, query: str, ran: list[str]) -> str | None:
    """`YQL: <line>:<col>: syntax error at or near "X" (...)` when DuckDB cannot parse
    `ran[-1]`, run after `ran[:-1]` (each statement's SQL with its tables as TABLE); None
    when it parses, or the token is not in the query's code."""
    message = _parse_error(duckdb, ran[-1]) if ran else None
    lines = message.strip().splitlines() if message else []
    found = _NEAR.match(lines[0]) if lines else None
    if found is None:
        return None
    token = found.group(2)
    before = sum(_count(token, sql) for sql in ran[:-1]) + _before_caret(token, lines, ran[-1])
    table = token == TABLE
    tokens = code_tokens(query)
    found_at = [t for t in tokens if t.text.startswith("//") and t.kind in ("name", "string")
                ] if table else [t for t in tokens if t.kind in ("word", "symbol")
                                 and t.text.upper() == token.upper()]
    if not found_at:
        return None
    at = found_at[min(before, len(found_at) - 1)]
    shown = query[at.start:at.end] if table else token
    line, column = line_column(query, at.start)
    return (f'YQL: {line}:{column}: {found.group(1)} "{shown}" '
            f"(line {line}, column {column} of the query)")
