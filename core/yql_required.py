"""Which result columns of a YQL SELECT are of a type that is not Optional, as far as the
query text alone tells: those YQL writes to a table as required columns.

A YQL write gives a column the type_v3 of its YQL type (RowSpecYqlTypeToYtNativeType in
yt/yql/providers/yt/lib/schema/schema.cpp, ydb-platform/ydb): an Optional becomes
{"type_name": "optional", ...}, anything else the bare type, which the master shows as
`required: true`. DuckDB does not say which of its columns may hold null, so dev and the
fake query tracker decide it from the text, for the result columns named with AS whose
expression is one of:

- COUNT(...): `COUNT(*)->Uint64`, `COUNT(T)->Uint64`, `COUNT(T?)->Uint64` (the signatures
  in yt/docs/en/yql/builtins/aggregation.md, ytsaurus/ytsaurus), DISTINCT or not;
- a literal number, string or boolean, optionally signed: a literal's type is a data type,
  never Optional (NULL is of its own Null type, written as "null").

Every other column stays optional: a table's required column read (the schema, not the
text, tells), an expression over such values, a COUNT ... OVER, a column of a UNION (its
type is the common one of its parts), a subquery's column read in an outer query (a LEFT
JOIN makes it optional).
"""

from __future__ import annotations

import re

from yt_pipeline.yql_rules import Token, statements

#: the words that end a SELECT's list of result columns at its own depth
_LIST_END = frozenset({"FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "WINDOW",
                       "UNION", "INTERSECT", "EXCEPT", "ASSUME", "WITHOUT", "INTO"})
_SET_OPERATIONS = frozenset({"UNION", "INTERSECT", "EXCEPT"})
_NUMBER = re.compile(r"\d[\w.]*$")


def required_columns(statement: str) -> frozenset[str]:
    """The names of the result columns of `statement` (a SELECT, or an INSERT of one) that
    YQL gives a type that is not Optional (see the module's docstring)."""
    found = statements(statement)
    if len(found) != 1:
        return frozenset()
    tokens = _top_level(found[0].tokens)
    words = [token.text.upper() for token, depth in tokens if depth == 0 and token.kind == "word"]
    if "SELECT" not in words or _SET_OPERATIONS & set(words):
        return frozenset()
    start = next(i for i, (token, depth) in enumerate(tokens)
                 if depth == 0 and token.kind == "word" and token.text.upper() == "SELECT")
    items = _result_items(tokens[start + 1:])
    return frozenset(name for name, expression in items if _not_optional(expression))


def _top_level(tokens: list[Token]) -> list[tuple[Token, int]]:
    """Each token with its depth in parentheses."""
    placed, depth = [], 0
    for token in tokens:
        if token.kind == "symbol" and token.text == ")":
            depth -= 1
        placed.append((token, depth))
        if token.kind == "symbol" and token.text == "(":
            depth += 1
    return placed


def _result_items(tokens: list[tuple[Token, int]]) -> list[tuple[str, list[Token]]]:
    """(name, expression tokens) of each result column named with AS."""
    items: list[list[Token]] = [[]]
    for token, depth in tokens:
        if depth == 0 and token.kind == "word" and token.text.upper() in _LIST_END:
            break
        if depth == 0 and token.kind == "symbol" and token.text == ",":
            items.append([])
        else:
            items[-1].append(token)
    if items[0] and items[0][0].kind == "word" and items[0][0].text.upper() in (
            "DISTINCT", "ALL", "STREAM"):
        items[0] = items[0][1:]
    named = []
    for item in items:
        if len(item) >= 3 and item[-2].kind == "word" and item[-2].text.upper() == "AS" \
                and item[-1].kind in ("word", "name"):
            named.append((item[-1].text, item[:-2]))
    return named


def _not_optional(expression: list[Token]) -> bool:
    return _is_count(expression) or _is_literal(expression)


def _is_count(expression: list[Token]) -> bool:
    """COUNT( ... ) and nothing after its closing parenthesis."""
    if len(expression) < 3 or expression[0].kind != "word" or \
            expression[0].text.upper() != "COUNT" or expression[1].text != "(":
        return False
    depth = 0
    for index, token in enumerate(expression[1:], 1):
        if token.kind == "symbol" and token.text in "()":
            depth += 1 if token.text == "(" else -1
            if depth == 0:
                return index == len(expression) - 1
    return False


def _is_literal(expression: list[Token]) -> bool:
    if len(expression) == 2 and expression[0].kind == "symbol" and expression[0].text in "+-":
        expression = expression[1:]
    if len(expression) != 1:
        return False
    token = expression[0]
    if token.kind == "string":
        return True
    return token.kind == "word" and (bool(_NUMBER.match(token.text))
                                     or token.text.upper() in ("TRUE", "FALSE"))


def optional_into_required(table_required: frozenset[str],
                           written_required: frozenset[str]) -> frozenset[str]:
    """The required columns of a table a YQL append writes Optional values into: YQL
    refuses the append, as an Optional converts to no type that is not one (the append
    checks of yt/yql/providers/yt/provider/yql_yt_datasink_type_ann.cpp call TryConvertTo,
    yql/essentials/core/yql_expr_type_annotation.cpp, ydb-platform/ydb, which unwraps no
    Optional); a required column written into an optional one converts (T to T?)."""
    return table_required - written_required


def marked_optional(written: dict[str, str], shown: list[str],
                    optional: frozenset[str]) -> list[str]:
    """`shown` (one `name type` per column of `written`, name: YT type) with YQL's `?` after
    the type of each column in `optional`, for a message telling an Optional from a
    required type; a NULL's column is of YQL's Null type, shown as it is."""
    return [f"{text}?" if name in optional and kind != "null" else text
            for (name, kind), text in zip(written.items(), shown, strict=True)]
