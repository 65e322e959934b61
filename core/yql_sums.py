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
adding modulo 2^64 does. A result column that is SUM(column) alone (with DISTINCT or OVER
too) of an integer column of a table a schema types, read as required_columns reads the
tables (backticked paths, no subquery), is given YQL's type and value; a sum DuckDB's types
alone cannot tell (of a subquery's column, inside an expression) is left as DuckDB gives it.
"""

from __future__ import annotations

from collections.abc import Callable

from yt_pipeline.yql_required import (
    SourceColumns,
    call_end,
    column_read,
    over_alone,
    select_items,
)
from yt_pipeline.yql_rules import Token

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
    table read, each with True when the column is unsigned (the sum a Uint64) and False when
    signed (an Int64); `source_types` gives the columns' types of the table at a path
    (none for a table of no schema)."""
    found: dict[str, bool] = {}
    for unsigned, kinds in ((True, _UNSIGNED), (False, _SIGNED)):
        def columns_of(path: str, kinds: frozenset[str] = kinds) -> frozenset[str]:
            return frozenset(name for name, kind in source_types(path).items()
                             if kind in kinds)
        read = select_items(statement, columns_of)
        if read is None:
            return {}
        items, source = read
        for name, expression in items:
            if _sums_a_column(expression, source):
                found.setdefault(name, unsigned)
    return found


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


def wrapped_sums(sql: str, sums: dict[str, bool], quote: Callable[[str], str]) -> str:
    """`sql` (DuckDB's) with each column of `sums` wrapped around as YQL's sum is: a Uint64
    modulo 2^64, an Int64 into [-2^63, 2^63)."""
    if not sums:
        return sql
    replaced = []
    for name, unsigned in sums.items():
        column = quote(name)
        if unsigned:  # a sum of unsigned values is not negative: its remainder is its value
            value = f"CAST({column} % {_RANGE} AS UBIGINT)"
        else:  # DuckDB's % keeps the dividend's sign: the remainder is made positive first
            value = (f"CAST((({column} + {_HALF}) % {_RANGE} + {_RANGE}) % {_RANGE} - {_HALF} "
                     "AS BIGINT)")
        replaced.append(f"{value} AS {column}")
    return f"SELECT * REPLACE ({', '.join(replaced)}) FROM ({sql}) AS yql_sums"
