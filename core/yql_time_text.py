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

import datetime
import re

_YMD = r"\d{1,4}-\d{1,2}-\d{1,2}"
_HMS = r"T\d{1,2}:\d{1,2}:\d{1,2}"
_ZONE = r"(Z|[+-]\d{1,2}:\d{1,2})"
#: the whole text each type takes
TIME_TEXT = {"date": _YMD, "datetime": _YMD + _HMS + _ZONE,
             "timestamp": _YMD + _HMS + r"(\.\d+)?" + _ZONE}
_EPOCH = datetime.datetime(1970, 1, 1)


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


_FIELDS = re.compile(r"(\d+)-(\d+)-(\d+)(?:T(\d+):(\d+):(\d+)(?:\.(\d+))?(?:Z|([+-])(\d+):(\d+)))?",
                     re.ASCII)
#: what text_count's SQL gives for a text it does not fold (folded_count)
UNFOLDED = object()


def folded_count(value: str, name: str) -> int | None | object:
    """What text_count's SQL gives for the string `value`, worked out here, so that a CAST
    of a string literal is its count in the query's text rather than SQL that parses the
    text: the count, None where that SQL gives NULL, or UNFOLDED for a text whose reading
    here could differ from DuckDB's (an hour Python's datetime does not take, as DuckDB's
    `24:00:00`), left to the SQL."""
    # RE2's \\d is ASCII digits only, as re.ASCII makes Python's
    if not re.fullmatch(TIME_TEXT[name], value, re.ASCII):
        return None
    found = _FIELDS.fullmatch(value)
    if found is None:
        return UNFOLDED
    year, month, day, hour, minute, second, fraction, sign, zone_h, zone_m = found.groups()
    if int(year) < 1969:
        return None  # before 1970 whichever day it reads, an offset moving it 4 days at most
    try:
        datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None  # not a day: DuckDB's cast gives NULL too (tried: 2018-02-30)
    try:
        local = datetime.datetime(int(year), int(month), int(day), int(hour or 0),
                                  int(minute or 0), int(second or 0))
    except ValueError:
        return UNFOLDED  # DuckDB reads 24:00:00 as the next day's 00:00:00
    days = (local.date() - _EPOCH.date()).days
    if name == "date":
        return days
    # DuckDB's TIMESTAMP cast keeps a fraction's first 6 digits (tried: .1234567 is .123456)
    micros = int((fraction or "").ljust(6, "0")[:6])
    offset = 0 if sign is None else (-1 if sign == "-" else 1) * (
        int(zone_h) * 3600 + int(zone_m) * 60)
    total = (days * 86_400 + local.hour * 3600 + local.minute * 60 + local.second - offset
             ) * 1_000_000 + micros
    if name == "datetime":
        # DuckDB's // on BIGINT cuts toward zero; a Datetime's text has no fraction, so
        # `total` is whole seconds and the two agree
        return total // 1_000_000 if total % 1_000_000 == 0 else UNFOLDED
    return total
