"""IF, COALESCE, NVL, `??` and CASE of integers of mixed signedness typed as YQL types
them, where DuckDB gives them its own common type: an IF of a Uint32 and an Int32 is a
BIGINT in DuckDB, holding 4294967295 as it is, and an Int32 in YQL, holding it as -1.

YQL types the two values of an If (IfWrapper) and of a Coalesce (CoalesceWrapper, in
yql/essentials/core/type_ann/type_ann_core.cpp, ydb-platform/ydb) with SilentInferCommonType
(yql/essentials/core/yql_expr_type_annotation.cpp): it converts the first value to the
second's type, else the second to the first's, the first being the THEN value of an If and
the right one of a Coalesce (whose left one's Optional is taken off first). TryConvertTo
converts a number to a type of its level or above (GetNumericDataTypeLevel: Uint8, Int8,
Uint16, Int16, Uint32, Int32, Uint64, Int64, Float, Double), so two integers get the one of
the higher level: the signed one when the unsigned one is not wider, else the unsigned one.
It also converts an integer literal to any integer type that holds its value
(AllowIntegralConversion), so `u32 ?? 1` stays a Uint32, and `IF(c, 1, u32)` too: a literal
tried first that fits gives the other value's type. Where the THEN value is Optional (a
column, as YT's columns mostly are) and the ELSE one not, the ELSE one is tried first
(SilentInferCommonType retries with it Just-wrapped): `IF(c, u32, 1)` is a Uint32 too.
The text does not tell here whether a THEN value is Optional, and it is taken as Optional
unless it is a literal.

The converted values are YQL's Convert (BitCast's callable too), a static_cast for two
integers (TConvert in yql/essentials/minikql/invoke_builtins/mkql_builtins_convert.cpp):
a value the common type does not hold wraps around, 4294967295 as an Int32 being -1. An
If or Coalesce inside another's value is converted first, as YQL types the inner one
first: the outer one reads its type.

How it is written for DuckDB: DuckDB gives the value (`value`, a CASE or COALESCE) its own
common type, which holds every value exactly; YQL's type is named, when DuckDB binds the
query, from the types of the two values (typeof() is a constant then), as 'same' where it
is DuckDB's (same signedness, or a signed value wider than the unsigned one, or an integer
literal that fits, which DuckDB casts as YQL does), else as the DuckDB name of the type. A
struct of the value as it is and of the value converted is asked for one of them by that
name: DuckDB drops the other (the converted one costs no row anything where it is not
asked for). The converted one is the value wrapped around in that type (yql_operators'
yql_wrap), taken as text first so that a value of a type no integer cast takes (a list, a
date) still binds; its type comes from a typed NULL of the type named, carried into a
lambda whose typeof() of it is a constant there.
"""

from __future__ import annotations

import re

from yt_pipeline.yql_lambdas import PREFIX as LAMBDA_PREFIX
from yt_pipeline.yql_mixed_types import type_key

_UNSIGNED = "('UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT')"
#: DuckDB's integer types (typeof()'s names), with their width and signedness; a HUGEINT
#: stands for YQL's Int64, as DuckDB reads a table's Int64 column as one when its values
#: need it (column_types.YQL_COLUMN_TYPES)
_TYPES = {"TINYINT": (8, True), "SMALLINT": (16, True), "INTEGER": (32, True),
          "BIGINT": (64, True), "HUGEINT": (64, True), "UTINYINT": (8, False),
          "USMALLINT": (16, False), "UINTEGER": (32, False), "UBIGINT": (64, False)}
#: GetNumericDataTypeLevel of each (NULL for any other type)
_LEVEL = (
    "CREATE OR REPLACE MACRO yql_int_level(t) AS CASE t WHEN 'UTINYINT' THEN 0 "
    "WHEN 'TINYINT' THEN 1 WHEN 'USMALLINT' THEN 2 WHEN 'SMALLINT' THEN 3 "
    "WHEN 'UINTEGER' THEN 4 WHEN 'INTEGER' THEN 5 WHEN 'UBIGINT' THEN 6 "
    "WHEN 'BIGINT' THEN 7 WHEN 'HUGEINT' THEN 7 END")
_BITS = ("CREATE OR REPLACE MACRO yql_int_bits(t) AS CASE t "
         + " ".join(f"WHEN '{name}' THEN {bits}" for name, (bits, _) in _TYPES.items())
         + " END")
#: whether the integer `v` (NULL for a value that is no literal) fits the type `t`
_FITS = ("CREATE OR REPLACE MACRO yql_int_fits(v, t) AS COALESCE(CASE t "
         + " ".join(f"WHEN '{name}' THEN v BETWEEN {-(1 << (bits - 1)) if signed else 0} "
                    f"AND {(1 << (bits - 1 if signed else bits)) - 1}"
                    for name, (bits, signed) in _TYPES.items())
         + " END, false)")
#: the type YQL gives values of types `ta` (tried first) and `tb`, 'same' where it is
#: DuckDB's (the module's docstring); `v` is the first value's number when it is an
#: integer literal, `bare` whether DuckDB reads it as a literal (no suffix, no CAST)
_TARGET = (
    "CREATE OR REPLACE MACRO yql_int_target(ta, tb, v, bare) AS CASE "
    "WHEN yql_int_level(ta) IS NULL OR yql_int_level(tb) IS NULL THEN 'same' "
    "WHEN yql_int_fits(v, tb) THEN CASE WHEN bare THEN 'same' ELSE tb END "
    f"WHEN (ta IN {_UNSIGNED}) = (tb IN {_UNSIGNED}) THEN 'same' "
    f"WHEN yql_int_bits(CASE WHEN ta IN {_UNSIGNED} THEN ta ELSE tb END) "
    f"< yql_int_bits(CASE WHEN ta IN {_UNSIGNED} THEN tb ELSE ta END) THEN 'same' "
    "WHEN yql_int_level(ta) > yql_int_level(tb) THEN ta ELSE tb END")
_PICK = ("CREATE OR REPLACE MACRO yql_int_pick(ta, tb, v, bare) AS CASE "
         "WHEN yql_int_target(ta, tb, v, bare) = 'same' THEN 'same' ELSE 'conv' END")
#: the macros a connection running YQL defines (yql_macros), after yql_operators' yql_wrap
INT_COMMON_MACROS = (_LEVEL, _BITS, _FITS, _TARGET, _PICK)

#: an integer literal as the rewrites leave it: `7`, `-7`, `(-7)`, `7u` (YQL's suffixes:
#: yql/essentials/docs/en/syntax/lexer.md)
_LITERAL = re.compile(r"\(?\s*([-+]?)\s*(\d+)(ul|ut|us|u|l|s|t)?\s*\)?", re.I)
#: an operand that is surely no integer: a float literal, NULL, a Bool literal
_NO_INTEGER = re.compile(r"\(?\s*[-+]?\s*(?:\d*\.\d\w*|NULL|TRUE|FALSE)\s*\)?", re.I)
#: a value whose copies would bind a subquery or a window again
_UNCHECKED = re.compile(r"\b(SELECT|OVER)\b", re.I)


def integer_literal(operand: str) -> tuple[int, bool] | None:
    """(the number, whether DuckDB reads it as a literal) of an integer literal, or None.
    A negated unsigned literal (`-1u`) is left out: YQL negates it in its own type."""
    found = _LITERAL.fullmatch(operand.strip())
    if not found:
        return None
    sign, digits, suffix = found.groups()
    if sign == "-" and suffix and suffix.lower().startswith("u"):
        return None
    value = -int(digits) if sign == "-" else int(digits)
    return value, suffix is None


def _surely_no_integer(operand: str) -> bool:
    return bool(_NO_INTEGER.fullmatch(operand.strip()))


def converted(value: str, first: str, other: str) -> str:
    """`value`, whose two possible values are `first` (the one YQL tries to convert first)
    and `other`, in the type YQL gives them (see the module's docstring)."""
    first, other = first.strip(), other.strip()
    if _surely_no_integer(first) or _surely_no_integer(other) \
            or _UNCHECKED.search(first) or _UNCHECKED.search(other):
        return value
    literal, other_literal = integer_literal(first), integer_literal(other)
    if literal is not None and other_literal is not None and literal[1] and other_literal[1]:
        return value  # two bare literals: DuckDB types them as YQL does
    number: int | str = "NULL"
    bare = False
    if literal is not None:
        number, bare = literal
    extra = f"{number}, {str(bare).lower()}"
    # within a lambda of the query's own DuckDB folds no lambda of the names' list
    plain = LAMBDA_PREFIX in first or LAMBDA_PREFIX in other
    pick = type_key(first, other, "yql_int_pick", plain=plain, extra=extra)
    target = type_key(first, other, "yql_int_target", plain=plain, extra=extra)
    typed_null = ("struct_extract({'same': TRY_CAST(NULL AS BOOLEAN), "
                  + ", ".join(f"'{name}': TRY_CAST(NULL AS {name})" for name in _TYPES)
                  + f"}}, {target})")
    fields = ", ".join(
        f"'{name}': TRY_CAST(yql_wrap(TRY_CAST(yql_p.v AS VARCHAR), {bits}, {str(signed).lower()})"
        f" AS {name})" for name, (bits, signed) in _TYPES.items())
    wrapped = (f"list_transform([{{'v': {value}, 't': {typed_null}}}], lambda yql_p: "
               f"struct_extract({{'BOOLEAN': NULL, {fields}}}, typeof(yql_p.t)))[1]")
    return f"struct_extract({{'same': {value}, 'conv': {wrapped}}}, {pick})"


def if_converted(value: str, then: str, otherwise: str) -> str:
    """`value`, YQL's IF(c, then, otherwise) written for DuckDB, in YQL's type of its
    values: a literal THEN value is tried first, else a literal ELSE value (the THEN one
    taken as Optional: the module's docstring)."""
    if integer_literal(then) is None and integer_literal(otherwise) is not None:
        return converted(value, otherwise, then)
    return converted(value, then, otherwise)


def coalesce_converted(value: str, left: str, right: str) -> str:
    """`value`, YQL's Coalesce(left, right) written for DuckDB, in YQL's type of its
    operands: the right one is tried first."""
    return converted(value, right, left)
