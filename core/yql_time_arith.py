"""YQL's `+` and `-` of dates, times and Intervals on DuckDB, whose types for them differ.

YQL (yql/essentials/minikql/invoke_builtins/mkql_builtins_sub.cpp and mkql_builtins_add.cpp,
ydb-platform/ydb, the YQL that YTsaurus runs; the scale and the bounds in
mkql_builtins_datetime.h there):
- any two of Date, Datetime and Timestamp subtract to an Interval, their difference in
  microseconds (RegisterDateSub, TDateTimeSub): Date - Date is an Interval, where DuckDB
  gives a BIGINT of days;
- a Date, Datetime or Timestamp plus or minus an Interval (the Interval on either side of
  `+`) keeps the time's type (RegisterAddDateAndInterval, TAnyDateTimeSubInterval): the
  microseconds are cut to the type's unit, and a moment before 1970 or from 2106 on is NULL
  (IsBadDateTime). DuckDB gives a TIMESTAMP for a Date or a Datetime;
- an Interval plus or minus an Interval is an Interval, NULL when it is 49673 days or more
  either way (IsBadInterval);
- nothing else: no overload pairs a Date, Datetime, Timestamp or Interval with a number, so
  `Date - 1` fails the query (DuckDB gives the day before), as `Timestamp + 1` and
  `Interval + 1` do (time_operand_failure);
- an Interval times an integer, on either side, is an Interval (TNumMulInterval in
  mkql_builtins_mul.cpp), NULL past an Interval's bounds; an Interval divided by an integer
  is an Interval, its microseconds divided toward zero, NULL by zero (TNumDivInterval in
  mkql_builtins_div.cpp). Only integers: an Interval with a Double, an Interval or a time
  has no `*` or `/`, nor an integer divided by an Interval. DuckDB has no INTERVAL // n and
  multiplies by a Double too.

An Interval is DuckDB's INTERVAL in dev, holding microseconds only (to_microseconds), as
`IntervalFrom...` give it (yql_udf_datetime). The macros pick their result by the operands'
types, which DuckDB knows when it binds the query (typeof() is then a constant): the other
fields of the struct fold to NULL and cost nothing per row, and `+`/`-` of anything else is
DuckDB's own.
"""

from __future__ import annotations

from yt_pipeline.yql_operators import YQL_TYPE_NAMES
from yt_pipeline.yql_udf_calls import refused_kind

#: DuckDB's types of YQL's Date, Datetime and Timestamp (yql_times)
_TIMES = "('DATE', 'TIMESTAMP_S', 'TIMESTAMP')"
#: MAX_TIMESTAMP in microseconds: 2106-01-01, the end of the time types and an Interval's
#: bound either way
MAX_US = 4_291_747_200_000_000

#: the microseconds since 1970 of a Date, Datetime or Timestamp
_US = "CREATE OR REPLACE MACRO yql_us(x) AS epoch_us(TRY_CAST(x AS TIMESTAMP))"
#: microseconds since 1970 as a value of DuckDB's type `kind` (cut to its unit), NULL out
#: of the time types' range
_MOMENT = (
    "CREATE OR REPLACE MACRO yql_moment(us, kind) AS CASE WHEN us >= 0 AND us < "
    f"{MAX_US} THEN struct_extract({{"
    "'DATE': CASE WHEN kind = 'DATE' THEN "
    "DATE '1970-01-01' + CAST(us // 86400000000 AS INTEGER) END, "
    "'TIMESTAMP_S': CASE WHEN kind = 'TIMESTAMP_S' THEN "
    "CAST(make_timestamp(us // 1000000 * 1000000) AS TIMESTAMP_S) END, "
    "'TIMESTAMP': CASE WHEN kind = 'TIMESTAMP' THEN make_timestamp(us) END}, "
    "CASE WHEN kind IN ('TIMESTAMP_S', 'TIMESTAMP') THEN kind ELSE 'DATE' END) END")
#: an Interval of microseconds, NULL out of an Interval's range
_SPAN = (
    f"CREATE OR REPLACE MACRO yql_span(us) AS CASE WHEN us > -{MAX_US} AND us < {MAX_US} "
    "THEN to_microseconds(TRY_CAST(us AS BIGINT)) END")
#: which case `a op b` is: 'tt' two times, 'ti' a time and an Interval, 'it' an Interval
#: and a time, 'ii' two Intervals, 'n' anything else (DuckDB's own)
_CASE = (
    "CREATE OR REPLACE MACRO yql_time_case(a, b) AS CASE "
    f"WHEN typeof(a) IN {_TIMES} AND typeof(b) IN {_TIMES} THEN 'tt' "
    f"WHEN typeof(a) IN {_TIMES} AND typeof(b) = 'INTERVAL' THEN 'ti' "
    f"WHEN typeof(a) = 'INTERVAL' AND typeof(b) IN {_TIMES} THEN 'it' "
    "WHEN typeof(a) = 'INTERVAL' AND typeof(b) = 'INTERVAL' THEN 'ii' ELSE 'n' END")
_INTERVAL_US = "epoch_us(TRY_CAST({} AS INTERVAL))"
_INTEGERS = ("('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', "
             "'USMALLINT', 'UINTEGER', 'UBIGINT')")
#: the key a refused operand pair asks a struct for, and fails on (time_operand_failure):
#: the operator and both DuckDB types follow it, `-:DATE:INTEGER`
REFUSED_KEY = "yql_time_operand:"
_NUMBER = (
    "CREATE OR REPLACE MACRO yql_is_number(x) AS typeof(x) IN "
    f"{_INTEGERS[:-1]}, 'FLOAT', 'DOUBLE') OR typeof(x) LIKE 'DECIMAL(%'")
#: `a` as it is, unless YQL has no `op` of a time or an Interval with a number: then the
#: query fails when DuckDB binds it, before DuckDB's own `op` of them binds or computes
_CHECKED = (
    "CREATE OR REPLACE MACRO yql_time_checked(a, b, op) AS struct_extract({'a': a}, CASE "
    f"WHEN (typeof(a) IN {_TIMES} OR typeof(a) = 'INTERVAL') AND yql_is_number(b) "
    f"OR (typeof(b) IN {_TIMES} OR typeof(b) = 'INTERVAL') AND yql_is_number(a) "
    f"THEN '{REFUSED_KEY}' || op || ':' || typeof(a) || ':' || typeof(b) ELSE 'a' END)")


def _macro(name: str, op: str, cases: dict[str, str]) -> tuple[str, str]:
    """`a op b` by the case of its operands: `cases` (key: SQL) for those YQL gives another
    result than DuckDB, DuckDB's own `a op b` for the rest (which refuses, as YQL does, the
    pairs neither has: `Interval - Date`, `Date + Date`)."""
    keys = ", ".join(f"'{key}'" for key in cases)
    key = f"CASE WHEN yql_time_case(a, b) IN ({keys}) THEN yql_time_case(a, b) ELSE 'n' END"
    fields = ", ".join(f"'{case}': CASE WHEN {key} = '{case}' THEN {sql} END"
                       for case, sql in cases.items())
    return (f"CREATE OR REPLACE MACRO {name}_of(a, b) AS struct_extract({{'n': CASE WHEN "
            f"{key} = 'n' THEN a {op} b END, {fields}}}, {key})",
            f"CREATE OR REPLACE MACRO {name}(a, b) AS "
            f"{name}_of(yql_time_checked(a, b, '{op}'), b)")


_A, _B = _INTERVAL_US.format("a"), _INTERVAL_US.format("b")
_SUB = _macro("yql_sub", "-", {
    "tt": "to_microseconds(yql_us(a) - yql_us(b))",
    "ti": f"yql_moment(yql_us(a) - {_B}, typeof(a))",
    "ii": f"yql_span({_A} - {_B})"})
_ADD = _macro("yql_add", "+", {
    "ti": f"yql_moment(yql_us(a) + {_B}, typeof(a))",
    "it": f"yql_moment({_A} + yql_us(b), typeof(b))",
    "ii": f"yql_span({_A} + {_B})"})
#: which case `a * b` or `a / b` is: 'il' an Interval and an integer, 'ir' an integer and an
#: Interval, 'n' no Interval (DuckDB's own), a refused key for any other pair with one
_SCALED = (
    "CREATE OR REPLACE MACRO yql_scaled_case(a, b, op) AS CASE "
    f"WHEN typeof(a) = 'INTERVAL' AND typeof(b) IN {_INTEGERS[:-1]}, '\"NULL\"') THEN 'il' "
    f"WHEN typeof(b) = 'INTERVAL' AND typeof(a) IN {_INTEGERS[:-1]}, '\"NULL\"') "
    "AND op = '*' THEN 'ir' "
    "WHEN typeof(a) = 'INTERVAL' OR typeof(b) = 'INTERVAL' "
    f"THEN '{REFUSED_KEY}' || op || ':' || typeof(a) || ':' || typeof(b) ELSE 'n' END")
#: x, or a BIGINT NULL for an Interval: DuckDB's own `*` and `/` bind for any pair
_UNLESS_INTERVAL = (
    "CREATE OR REPLACE MACRO yql_unless_interval(x) AS struct_extract({'x': x, "
    "'i': NULL::BIGINT}, CASE WHEN typeof(x) = 'INTERVAL' THEN 'i' ELSE 'x' END)")
_SPAN_HUGE = f"TRY_CAST({_INTERVAL_US.format('span')} AS HUGEINT)"
#: an Interval times an integer: the product of the microseconds, NULL past the bounds
_TIMES_N = (f"CREATE OR REPLACE MACRO yql_interval_times(span, n) AS "
            f"yql_span({_SPAN_HUGE} * TRY_CAST(n AS HUGEINT))")
#: an Interval divided by an integer: DuckDB's `//` of integers cuts toward zero, as C++'s
#: `/` does; NULL by zero
_BY_N = (f"CREATE OR REPLACE MACRO yql_interval_by(span, n) AS CASE WHEN "
         f"TRY_CAST(n AS HUGEINT) <> 0 THEN yql_span({_SPAN_HUGE} // TRY_CAST(n AS HUGEINT)) "
         "END")
#: the macros every connection running YQL defines, in order (yql_macros)
TIME_ARITHMETIC_MACROS = (_US, _MOMENT, _SPAN, _NUMBER, _CHECKED, _CASE, *_SUB, *_ADD,
                          _SCALED, _UNLESS_INTERVAL, _TIMES_N, _BY_N)


def time_operand_failure(message: str) -> str | None:
    """YQL's meaning of DuckDB's refusal of a time's or an Interval's operand, or None."""
    refused = refused_kind(message, REFUSED_KEY)
    if refused is None or refused.count(":") != 2:
        return None
    op, left, right = refused.split(":")
    names = [_yql_name(kind) for kind in (left, right)]
    if op in "+-":
        return (f"YQL: {names[0]} {op} {names[1]} has no overload: a Date, Datetime or "
                "Timestamp is moved by an Interval, DateTime::IntervalFromDays(n), and an "
                "Interval added to an Interval, not to a number")
    return (f"YQL: {names[0]} {op} {names[1]} has no overload: an Interval is multiplied "
            "by an integer and divided by one, nothing else")


def _yql_name(kind: str) -> str:
    if kind.startswith("DECIMAL"):
        return "Decimal" + kind[len("DECIMAL"):]
    return YQL_TYPE_NAMES.get(kind, kind)
