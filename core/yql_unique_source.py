"""The unique key an INSERT's rows carry from the one table they are read from.

YQL gives a table read from YT a distinct constraint on its key when its row spec says
UniqueKeys and every key column is a plain member (TYqlRowSpecInfo::MakeDistinctConstraint
in yt/yql/providers/yt/lib/row_spec/yql_row_spec.cpp, added to the table's constraints by
TYtDataSourceConstraintTransformer::HandleTable in yt/yql/providers/yt/provider/
yql_yt_datasource_constraints.cpp); the row spec says so when the table's schema has
`unique_keys` (KeyColumnsFromSchema and YTSchemaToRowSpec in yt/yql/providers/yt/lib/
schema/schema.cpp). A section reading the one table passes the constraint on
(HandleSection there), and so do the steps a plain SELECT puts between the read and the
write (TCallableConstraintTransformer in yql/essentials/core/yql_expr_constraint.cpp):
a WHERE (FilterWrap: TDistinctConstraintNode from its input), a LIMIT or OFFSET (TakeWrap,
Skip: all of the input's constraints), and a projection that keeps each key column,
renamed or not (AsStructWrap maps a member's part of the constraint to the field it is
put in, MapWrap makes the constraint whole again when every part is there).

The written table then has unique keys when it is sorted by exactly those columns
(yql_rules.sorted_unique, with the columns found here as the rows' distinct ones).

Only a SELECT of that plain shape is read here: one table, named by its path, an optional
alias, then nothing but WHERE, ORDER BY, ASSUME ORDER BY, LIMIT and OFFSET, and items that
are `*` or columns (`k`, `a.k`, `k AS name`). A join, FLATTEN, a GROUP BY or DISTINCT
(yql_rules.insert_distinct_by), a window, a subquery or several tables are not: for them
no distinct columns are claimed.
"""

from __future__ import annotations

import re

import msgspec

from yt_pipeline.yql_rules import (
    SET_OPERATION,
    Token,
    _insert_tokens,
    _top_level,
    _word,
    comma_groups,
    hidden_key_columns,
)

#: the words that may follow the table (and its alias) at the top of a plain SELECT
_AFTER_TABLE = {"WHERE", "ORDER", "ASSUME", "LIMIT", "OFFSET"}
#: words that end the table part without being an alias
_NOT_ALIAS = _AFTER_TABLE | {"JOIN", "LEFT", "RIGHT", "INNER", "FULL", "CROSS", "EXCLUSION",
                             "SEMI", "ONLY", "ANY", "FLATTEN", "GROUP", "HAVING", "WINDOW",
                             "SAMPLE", "TABLESAMPLE", "WITH", "VIEW", "UNION", "INTERSECT",
                             "EXCEPT", "INTO", "SELECT"}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class PlainRead(msgspec.Struct, frozen=True):
    """An INSERT's SELECT of one table: the table's path, and where its columns go."""

    path: str
    #: each source column a bare item writes, with the names it is written under
    passed: dict[str, list[str]]
    #: whether a `*` item writes every column under its own name too
    star: bool = False

    def distinct_by(self, unique_key: list[str] | None) -> list[str] | None:
        """The written columns the rows are distinct by, given the source table's key
        when its schema says unique_keys (None otherwise): each key column's written name.
        None when a key column is not written as itself, or is written twice (a distinct
        set of alternatives, which yql_rules.sorted_unique does not compare)."""
        if not unique_key:
            return None
        names = []
        for column in unique_key:
            written = [column] * self.star + self.passed.get(column, [])
            if len(written) != 1:
                return None
            names.append(written[0])
        return names


def source_unique_key(key: list[str] | None, unique: bool) -> list[str] | None:
    """The key a source table's rows are distinct by, from its sort `key` and whether its
    schema says unique_keys: None when it does not, or when the key holds a column YQL's
    row spec hides (yql_rules.hidden_key_columns), which MakeDistinctConstraint leaves out
    (`SortedBy.size() == SortMembers.size()`)."""
    if not unique or not key or hidden_key_columns(key):
        return None
    return list(key)


def plain_read(statement_text: str) -> PlainRead | None:
    """The one table an `INSERT ... SELECT` reads and where its columns go, when the
    SELECT is of the plain shape this module reads; None otherwise."""
    tokens = _insert_tokens(statement_text)
    if tokens is None:
        return None
    top = list(_top_level(tokens))
    if SET_OPERATION in top:
        return None
    select = next((i for i in top if _word(tokens[i]) == "SELECT"), None)
    start = next((i for i in top if _word(tokens[i]) == "FROM"), None)
    if select is None or start is None or start < select:
        return None
    if any(_word(tokens[i]) in ("OVER", "WITHOUT") for i in top if select < i < start):
        return None
    after = start + 1
    if after < len(tokens) and tokens[after].kind == "word" and tokens[after].text.endswith("."):
        after += 1  # a cluster's name: `plato.`//path``
    if after >= len(tokens) or tokens[after].kind not in ("name", "string") \
            or not tokens[after].text.startswith("//"):
        return None
    path = tokens[after].text.rstrip("/") or "//"
    alias, rest = _alias(tokens, after + 1)
    if rest < len(tokens) and not _ends_table(tokens[rest]):
        return None
    if any(i > rest and _word(tokens[i]) in _NOT_ALIAS - _AFTER_TABLE for i in top):
        return None
    items = _items(tokens[select + 1:start])
    if items is None or items[0][0].upper() in ("DISTINCT", "ALL", "STREAM"):
        return None
    passed: dict[str, list[str]] = {}
    for item in items:
        found = None if item == ["*"] else _passed_column(item, alias)
        if found is not None:
            passed.setdefault(found[0], []).append(found[1])
    return PlainRead(path, passed, star=["*"] in items)


def _alias(tokens: list[Token], at: int) -> tuple[str | None, int]:
    """The table's alias (`AS a` or `a`) starting at token `at`, and the index after it."""
    if at < len(tokens) and _word(tokens[at]) == "AS" and at + 1 < len(tokens):
        return tokens[at + 1].text, at + 2
    if at < len(tokens) and tokens[at].kind in ("word", "name") \
            and (_word(tokens[at]) or "") not in _NOT_ALIAS:
        return tokens[at].text, at + 1
    return None, at


def _ends_table(token: Token) -> bool:
    return _word(token) in _AFTER_TABLE or (token.kind == "symbol" and token.text == ";")


def _items(tokens: list[Token]) -> list[list[str]] | None:
    """The SELECT's items, each as its tokens' texts (quoted names marked `name), split at
    the commas outside brackets; None when there are none, or one is empty."""
    items = [["`" + token.text if token.kind == "name" else token.text for token in group]
             for group in comma_groups(tokens)]
    if any(not item for item in items):
        return None
    return items


def _passed_column(item: list[str], alias: str | None) -> tuple[str, str] | None:
    """(source column, written name) when the item is a bare column: `k`, `a.k` (`a` the
    table's alias) or a backticked name, optionally `AS name`; None for an expression."""
    if len(item) == 3 and item[1].upper() == "AS":
        column, written = _column(item[0], alias), _name(item[2])
    elif len(item) == 1:
        column = written = _column(item[0], alias)
    else:
        return None
    if column is None or written is None:
        return None
    return column, written


def _column(text: str, alias: str | None) -> str | None:
    if text.startswith("`"):
        return text[1:]
    if alias is not None and text.startswith(alias + "."):
        text = text[len(alias) + 1:]
    return text if _IDENTIFIER.fullmatch(text) else None


def _name(text: str) -> str | None:
    if text.startswith("`"):
        return text[1:]
    return text if _IDENTIFIER.fullmatch(text) else None
