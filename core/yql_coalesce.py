"""YQL's `??`, COALESCE and NVL of types YQL does not coalesce, and IF of branches of types
it does not unite, refused before a row is read, in YQL's words, where DuckDB would cast one
operand to the other's type: `CAST(s AS Int64) ?? 'str'` failed as a row was read ("Could
not convert string 'str' to INT64"), and `int_column ?? 'str'` gave the number.

YQL's Coalesce takes two operands (more are folded from the left, Coalesce(Coalesce(a, b),
c); NVL is Coalesce: NvlWrapper) and types them in CoalesceWrapper
(yql/essentials/core/type_ann/type_ann_core.cpp, ydb-platform/ydb): a NULL operand leaves
the other as the result; otherwise the two (the left one without its Optional) must have a
common type, which SilentInferCommonType (yql/essentials/core/yql_expr_type_annotation.cpp)
finds by converting one to the other's type, the right one first, with TryConvertTo and
unsafe conversions allowed, or the query fails type annotation with "uncompatible coalesce
types, first type: <left>, second type: <right>". TryConvertTo converts a number to any
number of its level or above (GetNumericDataTypeLevel: Uint8, Int8, Uint16, ..., Int64,
Float, Double: so two numbers always have one), Utf8, Yson and Json to String, a date to a
wider one (Date to Datetime to Timestamp), an integer to a Timestamp, and a type to itself;
Bool and Interval only to themselves. So YQL refuses an integer with a String, a Bool with a
number, a date with an Interval or a String, and accepts two integers of any widths, String
with Utf8 (one VARCHAR here), a NULL with anything, an Optional with its own item type.

A Coalesce in the query is written `CASE WHEN <check> THEN COALESCE(l, r) END`: the check
asks a one-field struct for a key that is its field's name when YQL coalesces the two types
DuckDB binds (typeof() is a constant then), and otherwise a key naming them, which DuckDB
refuses when it binds the query, with rows or without (the mechanism of yql_mixed_types);
when they coalesce, the CASE folds to the COALESCE. The groups of types are
yql_mixed_types', and so are the names of the types in the message: a column YQL reads as
Optional is named without its Optional<...>, which DuckDB does not know. A Decimal is not
refused with a number (YQL's TryConvertTo has no number-to-Decimal conversion, but no query
has shown what YQL answers), and a type these groups do not know is never refused.

IF(c, a, b) needs a common type of its branches too (IfWrapper, type_ann_core.cpp), but
another one: CommonType (yql_expr_type_annotation.cpp) takes an Optional's item type and
GetSuperType's of two data types, which unites the same groups (numbers to the higher
level, strings to String, dates to the wider) but no integer with a Timestamp, and fails
with "Cannot infer common type for <then> and <else>" naming the data types. CASE is
not checked here.
"""

from __future__ import annotations

import re

from yt_pipeline.yql_int_common import (
    coalesce_converted,
    if_converted,
    late_type_key,
    rewritten_later,
    small_operand,
)
from yt_pipeline.yql_int_nested import nested_pair, remember_plain
from yt_pipeline.yql_lambdas import PREFIX as LAMBDA_PREFIX
from yt_pipeline.yql_mixed_types import type_key, yql_name

_KEY = "yql_coalesce:"
_IF_KEY = "yql_if:"
#: the pairs of groups (yql_mixed_types' yql_cmp_family) whose types have a common one in
#: YQL, besides a group with itself
_PAIRS = ("('int', 'float'), ('float', 'int'), ('text', 'yson'), ('yson', 'text'), "
          "('int', 'decimal'), ('decimal', 'int'), ('float', 'decimal'), ('decimal', 'float')")


def _key_macro(name: str, key: str, more: str = "") -> str:
    """A macro giving 'ok' when values of types `tl` and `tr` (typeof()'s names) have a
    common type in YQL, else a key naming them; `more` adds pairs that have one. (Binding
    the groups once in a lambda would shorten it, but DuckDB does not fold a lambda inside
    a lambda of the query's own, ListFilter's, and the key must be a constant.)"""
    return (f"CREATE OR REPLACE MACRO {name}(tl, tr) AS "
            "CASE WHEN yql_cmp_family(tl) IS NULL OR yql_cmp_family(tr) IS NULL "
            "OR yql_cmp_family(tl) = yql_cmp_family(tr) "
            f"OR (yql_cmp_family(tl), yql_cmp_family(tr)) IN ({_PAIRS}){more} THEN 'ok' "
            f"ELSE '{key}' || tl || '|' || tr END")


#: Coalesce's: TryConvertTo converts an integer to a Timestamp too (UnsafeTimestampCast)
_COALESCED = _key_macro("yql_coalesce_key", _KEY, (
    " OR (tl = 'TIMESTAMP' AND yql_cmp_family(tr) = 'int')"
    " OR (tr = 'TIMESTAMP' AND yql_cmp_family(tl) = 'int')"))
#: IF's: CommonType's (GetSuperType) of the same groups, and no other pair
_IF_BRANCHES = _key_macro("yql_if_key", _IF_KEY)
#: the macros a connection running YQL defines (yql_macros); yql_cmp_family is
#: yql_mixed_types' and is defined before them
COALESCE_MACROS = (_COALESCED, _IF_BRANCHES)

#: an operand whose copy in the check would bind a subquery or a window once more
_UNCHECKED = re.compile(r"\b(SELECT|OVER)\b", re.I)


#: literals whose types always have a common one: integers (an Int32 or an Int64), Bools
_INTEGER = re.compile(r"\(?-?\d+\)?")
_BOOL = re.compile(r"true|false", re.I)


def _alike_literals(left: str, right: str) -> bool:
    """Both operands literals of one group, or either NULL: no check is needed, and none
    is written (IF(c, 1, 0) is common, and the check's expanded macro is long)."""
    if "NULL" in (left.upper(), right.upper()):
        return True
    return any(kind.fullmatch(left) and kind.fullmatch(right) for kind in (_INTEGER, _BOOL))


def _checked(value: str, left: str, right: str, macro: str) -> str:
    """`value` with the check by `macro` of the types of `left` and `right` (the module's
    docstring). An operand other than a small one (_small) has its type named once, as
    the item of a list a lambda maps (yql_mixed_types.compared: the macro names each
    argument several times, and DuckDB copies it each time), but not inside a lambda of
    the query's own, which DuckDB does not fold so."""
    if _UNCHECKED.search(left) or _UNCHECKED.search(right) or _alike_literals(left, right):
        return value
    plain = (small_operand(left) and small_operand(right)) or \
        LAMBDA_PREFIX in left or LAMBDA_PREFIX in right
    if plain and LAMBDA_PREFIX not in left + right and (
            rewritten_later(left) or rewritten_later(right)):
        # a `??` or a CASE rewritten later into each of the macro's copies of the operand
        # grew the SQL many times over a level (a COALESCE of three holding one, 1,087,131
        # characters expanded; 64,956 so); a lambda of the query's own holding the check
        # has it put back (late_keys_plain)
        key = late_type_key(left, right, macro)
    else:
        key = type_key(left, right, macro, plain=plain)
    return f"(CASE WHEN struct_extract({{'ok': true}}, {key}) THEN {value} END)"


def coalesced(left: str, right: str) -> str:
    """`COALESCE(left, right)` with the check of its operands' types, in YQL's type of
    them where DuckDB's differs (yql_int_common; yql_int_nested where either is such a
    pair itself)."""
    left, right = left.strip(), right.strip()
    nested = nested_pair("coalesce", f"COALESCE({left}, {right})", left, right,
                         "yql_coalesce_key")
    if nested is not None:
        return nested
    value = coalesce_converted(f"COALESCE({left}, {right})", [left, right])
    return remember_plain("coalesce", _checked(value, left, right, "yql_coalesce_key"),
                          left, right, _check_macro(left, right, "yql_coalesce_key"))


def if_typed(value: str, then: str, otherwise: str) -> str:
    """`value`, YQL's IF(condition, then, otherwise) written for DuckDB, with the check of
    its branches' types (if_checked), in YQL's type of them (yql_int_common; yql_int_nested
    where either is such a pair itself)."""
    nested = nested_pair("if", value, then, otherwise, "yql_if_key")
    if nested is not None:
        return nested
    return remember_plain("if", if_checked(if_converted(value, then, otherwise), then,
                                           otherwise), then, otherwise,
                          _check_macro(then, otherwise, "yql_if_key"))


def _check_macro(left: str, right: str, macro: str) -> str | None:
    """`macro`, or None where `_checked` writes no check of `left` and `right`."""
    left, right = left.strip(), right.strip()
    if _UNCHECKED.search(left) or _UNCHECKED.search(right) or _alike_literals(left, right):
        return None
    return macro


def if_checked(value: str, then: str, otherwise: str) -> str:
    """`value`, YQL's IF(condition, then, otherwise) written for DuckDB, with the check of
    its branches' types: IfWrapper (type_ann_core.cpp) needs their common type, CommonType
    in yql_expr_type_annotation.cpp, or fails with "Cannot infer common type for <then>
    and <else>" (of their data types, an Optional's item type)."""
    return _checked(value, then.strip(), otherwise.strip(), "yql_if_key")


def coalesced_call(args: list[str]) -> str:
    """YQL's COALESCE(a, b, c...) (NVL too): a left fold of checked pairs, as YQL folds it,
    in YQL's type of them (yql_int_common). Each pair's left operand is named by DuckDB's
    COALESCE of the operands so far, of the type the nested pairs have: the nested ones
    themselves, each check copying the one inside it, grew twice over an operand."""
    args = [arg.strip() for arg in args]
    if len(args) == 1:
        return f"COALESCE({args[0]})"
    if len(args) == 2:  # one pair: the same as `left ?? right`
        return coalesced(*args)
    value = coalesce_converted(f"COALESCE({', '.join(args)})", args)
    # the first pair's check outermost: DuckDB binds it first, and its refusal is given,
    # as YQL types the innermost Coalesce first
    for count in range(len(args) - 1, 0, -1):
        left = args[0] if count == 1 else f"COALESCE({', '.join(args[:count])})"
        value = _checked(value, left, args[count], "yql_coalesce_key")
    return value


#: the key DuckDB names, its types' quotes doubled (a Yson's UNION("yson:...", ...))
_REFUSED = re.compile(r'Could not find key "(' + _KEY + '|' + _IF_KEY +
                      r')((?:[^"|]|"")+)\|((?:[^"]|"")+)"')


def coalesce_failure(message: str) -> str | None:
    """YQL's words for DuckDB's refusal of a yql_coalesce_key or yql_if_key key, or None."""
    found = _REFUSED.search(message)
    if not found:
        return None
    key, left, right = found.groups()
    if key == _IF_KEY:
        return f"YQL: Cannot infer common type for {yql_name(left)} and {yql_name(right)}"
    return (f"YQL: uncompatible coalesce types, first type: {yql_name(left)}, "
            f"second type: {yql_name(right)}")
