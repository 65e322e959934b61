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
- An Interval is DuckDB's INTERVAL: IntervalFrom... give NULL outside an Interval's range
  (Validate<TInterval>); ToDays/-Hours/-Minutes of one are Int32 (TToConverter), ToSeconds
  and the others Int64 (TToUnits' TSignedResult), all cut toward zero.
- ParseIso8601, ParseRfc822, ParseHttp and ParseX509 are yql_udf_parse's.
- A value of another type (a String, a number) is an error naming the function, as YQL's
  type check; Parse with %Z (a time zone), and where its scanner reads on and a regular
  expression would step back (a `.` or digit after %S, a letter after %B), is refused.

The SQL written here nests (MakeDate(StartOfMonth(x))), so each function writes its
argument as few times as it can.
"""

from __future__ import annotations

from collections.abc import Callable

from yt_pipeline.yql_udf_calls import Call, Functions, Rewrite, applied_call
from yt_pipeline.yql_udf_parse import PARSERS

#: the first moment a Resource<TM> cannot hold (the first day of the year 2106)
_END = "TIMESTAMP '2106-01-01 00:00:00'"
_END_US = 4_291_747_200_000_000
#: the last moment before the first a Resource<TM> holds
_BEFORE = "TIMESTAMP '1969-12-31 23:59:59.999999'"
_MONTHS = ("'january'", "'february'", "'march'", "'april'", "'may'", "'june'", "'july'",
           "'august'", "'september'", "'october'", "'november'", "'december'")


def _tm(value: str) -> str:
    """A date or time as the Resource<TM> holding its components (a TIMESTAMP)."""
    return f"CAST(({value}) AS TIMESTAMP)"


def _time_value(name: str, value: str, also: str = "") -> str:
    """`value` as a TIMESTAMP when it is a Date, Datetime, Timestamp (or a Resource<TM>),
    else the error YQL's type check gives, naming the function (DeclareSignature's
    "Invalid argument type"). TRY_CAST binds from any type; the branch is chosen by the
    type, known when DuckDB binds. `value` is written twice only: the calls nest."""
    also = f", {also}" if also else ""  # a type taken elsewhere, not an error here
    return (f"(CASE WHEN typeof({value}) IN ('DATE', 'TIMESTAMP_S', 'TIMESTAMP', '\"NULL\"'"
            f"{also}) "
            f"THEN TRY_CAST(({value}) AS TIMESTAMP) ELSE error('YQL: DateTime::{name} takes "
            "a Date, Datetime or Timestamp (or what DateTime::Split gives), not a value of "
            "another type') END)")


def _typed(name: str, rewrite: Rewrite, at: int = 0) -> Rewrite:
    """`rewrite` taking its argument `at` through `_time_value`."""
    def run(args: list[str], named: dict[str, str]) -> str:
        args = list(args)
        args[at] = _time_value(name, args[at])
        return rewrite(args, named)
    return run


def _in_range(tm: str) -> str:
    """`tm`, or NULL when a Resource<TM> cannot hold it. `tm` is written once (it may be
    long, and nest in another): a time out of the range is first moved to one of its two
    edges, which no time in the range is."""
    return (f"nullif(nullif(least(greatest({tm}, {_BEFORE}), {_END}), {_BEFORE}), {_END})")


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


#: an Interval's bound (Validate<TInterval>: less than MAX_TIMESTAMP either way)
_INTERVAL_US = 4_291_747_200_000_000
_TWO_63, _TWO_64 = 2 ** 63, 2 ** 64


def _interval_from(per_unit: int) -> Rewrite:
    """IntervalFrom...: the count times the unit's microseconds, in an Int64 (wrapping
    around, as TFromConverter's multiplication does), NULL out of an Interval's range."""
    def rewrite(args: list[str], _: dict[str, str]) -> str:
        product = f"CAST(({args[0]}) AS HUGEINT) * {per_unit}"
        micros = (f"((({product} + {_TWO_63}) % {_TWO_64} + {_TWO_64}) % {_TWO_64} "
                  f"- {_TWO_63})")
        # NULL at the bounds and past them, the count named once (nested, named three
        # times, each level tripled the SQL DuckDB binds): clamped to the bounds, which
        # are then NULL, as a NULL count is (GREATEST passes it on as the bound)
        bound = f"LEAST(GREATEST({micros}, -{_INTERVAL_US}), {_INTERVAL_US})"
        inside = f"NULLIF(NULLIF({bound}, -{_INTERVAL_US}), {_INTERVAL_US})"
        return f"to_microseconds(CAST({inside} AS BIGINT))"
    return rewrite


def _interval_micros(name: str, value: str) -> str:
    """An Interval's microseconds, or the error YQL's type check gives for another type
    (SetIntervalExpectedError)."""
    return (f"(CASE WHEN typeof({value}) IN ('INTERVAL', '\"NULL\"') THEN "
            f"epoch_us(TRY_CAST(({value}) AS INTERVAL)) ELSE error('YQL: DateTime::{name} "
            "takes an Interval, not a value of another type') END)")


def _interval_to(name: str, per_unit: int) -> Rewrite:
    """ToDays/-Hours/-Minutes (TToConverter): an Int32, cut toward zero as C++ divides
    (DuckDB's // of integers does too)."""
    def rewrite(args: list[str], _: dict[str, str]) -> str:
        return f"CAST({_interval_micros(name, args[0])} // {per_unit} AS INTEGER)"
    return rewrite


def _to_units_of_any(name: str, per_unit: int, kind: str) -> Rewrite:
    """ToSeconds/-Milliseconds/-Microseconds of a time (`kind`, TToUnits' TResult) or of
    an Interval (an Int64, TSignedResult since YQL 2025.03). The type is the argument's:
    both are written, and struct_extract takes the one its type names, which DuckDB knows
    when it binds (a CASE would give both one type)."""
    def rewrite(args: list[str], _: dict[str, str]) -> str:
        value = args[0]
        time = _time_value(name, value, also="'INTERVAL'")
        of_time = f"CAST(epoch_us({time}) // {per_unit} AS {kind})"
        of_interval = f"CAST(epoch_us(TRY_CAST(({value}) AS INTERVAL)) // {per_unit} AS BIGINT)"
        return (f"struct_extract({{'time': {of_time}, 'interval': {of_interval}}}, CASE WHEN "
                f"typeof({value}) = 'INTERVAL' THEN 'interval' ELSE 'time' END)")
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
DATETIME: Functions = {
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

    "StartOfYear": (_start_of("year"), 1, 1, ()),
    "StartOfQuarter": (_start_of("quarter"), 1, 1, ()),
    "StartOfMonth": (_start_of("month"), 1, 1, ()),
    "StartOfWeek": (_start_of("week"), 1, 1, ()),
    "StartOfDay": (_start_of("day"), 1, 1, ()),
    "ShiftYears": (_shift(" * 12"), 2, 2, ()),
    "ShiftQuarters": (_shift(" * 3"), 2, 2, ()),
    "ShiftMonths": (_shift(""), 2, 2, ()),
}

for _name, (_rewrite, _least, _most, _names) in list(DATETIME.items()):
    if not _name.startswith("From"):  # From... take a count, the others a time
        DATETIME[_name] = (_typed(_name, _rewrite), _least, _most, _names)

# those taking a time or an Interval, or an Interval only, or a count, check their own
DATETIME.update({
    "ToSeconds": (_to_units_of_any("ToSeconds", 1_000_000, "UINTEGER"), 1, 1, ()),
    "ToMilliseconds": (_to_units_of_any("ToMilliseconds", 1_000, "UBIGINT"), 1, 1, ()),
    "ToMicroseconds": (_to_units_of_any("ToMicroseconds", 1, "UBIGINT"), 1, 1, ()),
    "ToDays": (_interval_to("ToDays", 86_400_000_000), 1, 1, ()),
    "ToHours": (_interval_to("ToHours", 3_600_000_000), 1, 1, ()),
    "ToMinutes": (_interval_to("ToMinutes", 60_000_000), 1, 1, ()),
    "IntervalFromDays": (_interval_from(86_400_000_000), 1, 1, ()),
    "IntervalFromHours": (_interval_from(3_600_000_000), 1, 1, ()),
    "IntervalFromMinutes": (_interval_from(60_000_000), 1, 1, ()),
    "IntervalFromSeconds": (_interval_from(1_000_000), 1, 1, ()),
    "IntervalFromMilliseconds": (_interval_from(1_000), 1, 1, ()),
    "IntervalFromMicroseconds": (_interval_from(1), 1, 1, ()),
    **PARSERS,  # yql_udf_parse: they take a string
})


# -- Format(format)(value) and Parse(format)(string) ---------------------------------------

def _format(args: list[str], named: dict[str, str]) -> str:
    form, value = args[0], args[1]
    always = named.get("AlwaysWriteFractionalSeconds", "false")
    tm = _tm(value)
    # all six digits, or (YQL's default) none of their trailing zeros and no `.` for none;
    # the value is written once in each expression, which nest
    digits = f"'.' || lpad(CAST({_micros(tm)} AS VARCHAR), 6, '0')"
    fraction = (f"regexp_replace({digits}, CASE WHEN COALESCE({always}, false) THEN '$^' "
                "ELSE '[.]?0*$' END, '')")
    checked = f"replace({form}, '%%', '')"
    failing = _format_error(checked, "Format", "YmdHMSzZbB")
    # DuckDB's strftime writes %Y %m %d %H %M %S %b %B as YQL does (in 1970-2105, in
    # English); its format must be known when it binds, so %S is marked (\x03) for the
    # fraction of each value to be put in after; %% is put aside (\x01) meanwhile, so that
    # %%z stays %z. A bad format gives an empty one here: the error is raised by the CASE.
    # strftime refuses an empty format, YQL writes "": a `.` is put first and cut after.
    strftime_form = (f"CASE WHEN ends_with({checked}, '%') OR regexp_matches({checked}, "
                     f"'%[^YmdHMSzZbB]') THEN '' ELSE replace(replace(replace(replace("
                     f"replace({form}, '%%', chr(1)), '%z', '+0000'), '%Z', 'GMT'), '%S', "
                     "'%S' || chr(3)), chr(1), '%%') END")
    return (f"CASE WHEN {failing} "
            f"ELSE replace(substr(strftime({tm}, '.' || {strftime_form}), 2), chr(3), "
            f"{fraction}) END")


def _format_error(form: str, function: str, specs: str) -> str:
    """A CASE's condition and result: the error YQL gives for `form`'s bad specifier."""
    return (f"ends_with({form}, '%') THEN error('YQL: DateTime::{function}: format string "
            f"ends with single %') WHEN regexp_matches({form}, '%[^{specs}]') THEN "
            f"error('YQL: DateTime::{function}: invalid format character: ' || "
            f"regexp_extract({form}, '%([^{specs}])', 1))")


#: what Parse reads for each specifier, as a group capturing it: TParse's scanners read a
#: fixed count of digits, then check the range (ValidateMonth, ValidateHour...), which the
#: group checks here; %S's `.` and up to 6 digits of microseconds (the rest skipped) are a
#: second group
_READS = {"Y": r"(\d{4})", "m": "(0[1-9]|1[0-2])", "d": r"(0[1-9]|[12]\d|3[01])",
          "H": r"([01]\d|2[0-3])", "M": r"([0-5]\d)", "S": r"([0-5]\d)(?:\.(\d{0,6})\d*)?",
          "b": "([A-Za-z]{3})", "B": "([A-Za-z]+)"}
#: the specifiers after which a scanner reads on where a regular expression would step
#: back: after %S a `.` or a digit, after %B a letter
_GREEDY = r"%S([.0-9]|%[YmdHMS])|%B([A-Za-z]|%[bB])"


def _pattern(form: str, captured: str = "") -> str:
    """SQL giving the regular expression a string `form` parses must match, capturing the
    fields of the specifier `captured` only."""
    text = f"regexp_escape(replace({form}, '%%', chr(1)))"
    for spec, reads in _READS.items():
        if spec != captured:
            reads = reads.replace("(", "(?:").replace("(?:?:", "(?:")
        text = f"replace({text}, '\\%{spec}', '{reads}')"
    if not captured:
        return f"('^' || replace({text}, chr(1), '%') || '$')"
    # the empty groups after it stand for those of a specifier the format does not hold
    return f"('^' || replace({text}, chr(1), '%') || '$|()()')"


def _month_of_name(name: str, names: tuple[str, ...]) -> str:
    """SQL giving the 2 digits of the month `name` (any case) is, NULL for no name ('')
    and 'xx' (no month) for a wrong one."""
    numbers = ", ".join(f"'{number:02}'" for number in range(1, 13))
    return (f"nullif(coalesce([{numbers}, 'none'][list_position([{', '.join(names)}, ''], "
            f"lower({name}))], 'xx'), 'none')")


def _parse(args: list[str], _: dict[str, str]) -> str:
    form, text = args[0], args[1]

    def field(spec: str, default: str, group: int = 1) -> str:
        """The digits read for `spec`, or `default` when the format has no `spec`."""
        found = f"regexp_extract({text}, {_pattern(form, spec)}, {group})"
        return f"coalesce(nullif({found}, ''), '{default}')"

    def read(spec: str) -> str:
        return f"regexp_extract({text}, {_pattern(form, spec)}, 1)"

    short = tuple(name[:4] + "'" for name in _MONTHS)
    month = (f"coalesce(nullif({read('m')}, ''), {_month_of_name(read('b'), short)}, "
             f"{_month_of_name(read('B'), _MONTHS)}, '01')")
    # the text of the moment read, or of none (Feb 30): DuckDB's cast checks the day
    moment = (f"TRY_CAST({field('Y', '1970')} || '-' || {month} || '-' || {field('d', '01')} "
              f"|| ' ' || {field('H', '00')} || ':' || {field('M', '00')} || ':' || "
              f"{field('S', '00')} || '.' || rpad({field('S', '0', 2)}, 6, '0') AS TIMESTAMP)")
    checked = f"replace({form}, '%%', '')"
    return (f"CASE WHEN regexp_matches({checked}, '%Z') THEN error('YQL: DateTime::Parse "
            "with %Z (a time zone) is not supported in dev mode, which has UTC only') "
            f"WHEN {_format_error(checked, 'Parse', 'YmdHMSbB')} "
            f"WHEN regexp_matches({checked}, '{_GREEDY}') THEN error('YQL: DateTime::Parse "
            "with a . or a digit after %S, or a letter after %B, is not supported in dev "
            "mode') "
            f"WHEN regexp_full_match({text}, {_pattern(form)}) THEN {_in_range(moment)} END")


#: the functions made of a format, called on the value next: name -> (rewrite of the
#: format and the value, named arguments of the format's call)
DATETIME_CURRIED: dict[str, tuple[Rewrite, tuple[str, ...]]] = {
    "Format": (_typed("Format", _format, at=1), ("AlwaysWriteFractionalSeconds",)),
    "Parse": (_parse, ()),
}


def curried_call(text: str, start: int, end: int, function: str, factory: Call,
                 closing: Callable[[str, int], int]) -> tuple[int, str, int]:
    """`DateTime::Format(format)(value)`, or `(DateTime::Format(format))(value)` once a
    named expression `$f` is put in: where the call starts, its SQL, where it stops."""
    rewrite, names = DATETIME_CURRIED[function]
    name = f"DateTime::{function}"
    form = factory.take(1, 1, names)[0]
    start, call, stop = applied_call(text, start, end, closing, name, "format", "a value")
    value = call.take(1, 1)[0]
    return start, f"({rewrite([form, value], factory.named)})", stop
