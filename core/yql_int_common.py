"""IF, COALESCE, NVL, `??` and CASE of integers of mixed signedness typed as YQL types
them, where DuckDB gives them its own common type: an IF of a Uint32 and an Int32 is a
BIGINT in DuckDB, holding 4294967295 as it is, and an Int32 in YQL, holding it as -1.

How the SQL is translated (yql/essentials/sql/v1, ydb-platform/ydb): IF(c, a, b) is the
builtin If(Coalesce(c, false), a, b) (TYqlIf, builtin.cpp); COALESCE and NVL of any number
of values are one Coalesce of them all (builtin.cpp), which CoalesceWrapper
(yql/essentials/core/type_ann/type_ann_core.cpp) splits into pairs from the left,
Coalesce(Coalesce(a, b), c); `a ?? b ?? c` is Coalesce(a, Coalesce(b, c)) (the grammar's
neq_subexpr takes `?? neq_subexpr`: SubExpr of it in sql_expression.cpp); a CASE is
If(any WHEN, v, ELSE) where ReduceCaseBranches (sql_expression.cpp) makes v of the THEN
values by halves again and again, a pair of halves being If(the left half's WHEN, left,
right).

How the pairs are typed: IfWrapper (type_ann_core.cpp) takes CommonType of its branches'
types (yql/essentials/core/yql_expr_type_annotation.cpp): GetSuperType's, for two numbers
the one of the higher GetNumericDataTypeLevel (Uint8, Int8, Uint16, Int16, Uint32, Int32,
Uint64, Int64, Float, Double), a literal's type as any other: `IF(c, 1, u32)` is an Int32.
It converts both branches to it; where there is none, CommonType fails with "Cannot infer
common type for <then> and <else>" (yql_coalesce's check; IfStrict's "Different types of
branches" is not IF's, and no If fails "Uncompatible types of branches"). CoalesceWrapper
takes SilentInferCommonType (yql_expr_type_annotation.cpp) of its right value and its left
one without its Optional: it converts the right value to the left one's type, else the left
one to the right one's, with TryConvertTo, which converts a number to a type of its level
or above, and an integer literal to any integer type that holds its value
(AllowIntegralConversion): `u32 ?? 1` stays a Uint32, `u32 ?? -1` is an Int32.

The converted values are YQL's Convert (BitCast's callable too), a static_cast for two
integers (TConvert in yql/essentials/minikql/invoke_builtins/mkql_builtins_convert.cpp):
a value the common type does not hold wraps around, 4294967295 as an Int32 being -1. Each
pair converts the values it holds, so a value is converted pair by pair, the innermost
first: in COALESCE(u32, i32, i64) 4294967295 is the inner pair's Int32 -1, which the outer
Int64 keeps; in COALESCE(u32, i32, u64) the outer Uint64 wraps -1 around again.

How it is written for DuckDB: DuckDB gives the value (a CASE or COALESCE) its own common
type, which holds every value exactly. YQL's type is named, when DuckDB binds the query,
from the types of the values (typeof() is a constant then), united in YQL's order. A pair
of two values is wrapped around in it as a whole (yql_int_as): a struct of the value as it
is and converted is asked for one of them, and DuckDB drops the other, so that no row
computes a conversion not asked for. A COALESCE of more, and a CASE of more than two
values, convert each value to the type of each pair holding it in turn (yql_int_path):
DuckDB's COALESCE or CASE of the values so converted is of the outer pair's type. A pair
holding another (IF in IF, `a ?? b ?? c`, COALESCE(COALESCE(a, b), c)) is yql_int_nested's.

Not followed: a value holding a conversion of its own inside a COALESCE of more than two
values or a CASE of more than two (COALESCE(IF(c, u32, i32), a, b)), and a COALESCE of
more or a CASE inside an IF or a `??` pair, keep DuckDB's type in the outer one, as do a
`??` in an IF's branch (rewritten after the IF, yql_int_nested) and a value inside a
lambda of the query's own, where DuckDB folds no lambda of the rewrites'. A COALESCE of
more than two values one of which holds a `??` or a CASE (rewritten after it, into each
copy) is converted once, as a whole, to the type of all: its values' paths would copy
them once for each value.
"""

from __future__ import annotations

import re

from yt_pipeline.yql_lambdas import PREFIX as LAMBDA_PREFIX
from yt_pipeline.yql_mixed_types import PLAIN_OPERAND

#: DuckDB's integer types (typeof()'s names), with their width and signedness; a HUGEINT
#: stands for YQL's Int64, as DuckDB reads a table's Int64 column as one when its values
#: need it (column_types.YQL_COLUMN_TYPES)
_TYPES = {"TINYINT": (8, True), "SMALLINT": (16, True), "INTEGER": (32, True),
          "BIGINT": (64, True), "HUGEINT": (64, True), "UTINYINT": (8, False),
          "USMALLINT": (16, False), "UINTEGER": (32, False), "UBIGINT": (64, False)}
#: the types in the order of GetNumericDataTypeLevel, a HUGEINT just after a BIGINT (both
#: Int64: DuckDB's common type of the two is a HUGEINT), a NULL first (it adds no type); a
#: type's rank is its place here, any other type's a rank past them all, which names none.
#: The macros name each argument once, by looking it up in a list: a macro's argument is
#: copied wherever its body names it (a `CASE t WHEN` names `t` once a branch), and
#: joins nest
_ORDER = ('"NULL"', "UTINYINT", "TINYINT", "USMALLINT", "SMALLINT", "UINTEGER", "INTEGER",
          "UBIGINT", "BIGINT", "HUGEINT")
_ORDER_LIST = "[" + ", ".join(f"'{name}'" for name in _ORDER) + "]"
_RANK = f"CREATE OR REPLACE MACRO yql_int_rank(t) AS COALESCE(list_position({_ORDER_LIST}, t), 1000)"
_NAME = f"CREATE OR REPLACE MACRO yql_int_name(r) AS {_ORDER_LIST}[r]"
#: whether the integer `v` fits the type `t`
_INTEGERS = [name for name in _ORDER if name in _TYPES]
_LOWS = ", ".join(f"{-(1 << (_TYPES[n][0] - 1)) if _TYPES[n][1] else 0}::HUGEINT"
                  for n in _INTEGERS)
_HIGHS = ", ".join(f"{(1 << (_TYPES[n][0] - 1 if _TYPES[n][1] else _TYPES[n][0])) - 1}::HUGEINT"
                   for n in _INTEGERS)
_INTEGER_LIST = "[" + ", ".join(f"'{name}'" for name in _INTEGERS) + "]"
_INTEGER_ROW = "(" + ", ".join(f"'{name}'" for name in _INTEGERS) + ")"
_FITS = ("CREATE OR REPLACE MACRO yql_int_fits(v, t) AS COALESCE(list_transform("
         f"[list_position({_INTEGER_LIST}, t)], lambda yql_at: v BETWEEN [{_LOWS}][yql_at] "
         f"AND [{_HIGHS}][yql_at])[1], false)")
#: the DuckDB name of the type YQL gives two values of types `ta` and `tb` (the one of the
#: higher level), NULL when either is no integer (a NULL adds no type)
_JOIN = ("CREATE OR REPLACE MACRO yql_int_join(ta, tb) AS "
         "yql_int_name(greatest(yql_int_rank(ta), yql_int_rank(tb)))")
#: the same where the value of type `ta`, tried first, is the integer literal `v`: the type
#: `tb` when it holds `v`
_JOIN_LITERAL = ("CREATE OR REPLACE MACRO yql_int_join_literal(ta, tb, v) AS "
                 "CASE WHEN yql_int_fits(v, tb) THEN tb ELSE yql_int_join(ta, tb) END")
#: 'same' where the type `joined` YQL gives is DuckDB's own `duckdb_type` of the value (or
#: no integer type: a NULL, or the name of another type), else `joined`
_SETTLE = ("CREATE OR REPLACE MACRO yql_int_settle(joined, duckdb_type) AS CASE "
           f"WHEN joined IS NULL OR joined NOT IN {_INTEGER_ROW} OR joined = duckdb_type "
           "THEN 'same' ELSE joined END")
#: the key of the typed NULL of the type `joined` names (yql_int_typed_null)
_KEY = ("CREATE OR REPLACE MACRO yql_int_key(joined) AS "
        f"CASE WHEN joined IS NULL OR joined NOT IN {_INTEGER_ROW} THEN 'same' ELSE joined END")
#: a NULL of the type named `k` (a BOOLEAN one for 'same')
_TYPED_NULL = ("CREATE OR REPLACE MACRO yql_int_typed_null(k) AS struct_extract("
               "{'same': TRY_CAST(NULL AS BOOLEAN), "
               + ", ".join(f"'{name}': TRY_CAST(NULL AS {name})" for name in _TYPES)
               + "}, k)")
#: `p.v` wrapped around in the type of `p.t` (a typed NULL), taken as text first so that
#: a value of a type no integer cast takes still binds
_WRAPPED = ("CREATE OR REPLACE MACRO yql_int_wrapped(p) AS struct_extract({'BOOLEAN': NULL, "
            + ", ".join(f"'{name}': TRY_CAST(yql_wrap(TRY_CAST(p.v AS VARCHAR), {bits}, "
                        f"{str(signed).lower()}) AS {name})"
                        for name, (bits, signed) in _TYPES.items())
            + "}, typeof(p.t))")
#: `v` in the type `joined` names, where it is not DuckDB's type of `v` (yql_int_settle):
#: the struct's other field is dropped by DuckDB, costing no row anything
_AS = ("CREATE OR REPLACE MACRO yql_int_as(v, joined) AS struct_extract({'same': v, "
       "'conv': list_transform([{'v': v, 't': yql_int_typed_null(yql_int_key(joined))}], "
       "lambda yql_p: yql_int_wrapped(yql_p))[1]}, CASE WHEN "
       "yql_int_settle(joined, typeof(v)) = 'same' THEN 'same' ELSE 'conv' END)")
#: `yql_int_as` where `v` holds conversions of its own, and `key` is the key of the type YQL
#: gives it (yql_int_key, named once: `integer_key`): `v` is named once, as the item of a
#: list a lambda maps (yql_int_as names it three times, and DuckDB copies a macro's argument
#: wherever its body names it: nested, the copies multiplied a level at a time)
_AS_ONCE = ("CREATE OR REPLACE MACRO yql_int_as_once(v, key) AS list_transform([{'v': v, "
            "'t': yql_int_typed_null(key)}], lambda yql_p: struct_extract("
            "{'same': yql_p.v, 'conv': yql_int_wrapped(yql_p)}, CASE WHEN typeof(yql_p.t) = "
            "'BOOLEAN' OR typeof(yql_p.t) = typeof(yql_p.v) THEN 'same' ELSE 'conv' END))[1]")
#: the name of the type of a value of types `ta` and `tb` whose integer type YQL gives is
#: `joined`: that, or where either is no integer the other's, a NULL's, an integer's (a
#: Double with an Int32 is a Double; the pair's check refuses the pairs YQL refuses)
_REPR = ("CREATE OR REPLACE MACRO yql_int_repr(joined, ta, tb) AS COALESCE(joined, CASE "
         "WHEN ta = '\"NULL\"' OR yql_int_rank(ta) < 1000 THEN tb ELSE ta END)")
#: the integer types' names of the list `path`, in its order (a NULL and a type no integer
#: conversion follows dropped)
_INTS = ("CREATE OR REPLACE MACRO yql_int_ints(path) AS list_filter(path, lambda yql_n: "
         f"list_position({_INTEGER_LIST}, yql_n) IS NOT NULL)")
_BITS = "[" + ", ".join(str(_TYPES[n][0]) for n in _INTEGERS) + "]"
_SIGNED = "[" + ", ".join(str(_TYPES[n][1]).lower() for n in _INTEGERS) + "]"
#: `p.v` wrapped around in each type of `p.c` (their places in _INTEGERS) in turn, then
#: held in the type of `p.t` (a typed NULL): converted pair by pair, as YQL converts it. The
#: wrapping is written once, its result cast to each type: written for each type, it made
#: this macro, copied for each value of a COALESCE or CASE, several times as long
_REWRAPPED = (
    "CREATE OR REPLACE MACRO yql_int_rewrapped(p) AS list_transform([list_reduce("
    "list_prepend(TRY_CAST(TRY_CAST(p.v AS VARCHAR) AS HUGEINT), p.c), lambda yql_acc, "
    f"yql_at: yql_wrap(yql_acc, {_BITS}[TRY_CAST(yql_at AS BIGINT)], "
    f"{_SIGNED}[TRY_CAST(yql_at AS BIGINT)]))], lambda yql_h: struct_extract({{'BOOLEAN': NULL, "
    + ", ".join(f"'{name}': TRY_CAST(yql_h AS {name})" for name in _INTEGERS)
    + "}, typeof(p.t)))[1]")
#: `v` converted to each integer type of the list `path` in turn (the types of the pairs
#: holding it, the innermost first), where one of them is not DuckDB's own type of `v`;
#: as yql_int_as, the struct's other field is dropped by DuckDB
_PATH = ("CREATE OR REPLACE MACRO yql_int_path(v, path) AS struct_extract({'same': v, "
         "'conv': list_transform([{'v': v, 't': yql_int_typed_null(yql_int_key("
         "yql_int_ints(path)[-1])), 'c': list_transform(yql_int_ints(path), lambda yql_n: "
         f"list_position({_INTEGER_LIST}, yql_n))}}], lambda yql_p: yql_int_rewrapped(yql_p))[1]}}, "
         "CASE WHEN list_distinct(list_append(yql_int_ints(path), typeof(v))) = [typeof(v)] "
         "THEN 'same' ELSE 'conv' END)")
#: the macros a connection running YQL defines (yql_macros), after yql_operators' yql_wrap
INT_COMMON_MACROS = (_RANK, _NAME, _FITS, _JOIN, _JOIN_LITERAL, _SETTLE, _KEY,
                     _TYPED_NULL, _WRAPPED, _AS, _AS_ONCE, _REPR, _INTS, _REWRAPPED,
                     _PATH)

#: an integer literal as the rewrites leave it: `7`, `-7`, `(-7)`, `7u` (YQL's suffixes:
#: yql/essentials/docs/en/syntax/lexer.md)
_LITERAL = re.compile(r"\(?\s*([-+]?)\s*(\d+)(ul|ut|us|u|l|s|t)?\s*\)?", re.I)
#: a value whose copies would bind a subquery or a window again
_UNCHECKED = re.compile(r"\b(SELECT|OVER)\b", re.I)
#: a call of a rewrite's macro, which names its arguments many times
_MACRO_CALL = re.compile(r"\byql_\w+\(")
#: a `??` or a CASE of the query's own (yql_case marks it `Case`), which the rewrites
#: write after the functions holding them
_REWRITTEN_LATER = re.compile(r"\?\?|(?<![\w$.:])Case(?!\w)")
#: a NULL value, as the query spells it
_NULL = re.compile(r"\(*\s*NULL\s*\)*", re.I)
#: a value longer than this is not small (small_operand)
_SMALL = 200


def integer_key(type_name: str) -> str:
    """yql_int_key of the type the expression `type_name` names, which it names once (a
    copy is bound again, and a nested pair's type names the inner one's)."""
    return (f"list_transform([{type_name}], lambda yql_named: CASE WHEN yql_named IN "
            f"{_INTEGER_ROW} THEN yql_named ELSE 'same' END)[1]")


def rewritten_later(operand: str) -> bool:
    """Whether `operand` holds a `??` or a CASE of the query's own, rewritten after the
    expression holding it, into each copy of the operand that expression wrote: small
    now, it need not be then."""
    return bool(_REWRITTEN_LATER.search(operand))


#: the lambda's parameter of late_type_key, which late_keys_plain finds
_LATE = "yql_late_types"
#: the rest of a late_type_key's call after its list of types
_LATE_TAIL = re.compile(r"\s*,\s*lambda " + _LATE + r": (yql_\w+)\(" + _LATE + r"\[1\], "
                        + _LATE + r"\[2\]\)\)\[1\]")


def late_type_key(left: str, right: str, macro: str) -> str:
    """The call of `macro` (yql_coalesce_key, yql_if_key) on the DuckDB types of `left`
    and `right`, named once each as the item of a list a lambda maps: an operand holding
    a `??` or a CASE is small now, but they are rewritten later into each copy a macro
    makes of it, and the copies held their own checks and conversions."""
    return (f"list_transform([[typeof({left}), typeof({right})]], lambda {_LATE}: "
            f"{macro}({_LATE}[1], {_LATE}[2]))[1]")


def late_keys_plain(body: str) -> str:
    """`body`, inside a lambda of the query's own, with each late_type_key written as the
    macro's plain call on typeof() of the operands: DuckDB folds no list there, and the key
    must be a constant."""
    opening = body.find("list_transform([[typeof(")
    while opening != -1:
        items_start = opening + len("list_transform(")
        items_end = _closing(body, items_start)
        tail = _LATE_TAIL.match(body, items_end + 1)
        if tail is None:
            opening = body.find("list_transform([[typeof(", opening + 1)
            continue
        inner = body[items_start + 1:items_end]
        cut = _depth_zero_comma(inner[1:-1], 0) + 1
        plain = f"{tail.group(1)}({inner[1:cut]}, {inner[cut + 1:-1].strip()})"
        body = body[:opening] + plain + body[tail.end():]
        opening = body.find("list_transform([[typeof(", opening)
    return body


def small_operand(operand: str) -> bool:
    """An operand copied at little cost: a column, a literal, or a short expression holding
    no check or conversion of its own (whose copies would multiply a level at a time)."""
    return bool(PLAIN_OPERAND.fullmatch(operand)) or (
        len(operand) <= _SMALL and "struct_extract(" not in operand
        and not _MACRO_CALL.search(operand))


def integer_literal(operand: str) -> int | None:
    """The number of an integer literal, or None. A negated unsigned literal (`-1u`) is
    left out: YQL negates it in its own type."""
    found = _LITERAL.fullmatch(operand.strip())
    if not found:
        return None
    sign, digits, suffix = found.groups()
    if sign == "-" and suffix and suffix.lower().startswith("u"):
        return None
    return -int(digits) if sign == "-" else int(digits)


class Joined:
    """The type YQL gives a value that is one of `values`, as a DuckDB expression of the
    names of their types (yql_types[i], one a value), built the order YQL unites them."""

    def __init__(self, values: list[str]):
        self.values = [value.strip() for value in values]
        self.literal = [integer_literal(value) for value in self.values]

    def leaf(self, index: int) -> tuple[str, int | None]:
        """The type of the value at `index`, and its number when it is a literal."""
        return f"yql_types[{index + 1}]", self.literal[index]

    @staticmethod
    def pair(first: tuple[str, int | None], other: tuple[str, int | None]
             ) -> tuple[str, int | None]:
        """The type of a Coalesce's two values, `first` tried first; the result is no
        literal."""
        if first[1] is None:
            return f"yql_int_join({first[0]}, {other[0]})", None
        return f"yql_int_join_literal({first[0]}, {other[0]}, {first[1]})", None

    @staticmethod
    def if_pair(then: tuple[str, int | None], otherwise: tuple[str, int | None]
                ) -> tuple[str, int | None]:
        """The type of an If's two values: CommonType's, the higher level, a literal or not
        (the module's docstring)."""
        return f"yql_int_join({then[0]}, {otherwise[0]})", None

    def unchecked(self) -> bool:
        """Whether the values are left in DuckDB's type: one would bind a subquery again,
        sits in a lambda of the query's own, or holds a conversion of its own; or all are
        literals, which DuckDB types as YQL does."""
        return any(_UNCHECKED.search(item) or LAMBDA_PREFIX in item or not small_operand(item)
                   for item in self.values) or \
            all(number is not None for number in self.literal)

    def named(self, expression: str) -> str:
        """`expression` (of yql_types) with the values' types named: DuckDB folds it as it
        binds the query, typeof() being a constant then."""
        types = ", ".join(f"typeof({item})" for item in self.values)
        return f"list_transform([[{types}]], lambda yql_types: {expression})[1]"


def converted(value: str, joined: Joined, united: tuple[str, int | None]) -> str:
    """`value`, which DuckDB types as its own common type of `joined`'s values, in the
    type YQL gives them, `united` (see the module's docstring)."""
    if joined.unchecked():
        return value
    if any(_REWRITTEN_LATER.search(item) for item in joined.values):
        return f"yql_int_as_once({value}, {integer_key(joined.named(united[0]))})"
    return f"yql_int_as({value}, {joined.named(united[0])})"


def if_converted(value: str, then: str, otherwise: str) -> str:
    """`value`, YQL's IF(c, then, otherwise) written for DuckDB, in YQL's type of its
    values."""
    joined = Joined([then, otherwise])
    return converted(value, joined, joined.if_pair(joined.leaf(0), joined.leaf(1)))


def coalesce_converted(value: str, operands: list[str]) -> str:
    """`value`, YQL's COALESCE of `operands` written for DuckDB, in YQL's type of them.

    YQL folds them from the left, Coalesce(Coalesce(a, b), c) (CoalesceWrapper splits a
    Coalesce of more into pairs so), the right operand of each pair tried first, and each
    pair converts the values it holds: `a` is converted to the type of (a, b), then to that
    of the whole. So each operand is converted to the type of each pair holding it in turn,
    the innermost first, and DuckDB's COALESCE takes them converted. The types of the pairs
    are a list_reduce, a scan of the operands from the left, as nested calls of
    yql_int_join would copy the type named so far at each level."""
    joined = Joined(operands)
    if len(operands) == 2:
        return converted(value, joined, joined.pair(joined.leaf(1), joined.leaf(0)))
    if joined.unchecked():
        return value
    items = ", ".join(
        f"[{{'t': yql_types[{index + 1}], 'v': TRY_CAST({'NULL' if number is None else number}"
        " AS HUGEINT)}]" for index, number in enumerate(joined.literal))
    # the type of each prefix of the operands, the first's own first
    # yql_int_join_literal where an operand is an integer literal; yql_int_join, a third of
    # its length, where none is (the scan is named once for each operand)
    join = "yql_int_join(yql_next[1].t, yql_acc[-1].t)" if all(
        number is None for number in joined.literal) else \
        "yql_int_join_literal(yql_next[1].t, yql_acc[-1].t, yql_next[1].v)"
    scan = (f"list_reduce([{items}], lambda yql_acc, yql_next: list_append(yql_acc, {{'t': "
            f"{join}, 'v': TRY_CAST(NULL AS HUGEINT)}}))")
    if any(_REWRITTEN_LATER.search(item) for item in joined.values):
        # a `??` or a CASE is rewritten after the COALESCE, into each copy of it: named in
        # the types of each operand's pairs, it was copied as many times more, and so was
        # all it holds. The whole is converted once, to the type of all, as a value holding
        # a conversion of its own is (the module's docstring)
        return converted(value, joined, (f"({scan})[-1].t", None))
    last = len(operands)
    converted_operands = []
    for index in range(last):
        if _NULL.fullmatch(joined.values[index]):
            # a NULL has no value to convert, and its type is no integer's
            converted_operands.append(joined.values[index])
            continue
        # the first operand is in the first pair, as the second is
        first_pair = max(index + 1, 2)
        types = (f"list_transform(({scan})[{first_pair}:{last}], "
                 "lambda yql_pair: yql_pair.t)")
        converted_operands.append(
            f"yql_int_path({joined.values[index]}, {joined.named(types)})")
    return f"COALESCE({', '.join(converted_operands)})"


def case_converted(case: str, spans: list[tuple[int, int]]) -> str:
    """`case`, a CASE whose THEN values and ELSE value are at `spans` of its text, in YQL's
    type of them. YQL's CASE is an If of halves of the THEN values (yql_case), each If of
    the common type of its two (IfWrapper: CommonType, the higher level), and each If
    converts the values it holds: so each value is converted to the type of each half
    holding it in turn, the innermost first, then to the type of all; a CASE of one THEN
    value is converted once, as a whole."""
    values = [case[start:end] for start, end in spans]
    joined = Joined(values)
    if len(values) == 2:
        return converted(case, joined, joined.if_pair(joined.leaf(0), joined.leaf(1)))
    if joined.unchecked():
        return case

    def united(indexes: range) -> str:
        """The type of the values at `indexes`: the highest level of theirs (an If's type
        is its values' higher level, whatever their order)."""
        ranks = ", ".join(f"yql_ranks[{index + 1}]" for index in indexes)
        return f"yql_int_name(greatest({ranks}))"

    paths: list[list[str]] = [[] for _ in values]

    def halves(indexes: range) -> None:
        if len(indexes) == 1:
            return
        middle = len(indexes) // 2
        for half in (indexes[:middle], indexes[middle:]):
            halves(half)
            if len(half) > 1:
                for index in half:
                    paths[index].append(united(half))

    thens = range(len(values) - 1)
    halves(thens)
    if len(thens) > 1:  # the If of the halves
        for index in thens:
            paths[index].append(united(thens))
    for index in range(len(values)):
        paths[index].append(united(range(len(values))))
    for index in reversed(range(len(values))):
        if _NULL.fullmatch(joined.values[index]):
            continue  # a NULL has no value to convert, and its type is no integer's
        start, end = spans[index]
        # the values' ranks are named once, each path naming several of them
        path = (f"list_transform([list_transform(yql_types, lambda yql_t: yql_int_rank(yql_t))], "
                f"lambda yql_ranks: [{', '.join(paths[index])}])[1]")
        named = joined.named(path)
        case = case[:start] + f" yql_int_path({joined.values[index]}, {named}) " + case[end:]
    return case


#: where a lambda of the query's own starts (yql_lambdas): its body follows, bracketed
_QUERY_LAMBDA = re.compile(r"\blambda " + LAMBDA_PREFIX + r"\w+(?:\s*,\s*" + LAMBDA_PREFIX
                           + r"\w+)*\s*:\s*\(")
#: the calls converting a value, whose first argument is the value
_CONVERTING = ("yql_int_as(", "yql_int_as_once(", "yql_int_path(")


def unconverted_in_lambdas(text: str) -> str:
    """`text` with each conversion (`converted`) inside a lambda of the query's own left
    as DuckDB's value: DuckDB folds no list of type names there, and the conversion could
    not bind. The value keeps DuckDB's common type there. A check's late key is put back
    as the macro's plain call there (late_keys_plain)."""
    for found in reversed(list(_QUERY_LAMBDA.finditer(text))):
        start = found.end() - 1
        end = _closing(text, start)
        body = text[start:end + 1]
        while any(call in body for call in _CONVERTING):
            # the innermost first
            at, call = max((body.rfind(call), call) for call in _CONVERTING)
            close = _closing(body, at + len(call) - 1)
            value_start = at + len(call)
            value_end = _depth_zero_comma(body, value_start)
            body = body[:at] + "(" + body[value_start:value_end] + ")" + body[close + 1:]
        body = late_keys_plain(body)
        text = text[:start] + body + text[end + 1:]
    return text


def _closing(text: str, opening: int) -> int:
    """Where the bracket opening at `opening` closes (strings are markers: no quote holds
    one)."""
    depth = 0
    for at in range(opening, len(text)):
        if text[at] in "([{":
            depth += 1
        elif text[at] in ")]}":
            depth -= 1
            if depth == 0:
                return at
    raise ValueError("an unbalanced bracket in a rewritten statement")


def _depth_zero_comma(text: str, start: int) -> int:
    depth = 0
    for at in range(start, len(text)):
        if text[at] in "([{":
            depth += 1
        elif text[at] in ")]}":
            depth -= 1
        elif text[at] == "," and depth == 0:
            return at
    raise ValueError("a conversion's value has no end")
