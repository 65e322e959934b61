"""A small YQL-to-DuckDB translator: the subset a dev run can execute faithfully.

Understood: SELECT queries (DuckDB's SQL, which YQL's common core shares), backticked YT
paths (``hahn.`//tmp/t` `` or `` `//tmp/t` ``) read as tables, backticked names as
identifiers, YQL's double-quoted strings, `INSERT INTO `//path` [WITH TRUNCATE] SELECT ...`,
and PRAGMA / USE / COMMIT, which are ignored. Anything else is rejected by name rather than
guessed at, so a query never means something different in dev.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_semantics import rewrite

_IGNORED = ("PRAGMA", "USE", "COMMIT")
#: YQL statements DuckDB cannot run the same way, by their first word
_UNSUPPORTED_STATEMENTS = {
    "PROCESS": "PROCESS (a stream of a table through a UDF)",
    "REDUCE": "REDUCE (a YQL reduce through a UDF)",
    "DEFINE": "DEFINE ACTION/SUBQUERY",
    "EVALUATE": "EVALUATE",
    "DO": "DO (calling an action)",
    "DISCARD": "DISCARD",
    "UPSERT": "UPSERT",
    "REPLACE": "REPLACE INTO",
}
#: YQL clauses with no DuckDB twin, wherever they appear
_UNSUPPORTED_WORDS = {"FLATTEN": "FLATTEN BY", "ASSUME": "ASSUME ORDER BY"}
#: YQL forms DuckDB reads otherwise, or not at all: each is named in the error
_UNSUPPORTED_FORMS = [
    (re.compile(r"\b(RANGE|FILTER|LIKE|REGEXP|CONCAT|EACH|FOLDER|WALKFOLDERS)\s*\(\s*\x00", re.I),
     "the table function {0}(...)", "; name each table, joined with UNION ALL"),
    (re.compile(r"\b((?:LEFT|RIGHT)\s+(?:ONLY|SEMI)|EXCLUSION)\s+JOIN\b", re.I), "{0} JOIN",
     ""),
    (re.compile(r"\b(AS_TABLE)\s*\(", re.I), "{0}", ""),
    (re.compile(r"\b(SAMPLE|TABLESAMPLE)\s+[0-9.(]", re.I), "{0}", ""),
]
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CLUSTER_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\.\s*$")
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s*\x00(\d+)\x00\s*(WITH\s+TRUNCATE\b)?\s*", re.I)


_MARKER = re.compile(r"\x00(\d+)\x00")
_QUOTED = re.compile(r"\x01(\d+)\x01")


@dataclass
class Statement:
    """One statement to run: a SELECT (`target` None) or a write of its result to `target`.

    `template` holds a marker where each YT table is read; `render` puts in the SQL that
    reads it, which the executor chooses per table.
    """

    template: str
    paths: list[str]
    target: str | None = None
    truncate: bool = False

    def reads(self) -> list[str]:
        """The paths of the tables the statement reads."""
        return [self.paths[int(found.group(1))] for found in _MARKER.finditer(self.template)]

    def render(self, table_sql: Callable[[str], str]) -> str:
        return _MARKER.sub(lambda m: table_sql(self.paths[int(m.group(1))]), self.template)


@dataclass
class _Token:
    kind: str  # "code", "string", "name"
    text: str


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, code = 0, []
    n = len(query)
    while i < n:
        ch = query[i]
        if query.startswith("--", i):
            end = query.find("\n", i)
            i = n if end < 0 else end
            code.append(" ")
        elif query.startswith("/*", i):
            end = query.find("*/", i + 2)
            if end < 0:
                raise QueryFailed("YQL: unterminated /* comment")
            i = end + 2
            code.append(" ")
        elif ch in "'\"`":
            end, text = _quoted(query, i)
            tokens.append(_Token("code", "".join(code)))
            code = []
            tokens.append(_Token("name" if ch == "`" else "string", text))
            i = end
        else:
            code.append(ch)
            i += 1
    tokens.append(_Token("code", "".join(code)))
    return tokens


def _quoted(query: str, start: int) -> tuple[int, str]:
    quote, i, out = query[start], start + 1, []
    while i < len(query):
        ch = query[i]
        if ch == "\\" and quote != "`" and i + 1 < len(query):
            nxt = query[i + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
            i += 2
            continue
        if ch == quote:
            if query.startswith(quote * 2, i) and quote == "`":
                out.append(quote)
                i += 2
                continue
            return i + 1, "".join(out)
        out.append(ch)
        i += 1
    raise QueryFailed(f"YQL: unterminated {quote} quote starting at character {start + 1}")


def _check_code(code: str) -> None:
    if "$" in code:
        raise QueryFailed("YQL: named expressions and parameters ($name) are not supported "
                          "in dev mode; inline the expression")
    if "::" in code:
        raise QueryFailed("YQL: UDF calls (Module::Function) are not supported in dev mode")
    for word in _WORD.findall(code):
        what = _UNSUPPORTED_WORDS.get(word.upper())
        if what:
            raise QueryFailed(f"YQL: {what} is not supported in dev mode")


def _check_forms(tokens: list[_Token]) -> None:
    """The statement's code with each path as a marker and each string emptied, searched for
    forms that span tokens (`RANGE(` followed by a path)."""
    code = "".join(t.text if t.kind == "code" else "\x00" if t.text.startswith("//") else "''"
                   for t in tokens)
    for pattern, what, hint in _UNSUPPORTED_FORMS:
        found = pattern.search(code)
        if found:
            name = " ".join(found.group(1).upper().split())
            raise QueryFailed(f"YQL: {what.format(name)} is not supported in dev mode{hint}")


def _first_word(text: str) -> str:
    match = _WORD.match(text)
    return match.group(0).upper() if match else text[:1]


def translate(query: str) -> list[Statement]:
    """The statements of a YQL query, as DuckDB SQL templates."""
    tokens = _tokenize(query)
    statements: list[list[_Token]] = [[]]
    for token in tokens:
        if token.kind != "code":
            statements[-1].append(token)
            continue
        parts = token.text.split(";")
        statements[-1].append(_Token("code", parts[0]))
        for part in parts[1:]:
            statements.append([_Token("code", part)])
    result = []
    for tokens_of_one in statements:
        statement = _statement(tokens_of_one)
        if statement is not None:
            result.append(statement)
    return result


def _statement(tokens: list[_Token]) -> Statement | None:
    paths: list[str] = []
    quoted: list[str] = []  # the SQL of each string and name, put in after the rewrite
    sketch = []  # the statement with each backticked path, string and name as a marker
    for token in tokens:
        if token.kind == "code":
            sketch.append(token.text)
        elif token.kind == "string":
            sketch.append(f"\x01{len(quoted)}\x01")
            quoted.append("'" + token.text.replace("'", "''") + "'")
        elif token.text.startswith("//"):
            if sketch:
                sketch[-1] = _CLUSTER_PREFIX.sub("", sketch[-1])
            sketch.append(f"\x00{len(paths)}\x00")
            paths.append(token.text)
        else:
            sketch.append(f"\x01{len(quoted)}\x01")
            quoted.append('"' + token.text.replace('"', '""') + '"')
    text = "".join(sketch).strip()
    if not text:
        return None
    first = _first_word(text)
    if first in _IGNORED:
        return None
    if first in _UNSUPPORTED_STATEMENTS:
        raise QueryFailed(f"YQL: {_UNSUPPORTED_STATEMENTS[first]} is not supported in dev mode")
    for token in tokens:
        if token.kind == "code":
            _check_code(token.text)
    _check_forms(tokens)
    target, truncate = None, False
    insert = _INSERT.match(text)
    if insert:
        target, truncate = paths[int(insert.group(1))], bool(insert.group(2))
        text = text[insert.end():]
        first = _first_word(text)
    elif first == "INSERT":
        raise QueryFailed("YQL: INSERT INTO must name a backticked YT path, like "
                          "INSERT INTO `//tmp/out` WITH TRUNCATE SELECT ...")
    if first not in ("SELECT", "WITH", "("):
        raise QueryFailed(f"YQL: {first or 'an empty INSERT'} statements are not supported "
                          "in dev mode (only SELECT and INSERT INTO ... SELECT)")
    text = _QUOTED.sub(lambda m: quoted[int(m.group(1))], rewrite(text))
    return Statement(template=text, paths=paths, target=target, truncate=truncate)
