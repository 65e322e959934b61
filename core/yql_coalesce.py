"""YQL's `??`, COALESCE and NVL of types YQL does not coalesce, refused before a row is read,
in YQL's words, where DuckDB would cast one operand to the other's type: `CAST(s AS Int64)
?? 'str'` failed as a row was read ("Could not convert string 'str' to INT64"), and
`int_column ?? 'str'` gave the number.

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
"""

from __future__ import annotations

import re

from yt_pipeline.yql_mixed_types import PLAIN_OPERAND, yql_name

_KEY = "yql_coalesce:"
#: the pairs of groups (yql_mixed_types' yql_cmp_family) whose types have a common one in
#: YQL, besides a group with itself
_PAIRS = ("('int', 'float'), ('float', 'int'), ('text', 'yson'), ('yson', 'text'), "
          "('int', 'decimal'), ('decimal', 'int'), ('float', 'decimal'), ('decimal', 'float')")
#: 'ok' when values of types `tl` and `tr` (typeof()'s names) coalesce in YQL, else a key
#: naming them
_COALESCED = (
    "CREATE OR REPLACE MACRO yql_coalesce_key(tl, tr) AS "
    "CASE WHEN yql_cmp_family(tl) IS NULL OR yql_cmp_family(tr) IS NULL "
    "OR yql_cmp_family(tl) = yql_cmp_family(tr) "
    f"OR (yql_cmp_family(tl), yql_cmp_family(tr)) IN ({_PAIRS}) "
    # an integer converts to a Timestamp (TryConvertTo's UnsafeTimestampCast)
    "OR (tl = 'TIMESTAMP' AND yql_cmp_family(tr) = 'int') "
    "OR (tr = 'TIMESTAMP' AND yql_cmp_family(tl) = 'int') THEN 'ok' "
    f"ELSE '{_KEY}' || tl || '|' || tr END")
#: the macros a connection running YQL defines (yql_macros); yql_cmp_family is
#: yql_mixed_types' and is defined before them
COALESCE_MACROS = (_COALESCED,)

#: an operand whose copy in the check would bind a subquery or a window once more
_UNCHECKED = re.compile(r"\b(SELECT|OVER)\b", re.I)
#: what the parameters of the query's own lambdas are named (yql_lambdas.PREFIX)
_LAMBDA_PARAMETER = "yql_lambda_"


def coalesced(left: str, right: str) -> str:
    """`COALESCE(left, right)` with the check of its operands' types (the module's
    docstring). An operand other than a column or a literal has its type named once, as
    the item of a list a lambda maps (yql_mixed_types.compared: the macro names each
    argument several times, and DuckDB copies it each time), but not inside a lambda of
    the query's own, which DuckDB may not bind so."""
    left, right = left.strip(), right.strip()
    value = f"COALESCE({left}, {right})"
    if _UNCHECKED.search(left) or _UNCHECKED.search(right):
        return value
    if (PLAIN_OPERAND.fullmatch(left) and PLAIN_OPERAND.fullmatch(right)) or \
            _LAMBDA_PARAMETER in left or _LAMBDA_PARAMETER in right:
        key = f"yql_coalesce_key(typeof({left}), typeof({right}))"
    else:
        key = (f"list_transform([[typeof({left}), typeof({right})]], lambda yql_types: "
               f"yql_coalesce_key(yql_types[1], yql_types[2]))[1]")
    return f"(CASE WHEN struct_extract({{'ok': true}}, {key}) THEN {value} END)"


def coalesced_call(args: list[str]) -> str:
    """YQL's COALESCE(a, b, c...) (NVL too): a left fold of checked pairs, as YQL folds it."""
    value = args[0].strip()
    if len(args) == 1:
        return f"COALESCE({value})"
    for arg in args[1:]:
        value = coalesced(value, arg)
    return value


#: the key DuckDB names, its types' quotes doubled (a Yson's UNION("yson:...", ...))
_REFUSED = re.compile(r'Could not find key "' + _KEY + r'((?:[^"|]|"")+)\|((?:[^"]|"")+)"')


def coalesce_failure(message: str) -> str | None:
    """YQL's words for DuckDB's refusal of a yql_coalesce_key key, or None."""
    found = _REFUSED.search(message)
    if not found:
        return None
    left, right = found.groups()
    return (f"YQL: uncompatible coalesce types, first type: {yql_name(left)}, "
            f"second type: {yql_name(right)}")
