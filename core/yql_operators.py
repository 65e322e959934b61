"""YQL's `??` and `/` on DuckDB: each needs its operands, which a regular expression cannot
find, so the statement's code is cut into tokens and each run of arithmetic is parsed with
YQL's precedence (ydb/docs/en/core/yql/reference/syntax/expressions.md, "Precedence and
associativity of operators", ydb-platform/ydb), from the highest:
  unary + - ~ NOT;  ||;  * / %;  + -;  ?? (right-associative: a ?? b ?? c is a ?? (b ?? c)).
Anything of lower precedence (bit operators, comparisons, IN, IS, AND, OR, keywords, commas)
ends a run. A run holding none of `??`, `||` and the arithmetic operators is left as
written; in one that does, an integer literal operand of `+ - * / %` is given YQL's
type, an Int32 (_typed_literal), so that `int8_column * 100` is an Int32 as in YQL.

- `a ?? b` is COALESCE(a, b) (builtins/basic.md#coalesce); a chain is one COALESCE.
- `a / b` is YQL_DIV(a, b), a macro (_DIV) that divides integers as YQL does
  (toward zero, NULL by zero: TIntegralDiv in yql/essentials/minikql/invoke_builtins/
  mkql_builtins_div.cpp) and floating values as IEEE 754 does (1.0 / 0 is inf, -1.0 / 0
  -inf, 0.0 / 0 nan: TDiv there is a plain C++ `/` for them). DuckDB's `//` gives the
  integer result but NULL for any division by zero, its `/` the IEEE result but a Double
  for integers; the macro picks one by the operands' type, which DuckDB knows when it binds
  the query (typeof() is then a constant), so each row computes one of them.
- `a % b` is YQL_MOD(a, b) (_MOD), DuckDB's `%` but for the integer cases it answers
  otherwise (below), even by a literal: `uint32_column % 10` is an Int32's remainder.
- integers of mixed signedness are divided in YQL's type for them, not DuckDB's (_MIXED).

The smallest value of a signed integer type divided by -1 (or its remainder by -1) is NULL in
YQL: TIntegralDiv and TIntegralMod (mkql_builtins_div.cpp, mkql_builtins_mod.cpp) return
NULL when the divisor is -1 and the dividend the least value of the result type, in a result
no wider than the dividend's type. The result type is the wider operand's
(RegisterBinaryIntegralToSignedFunctionOpt in invoke_builtins/mkql_builtins_impl.h: Int8 by
Int32 is an Int32), so CAST(-128 AS Int8) / -1 is 128: an integer literal is an Int32,
which DuckDB would type as narrow as the other operand (_typed_literal). DuckDB fails
the division with "Overflow in division" and gives 0 for the remainder; both macros give
NULL there (a narrower dividend never equals the least value of a wider result type, so
checking the result type's least value is the same test, as long as DuckDB's result type
is YQL's: so it is for operands of the same signedness). DuckDB's CASE computes a branch
for the rows that take it only, so the overflowing division is never computed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

import msgspec

from yt_pipeline.yql_coalesce import coalesced
from yt_pipeline.yql_mixed_types import COMPARISONS, compared

#: the least value of a signed integer's type (NULL for any other type). A HUGEINT stands
#: for YQL's Int64: DuckDB reads a table's Int64 column as one when its values have both
#: signs or 19 digits (column_types.YQL_COLUMN_TYPES)
_INT_MIN = (
    "CREATE OR REPLACE MACRO yql_int_min(x) AS CASE typeof(x) WHEN 'TINYINT' THEN -128 "
    "WHEN 'SMALLINT' THEN -32768 WHEN 'INTEGER' THEN -2147483648 "
    "WHEN 'BIGINT' THEN -9223372036854775808 WHEN 'HUGEINT' THEN -9223372036854775808 END")
_SIGNED = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT')"
#: an integer type's width in bits (NULL for any other type)
_BITS = (
    "CREATE OR REPLACE MACRO yql_bits(x) AS CASE typeof(x) WHEN 'TINYINT' THEN 8 "
    "WHEN 'UTINYINT' THEN 8 WHEN 'SMALLINT' THEN 16 WHEN 'USMALLINT' THEN 16 "
    "WHEN 'INTEGER' THEN 32 WHEN 'UINTEGER' THEN 32 WHEN 'BIGINT' THEN 64 "
    "WHEN 'UBIGINT' THEN 64 WHEN 'HUGEINT' THEN 64 END")
#: Integers of mixed signedness: YQL divides them in the type of the wider operand, and in
#: the signed one when both are as wide (RegisterBinaryIntegralToSignedFunctionOpt and
#: ...ToUnsignedFunctionOpt in yql/essentials/minikql/invoke_builtins/mkql_builtins_impl.h:
#: Int8 by Uint8 is an Int8, Int8 by Uint16 a Uint16, Int64 by Uint64 an Int64), each
#: operand static_cast to that type first (TIntegralDiv, TIntegralMod), so
#: CAST(-128 AS Int8) / CAST(255 AS Uint8) is -128 / -1, which is NULL. DuckDB divides
#: them in a type wide enough for both values. yql_mixed names the type YQL divides in
#: ('i8' ... 'u64') where the cast can change a value (the unsigned operand at least as
#: wide as the signed one), 'i' otherwise.
_MIXED = (
    "CREATE OR REPLACE MACRO yql_mixed(a, b) AS CASE "
    "WHEN yql_bits(a) IS NULL OR yql_bits(b) IS NULL "
    f"OR (typeof(a) IN {_SIGNED}) = (typeof(b) IN {_SIGNED}) THEN 'i' "
    "WHEN yql_bits(a) = yql_bits(b) THEN 'i' || yql_bits(a) "
    f"WHEN (typeof(a) IN {_SIGNED}) = (yql_bits(a) > yql_bits(b)) THEN 'i' "
    "ELSE 'u' || greatest(yql_bits(a), yql_bits(b)) END")
#: x static_cast to a `bits`-wide integer, signed or not: wrapped around, in a HUGEINT
_WRAP = (
    "CREATE OR REPLACE MACRO yql_wrap(x, bits, signed) AS "
    "(TRY_CAST(x AS HUGEINT) & ((1::HUGEINT << bits) - 1)) "
    "- CASE WHEN signed THEN (TRY_CAST(x AS HUGEINT) & (1::HUGEINT << (bits - 1))) << 1 "
    "ELSE 0 END")
#: the quotient or remainder (`op`) of two wrapped operands, NULL where YQL gives NULL
_WRAPPED = (
    "CREATE OR REPLACE MACRO yql_wrapped(l, r, bits, signed, op) AS CASE WHEN r = 0 OR "
    "signed AND r = -1 AND l = -(1::HUGEINT << (bits - 1)) THEN NULL "
    "WHEN op = '/' THEN l // r ELSE l % r END")
_KINDS = {"i8": "TINYINT", "i16": "SMALLINT", "i32": "INTEGER", "i64": "BIGINT",
          "u16": "USMALLINT", "u32": "UINTEGER", "u64": "UBIGINT"}


def _mixed_fields(op: str) -> str:
    """The struct fields giving `a op b` in each type yql_mixed names."""
    def value(key: str) -> str:
        bits, signed = key[1:], key[0] == "i"
        return (f"yql_wrapped(yql_wrap(a, {bits}, {signed}), yql_wrap(b, {bits}, {signed}), "
                f"{bits}, {signed}, '{op}')")
    return ", ".join(f"'{key}': TRY_CAST({value(key)} AS {kind})"
                     for key, kind in _KINDS.items())


# A struct's field is picked by a key DuckDB knows when it binds the query (typeof() is
# then a constant), so the result has that field's type: a Double's quotient, an integer
# one in DuckDB's type, or one in the type YQL gives integers of mixed signedness.
_DIV = (
    "CREATE OR REPLACE MACRO yql_div(a, b) AS struct_extract("
    "{'i': CASE WHEN b = -1 AND a = yql_int_min(a // b) THEN NULL ELSE a // b END, "
    f"'f': a / b, {_mixed_fields('/')}}}, "
    "CASE WHEN typeof(a // b) IN ('DOUBLE', 'FLOAT') THEN 'f' ELSE yql_mixed(a, b) END)")
_MOD = (
    "CREATE OR REPLACE MACRO yql_mod(a, b) AS struct_extract("
    "{'i': CASE WHEN b = -1 AND a = yql_int_min(a % b) THEN NULL ELSE a % b END, "
    f"{_mixed_fields('%')}}}, yql_mixed(a, b))")
#: `a % n` by a positive integer literal (an Int32, _typed_literal): YQL's remainder is
#: DuckDB's for every dividend but two (yql_mixed): a Uint32 is taken as an Int32, the signed
#: type of its width, and a Uint64 keeps its type. yql_mod would give the same, computing
#: its seven wrapped fields for every row (a 1M-row `GROUP BY x % 10` 0.02 s slower); here
#: the two other fields' operand folds to NULL once typeof() is a constant
_MOD_BY = (
    "CREATE OR REPLACE MACRO yql_mod_by(a, n) AS struct_extract({'i': a % n, "
    "'u32': (CASE WHEN typeof(a) = 'UINTEGER' THEN CASE WHEN a >= 2147483648 "
    "THEN a - 4294967296 ELSE a END END)::INTEGER % n, "
    "'u64': TRY_CAST((CASE WHEN typeof(a) = 'UBIGINT' THEN a END) % n AS UBIGINT)}, "
    "CASE typeof(a) WHEN 'UINTEGER' THEN 'u32' WHEN 'UBIGINT' THEN 'u64' ELSE 'i' END)")
#: a positive integer literal
_POSITIVE_INTEGER = re.compile(r"0*[1-9][0-9]*")
#: YQL's `||` (Concat) joins a String or Utf8 with a String or Utf8 and nothing else: those
#: are the only pairs mkql_builtins_concat.cpp (yql/essentials/minikql/invoke_builtins)
#: registers, so a Date, Datetime, Timestamp or number operand fails the query, where
#: DuckDB writes it as text. yql_text(x) is x when it is text (or an untyped NULL), and
#: otherwise asks the struct for a key it does not hold, which DuckDB refuses when it binds
#: the query, with rows or without, as YQL refuses it before running it (concat_failure)
_CONCAT_KEY = "yql_concat_operand:"
_TEXT = (
    "CREATE OR REPLACE MACRO yql_text(x) AS struct_extract({'t': x}, CASE WHEN typeof(x) "
    "IN ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', "
    "'UINTEGER', 'UBIGINT', 'FLOAT', 'DOUBLE', 'BOOLEAN', 'DATE', 'TIMESTAMP_S', "
    f"'TIMESTAMP') THEN '{_CONCAT_KEY}' || typeof(x) ELSE 't' END)")
#: YQL's names of the DuckDB types yql_text refuses
_YQL_NAMES = {"TINYINT": "Int8", "SMALLINT": "Int16", "INTEGER": "Int32", "BIGINT": "Int64",
              "HUGEINT": "Int64", "UTINYINT": "Uint8", "USMALLINT": "Uint16",
              "UINTEGER": "Uint32", "UBIGINT": "Uint64", "FLOAT": "Float",
              "DOUBLE": "Double", "BOOLEAN": "Bool", "DATE": "Date",
              "TIMESTAMP_S": "Datetime", "TIMESTAMP": "Timestamp"}
_CONCAT_REFUSED = re.compile(r'Could not find key "' + _CONCAT_KEY + r'(\w+)"')


def concat_failure(message: str) -> str | None:
    """YQL's meaning of DuckDB's refusal of a yql_text operand, or None."""
    found = _CONCAT_REFUSED.search(message)
    if not found:
        return None
    kind = _YQL_NAMES.get(found.group(1), found.group(1))
    article = "an" if kind[0] in "AEIOU" else "a"
    return (f"YQL: || joins String and Utf8 values only, and an operand is {article} {kind}: "
            "cast it, CAST(... AS String)")


#: the macros every connection running YQL defines (yql_semantics.connect), in order
DIVISION_MACROS = (_INT_MIN, _BITS, _MIXED, _WRAP, _WRAPPED, _DIV, _MOD, _MOD_BY, _TEXT)
#: an integer literal as an operand of the run: `7` or, negated, `(-7)`
_INTEGER_LITERAL = re.compile(r"\((-)([0-9]+)\)|()([0-9]+)")

#: a UDF's name (`String::Find`) is one token: its call is an operand (yql_udfs)
_TOKEN = re.compile(
    r"\s+|\x00\d+\x00|\x01\d+\x01|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\w*"
    r"|[A-Za-z_]\w*::[A-Za-z_]\w*|[A-Za-z_]\w*"
    r"|\?\?|\|\||<<|>>|<=|>=|<>|!=|==|\|<|>\||.", re.S)
#: words that end an operand: clauses, logic, and the words around CASE's parts
_KEYWORDS = {
    "SELECT", "FROM", "WHERE", "AND", "OR", "XOR", "IN", "IS", "BETWEEN", "LIKE", "ILIKE",
    "REGEXP", "RLIKE", "MATCH", "GLOB", "AS", "ON", "JOIN", "LEFT", "RIGHT", "INNER", "FULL",
    "CROSS", "USING", "WHEN", "THEN", "ELSE", "CASE", "END", "GROUP", "BY", "ORDER", "HAVING",
    "LIMIT", "OFFSET", "UNION", "INTERSECT", "EXCEPT", "ALL", "DISTINCT", "ASC", "DESC",
    "WITH", "WINDOW", "PARTITION", "ROWS", "RANGE", "ESCAPE", "EXISTS", "EXCLUDE", "WITHOUT",
    "INTO", "VALUES", "NULLS", "FIRST", "LAST", "COMPACT", "FILTER", "OVER",
}
#: binary operators inside a run, by precedence (higher binds tighter)
_BINARY = {"||": 4, "*": 3, "/": 3, "%": 3, "+": 2, "-": 2, "??": 1}
_UNARY = {"+", "-", "~", "NOT"}


class _Group(msgspec.Struct):
    """A bracketed part: ( ... ), [ ... ] or CASE ... END, its inside rewritten on its own."""

    opening: str
    closing: str
    items: list[Any] = msgspec.field(default_factory=list)
    #: its text, by whether operands are bound (_BINDING): a run renders each bracketed
    #: atom it reads, and the rendering of the run renders it again, which nested brackets
    #: multiplied a level at a time
    rendered: dict[bool, str] = msgspec.field(default_factory=dict)

    def text(self) -> str:
        binding = _BINDING.get()
        if binding not in self.rendered:
            self.rendered[binding] = (self.opening + rewrite_operators_in(self.items)
                                      + self.closing)
        return self.rendered[binding]


def _grouped(text: str) -> list[Any]:
    """The tokens of `text`, each bracketed part as one _Group."""
    root: list[Any] = []
    stack = [_Group("", "", root)]
    for token in _TOKEN.findall(text):
        upper = token.upper()
        if token in ("(", "[") or upper == "CASE":
            group = _Group(token, "")
            stack[-1].items.append(group)
            stack.append(group)
        elif (token in (")", "]") or upper == "END") and len(stack) > 1 and \
                (stack[-1].opening.upper() == "CASE") == (upper == "END"):
            stack.pop().closing = token
        else:
            stack[-1].items.append(token)
    while len(stack) > 1:  # unbalanced: DuckDB reports it, with its own line
        group = stack.pop()
        stack[-1].items.remove(group)
        stack[-1].items.extend([group.opening, *group.items])
    return root


def _is_atom_start(item) -> bool:
    if isinstance(item, _Group):
        return item.opening != "["
    upper = item.upper()
    return (upper not in _KEYWORDS and upper not in _UNARY and
            (item[0].isalnum() or item[0] in "_\x00\x01*"))


def _atom_end(items: list[Any], start: int) -> int:
    """The index past the atom starting at `start`: a name, number, bracketed part, with its
    calls, subscripts and `.field`s, and a window's OVER (...) or OVER name."""
    index = start + 1
    while True:
        after = _skip_space(items, index)
        if after >= len(items):
            return index
        item = items[after]
        if isinstance(item, _Group) and item.opening in ("(", "["):
            index = after + 1
        elif item == "." and after + 1 < len(items):
            index = after + 2
        elif isinstance(item, str) and item.upper() in ("OVER", "FILTER") and \
                _skip_space(items, after + 1) < len(items) and \
                isinstance(items[_skip_space(items, after + 1)], _Group):
            index = _skip_space(items, after + 1) + 1
        elif isinstance(item, str) and item.upper() == "OVER" and \
                _window_name(items, _skip_space(items, after + 1)):
            index = _skip_space(items, after + 1) + 1  # OVER w, a window named in WINDOW
        else:
            return index


def _window_name(items: list[Any], index: int) -> bool:
    """Whether the item at `index` is a name (a window's, after OVER)."""
    if index >= len(items) or not isinstance(items[index], str):
        return False
    item = items[index]
    return bool(re.fullmatch(r"[A-Za-z_]\w*|\x01\d+\x01", item)) and \
        item.upper() not in _KEYWORDS


def _skip_space(items: list[Any], index: int) -> int:
    while index < len(items) and isinstance(items[index], str) and items[index].isspace():
        index += 1
    return index


def _render(items: list[Any]) -> str:
    return "".join(item.text() if isinstance(item, _Group) else item for item in items)


def _operand_follows(items: list[Any], index: int) -> bool:
    index = _skip_space(items, index)
    while index < len(items) and isinstance(items[index], str) and \
            items[index].upper() in _UNARY:
        index = _skip_space(items, index + 1)
    return index < len(items) and _is_atom_start(items[index])


def _run(items: list[Any], start: int) -> tuple[list[Any], int]:
    """The operands and operators of the run of arithmetic from `start`: a list alternating
    (prefixes, atom text) and operator, and the index past its last operand."""
    parts: list[Any] = []
    index = start
    while True:
        prefixes, at = [], _skip_space(items, index)
        while at < len(items) and isinstance(items[at], str) and items[at].upper() in _UNARY:
            prefixes.append(items[at])
            at = _skip_space(items, at + 1)
        if at >= len(items) or not _is_atom_start(items[at]):
            return parts, index
        end = _atom_end(items, at)
        parts.append((prefixes, _render(items[at:end]).strip()))
        index = end
        after = _skip_space(items, end)
        if not (after < len(items) and isinstance(items[after], str) and
                items[after] in _BINARY):
            return parts, index
        if not _operand_follows(items, after + 1):  # DuckDB reports it with its own line
            return parts, index
        parts.append(items[after])
        index = after + 1


def _typed_literal(operand: str) -> str:
    """An integer literal operand (`7`, `(-1)`) with YQL's type written out: Int32 when it
    fits, Int64 otherwise (ydb/docs/en/core/yql/reference/syntax/lexer.md, "Numeric
    literals"). DuckDB types a bare literal by its value, as narrow as the other operand
    (`int8_column // -1` is a TINYINT there, an Int32 in YQL), which would put the quotient
    in a type too narrow for it and give NULL where YQL gives the quotient."""
    found = _INTEGER_LITERAL.fullmatch(operand)
    if not found:
        return operand
    sign, digits = found.group(1) or found.group(3), found.group(2) or found.group(4)
    # the literal is typed before its sign applies: -2147483648 is an Int64
    kind = "INTEGER" if int(digits) < 2 ** 31 else "BIGINT" if int(digits) < 2 ** 63 else None
    if kind is None:
        return operand
    # `::`, not CAST(...), which yql_semantics would rewrite as YQL's CAST
    return f"({'-' if sign else ''}{digits})::{kind}"


#: the SQL of the strings and names the statement's markers \x01N\x01 stand for
_LITERALS: ContextVar[Sequence[str]] = ContextVar("yql_operator_literals", default=())
_MARKER = re.compile(r"\x01(\d+)\x01")


def string_literal(operand: str, literals: Sequence[str]) -> str | None:
    """The text of the string literal the marker `operand` stands for among `literals`
    (their SQL, quoted with '), or None for any other operand (a backticked name too)."""
    found = _MARKER.fullmatch(operand)
    if found is None or int(found.group(1)) >= len(literals):
        return None
    sql = literals[int(found.group(1))]
    return sql[1:-1].replace("''", "'") if sql.startswith("'") else None


def _is_string_literal(operand: str) -> bool:
    return string_literal(operand, _LITERALS.get()) is not None


def _typed_string(operand: str) -> str:
    """A string literal operand of arithmetic typed VARCHAR, YQL's String: DuckDB would cast
    an untyped one to the other operand's number (`"2" * 2` is 4 there), where YQL refuses
    the pair (yql_mixed_types.arithmetic_failure)."""
    return f"({operand})::VARCHAR" if _is_string_literal(operand) else operand


#: whether _called may bind operands where it rewrites now: not in a HAVING clause
_BINDING: ContextVar[bool] = ContextVar("yql_operands_binding", default=True)
#: the words that begin a clause
_CLAUSES = {"SELECT", "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "WINDOW",
            "QUALIFY", "UNION", "INTERSECT", "EXCEPT"}
#: a call of one of the macros above that name their operands many times
_OPERAND_MACRO = re.compile(r"\byql_(?:div|mod|mod_by|add|sub)\(")


def _called(macro: str, left: str, right: str) -> str:
    """`macro(left, right)`, its operands bound once when one is such a call itself.

    A macro's body names each operand many times (the struct of the cases, typeof), and
    DuckDB's binder copies the operand each time: nested, the copies multiply a level at a
    time, and `a / b / c / d` or `a + b + c + d + e` of four or five columns did not bind
    within a minute. Bound once as the field of a one-row list a lambda reads, a chain
    costs a copy a level (18 ms more per million rows for `a // b // c`, measured); a
    call of plain operands, the common one, keeps the macro as it is, and so does one in
    HAVING, where DuckDB cannot read a lambda's field."""
    if not _BINDING.get() or not (_OPERAND_MACRO.search(left) or _OPERAND_MACRO.search(right)):
        return f"{macro}({left}, {right})"
    return (f"list_extract(list_transform(list_value(struct_pack(l := {left}, r := {right})), "
            f"lambda yql_operands: {macro}(yql_operands.l, yql_operands.r)), 1)")


def _build(parts: list[Any]) -> str:
    """The run as DuckDB must read it: precedence climbing over YQL's levels."""
    position = 0

    def operand() -> str:
        nonlocal position
        prefixes, atom = parts[position]
        position += 1
        for prefix in reversed(prefixes):
            atom = f"({prefix} {atom})" if prefix.upper() == "NOT" else f"({prefix}{atom})"
        return atom

    def expression(level: int) -> str:
        nonlocal position
        left = operand()
        while position < len(parts) and _BINARY[parts[position]] >= level:
            op = parts[position]
            position += 1
            if op == "??":  # right-associative: its right side takes the rest of the chain
                left = coalesced(left, expression(_BINARY[op]))  # typed as YQL does
                continue
            right = expression(_BINARY[op] + 1)
            # `+` and `-` of dates, times and Intervals have YQL's types (yql_time_arith)
            macro = {"/": "yql_div", "%": "yql_mod", "+": "yql_add", "-": "yql_sub"}.get(op)
            if op in ("+", "-") and (_INTEGER_LITERAL.fullmatch(left)
                                     or _INTEGER_LITERAL.fullmatch(right)):
                # an integer is no time nor Interval: the macro would be DuckDB's own `+`,
                # and it names each operand many times, which DuckDB's binder copies, a
                # copy per level of a chain (`k + 1 + 2 + 3 + 4` took minutes to bind)
                macro = None
            if op == "%" and _POSITIVE_INTEGER.fullmatch(right):
                macro = "yql_mod_by"
            if op in ("/", "%", "+", "-", "*"):
                left, right = _typed_literal(left), _typed_literal(right)
                left, right = _typed_string(left), _typed_string(right)
            if op == "||":
                left = f"(yql_text({left}) || yql_text({right}))"
            else:
                left = _called(macro, left, right) if macro else f"({left} {op} {right})"
        return left

    return expression(1)


def rewrite_operators_in(items: list[Any]) -> str:
    outer = _BINDING.get()
    try:
        return _rewritten(items)
    finally:
        _BINDING.set(outer)  # a HAVING inside a bracket ends with it


def _rewritten(items: list[Any]) -> str:
    out: list[str] = []
    index = 0
    while index < len(items):
        item = items[index]
        if isinstance(item, str) and item.upper() in _CLAUSES:
            # DuckDB refuses a lambda's field in HAVING ("column "l" must appear in the
            # GROUP BY clause"): no operand is bound there (_called)
            _BINDING.set(item.upper() != "HAVING")
        if isinstance(item, str) and (item.isspace() or not (
                _is_atom_start(item) or item.upper() in _UNARY)):
            out.append(item)
            index += 1
            continue
        if isinstance(item, _Group) and item.opening == "[":
            out.append(item.text())
            index += 1
            continue
        parts, end = _run(items, index)
        if not parts:
            out.append(item if isinstance(item, str) else item.text())
            index += 1
            continue
        comparison = _comparison(items, index, parts, end, out)
        if comparison is not None:
            text, end = comparison
            out.append(text)
        elif set(parts[1::2]) & {"/", "%", "??", "||", "+", "-", "*"}:
            out.append(_build(parts))
        else:
            out.append(_render(items[index:end]))
        index = end
    return "".join(out)


#: what may stand before a comparison's left operand or after its right one: anything else
#: (`x & a = 1`, `a = 1 + x`) would make a longer operand of it, left as written
_OUTSIDE = {"", "(", ",", "[", "AND", "OR", "XOR", "NOT", "SELECT", "WHERE", "ON", "WHEN",
            "THEN", "ELSE", "HAVING", "AS", "FROM", "GROUP", "ORDER", "LIMIT", "END", ")", "]",
            ";", "UNION", "QUALIFY", "DISTINCT", "ALL"}
#: an operand holding one of these words is not checked: its copy in the check would bind a
#: subquery or a window once more
_UNCHECKED = re.compile(r"\b(SELECT|OVER)\b", re.I)


#: whether comparisons are checked: not in a statement grouping by one (`GROUP BY v > 0 AS
#: k`), which DuckDB matches by its text with the SELECT's, where the check's copy of `v`
#: would be a column neither grouped nor aggregated
_CHECKING: ContextVar[bool] = ContextVar("yql_comparisons_checked", default=True)
_GROUPED_COMPARISON = re.compile(
    r"\bGROUP\s+BY\b(?:(?!\b(?:HAVING|ORDER|LIMIT|WINDOW|UNION)\b).)*?(?:[<>]|[^:!<>=]=)",
    re.I | re.S)


def _significant(items: list[Any], index: int, step: int) -> str:
    """The text of the first item from `index` on (or back, `step` -1) that is not space."""
    while 0 <= index < len(items):
        item = items[index]
        if not (isinstance(item, str) and item.isspace()):
            return (item.opening if step > 0 else item.closing) \
                if isinstance(item, _Group) else item.upper()
        index += step
    return ""


def _comparison(items: list[Any], index: int, parts: list[Any], end: int,
                out: list[str]) -> tuple[str, int] | None:
    """`l op r` of one operand with one operand, from `index`, with the check of their types
    (yql_mixed_types), and the index past it; None for anything else."""
    if len(parts) != 1 or parts[0][0] or not _CHECKING.get():
        return None
    at = _skip_space(items, end)
    if at >= len(items) or not isinstance(items[at], str) or items[at] not in COMPARISONS:
        return None
    before = next((text for text in reversed(out) if not text.isspace()), "")
    if before and before.split()[-1].upper() not in _OUTSIDE and before[-1] not in "(,":
        return None
    right, right_end = _run(items, at + 1)
    if len(right) != 1 or right[0][0]:
        return None
    after = _significant(items, right_end, 1)
    if after not in _OUTSIDE:
        return None
    left_text, right_text = parts[0][1], right[0][1]
    if _UNCHECKED.search(left_text) or _UNCHECKED.search(right_text):
        return None
    return compared(left_text, items[at], right_text), right_end


def rewrite_operators(text: str, literals: Sequence[str] = ()) -> str:
    """`text` with YQL's `??`, `/` and `%` written as DuckDB must read them to mean the
    same, and its comparisons checked (yql_mixed_types); `literals` are the SQL of the
    strings and names its markers \x01N\x01 stand for."""
    if not re.search(r"[-+*/%<>=]|\?\?|\|\|", text):
        return text
    token = _LITERALS.set(literals)
    checking = _CHECKING.set(not _GROUPED_COMPARISON.search(text))
    try:
        return rewrite_operators_in(_grouped(text))
    finally:
        _LITERALS.reset(token)
        _CHECKING.reset(checking)
