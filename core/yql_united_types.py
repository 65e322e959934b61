"""The data type YQL gives IF, COALESCE, NVL, `??` and CASE of their values, as far as the
query text tells, for a String mixed with a Utf8: the Utf8 where a String literal is
converted to it, else the String.

YQL types an If's two values (IfWrapper; CASE is an If of halves of its values: CaseRule in
yql/essentials/sql/v1/sql_expression.cpp) and a Coalesce's (CoalesceWrapper, both in
yql/essentials/core/type_ann/type_ann_core.cpp, ydb-platform/ydb) with
SilentInferCommonType (yql/essentials/core/yql_expr_type_annotation.cpp): it converts the
first value to the second one's type, else the second to the first's, the first being an
If's THEN value and a Coalesce's right one (its left one taken without its Optional; a
left one not Optional is the Coalesce itself). An Optional value converts to no type that
is not one, so where the first is Optional and the second not, the second is converted
first (the retry with it Just-wrapped). TryConvertTo converts a Utf8 to a String (ToString)
and a String literal holding UTF-8 to a Utf8 (the literal renamed), and no other String:
so the common type is the Utf8 only where the value converted first is a String literal
and the other a Utf8 (`COALESCE(utf8_column, 'x')`, `IF(c, 'x', utf8_column)`,
`IF(c, optional_utf8, 'x')`), and the String otherwise (`IF(c, 'a'u, 'b')`: the Utf8 is
converted first). A string literal with no suffix is a String
(yql/essentials/docs/en/syntax/lexer.md), `'a's` too.

A NULL value adds no type; values of one type have it; other mixes are not followed here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple


class Value(NamedTuple):
    """What the type of a value depends on: its data type (None where not known), whether
    it is a String literal, whether it is not Optional, whether it is a NULL."""

    kind: str | None
    string_literal: bool = False
    required: bool = False
    null: bool = False


_TEXT = frozenset({"String", "Utf8"})


def united_type(tree: Any, leaf: Callable[[Any], Value]) -> Value:
    """The Value of `tree`: ("if", then, else), ("coalesce", left, right), or a value
    `leaf` tells."""
    if isinstance(tree, tuple) and tree and tree[0] in ("if", "coalesce"):
        first, second = united_type(tree[1], leaf), united_type(tree[2], leaf)
        return _if(first, second) if tree[0] == "if" else _coalesce(first, second)
    return leaf(tree)


def _if(then: Value, otherwise: Value) -> Value:
    if then.null or otherwise.null:
        kind = otherwise.kind if then.null else then.kind
        return Value(kind)  # Optional
    required = then.required and otherwise.required
    # converted first: the THEN value, unless it is Optional and the ELSE one not
    first, other = (otherwise, then) if not then.required and otherwise.required \
        else (then, otherwise)
    return Value(_common(first, other), required=required)


def _coalesce(left: Value, right: Value) -> Value:
    if left.null:
        return right
    if right.null or left.required:
        return left
    return Value(_common(right, left), required=right.required)


def _common(first: Value, other: Value) -> str | None:
    """The common type of two values, `first` converted first, NULLs aside."""
    if first.kind == other.kind:
        return first.kind
    if {first.kind, other.kind} == _TEXT:
        return "Utf8" if first.string_literal and other.kind == "Utf8" else "String"
    return None
