"""YQL's named expressions (`$name = ...;`), put in where each is used, so that dev mode and
the fake query tracker, which both run YQL on DuckDB, give a query using them the same rows.

Sources (ydb-platform/ydb, the YQL YTsaurus runs): ydb/docs/en/core/yql/reference/syntax/
expressions.md, "Named expressions" (a name is defined by a statement `$name = expr;` and
may be defined again; its value is the expression, a column name included) and "Table
expressions" (`$t = SELECT ...;` is a table after FROM, JOIN and UNION ALL, a list after IN,
and elsewhere a scalar: one column, an arbitrary row's value, NULL with no rows);
syntax/select/from.md (`$table_name = "my_table"; SELECT * FROM $table_name;` reads a table).

The query's text is read as it is written: strings, backticked names and comments are kept
whole, so a `$` or `;` inside them is not taken for code. A query without `$` in its code is
returned unchanged.
"""

from __future__ import annotations

import re

import msgspec

from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_lambdas import inline_lambdas
from yt_pipeline.yql_refusals import UNSUPPORTED_STATEMENTS, first_word, refuse_statement
from yt_pipeline.yql_statements import split_statements

_DEFINITION = re.compile(r"\s*\$(\w+)\s*=(?!=)")
_TUPLE = re.compile(r"\s*\$\w+\s*,\s*\$\w+")
_USE = re.compile(r"\$(\w+)")
#: the words before a use that make it a table (FROM, JOIN, UNION ALL) or a list (IN)
_TABLE_BEFORE = re.compile(r"\b(?:FROM|JOIN|ALL|UNION|EXCEPT|INTERSECT)\s*$", re.I)
_LIST_BEFORE = re.compile(r"\bIN\s*$", re.I)
_LAMBDA = re.compile(r"->")
#: YQL's escapes in a string literal; any other escaped character stands for itself
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}


class _Piece(msgspec.Struct):
    kind: str  # "code", "string" (quoted with ' or "), "name" (backticked)
    text: str  # as written, quotes included


class _Named(msgspec.Struct):
    kind: str  # "table": a SELECT; "string": one string literal; "expr": anything else
    text: str  # the definition as written, names it uses put in


def _pieces(query: str) -> list[_Piece]:
    """The query cut into code, strings and backticked names; each comment is a space."""
    pieces: list[_Piece] = []
    code: list[str] = []
    i, n = 0, len(query)
    while i < n:
        char = query[i]
        if query.startswith("--", i) or query.startswith("/*", i):
            end = query.find("\n" if char == "-" else "*/", i + 2)
            i = n if end < 0 else end + (0 if char == "-" else 2)
            code.append(" ")
        elif char in "'\"`":
            end = i + 1
            while end < n and query[end] != char:
                end += 2 if query[end] == "\\" else 1  # escapes in names too (lexer.md)
            pieces.append(_Piece("code", "".join(code)))
            code = []
            pieces.append(_Piece("name" if char == "`" else "string", query[i:end + 1]))
            i = end + 1
        else:
            code.append(char)
            i += 1
    pieces.append(_Piece("code", "".join(code)))
    return pieces


def _has_use(statement: list[_Piece]) -> bool:
    return any(p.kind == "code" and "$" in p.text for p in statement)


def expand_named(query: str, where: str) -> str:
    """`query` with each named expression's definition left out and each use replaced by
    what it names; a form that cannot be put in faithfully is refused naming it."""
    pieces = _pieces(query)
    if not any(p.kind == "code" and "$" in p.text for p in pieces):
        return query
    names: dict[str, _Named] = {}
    kept: list[str] = []
    for statement in map(_pieces, split_statements(query)):
        head = statement[0].text if statement else ""
        definition = _DEFINITION.match(head)
        if _TUPLE.match(head) and "=" in head:
            raise QueryFailed(f"YQL: unpacking a tuple into named expressions ($a, $b = ...) "
                              f"is not supported in {where}")
        if definition is None:
            # DECLARE $p, DEFINE ACTION $a, DO $a(), EVALUATE FOR $i: refused by name
            # rather than taken for uses of unknown names
            refuse_statement(first_word(head), where)
            statement = _pieces(inline_lambdas(_text(statement), _masked(statement), where))
            text = _put_in(statement, names, where) if _has_use(statement) else _text(statement)
            kept.append(text)
            continue
        name = definition.group(1)
        body = [_Piece("code", head[definition.end():]), *statement[1:]]
        if _LAMBDA.search("".join(p.text for p in body if p.kind == "code")):
            raise QueryFailed(f"YQL: lambda functions (${name} = (...) -> ...) are not "
                              f"supported in {where}; write the expression where it is used")
        names[name] = _define(name, _put_in(body, names, where, defining=name), where)
    return ";".join(kept)


def _text(statement: list[_Piece]) -> str:
    return "".join(p.text for p in statement)


def _masked(statement: list[_Piece]) -> str:
    """The statement's text with each string and name blanked out, as long as it is."""
    return "".join(p.text if p.kind == "code" else "\x02" * len(p.text) for p in statement)


def _define(name: str, body: str, where: str) -> _Named:
    pieces = [p for p in _pieces(body) if p.kind != "code" or p.text.strip()]
    if len(pieces) == 1 and pieces[0].kind == "string":
        return _Named("string", pieces[0].text.strip())
    inner = _unwrapped(body)
    # `(SELECT ...) UNION ALL (SELECT ...)` is a table too
    word = first_word(inner.lstrip("( \t\r\n"))
    if word in UNSUPPORTED_STATEMENTS:
        refuse_statement(word, where)
    if word in ("SELECT", "WITH", "VALUES"):
        return _Named("table", inner.strip())
    if not body.strip():
        raise QueryFailed(f"YQL: the named expression ${name} has no value")
    return _Named("expr", body.strip())


def _unwrapped(body: str) -> str:
    """`body` without parentheses around the whole of it: `(SELECT ...)` as `SELECT ...`."""
    text = body.strip()
    while text.startswith("(") and _closing(text) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def _closing(text: str) -> int:
    """Where the parenthesis opening `text` closes, strings and names skipped; -1 if not."""
    depth, at = 0, 0
    for piece in _pieces(text):
        if piece.kind == "code":
            for offset, char in enumerate(piece.text):
                depth += {"(": 1, ")": -1}.get(char, 0)
                if depth == 0:
                    return at + offset
        at += len(piece.text)
    return -1


def _put_in(statement: list[_Piece], names: dict[str, _Named], where: str,
            defining: str | None = None) -> str:
    """The statement's text with each `$name` in its code replaced by what it names."""
    out: list[str] = []
    for piece in statement:
        if piece.kind != "code":
            out.append(piece.text)
            continue
        at = 0
        for found in _USE.finditer(piece.text):
            before = "".join(out) + piece.text[at:found.start()]
            out.append(piece.text[at:found.start()])
            out.append(_value(found.group(1), names, before, where, defining))
            at = found.end()
        out.append(piece.text[at:])
    return "".join(out)


def _value(name: str, names: dict[str, _Named], before: str, where: str,
           defining: str | None) -> str:
    named = names.get(name)
    if named is None:
        if name == defining:
            raise QueryFailed(f"YQL: the named expression ${name} uses itself before it is "
                              "defined")
        raise QueryFailed(f"YQL: unknown named expression ${name}: define it ($name = ...;) in "
                          "a statement before the one using it")
    table = bool(_TABLE_BEFORE.search(before))
    if named.kind == "table":
        if table or _LIST_BEFORE.search(before):
            return f"({named.text})"
        # a scalar: one column, the value of an arbitrary row (YQL), here the first one
        return f"(SELECT * FROM ({named.text}) LIMIT 1)"
    if named.kind == "string" and table:
        return "`" + _unquoted(named.text).replace("`", "``") + "`"
    return f"({named.text})"


def _unquoted(literal: str) -> str:
    """A string literal's value (YQL's backslash escapes read)."""
    return read_string(literal, 0)[0]


def read_string(text: str, start: int) -> tuple[str, int]:
    """The value of the YQL string literal opening at text[start] (a ' or a "), its
    backslash escapes read, and where it ends (past its closing quote, or the text's end)."""
    quote, out, i = text[start], [], start + 1
    while i < len(text) and text[i] != quote:
        if text[i] == "\\" and i + 1 < len(text):
            out.append(_ESCAPES.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out), i + 1
