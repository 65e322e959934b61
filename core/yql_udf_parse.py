"""DateTime::ParseIso8601, ParseRfc822, ParseHttp and ParseX509 as DuckDB SQL (registered in
yql_udf_datetime), with YQL's values.

Each is util's TInstant::TryParse... (yql/essentials/udfs/common/datetime2/datetime_udf.cpp,
PARSE_SPECIFIC_FORMAT in ydb-platform/ydb): NULL for a string it does not parse, or for a
moment from 2106 on; else a Resource<TM> in GMT (a TIMESTAMP here). util's parsers are the
Ragel machines of util/datetime/parser.rl6, written here as regular expressions matching the
whole string; the fields they read become a moment as TDateTimeFields (util/datetime/
parser.h) makes one:

- a year read by SetLooseYear (ISO 8601, RFC 822 and HTTP, 2 or 4 digits alike): below 60 is
  20xx, below 160 is 19xx less 100 (`0100` is 2000), any other as written; X.509's 2 digits
  are 20xx below 50, else 19xx, its 4 digits as written;
- IsOk: the year from 1970, the month 1-12, the day at most the month's last, the hour at
  most 23, the minute 59, the second 60 (a leap second, the next minute's first); the day
  may be 0, the month's day before the first, as TimeGM counts it;
- the zone's offset is taken off; a moment before 1970 (or TimeGM's -1) gives NULL.

RFC 822's zones: UT, GMT, EST/EDT, CST/CDT, MST/MDT, PST/PDT (in capitals), a military
letter (A-I and K-M are +1 to +12 hours, N-Y -1 to -12, Z 0, in any case) or +hhmm; its
month and day names, and HTTP's, are read in any case. ISO 8601 takes a date (yyyy-mm-dd or
yyyymmdd), then optionally T, t or a space and a time (hh:mm[:ss[.fraction]] or hhmm[ss]),
and a zone (Z, z, or [space]+hh[[:]mm]); at most 6 digits of the fraction are read.
"""

from __future__ import annotations

from yt_pipeline.yql_udf_calls import Functions, Rewrite

#: Ragel's `space`
_WS = r"[\t\n\v\f\r ]"
_WKDAY = "(?i:mon|tue|wed|thu|fri|sat|sun)"
_WEEKDAY = "(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTHS = "['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']"
_END_SECONDS = 4_291_747_200  # 2106-01-01, the first second a Resource<TM> cannot hold

#: each format: its whole-string pattern and the name of each group; a field read by two
#: alternatives has a group in each, of which one is empty, so joining them gives it
_ISO = (r"^(\d{4})(?:-(\d\d)-(\d\d)|(\d\d)(\d\d))(?:[Tt ](\d\d)(?::(\d\d)(?::(\d\d)"
        r"(?:\.(\d+))?)?|(\d\d)(\d\d)?)(?:" + _WS + r"?([+-])(\d\d):?(\d\d)?|[Zz])?)?$",
        ["y", "mo", "d", "mo", "d", "h", "mi", "s", "f", "mi", "s", "sign", "oh", "om"])
_RFC822 = ("^" + _WS + "*(?:" + _WKDAY + ",)?" + _WS + r"*(\d\d?)" + _WS + "+([A-Za-z]{3})"
           + _WS + r"+(\d\d(?:\d\d)?)" + _WS + r"+(\d\d):(\d\d)(?::(\d\d))?" + _WS
           + r"+(UT|GMT|[ECMP][SD]T|[A-IK-Za-ik-z]|[+-]\d{4})" + _WS + "*$",
           ["d", "mon", "y", "h", "mi", "s", "zone"])
_TIME = r"(\d\d):(\d\d):(\d\d)"
_HTTP = ("^(?:" + _WKDAY + r", (\d\d) ([A-Za-z]{3}) (\d{4}) " + _TIME + " (?i:gmt)|"
         + _WEEKDAY + r", (\d\d)-([A-Za-z]{3})-(\d\d) " + _TIME + " (?i:gmt)|"
         + _WKDAY + r" ([A-Za-z]{3}) (\d\d| \d) " + _TIME + r" (\d{4}))$",
         ["d", "mon", "y", "h", "mi", "s"] * 2 + ["mon", "d", "h", "mi", "s", "y"])
_X509 = (r"^(?:(\d\d)|(\d{4}))(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$",
         ["yy", "y", "mo", "d", "h", "mi", "s"])


def _fields(form: tuple[str, list[str]]) -> str:
    """SQL of a struct `m` (the groups g1, g2... of a match of `form`) as a struct of each
    field's text: the groups of one name joined (those not read are '')."""
    joined: dict[str, list[str]] = {}
    for index, name in enumerate(form[1], start=1):
        joined.setdefault(name, []).append(f"struct_extract(m, 'g{index}')")
    return "struct_pack(" + ", ".join(f"{name} := {' || '.join(parts)}"
                                      for name, parts in joined.items()) + ")"


def _number(field: str) -> str:
    return f"CAST(coalesce(nullif(trim(struct_extract(f, '{field}')), ''), '0') AS BIGINT)"


def _month(field: str) -> str:
    """A month's digits, or its 3-letter name in any case (0, no month, for another)."""
    text = f"struct_extract(f, '{field}')"
    return (f"coalesce(CASE WHEN regexp_full_match({text}, '[0-9]+') THEN CAST({text} AS "
            f"BIGINT) ELSE list_position({_MONTHS}, lower({text})) END, 0)")


def _numbers(year: str, month: str, zone: str, micros: str = "0") -> str:
    """SQL of a struct `f` of a match's texts as the numbers yql_util_instant takes; `ok`
    is false where the string did not match (its day, always read, is '')."""
    return (f"struct_pack(ok := coalesce(struct_extract(f, 'd'), '') <> '', y := {year}, "
            f"mo := {_month(month)}, d := {_number('d')}, h := {_number('h')}, "
            f"mi := {_number('mi')}, s := {_number('s')}, us := {micros}, off := {zone})")


_LOOSE = f"yql_util_loose_year({_number('y')})"
_MICROS = "CAST(rpad(left(struct_extract(f, 'f'), 6), 6, '0') AS BIGINT)"
_ISO_ZONE = (f"CASE WHEN struct_extract(f, 'sign') = '-' THEN -1 ELSE 1 END * "
             f"({_number('oh')} * 60 + {_number('om')})")
_X509_YEAR = (f"CASE WHEN struct_extract(f, 'yy') = '' THEN {_number('y')} "
              f"WHEN {_number('yy')} < 50 THEN {_number('yy')} + 2000 "
              f"ELSE {_number('yy')} + 1900 END")
_FORMATS = {
    "yql_parse_iso8601": (_ISO, _numbers(_LOOSE, "mo", _ISO_ZONE, _MICROS)),
    "yql_parse_rfc822": (_RFC822, _numbers(
        _LOOSE, "mon", "yql_util_rfc822_zone(struct_extract(f, 'zone'))")),
    "yql_parse_http": (_HTTP, _numbers(_LOOSE, "mon", "0")),
    "yql_parse_x509": (_X509, _numbers(_X509_YEAR, "mo", "0")),
}


def _bound(value: str, name: str, body: str, arrow: bool) -> str:
    """`body` with `name` bound to `value`, computed once (a macro's parameter is put in
    wherever it is used, and these are used many times): a lambda over a list of one.
    DuckDB from 1.3 writes a lambda `lambda x: ...`; before, `x -> ...`."""
    function = f"{name} -> {body}" if arrow else f"lambda {name}: {body}"
    return f"list_transform([{value}], {function})[1]"


def parse_macros(arrow: bool) -> tuple[str, ...]:
    """The macros of the four parsers (yql_semantics.connect defines them), their lambdas
    written `x -> ...` if `arrow`."""
    instant = ("yql_util_instant(struct_extract(n, 'y'), struct_extract(n, 'mo'), "
               "struct_extract(n, 'd'), struct_extract(n, 'h'), struct_extract(n, 'mi'), "
               "struct_extract(n, 's'), struct_extract(n, 'us'), struct_extract(n, 'off'))")
    parsers = []
    for name, (form, numbers) in _FORMATS.items():
        pattern, groups = form
        keys = ", ".join(f"'g{index}'" for index in range(1, len(groups) + 1))
        matched = f"regexp_extract(t, '{pattern}', [{keys}])"
        texts = _bound(matched, "m", _fields(form), arrow)
        parsed = _bound(_bound(texts, "f", numbers, arrow), "n",
                        f"CASE WHEN struct_extract(n, 'ok') THEN {instant} END", arrow)
        parsers.append(f"CREATE OR REPLACE MACRO {name}(t) AS {parsed}")
    return (*_UTIL_MACROS, *parsers)


#: what the parsers share
_UTIL_MACROS = (
    # TDateTimeFields::SetLooseYear
    "CREATE OR REPLACE MACRO yql_util_loose_year(y) AS CASE WHEN y < 60 THEN y + 2000 "
    "WHEN y < 160 THEN y + 1900 ELSE y END",
    # ToTimeT: TimeGM's seconds less the offset; -1 is TimeGM's failure
    "CREATE OR REPLACE MACRO yql_util_seconds(local, off, us) AS CASE WHEN local = -1 "
    f"OR local - off * 60 < 0 OR local - off * 60 >= {_END_SECONDS} THEN NULL "
    "ELSE make_timestamp((local - off * 60) * 1000000 + us) END",
    # TDateTimeFields::IsOk, then ToTimeT (TimeGM less the offset) and the UDF's bound;
    # make_date sees a month in 1-12 only, so that it never fails
    "CREATE OR REPLACE MACRO yql_util_instant(y, mo, d, h, mi, s, us, off) AS CASE "
    "WHEN y < 1970 OR mo < 1 OR mo > 12 OR h > 23 OR mi > 59 OR s > 60 THEN NULL "
    "WHEN d > day(last_day(make_date(y, least(greatest(mo, 1), 12), 1))) THEN NULL "
    "ELSE yql_util_seconds((make_date(y, least(greatest(mo, 1), 12), 1) - DATE '1970-01-01') "
    "* 86400 + (d - 1) * 86400 + h * 3600 + mi * 60 + s, off, us) END",
    # RFC 822's zone as minutes east of GMT (parser.rl6's zone, mil_zone, digit_offset)
    "CREATE OR REPLACE MACRO yql_util_rfc822_zone(z) AS CASE "
    "WHEN z IN ('UT', 'GMT') OR upper(z) = 'Z' THEN 0 "
    "WHEN z = 'EDT' THEN -240 WHEN z IN ('EST', 'CDT') THEN -300 "
    "WHEN z IN ('CST', 'MDT') THEN -360 WHEN z IN ('MST', 'PDT') THEN -420 "
    "WHEN z = 'PST' THEN -480 "
    "WHEN z[1] IN ('+', '-') THEN CASE WHEN z[1] = '-' THEN -1 ELSE 1 END * "
    "(CAST(z[2:3] AS BIGINT) * 60 + CAST(z[4:5] AS BIGINT)) "
    "WHEN position(upper(z) IN 'ABCDEFGHIKLM') > 0 "
    "THEN position(upper(z) IN 'ABCDEFGHIKLM') * 60 "
    "ELSE -60 * position(upper(z) IN 'NOPQRSTUVWXY') END",
)


def _call(macro: str) -> Rewrite:
    def rewrite(args: list[str], _: dict[str, str]) -> str:
        return f"{macro}({args[0]})"
    return rewrite


PARSERS: Functions = {
    "ParseIso8601": (_call("yql_parse_iso8601"), 1, 1, ()),
    "ParseRfc822": (_call("yql_parse_rfc822"), 1, 1, ()),
    "ParseHttp": (_call("yql_parse_http"), 1, 1, ()),
    "ParseX509": (_call("yql_parse_x509"), 1, 1, ()),
}
