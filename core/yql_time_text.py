"""YQL's CAST of a string to Date, Datetime or Timestamp, as DuckDB SQL giving the count of
days, seconds or microseconds since 1970-01-01 that the text names (NULL for any other text).

DuckDB's own casts read more than YQL does, and read it otherwise: "2024-01-05T10:00:00Z"
and "2024-01-05 10:00" as a DATE, a TIMESTAMP without its zone, an offset `+03:00` ignored,
a day before 1970. YQL's parsers (ParseDate, ParseDatetime and ParseTimestamp in
yql/essentials/minikql/mkql_type_ops.cpp, ydb-platform/ydb) read a year of up to 4 digits,
a month and a day of up to 2 and nothing after a Date's day; a Datetime's `T` time then `Z`
or an offset `+hh:mm` (the UTC moment: an offset is taken off), a Timestamp's with a
fraction of any length before it (6 digits kept); NULL outside 1970-01-01 to 2106-01-01.
"""

from __future__ import annotations

_YMD = r"\d{1,4}-\d{1,2}-\d{1,2}"
_HMS = r"T\d{1,2}:\d{1,2}:\d{1,2}"
_ZONE = r"(Z|[+-]\d{1,2}:\d{1,2})"
#: the whole text each type takes
TIME_TEXT = {"date": _YMD, "datetime": _YMD + _HMS + _ZONE,
             "timestamp": _YMD + _HMS + r"(\.\d+)?" + _ZONE}


def text_count(value: str, name: str) -> str:
    """SQL for the count since the epoch, in the unit of `name` (date, datetime,
    timestamp), of the text `value`; NULL when it is not YQL's text of that type (the caller
    checks the range)."""
    text = f"CAST({value} AS VARCHAR)"
    if name == "date":
        count = f"(TRY_CAST({text} AS DATE) - DATE '1970-01-01')"
    else:
        local = f"epoch_us(TRY_CAST(regexp_extract({text}, '^[^T]*T[0-9:.]*') AS TIMESTAMP))"
        sign = f"(CASE WHEN regexp_extract({text}, '([+-])[0-9]+:[0-9]+$', 1) = '-' THEN -1 " \
               "ELSE 1 END)"
        offset = (f"(CASE WHEN {text} LIKE '%Z' THEN 0 ELSE {sign} * ("
                  f"CAST(regexp_extract({text}, '([0-9]+):[0-9]+$', 1) AS BIGINT) * 3600 + "
                  f"CAST(regexp_extract({text}, ':([0-9]+)$', 1) AS BIGINT) * 60) END)")
        micros = f"({local} - {offset} * 1000000)"
        count = f"({micros} // 1000000)" if name == "datetime" else micros
    return (f"(CASE WHEN regexp_full_match({text}, '{TIME_TEXT[name]}') "
            f"THEN {count} END)")
