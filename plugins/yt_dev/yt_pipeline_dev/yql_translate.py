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

import msgspec

from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_clauses import UngroupedColumn, place
from yt_pipeline.yql_in import ANSI_IN, pragma_sets_ansi_in
from yt_pipeline.yql_named import expand_named
from yt_pipeline.yql_refusals import check_statement
from yt_pipeline.yql_required import required_columns
from yt_pipeline.yql_rules import SortItem, insert_distinct_by, insert_sort_items, insert_sort_key
from yt_pipeline.yql_semantics import DEV, rewrite
from yt_pipeline.yql_statements import split_statements
from yt_pipeline.yql_string_suffix import past_suffix
from yt_pipeline.yql_unions import POSITIONAL_UNION, pragma_sets_positional_union
from yt_pipeline.yql_unique_source import PlainRead, plain_read

_IGNORED = ("PRAGMA", "USE", "COMMIT")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CLUSTER_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\.\s*$")
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s*\x00(\d+)\x00\s*(WITH\s+TRUNCATE\b)?\s*", re.I)


_MARKER = re.compile(r"\x00(\d+)\x00")
_QUOTED = re.compile(r"\x01(\d+)\x01")


class Statement(msgspec.Struct):
    """One statement to run: a SELECT (`target` None) or a write of its result to `target`.

    `template` holds a marker where each YT table is read; `render` puts in the SQL that
    reads it, which the executor chooses per table.
    """

    template: str
    paths: list[str]
    target: str | None = None
    truncate: bool = False
    #: the result columns whose YQL type is not Optional (yql_required), as the text alone
    #: tells; the executor adds those the schemas of the tables read tell (`text`)
    required: frozenset[str] = frozenset()
    #: the statement's YQL text
    text: str = ""
    #: the columns of an INSERT's top-level ORDER BY that sort the table it writes, before
    #: the written columns are checked (yql_rules.insert_sort_key)
    sort_key: list[str] | None = None
    #: whether its UNION matches columns by position (PRAGMA PositionalUnionAll)
    positional_union: bool = False
    #: the columns its rows are distinct by, which with that sort give the table unique keys
    #: (yql_rules.insert_distinct_by, sorted_unique)
    distinct_by: list[str] | None = None
    #: the items of an INSERT's top-level ORDER BY (yql_rules.insert_sort_items)
    sort_items: list[SortItem] | None = None
    #: the one table an INSERT's plain SELECT reads, whose unique key its rows may carry
    #: (yql_unique_source.plain_read)
    plain_read: PlainRead | None = None

    def reads(self) -> list[str]:
        """The paths of the tables the statement reads."""
        return [self.paths[int(found.group(1))] for found in _MARKER.finditer(self.template)]

    def render(self, table_sql: Callable[[str], str]) -> str:
        return _MARKER.sub(lambda m: table_sql(self.paths[int(m.group(1))]), self.template)


class _Token(msgspec.Struct):
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
            i = end if ch == "`" else past_suffix(query, end)
        else:
            code.append(ch)
            i += 1
    tokens.append(_Token("code", "".join(code)))
    return tokens


def _quoted(query: str, start: int) -> tuple[int, str]:
    quote, i, out = query[start], start + 1, []
    while i < len(query):
        ch = query[i]
        if ch == "\\" and i + 1 < len(query):  # names too (yql_statements)
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


def _check_code(tokens: list[_Token]) -> None:
    """Refuse the forms dev and the fake both refuse (yql_refusals), read in the statement's
    code with each string as a marker \\x01N\\x01 and each backticked name or path as
    \\x00N\\x00, as the fake marks them."""
    code = "".join(t.text if t.kind == "code" else "\x010\x01" if t.kind == "string"
                   else "\x000\x00" for t in tokens)
    check_statement(code, DEV)


def _first_word(text: str) -> str:
    match = _WORD.match(text)
    return match.group(0).upper() if match else text[:1]


def translate(query: str) -> list[Statement]:
    """The statements of a YQL query, as DuckDB SQL templates."""
    result = []
    ansi_in = False  # YQL's IN until a PRAGMA says otherwise, for the statements after it
    positional = False  # YQL's UNION by name until a PRAGMA says otherwise (yql_unions)
    for text in split_statements(expand_named(query, DEV)):
        pragma = pragma_sets_ansi_in(text)
        ansi_in = ansi_in if pragma is None else pragma
        pragma = pragma_sets_positional_union(text)
        positional = positional if pragma is None else pragma
        token, union_token = ANSI_IN.set(ansi_in), POSITIONAL_UNION.set(positional)
        try:
            statement = _statement(_tokenize(text))
        except UngroupedColumn as error:
            raise QueryFailed(place(error, query)) from None
        finally:
            ANSI_IN.reset(token)
            POSITIONAL_UNION.reset(union_token)
        if statement is not None:
            statement.required = required_columns(text)
            statement.text = text
            statement.positional_union = positional
            statement.sort_key = insert_sort_key(text)
            statement.distinct_by = insert_distinct_by(text)
            statement.sort_items = insert_sort_items(text)
            statement.plain_read = plain_read(text)
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
    _check_code(tokens)
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
    text = _QUOTED.sub(lambda m: quoted[int(m.group(1))], rewrite(text, DEV, quoted))
    return Statement(template=text, paths=paths, target=target, truncate=truncate)
