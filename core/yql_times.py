"""Date, Datetime and Timestamp values as a cluster keeps them and gives them back, for both
backends (dev's YQL tables and the fake proxy's).

A YQL write gives such a column the YT type date, datetime or timestamp, whose value is an
unsigned integer: days, seconds or microseconds since 1970-01-01 (the table of primitive
types in yt/docs/en/_includes/user-guide/storage/data-types.md, ytsaurus/ytsaurus). The YSON
format writes it as that integer unless `time_mode=text` is asked for ("Time types" in the
same page); the JSON format, which prod reads tables, jobs' rows and query results in, has
no such option (only TYsonFormatConfig registers time_mode, yt/yt/client/formats/config.cpp)
and writes the integer as a JSON number (TJsonConsumer::OnUint64Scalar, yt/yt/core/json/
json_writer.cpp). A query result is read from the table YQL wrote it to, with that table's
schema (BuildRowset in yt/yt/server/yql_agent/interop.cpp), so a SELECT's dates are numbers
too. A later YQL query reads the column by its type, so it sees a Date again.

DuckDB keeps YQL's Date as DATE, Datetime as TIMESTAMP_S (whole seconds) and Timestamp as
TIMESTAMP (microseconds): their counts are what a table file holds and a result returns.

An Interval is YT's `interval`, a signed int64 of microseconds (the same table of
data-types.md), which JSON writes as a number (TJsonConsumer::OnInt64Scalar); YQL writes its
column as `interval` (RowSpecYqlTypeToYtType, yt/yql/providers/yt/lib/schema/schema.cpp,
ydb-platform/ydb). In dev it is DuckDB's INTERVAL of microseconds (yql_time_arith), whose
count is epoch_us().
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

#: DuckDB's type of each YQL time type and the YT column type a YQL write gives it
TIME_COLUMN_TYPES = {"DATE": "date", "TIMESTAMP_S": "datetime", "TIMESTAMP": "timestamp",
                     "INTERVAL": "interval"}
#: microseconds in each YT time type's unit
_UNIT_US = {"date": 86_400_000_000, "datetime": 1_000_000, "timestamp": 1, "interval": 1}
_EPOCH = datetime.datetime(1970, 1, 1)


#: YQL's text of a Datetime or Timestamp (ValueToString in yql/essentials/minikql/
#: mkql_type_ops.cpp, ydb): ISO 8601 with `T` and `Z`, "2024-01-02T03:04:05Z"; a Timestamp
#: adds its microseconds, all six digits, only when they are not zero (WriteUs there:
#: "...05.120000Z", "...05Z"). A Date is "2024-01-02", as DuckDB writes it. DuckDB writes
#: "2024-01-02 03:04:05.12". An Interval is YQL's "P1DT2H" (yql_interval_cast). typeof()
#: is known when DuckDB binds, so one branch is kept; TRY_CAST lets the branches of other
#: types bind.
_TIME_TEXT = (
    "CREATE OR REPLACE MACRO yql_time_text(t) AS CASE typeof(t) "
    "WHEN 'TIMESTAMP_S' THEN strftime(TRY_CAST(t AS TIMESTAMP), '%Y-%m-%dT%H:%M:%SZ') "
    "WHEN 'TIMESTAMP' THEN strftime(TRY_CAST(t AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S') || "
    "CASE WHEN epoch_us(TRY_CAST(t AS TIMESTAMP)) % 1000000 = 0 THEN '' "
    "ELSE strftime(TRY_CAST(t AS TIMESTAMP), '.%f') END || 'Z' "
    "WHEN 'INTERVAL' THEN yql_interval_text(epoch_us(TRY_CAST(t AS INTERVAL))) "
    "WHEN 'DOUBLE' THEN yql_float_text(TRY_CAST(t AS DOUBLE)) "
    "WHEN 'FLOAT' THEN yql_float_text(TRY_CAST(t AS FLOAT)) "
    "ELSE TRY_CAST(t AS VARCHAR) END")
#: YQL's text of a Double or a Float (ValueToString: util's FloatToString, PREC_AUTO, in
#: util/string/cast.cpp): double-conversion's shortest digits, written as a decimal while
#: the exponent is from -10 to 20 and with `e+NN`/`e-NN` past that ("1", "0.0000001",
#: "100000000000000000000", "1e+21", "1.5e-11", "-0", "nan", "inf"). DuckDB writes the
#: same digits as "1.0", "1e-07", "1e+20": the digits `d` and the decimal point's place
#: `p` (the value is 0.d times 10 to the p) are read back from DuckDB's text, then laid
#: out. Each is bound once by a lambda, so that a CAST's SQL stays short (a nested CAST
#: repeats it: yql_semantics._bound_once).
_FLOAT_LAYOUT = (
    "CASE WHEN f.d = '' THEN '0' "
    "WHEN f.p - 1 >= -10 AND f.p - 1 < 21 THEN CASE WHEN f.p <= 0 THEN "
    "'0.' || repeat('0', -f.p) || f.d "
    "WHEN f.p >= length(f.d) THEN f.d || repeat('0', f.p - length(f.d)) "
    "ELSE left(f.d, f.p) || '.' || substr(f.d, f.p + 1) END "
    "ELSE left(f.d, 1) || CASE WHEN length(f.d) > 1 THEN '.' || substr(f.d, 2) ELSE '' END "
    "|| 'e' || CASE WHEN f.p - 1 >= 0 THEN '+' ELSE '-' END || CAST(abs(f.p - 1) AS VARCHAR) END")
#: from the digits of DuckDB's text `m` (its `.` left out: `a`) and its exponent `e`
_FLOAT_PARTS = (
    "{'d': rtrim(ltrim(n.a, '0'), '0'), "
    "'p': length(split_part(n.m, '.', 1)) + n.e - (length(n.a) - length(ltrim(n.a, '0')))}")
_FLOAT_NUMBER = (
    "{'m': regexp_extract(t, '[0-9.]+'), 'a': replace(regexp_extract(t, '[0-9.]+'), '.', ''), "
    "'e': COALESCE(TRY_CAST(regexp_extract(t, 'e([-+]?[0-9]+)$', 1) AS INTEGER), 0)}")
_FLOAT_TEXT = (
    "CREATE OR REPLACE MACRO yql_float_text(x) AS CASE WHEN isnan(x) THEN 'nan' "
    "WHEN isinf(x) THEN CASE WHEN x > 0 THEN 'inf' ELSE '-inf' END "
    "ELSE list_transform([CAST(x AS VARCHAR)], lambda t: "
    "CASE WHEN starts_with(t, '-') THEN '-' ELSE '' END || "
    f"list_transform([{_FLOAT_NUMBER}], lambda n: "
    f"list_transform([{_FLOAT_PARTS}], lambda f: {_FLOAT_LAYOUT})[1])[1])[1] END")
#: the macros every connection running YQL defines (yql_semantics.connect)
TIME_MACROS = (_FLOAT_TEXT, _TIME_TEXT)


def time_type(duckdb_type: str) -> str | None:
    """The YT time type of a DuckDB column type, or None for any other type."""
    return TIME_COLUMN_TYPES.get(duckdb_type.strip().upper())


def counted_sql(column: str, yt_type: str) -> str:
    """SQL giving the count a cluster stores for the time value `column` (an SQL term)."""
    if yt_type == "date":
        return f"CAST({column} - DATE '1970-01-01' AS BIGINT)"
    if yt_type == "interval":
        return f"epoch_us({column})"
    micros = f"epoch_us(CAST({column} AS TIMESTAMP))"
    return micros if yt_type == "timestamp" else f"({micros} // 1000000)"


def timed_sql(column: str, yt_type: str) -> str:
    """SQL giving back the time value of a stored count `column` (an SQL term): what a YQL
    query reads from a column of that YT type."""
    count = f"TRY_CAST({column} AS BIGINT)"
    if yt_type == "date":
        return f"(DATE '1970-01-01' + CAST({count} AS INTEGER))"
    if yt_type == "datetime":
        return f"CAST(make_timestamp({count} * 1000000) AS TIMESTAMP_S)"
    if yt_type == "interval":
        return f"to_microseconds({count})"
    return f"make_timestamp({count})"


def counted_select(columns: list[tuple[str, str]], sql: str, quote) -> str:
    """The query `sql` with its time columns (name, DuckDB type) as stored counts."""
    if not any(time_type(kind) for _, kind in columns):
        return sql
    items = []
    for name, kind in columns:
        column, yt_type = quote(name), time_type(kind)
        items.append(f"{counted_sql(column, yt_type)} AS {column}" if yt_type else column)
    return f"SELECT {', '.join(items)} FROM ({sql}) AS counted"


def timed_select(yt_types: dict[str, str], sql: str, quote) -> str:
    """A table expression reading `sql` (a table's stored rows) with its time columns
    (name: YT type) as the time values YQL sees."""
    replaced = [f"{timed_sql(quote(name), kind)} AS {quote(name)}"
                for name, kind in yt_types.items() if kind in _UNIT_US]
    if not replaced:
        return sql
    return f"(SELECT * REPLACE ({', '.join(replaced)}) FROM {sql})"


def counted_value(value: Any, yt_type: str) -> Any:
    """A Python time value DuckDB returned, as the count a cluster gives."""
    if isinstance(value, datetime.timedelta):
        return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    if isinstance(value, datetime.datetime):
        moment = value.replace(tzinfo=None) - _EPOCH
    elif isinstance(value, datetime.date):
        moment = datetime.datetime(value.year, value.month, value.day) - _EPOCH
    else:
        return value
    micros = (moment.days * 86_400 + moment.seconds) * 1_000_000 + moment.microseconds
    return micros // _UNIT_US[yt_type]


def counted_rows(columns: list[tuple[str, str]], rows: Iterable[dict[str, Any]]
                 ) -> list[dict[str, Any]]:
    """DuckDB's rows with the values of time columns (name, DuckDB type) as counts."""
    times = {name: yt_type for name, kind in columns if (yt_type := time_type(kind))}
    if not times:
        return list(rows)
    return [{name: counted_value(value, times[name]) if name in times else value
             for name, value in row.items()} for row in rows]
