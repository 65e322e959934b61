"""SUM of an integer column of a table read, with YQL's type and value.

YQL widens an integer to 64 bits of its sign and adds with AggrAdd
(`sum_traits_factory_opt`: WidenIntegral, then AggrAdd, in
yql/essentials/mount/lib/yql/aggregate.yqls, ydb-platform/ydb), which for integers is the
Add of yql/essentials/minikql/invoke_builtins/mkql_builtins_add.cpp (TAggrAdd = TAdd, whose
SafeAdd wraps around in the type's width). So `SUM(Unsigned?)->Uint64?` and
`SUM(Signed?)->Int64?` (yt/docs/en/yql/builtins/aggregation.md, ytsaurus/ytsaurus), each
wrapping around past its range. DuckDB sums any integer into a HUGEINT, exact and signed:
a sum of Uint64 values was an int64 column, and one past 2^64 (or an Int64 sum past 2^63)
a value no YT integer column holds.

Wrapping the exact sum around gives YQL's value whatever the order of the additions, as
adding modulo 2^64 does. For SUM(column) of an integer column of a table a schema types,
read as required_columns reads the tables (backticked paths; a subquery's columns are not
typed here), each call is made YQL's sum where it stands (inner_sums_wrapped), and a result
column that is such a sum, alone or over a window, or `+`, `-`, `*` over such sums and
integer literals, is given YQL's type and its value wrapped in it (integer_sums: YQL's
arithmetic wraps around in its result type as the sum does, so the exact result taken
modulo 2^64 is YQL's). A sum in another expression (with a column, `/`, a function) keeps
the type DuckDB gives the expression.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from yt_pipeline.yql_cast_types import number_literal_type
from yt_pipeline.yql_required import (
    ARITHMETIC,
    SourceColumns,
    call_end,
    column_read,
    operands,
    over_alone,
    select_items,
)
from yt_pipeline.yql_rules import Token, statements

#: a table column's type (YT's names, or the DuckDB names dev keeps for a table a query
#: wrote) and whether it is an unsigned integer
_UNSIGNED = frozenset({"uint8", "uint16", "uint32", "uint64",
                       "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"})
_SIGNED = frozenset({"int8", "int16", "int32", "int64",
                     "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"})
_RANGE = 2 ** 64
_HALF = 2 ** 63


def integer_sums(statement: str, source_types: Callable[[str], dict[str, str]]
                 ) -> dict[str, bool]:
    """The result columns of `statement` that are SUM(column) of an integer column of a
    table read, or `+`, `-`, `*` over such sums and integer literals, each with True when
    YQL types it a Uint64 and False when an Int64; `source_types` gives the columns' types
    of the table at a path (none for a table of no schema)."""
    read = _read_by_sign(statement, source_types)
    if read is None:
        return {}
    items, unsigned, signed = read
    found: dict[str, bool] = {}
    for name, expression in items:
        kind = _sum_type(expression, unsigned, signed)
        if kind is not None:
            found[name] = kind == "Uint64"
    return found


def _read_by_sign(statement: str, source_types: Callable[[str], dict[str, str]]
                  ) -> tuple[list[tuple[str, list[Token]]], SourceColumns, SourceColumns] | None:
    """The result columns of `statement` (select_items), with the unsigned and the signed
    integer columns of the tables it reads; None when select_items cannot tell them."""
    sources = []
    items: list[tuple[str, list[Token]]] = []
    for kinds in (_UNSIGNED, _SIGNED):
        def columns_of(path: str, kinds: frozenset[str] = kinds) -> frozenset[str]:
            return frozenset(name for name, kind in source_types(path).items()
                             if kind in kinds)
        read = select_items(statement, columns_of)
        if read is None:
            return None
        items, source = read
        sources.append(source)
    return items, sources[0], sources[1]


#: YQL's numeric types in the order of GetNumericDataTypeLevel
#: (yql/essentials/core/yql_expr_type_annotation.cpp, ydb-platform/ydb): `+`, `-` and `*`
#: of two numbers are of the later of their types (AddWrapper, SubWrapper, MulWrapper in
#: yql/essentials/core/type_ann/type_ann_core.cpp), so an Int64 with a Uint64 is an Int64
_LEVELS = ("Uint8", "Int8", "Uint16", "Int16", "Uint32", "Int32", "Uint64", "Int64")


def _sum_type(expression: list[Token], unsigned: SourceColumns, signed: SourceColumns
              ) -> str | None:
    """"Uint64" or "Int64": YQL's type of a sum of an integer column (of `unsigned` or
    `signed`), or of `+`, `-`, `*` over such sums and integer literals (at least one sum),
    which wrap around in that type as the sum does (TAdd's SafeAdd and its kin in
    yql/essentials/minikql/invoke_builtins/, ydb): taken modulo 2^64, an exact result gives
    YQL's. None for another expression."""
    if _sums_a_column(expression, unsigned):
        return "Uint64"
    if _sums_a_column(expression, signed):
        return "Int64"
    parts = operands(expression, ARITHMETIC)
    if parts is None and len(expression) > 1 and expression[0].kind == "symbol" \
            and expression[0].text in "+-":
        parts = [expression]  # a sign alone: its operand's type
    if parts is None:
        return None
    types, summed = [], False
    for part in parts:
        if part[0].kind == "symbol" and part[0].text in "+-" and len(part) > 1:
            part = part[1:]  # a sign: Minus keeps its operand's type
        if part[0].text == "(" and call_end([Token("word", "", 0, 0), *part]) == len(part) + 1:
            part = part[1:-1]
        kind = _sum_type(part, unsigned, signed)
        summed |= kind is not None
        if kind is None and len(part) == 1 and part[0].kind == "word":
            kind = number_literal_type(part[0].text)
        if kind not in _LEVELS:
            return None  # a column, a call, a Double...: not followed
        types.append(kind)
    return max(types, key=_LEVELS.index) if summed else None


def _sums_a_column(expression: list[Token], source: SourceColumns) -> bool:
    """SUM([DISTINCT] column) with nothing after it but one OVER clause, the column one
    `source` holds."""
    end = call_end(expression)
    if end is None or expression[0].text.upper() != "SUM" or not over_alone(expression,
                                                                              end):
        return False
    argument = expression[2:end - 1]
    if argument and argument[0].kind == "word" and argument[0].text.upper() in (
            "DISTINCT", "ALL"):
        argument = argument[1:]
    return bool(argument) and column_read(argument, source) is not None


def sums_as_yql(sql: str, statement: str, source_types: Callable[[str], dict[str, str]],
                quote: Callable[[str], str]) -> str:
    """`sql`, DuckDB's for the YQL `statement`, with its sums of integer columns of YQL's
    type and value: each SUM(column) call wrapped around where it stands (inner_sums_wrapped:
    so that what reads it, a CAST, a comparison, ORDER BY, reads YQL's sum), and each result
    column integer_sums finds wrapped into its type (wrapped_sums: a sum over a window, and
    `+`, `-`, `*` over sums, which DuckDB computes exactly in a wider type)."""
    sql = inner_sums_wrapped(sql, statement, source_types)
    return wrapped_sums(sql, integer_sums(statement, source_types), quote)


#: a SUM call of one column in DuckDB's SQL: `SUM([DISTINCT] a)`, `SUM(t."a")`
_SUM_CALL = re.compile(r'(?<![\w."])SUM\s*\(\s*(?:DISTINCT\s+)?'
                       r'((?:"(?:[^"]|"")*"|\w+)(?:\s*\.\s*(?:"(?:[^"]|"")*"|\w+))?)\s*\)',
                       re.IGNORECASE)
_NAME = re.compile(r'"((?:[^"]|"")*)"|(\w+)')
_OVER = re.compile(r"\s*OVER\b", re.IGNORECASE)
_STRING = re.compile(r"'(?:[^']|'')*'")


def inner_sums_wrapped(sql: str, statement: str,
                       source_types: Callable[[str], dict[str, str]]) -> str:
    """`sql` with each `SUM(column)` of an integer column of a table `statement` reads (as
    integer_sums reads them) made YQL's sum where it stands: the exact sum DuckDB gives,
    wrapped around into a Uint64's or an Int64's range. A sum with OVER is left to wrapped_sums (its
    call cannot be wrapped apart from its window), as is any call inside a string."""
    found = statements(statement)
    if len(found) != 1 or found[0].words().count("SELECT") != 1:
        # a SELECT inside (`IN (SELECT SUM(a) ...)`) reads tables of its own, whose SUM
        # calls DuckDB's text does not tell apart from the outer query's
        return sql
    read = _read_by_sign(statement, source_types)
    if read is None:
        return sql
    sources = list(read[1:])
    strings = [match.span() for match in _STRING.finditer(sql)]

    def wrapped(match: re.Match[str]) -> str:
        if any(start <= match.start() < end for start, end in strings) \
                or _OVER.match(sql, match.end()):
            return match.group(0)
        names = [quoted.replace('""', '"') if quoted else word
                 for quoted, word in _NAME.findall(match.group(1))]
        for unsigned, source in zip((True, False), sources, strict=True):
            columns = source.bare if len(names) == 1 else source.qualified.get(names[0], {})
            if names[-1] in columns:
                # a HUGEINT still: DuckDB's arithmetic over it stays exact (a UBIGINT's
                # would overflow), wrapped_sums gives the result column its type
                return _wrapped_value(match.group(0), unsigned, "HUGEINT")
        return match.group(0)

    return _SUM_CALL.sub(wrapped, sql)


def _wrapped_value(value: str, unsigned: bool, kind: str = "") -> str:
    """DuckDB's `value` (an exact integer) wrapped around into YQL's Uint64 or Int64's
    range, of DuckDB's type `kind` (UBIGINT or BIGINT by default)."""
    kind = kind or ("UBIGINT" if unsigned else "BIGINT")
    if unsigned:  # DuckDB's % keeps the dividend's sign (a difference may be negative)
        return f"CAST(({value} % {_RANGE} + {_RANGE}) % {_RANGE} AS {kind})"
    # the same, then shifted into [-2^63, 2^63)
    return f"CAST((({value} + {_HALF}) % {_RANGE} + {_RANGE}) % {_RANGE} - {_HALF} AS {kind})"


def wrapped_sums(sql: str, sums: dict[str, bool], quote: Callable[[str], str]) -> str:
    """`sql` (DuckDB's) with each column of `sums` wrapped around as YQL's sum is: a Uint64
    modulo 2^64, an Int64 into [-2^63, 2^63)."""
    if not sums:
        return sql
    replaced = [f"{_wrapped_value(quote(name), unsigned)} AS {quote(name)}"
                for name, unsigned in sums.items()]
    return f"SELECT * REPLACE ({', '.join(replaced)}) FROM ({sql}) AS yql_sums"
