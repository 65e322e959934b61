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
  either way (IsBadInterval).

An Interval is DuckDB's INTERVAL in dev, holding microseconds only (to_microseconds), as
`IntervalFrom...` give it (yql_udf_datetime). The macros pick their result by the operands'
types, which DuckDB knows when it binds the query (typeof() is then a constant): the other
fields of the struct fold to NULL and cost nothing per row, and `+`/`-` of anything else is
DuckDB's own.
"""

from __future__ import annotations

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
    "THEN to_microseconds(us) END")
#: the kinds of operand `a op b` tells apart: a time (positions 1 to 3) or an Interval (4);
#: any other type is not in it
_KINDS = "['DATE', 'TIMESTAMP_S', 'TIMESTAMP', 'INTERVAL']"
#: which pair of kinds `a op b` is, 0 to 24: 5 times a's kind plus b's, each 0 when neither
#: (typeof, which DuckDB folds when it binds). Each operand is named once: a macro's
#: parameter is a copy of its argument's SQL, and an operand named in every comparison of a
#: CASE had each `-` of two CASTs of text bind some forty copies of each
_PAIR = (
    "CREATE OR REPLACE MACRO yql_time_pair(a, b) AS "
    f"coalesce(list_position({_KINDS}, typeof(a)), 0) * 5 + "
    f"coalesce(list_position({_KINDS}, typeof(b)), 0)")


def _case_of(kind: int) -> str:
    return "t" if 1 <= kind <= 3 else "i" if kind == 4 else "n"


def _key(cases: dict[str, str]) -> str:
    """The case of `a op b` among `cases` ('tt' two times, 'ti' a time and an Interval, 'it'
    an Interval and a time, 'ii' two Intervals), 'n' for any other (DuckDB's own)."""
    keys = []
    for pair in range(25):
        case = _case_of(pair // 5) + _case_of(pair % 5)
        keys.append(f"'{case}'" if case in cases else "'n'")
    return f"[{', '.join(keys)}][yql_time_pair(a, b) + 1]"


_INTERVAL_US = "epoch_us(TRY_CAST({} AS INTERVAL))"


def _macro(name: str, op: str, cases: dict[str, str]) -> str:
    """`a op b` by the case of its operands: `cases` (key: SQL) for those YQL gives another
    result than DuckDB, DuckDB's own `a op b` for the rest (which refuses, as YQL does, the
    pairs neither has: `Interval - Date`, `Date + Date`)."""
    key = _key(cases)
    fields = ", ".join(f"'{case}': CASE WHEN {key} = '{case}' THEN {sql} END"
                       for case, sql in cases.items())
    return (f"CREATE OR REPLACE MACRO {name}(a, b) AS struct_extract({{'n': CASE WHEN "
            f"{key} = 'n' THEN a {op} b END, {fields}}}, {key})")


_A, _B = _INTERVAL_US.format("a"), _INTERVAL_US.format("b")
_SUB = _macro("yql_sub", "-", {
    "tt": "to_microseconds(yql_us(a) - yql_us(b))",
    "ti": f"yql_moment(yql_us(a) - {_B}, typeof(a))",
    "ii": f"yql_span({_A} - {_B})"})
_ADD = _macro("yql_add", "+", {
    "ti": f"yql_moment(yql_us(a) + {_B}, typeof(a))",
    "it": f"yql_moment({_A} + yql_us(b), typeof(b))",
    "ii": f"yql_span({_A} + {_B})"})
#: the macros every connection running YQL defines, in order (yql_macros)
TIME_ARITHMETIC_MACROS = (_US, _MOMENT, _SPAN, _PAIR, _SUB, _ADD)
