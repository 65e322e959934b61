"""YQL's DateTime module (`DateTime::Function(...)`) as DuckDB SQL, for dev mode and the fake
query tracker alike (registered in yql_udfs).

What each function gives is YQL's own: the module's page (yql/essentials/docs/en/udf/list/
datetime.md in ydb-platform/ydb), its source (yql/essentials/udfs/common/datetime2/
datetime_udf.cpp) and its canonical tests (test/cases/*.sql there, with test/canondata/
*/results.txt). In particular:

- The functions taking a `Resource<TM>` (Get..., StartOf..., Shift..., Make..., Format) take a
  Date, Datetime or Timestamp too, split on the way (the page's "implicit Split"). A
  Resource<TM> is kept here as a TIMESTAMP: its components in UTC, the only time zone dev
  has; Make... reads them back as a Date (the day), a Datetime (whole seconds) or a
  Timestamp.
- A Resource<TM> holds 1970-01-01 to 2105-12-31 only: StartOf... and Shift... give NULL for
  a result out of that range (StartOfWeek of 1970-01-01 is NULL, the page's example);
  Shift... keeps the time and moves a day past the month's end to its last day.
- The week starts on Monday: GetDayOfWeek is 1 (Monday) to 7, GetWeekOfYear counts weeks
  from the one holding January 1 (week 1), GetWeekOfYearIso8601 is ISO's (test_Get_).
- Format's specifiers are %% %Y %m %d %H %M %S %z %Z %b %B; %S adds the microseconds, their
  trailing zeros cut, when there are some (all six digits with AlwaysWriteFractionalSeconds);
  %z is +0000 and %Z GMT in UTC; any other is an error, as a lone % at the end (TFormat).
- Parse's specifiers are %% %Y (4 digits) %m %d %H %M (2 digits) %S (2 digits, then `.` and
  up to 6 digits of microseconds, the rest skipped) %b (3 letters) %B, month names in any
  case; the whole string must match, a field left out is 1970-01-01 00:00:00's, and a string
  that does not parse or names no real day gives NULL (TParse).
- From... give NULL past 2105-12-31 (the page); To... give Uint32 seconds, Uint64
  milliseconds and microseconds, cutting the rest (TToUnits).
"""

from __future__ import annotations

from collections.abc import Callable

from yt_pipeline.errors import QueryFailed

Rewrite = Callable[[list[str], dict[str, str]], str]

#: the first moment a Resource<TM> cannot hold (the first day of the year 2106)
_END = "TIMESTAMP '2106-01-01 00:00:00'"
_END_US = 4_291_747_200_000_000
_MONTHS = ("'january'", "'february'", "'march'", "'april'", "'may'", "'june'", "'july'",
           "'august'", "'september'", "'october'", "'november'", "'december'")


def _tm(value: str) -> str:
    """A date or time as the Resource<TM> holding its components (a TIMESTAMP)."""
    return f"CAST(({value}) AS TIMESTAMP)"


def _in_range(tm: str) -> str:
    """`tm`, or NULL when a Resource<TM> cannot hold it."""
    return (f"(CASE WHEN {tm} >= TIMESTAMP '1970-01-01' AND {tm} < {_END} THEN {tm} "
            "ELSE NULL END)")


def _one(template: str) -> Rewrite:
    def rewrite(args: list[str], _: dict[str, str]) -> str:
        return template.format(tm=_tm(args[0]), value=args[0])
    return rewrite


def _micros(tm: str) -> str:
    """The microseconds of `tm`'s second."""
    return f"(epoch_us({tm}) % 1000000)"


def _week_of_year(args: list[str], _: dict[str, str]) -> str:
    tm = _tm(args[0])
    # January 1 is in week 1, each week from Monday (isodow 1)
    return (f"CAST((dayofyear({tm}) + isodow(date_trunc('year', {tm})) - 2) // 7 + 1 "
            "AS UTINYINT)")


def _from_units(per_unit: int) -> Rewrite:
    """FromSeconds/-Milliseconds/-Microseconds: a Timestamp, NULL past its range."""
    def rewrite(args: list[str], _: dict[str, str]) -> str:
        count = f"CAST(({args[0]}) AS HUGEINT)"
        return (f"CASE WHEN {count} < 0 OR {count} * {per_unit} >= {_END_US} THEN NULL "
                f"ELSE make_timestamp(CAST({count} * {per_unit} AS BIGINT)) END")
    return rewrite


def _to_units(per_unit: int, kind: str) -> Rewrite:
    def rewrite(args: list[str], _: dict[str, str]) -> str:
        return f"CAST(epoch_us({_tm(args[0])}) // {per_unit} AS {kind})"
    return rewrite


def _start_of(part: str) -> Rewrite:
    def rewrite(args: list[str], _: dict[str, str]) -> str:
        return _in_range(f"date_trunc('{part}', {_tm(args[0])})")
    return rewrite


def _shift(unit: str) -> Rewrite:
    def rewrite(args: list[str], _: dict[str, str]) -> str:
        # DuckDB's month arithmetic keeps the time and moves a day past the month's end
        # to its last day, as DoAddMonths
        by = f"CAST(({args[1]}) AS INTEGER)"
        return _in_range(f"({_tm(args[0])} + to_months({by}{unit}))")
    return rewrite


#: name -> (rewrite, least, most arguments, named arguments)
DATETIME: dict[str, tuple[Rewrite, int, int, tuple[str, ...]]] = {
    "Split": (_one("{tm}"), 1, 1, ()),
    "MakeDate": (_one("CAST({tm} AS DATE)"), 1, 1, ()),
    "MakeDatetime": (_one("CAST(date_trunc('second', {tm}) AS TIMESTAMP_S)"), 1, 1, ()),
    "MakeTimestamp": (_one("{tm}"), 1, 1, ()),
    "GetYear": (_one("CAST(year({tm}) AS USMALLINT)"), 1, 1, ()),
    "GetDayOfYear": (_one("CAST(dayofyear({tm}) AS USMALLINT)"), 1, 1, ()),
    "GetMonth": (_one("CAST(month({tm}) AS UTINYINT)"), 1, 1, ()),
    "GetMonthName": (_one("monthname({tm})"), 1, 1, ()),
    "GetWeekOfYear": (_week_of_year, 1, 1, ()),
    "GetWeekOfYearIso8601": (_one("CAST(weekofyear({tm}) AS UTINYINT)"), 1, 1, ()),
    "GetDayOfMonth": (_one("CAST(day({tm}) AS UTINYINT)"), 1, 1, ()),
    "GetDayOfWeek": (_one("CAST(isodow({tm}) AS UTINYINT)"), 1, 1, ()),
    "GetDayOfWeekName": (_one("dayname({tm})"), 1, 1, ()),
    "GetHour": (_one("CAST(hour({tm}) AS UTINYINT)"), 1, 1, ()),
    "GetMinute": (_one("CAST(minute({tm}) AS UTINYINT)"), 1, 1, ()),
    "GetSecond": (_one("CAST(second({tm}) AS UTINYINT)"), 1, 1, ()),
    "GetMillisecondOfSecond": (_one("CAST((epoch_us({tm}) % 1000000) // 1000 AS UINTEGER)"),
                               1, 1, ()),
    "GetMicrosecondOfSecond": (_one("CAST(epoch_us({tm}) % 1000000 AS UINTEGER)"), 1, 1, ()),
    "GetTimezoneId": (_one("CASE WHEN ({value}) IS NULL THEN NULL ELSE CAST(0 AS USMALLINT) "
                           "END"), 1, 1, ()),
    "GetTimezoneName": (_one("CASE WHEN ({value}) IS NULL THEN NULL ELSE 'GMT' END"), 1, 1, ()),
    "FromSeconds": (_from_units(1_000_000), 1, 1, ()),
    "FromMilliseconds": (_from_units(1_000), 1, 1, ()),
    "FromMicroseconds": (_from_units(1), 1, 1, ()),
    "ToSeconds": (_to_units(1_000_000, "UINTEGER"), 1, 1, ()),
    "ToMilliseconds": (_to_units(1_000, "UBIGINT"), 1, 1, ()),
    "ToMicroseconds": (_to_units(1, "UBIGINT"), 1, 1, ()),
    "StartOfYear": (_start_of("year"), 1, 1, ()),
    "StartOfQuarter": (_start_of("quarter"), 1, 1, ()),
    "StartOfMonth": (_start_of("month"), 1, 1, ()),
    "StartOfWeek": (_start_of("week"), 1, 1, ()),
    "StartOfDay": (_start_of("day"), 1, 1, ()),
    "ShiftYears": (_shift(" * 12"), 2, 2, ()),
    "ShiftQuarters": (_shift(" * 3"), 2, 2, ()),
    "ShiftMonths": (_shift(""), 2, 2, ()),
}


# -- Format(format)(value) and Parse(format)(string) ---------------------------------------

def _format(args: list[str], named: dict[str, str]) -> str:
    form, value = args[0], args[1]
    always = named.get("AlwaysWriteFractionalSeconds", "false")
    tm = _tm(value)
    micros = f"lpad(CAST({_micros(tm)} AS VARCHAR), 6, '0')"
    seconds = (f"strftime({tm}, '%S') || CASE WHEN COALESCE({always}, false) THEN '.' || "
               f"{micros} WHEN {_micros(tm)} <> 0 THEN '.' || rtrim({micros}, '0') "
               "ELSE '' END")
    # each value holds no %, so none is read as a specifier after it is put in; %% is
    # put aside (as \x01) first, so that %%Y stays %Y
    text = f"replace({form}, '%%', chr(1))"
    for spec, sql in (("Y", f"CAST(year({tm}) AS VARCHAR)"), ("m", f"strftime({tm}, '%m')"),
                      ("d", f"strftime({tm}, '%d')"), ("H", f"strftime({tm}, '%H')"),
                      ("M", f"strftime({tm}, '%M')"), ("S", seconds), ("z", "'+0000'"),
                      ("Z", "'GMT'"), ("b", f"strftime({tm}, '%b')"),
                      ("B", f"strftime({tm}, '%B')")):
        text = f"replace({text}, '%{spec}', {sql})"
    checked = f"replace({form}, '%%', '')"
    return (f"CASE WHEN {_format_error(checked, 'Format', 'YmdHMSzZbB')} "
            f"WHEN ({value}) IS NULL THEN NULL ELSE replace({text}, chr(1), '%') END")


def _format_error(form: str, function: str, specs: str) -> str:
    """A CASE's condition and result: the error YQL gives for `form`'s bad specifier."""
    return (f"ends_with({form}, '%') THEN error('YQL: DateTime::{function}: format string "
            f"ends with single %') WHEN regexp_matches({form}, '%[^{specs}]') THEN "
            f"error('YQL: DateTime::{function}: invalid format character: ' || "
            f"regexp_extract({form}, '%([^{specs}])', 1))")


#: what Parse reads for each specifier (TParse's scanners), as a group capturing it
_READS = {"Y": r"(\d{4})", "m": r"(\d{2})", "d": r"(\d{2})", "H": r"(\d{2})",
          "M": r"(\d{2})", "S": r"(\d{2})(?:\.(\d{0,6})\d*)?", "b": "([A-Za-z]{3})",
          "B": "([A-Za-z]*)"}


def _pattern(form: str, captured: str = "") -> str:
    """SQL giving the regular expression a string `form` parses must match, capturing the
    fields of the specifier `captured` only."""
    text = f"regexp_escape(replace({form}, '%%', chr(1)))"
    for spec, reads in _READS.items():
        if spec != captured:
            reads = reads.replace("(\\d", "(?:\\d").replace("([", "(?:[")
        text = f"replace({text}, '\\%{spec}', '{reads}')"
    if not captured:
        return f"('^' || replace({text}, chr(1), '%') || '$')"
    # the empty groups after it stand for those of a specifier the format does not hold
    return f"('^' || replace({text}, chr(1), '%') || '$|()()')"


def _parse(args: list[str], _: dict[str, str]) -> str:
    form, text = args[0], args[1]

    def field(spec: str, group: int = 1) -> str:
        return f"regexp_extract({text}, {_pattern(form, spec)}, {group})"

    def number(spec: str, default: int) -> str:
        found = field(spec)
        return f"(CASE WHEN {found} = '' THEN {default} ELSE CAST({found} AS INTEGER) END)"

    def month_name(spec: str) -> str:
        return f"list_position([{', '.join(_MONTHS)}], lower({field(spec)}))"

    short = f"list_position([{', '.join(m[:4] + chr(39) for m in _MONTHS)}], lower({field('b')}))"
    month = (f"(CASE WHEN {field('m')} <> '' THEN CAST({field('m')} AS INTEGER) "
             f"WHEN {field('b')} <> '' THEN COALESCE({short}, 0) "
             f"WHEN regexp_matches(replace({form}, '%%', ''), '%B') THEN COALESCE({month_name('B')}, 0) "
             "ELSE 1 END)")
    year, day = number("Y", 1970), number("d", 1)
    hour, minute, second = number("H", 0), number("M", 0), number("S", 0)
    fraction = field("S", 2)
    micros = f"CAST(rpad({fraction}, 6, '0') AS INTEGER)"
    # make_date fails for a month out of range: it is only asked for real months
    last_day = (f"(CASE WHEN {month} BETWEEN 1 AND 12 THEN "
                f"day(last_day(make_date({year}, {month}, 1))) ELSE 0 END)")
    valid = (f"{year} BETWEEN 1970 AND 2105 AND {day} BETWEEN 1 AND {last_day} "
             f"AND {hour} < 24 AND {minute} < 60 AND {second} < 60")
    value = (f"make_timestamp({year}, {month}, {day}, {hour}, {minute}, {second}) + "
             f"to_microseconds({micros})")
    checked = f"replace({form}, '%%', '')"
    return (f"CASE WHEN regexp_matches({checked}, '%Z') THEN error('YQL: DateTime::Parse "
            "with %Z (a time zone) is not supported in dev mode, which has UTC only') "
            f"WHEN {_format_error(checked, 'Parse', 'YmdHMSbB')} "
            f"WHEN regexp_matches({checked}, '%S\\.|%B[A-Za-z]') THEN error('YQL: "
            "DateTime::Parse with a . after %S or a letter after %B is not supported in "
            "dev mode') "
            f"WHEN NOT regexp_full_match({text}, {_pattern(form)}) THEN NULL "
            f"WHEN {valid} THEN {value} ELSE NULL END")


#: the functions made of a format, called on the value next: name -> (rewrite of the
#: format and the value, named arguments of the format's call)
DATETIME_CURRIED: dict[str, tuple[Rewrite, tuple[str, ...]]] = {
    "Format": (_format, ("AlwaysWriteFractionalSeconds",)),
    "Parse": (_parse, ()),
}


def curried_call(text: str, start: int, end: int, function: str, factory,
                 closing, split_arguments) -> tuple[int, str, int]:
    """`DateTime::Format(format)(value)`, or `(DateTime::Format(format))(value)` once a
    named expression `$f` is put in: where the call starts, its SQL, where it stops."""
    rewrite, names = DATETIME_CURRIED[function]
    name = f"DateTime::{function}"
    form = factory.take(1, 1, names)[0]
    after = _skip_space(text, end + 1)
    before = start - 1
    while before >= 0 and text[before].isspace():
        before -= 1
    if after < len(text) and text[after] == ")" and before >= 0 and text[before] == "(":
        start, after = before, _skip_space(text, after + 1)  # the parenthesized form
    if after >= len(text) or text[after] != "(":
        raise QueryFailed(f"YQL: {name}(format) makes a function: call it on a value, "
                          f"{name}(format)(value), or name it ($f = {name}(...);) and call $f")
    call_end = closing(text, after)
    value = type(factory)(name, split_arguments(text[after + 1:call_end])).take(1, 1)[0]
    return start, f"({rewrite([form, value], factory.named)})", call_end + 1


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at
