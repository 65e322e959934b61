"""CAST to and from YQL's Interval on DuckDB, whose INTERVAL reads and writes other text.

YQL (yql/essentials/minikql/mkql_type_ops.cpp, ydb-platform/ydb):
- ParseInterval reads ISO 8601's duration: an optional sign, `P`, then `nW` and `nD` (weeks
  before days), and after a `T` `nH`, `nM`, `nS` or `n.fractionS` in that order, each at
  most once; `P` alone is not one, `PT` is zero. Days (weeks too) past 2 * 49673 or a total
  past MAX_TIMESTAMP - 1 microseconds give NULL, as any text that does not parse does.
- WriteInterval writes it back: `-P1DT2H3M4.56789S`, a part left out when it is zero,
  `PT0S` for zero, the fraction's trailing zeros cut.
- An integer cast to an Interval is that many microseconds ("Converting to date and time
  data types" in yql/essentials/docs/en/types/primitive.md: Int and Uint, yes), NULL out of
  the Interval's range (IsValidValue); an Interval cast to an integer is its microseconds.
DuckDB's own cast reads `'1 day'` and writes `1 day`, and refuses integers.
"""

from __future__ import annotations

from yt_pipeline.yql_time_arith import MAX_US
from yt_pipeline.yql_udf_calls import refused_kind

_DURATION = (r"^([-+]?)P(?:([0-9]+)W)?(?:([0-9]+)D)?"
             r"(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+)(?:[.]([0-9]{1,6}))?S)?)?$")


def _part(name: str) -> str:
    return f"COALESCE(TRY_CAST(NULLIF(p.{name}, '') AS HUGEINT), 0)"


#: the parts of a duration's text, each '' when absent (all of them when it does not match)
_PARTS = (
    "CREATE OR REPLACE MACRO yql_duration_parts(s) AS "
    f"regexp_extract(s, '{_DURATION}', ['sign', 'w', 'd', 'h', 'm', 's', 'f'])")
_DAYS = f"({_part('w')} * 7 + {_part('d')})"
_US = (f"({_DAYS} * 86400000000 + {_part('h')} * 3600000000 + {_part('m')} * 60000000 "
       f"+ {_part('s')} * 1000000 + COALESCE(TRY_CAST(rpad(NULLIF(p.f, ''), 6, '0') "
       "AS HUGEINT), 0))")
#: the Interval a duration's parts give, NULL past its bounds
_OF_PARTS = (
    "CREATE OR REPLACE MACRO yql_interval_of_parts(p) AS CASE WHEN "
    f"{_DAYS} <= {2 * 49673} AND {_US} < {MAX_US} THEN to_microseconds(CAST("
    f"CASE WHEN p.sign = '-' THEN -{_US} ELSE {_US} END AS BIGINT)) END")
#: CAST(s AS Interval) of a string
_OF_TEXT = (
    "CREATE OR REPLACE MACRO yql_interval_of_text(s) AS CASE WHEN "
    f"regexp_full_match(s, '{_DURATION}') AND NOT regexp_full_match(s, '[-+]?P') "
    "THEN yql_interval_of_parts(yql_duration_parts(s)) END")
_INTEGERS = ("('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', "
             "'USMALLINT', 'UINTEGER', 'UBIGINT')")
#: the key CAST(... AS Interval) of another type looks for, and fails on (cast_failure)
REFUSED_KEY = "yql_interval_cast_of:"
#: CAST(x AS Interval): an integer as microseconds, a string as ISO 8601's duration, an
#: Interval as it is; any other type fails when DuckDB binds the query, as YQL's type check
#: refuses it (a Date, a Double...)
_CAST = (
    "CREATE OR REPLACE MACRO yql_interval(x) AS struct_extract({"
    f"'n': CASE WHEN typeof(x) IN {_INTEGERS} THEN CASE WHEN TRY_CAST(x AS HUGEINT) "
    f"BETWEEN -{MAX_US - 1} AND {MAX_US - 1} THEN to_microseconds(TRY_CAST(x AS BIGINT)) "
    "END END, "
    "'s': CASE WHEN typeof(x) = 'VARCHAR' THEN yql_interval_of_text(TRY_CAST(x AS VARCHAR)) "
    "END, 'i': CASE WHEN typeof(x) = 'INTERVAL' THEN TRY_CAST(x AS INTERVAL) END}, "
    f"CASE WHEN typeof(x) IN {_INTEGERS} THEN 'n' WHEN typeof(x) = 'VARCHAR' THEN 's' "
    "WHEN typeof(x) IN ('INTERVAL', '\"NULL\"') THEN 'i' "
    f"ELSE '{REFUSED_KEY}' || typeof(x) END)")
#: YQL's text of an Interval's microseconds `us` (WriteInterval)
_TEXT = (
    "CREATE OR REPLACE MACRO yql_interval_text(us) AS CASE WHEN us IS NOT NULL THEN "
    "CASE WHEN us < 0 THEN '-' ELSE '' END || 'P' || "
    "CASE WHEN abs(us) >= 86400000000 THEN (abs(us) // 86400000000) || 'D' ELSE '' END || "
    "CASE WHEN abs(us) < 86400000000 OR abs(us) % 86400000000 > 0 THEN 'T' || "
    "CASE WHEN abs(us) % 86400000000 >= 3600000000 "
    "THEN (abs(us) % 86400000000 // 3600000000) || 'H' ELSE '' END || "
    "CASE WHEN abs(us) % 3600000000 >= 60000000 "
    "THEN (abs(us) % 3600000000 // 60000000) || 'M' ELSE '' END || "
    "CASE WHEN abs(us) % 60000000 > 0 OR abs(us) < 60000000 "
    "THEN (abs(us) % 60000000 // 1000000) || CASE WHEN abs(us) % 1000000 > 0 "
    "THEN '.' || rtrim(lpad(CAST(abs(us) % 1000000 AS VARCHAR), 6, '0'), '0') ELSE '' END "
    "|| 'S' ELSE '' END ELSE '' END END")
#: the macros every connection running YQL defines, in order (yql_macros)
INTERVAL_CAST_MACROS = (_PARTS, _OF_PARTS, _OF_TEXT, _CAST, _TEXT)


def cast_failure(message: str) -> str | None:
    """YQL's meaning of DuckDB's refusal of a CAST(... AS Interval) operand, or None."""
    kind = refused_kind(message, REFUSED_KEY)
    if kind is None:
        return None
    return (f"YQL: CAST(... AS Interval) takes an integer (microseconds) or a string "
            f"(ISO 8601's duration, \"P1DT2H\"), not a value of DuckDB type {kind}")
