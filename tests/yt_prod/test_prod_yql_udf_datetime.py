"""YQL's DateTime module gives YQL's values in dev and on the fake query tracker alike.

Each expected value is YQL's, from ydb-platform/ydb (the YQL that YTsaurus runs): the examples
of the module's page, yql/essentials/docs/en/udf/list/datetime.md ("Make...", "To...",
"StartOf...", "Shift...", "Format", "Parse", "Standard scenarios"); the canonical tests in
yql/essentials/udfs/common/datetime2/test/: Get.sql and canondata/test.test_Get_/results.txt
(the rows in GMT), Format.sql and test.test_Format_/results.txt, and
DateTimeInvalidSpecifierFail.sql; and where those say nothing, the module's source,
yql/essentials/udfs/common/datetime2/datetime_udf.cpp (TFormat: microseconds after %S with
their trailing zeros cut, AlwaysWriteFractionalSeconds, "format string ends with single %",
"invalid format character"; TParse: %S's fraction, month names in any case, NULL for a
string that does not match; TToUnits: what To... cut).
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake, fails_alike, same_rows

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

#: the moments of test_Get_'s rows in GMT, and NULL
MOMENTS = [{"i": 1, "t": "1970-01-02T14:08:00Z"}, {"i": 2, "t": "1970-02-01T17:03:00Z"},
           {"i": 3, "t": "1970-09-03T07:22:00Z"}, {"i": 4, "t": "1970-12-31T23:59:59.999999Z"},
           {"i": 5, "t": "1971-01-01T00:00:00Z"}, {"i": 6, "t": "1971-01-14T00:00:00Z"},
           {"i": 7, "t": "2018-12-01T01:02:03.456789Z"}, {"i": 8, "t": None}]


@pytest.fixture
def both(prod_client, tmp_path):
    return dev_and_fake(prod_client, tmp_path, {"//tmp/t": MOMENTS})


def test_get_gives_the_canonical_components(both):
    rows = same_rows(both, """
        SELECT
            DateTime::GetYear(ts) AS year, DateTime::GetDayOfYear(ts) AS doy,
            DateTime::GetMonth(ts) AS month, DateTime::GetMonthName(ts) AS month_name,
            DateTime::GetWeekOfYear(ts) AS week,
            DateTime::GetWeekOfYearIso8601(ts) AS iso_week,
            DateTime::GetDayOfMonth(ts) AS day, DateTime::GetDayOfWeek(ts) AS dow,
            DateTime::GetDayOfWeekName(ts) AS dow_name, DateTime::GetHour(ts) AS hour,
            DateTime::GetMinute(DateTime::Split(ts)) AS minute,
            DateTime::GetSecond(ts) AS second,
            DateTime::GetMillisecondOfSecond(ts) AS msec,
            DateTime::GetMicrosecondOfSecond(ts) AS usec,
            DateTime::GetTimezoneId(ts) AS tz, DateTime::GetTimezoneName(ts) AS tz_name
        FROM (SELECT i, CAST(t AS Timestamp) AS ts FROM `//tmp/t`) ORDER BY i""")
    names = ["year", "doy", "month", "month_name", "week", "iso_week", "day", "dow",
             "dow_name", "hour", "minute", "second", "msec", "usec", "tz", "tz_name"]
    assert [[row[name] for name in names] for row in rows] == [
        [1970, 2, 1, "January", 1, 1, 2, 5, "Friday", 14, 8, 0, 0, 0, 0, "GMT"],
        [1970, 32, 2, "February", 5, 5, 1, 7, "Sunday", 17, 3, 0, 0, 0, 0, "GMT"],
        [1970, 246, 9, "September", 36, 36, 3, 4, "Thursday", 7, 22, 0, 0, 0, 0, "GMT"],
        [1970, 365, 12, "December", 53, 53, 31, 4, "Thursday", 23, 59, 59, 999, 999999, 0,
         "GMT"],
        # the week holding January 1 is week 1; ISO's week 1 holds January 4
        [1971, 1, 1, "January", 1, 53, 1, 5, "Friday", 0, 0, 0, 0, 0, 0, "GMT"],
        [1971, 14, 1, "January", 3, 2, 14, 4, "Thursday", 0, 0, 0, 0, 0, 0, "GMT"],
        [2018, 335, 12, "December", 48, 48, 1, 6, "Saturday", 1, 2, 3, 456, 456789, 0, "GMT"],
        [None] * 16,
    ]


def test_format_gives_the_canonical_text(both):
    rows = same_rows(both, """
        $format = DateTime::Format("%% year %Y monthFullName %B monthShortName %b month %m day %d hours %H minutes %M seconds %S tz %z tzname %Z text");
        SELECT $format(CAST(t AS Timestamp)) AS text,
               DateTime::Format("%H:%M:%S", true AS AlwaysWriteFractionalSeconds)
                   (CAST(t AS Timestamp)) AS always,
               DateTime::Format("%Y%m%d %%Y")(CAST(CAST(t AS Timestamp) AS Date)) AS day
        FROM `//tmp/t` WHERE i IN (1, 7, 8) ORDER BY i""")
    assert rows == [
        {"text": "% year 1970 monthFullName January monthShortName Jan month 01 day 02 hours "
                 "14 minutes 08 seconds 00 tz +0000 tzname GMT text",
         "always": "14:08:00.000000", "day": "19700102 %Y"},
        {"text": "% year 2018 monthFullName December monthShortName Dec month 12 day 01 hours "
                 "01 minutes 02 seconds 03.456789 tz +0000 tzname GMT text",
         "always": "01:02:03.456789", "day": "20181201 %Y"},
        {"text": None, "always": None, "day": None},
    ]
    [row] = same_rows(both, """
        $date_format = DateTime::Format("%Y-%m-%d %H:%M:%S %Z");
        SELECT $date_format(DateTime::FromSeconds(1568592000)) AS page,
               DateTime::Format("%S")(CAST("2019-01-02T03:04:05.120000Z" AS Timestamp)) AS cut,
               DateTime::Format("%d %b")(DateTime::StartOfMonth(
                   CAST("2019-06-06T01:02:03Z" AS Datetime))) AS of_tm,
               DateTime::Format("")(CAST("2019-06-06" AS Date)) AS empty,
               DateTime::Format("%%z %%%z")(CAST("2019-06-06" AS Date)) AS percents""")
    # the fraction's trailing zeros are cut (TFormat: PrintNDigits<6, false>); an empty
    # format has no printers, and writes ""
    assert row == {"page": "2019-09-16 00:00:00 GMT", "cut": "05.12", "of_tm": "01 Jun",
                   "empty": "", "percents": "%z %+0000"}


def test_to_and_from_units(both):
    [row] = same_rows(both, """
        SELECT
            DateTime::FromSeconds(1546304523) AS from_seconds,
            DateTime::FromMilliseconds(1546304523456) AS from_ms,
            DateTime::FromMicroseconds(1546304523456789) AS from_us,
            DateTime::FromSeconds(4291747200) AS past_the_range,
            DateTime::ToMicroseconds(CAST("2019-01-01T01:02:03.456789Z" AS Timestamp)) AS us,
            DateTime::ToMilliseconds(CAST("2019-01-01T01:02:03.456789Z" AS Timestamp)) AS ms,
            DateTime::ToSeconds(CAST("2019-01-01T01:02:03.456789Z" AS Timestamp)) AS s,
            DateTime::ToSeconds(CAST("2019-09-16T00:00:00Z" AS Datetime)) AS md_ms1,
            DateTime::ToSeconds(CAST("2019-09-16" AS Date)) AS md_ms2,
            DateTime::ToSeconds(CAST(NULL AS Date)) AS none""")
    # a Timestamp comes back as its microseconds, as a cluster gives it (yql_times)
    assert row == {"from_seconds": 1546304523000000, "from_ms": 1546304523456000,
                   "from_us": 1546304523456789, "past_the_range": None,
                   "us": 1546304523456789, "ms": 1546304523456, "s": 1546304523,
                   "md_ms1": 1568592000, "md_ms2": 1568592000, "none": None}


def test_start_of_shift_and_make_give_the_pages_values(both):
    [row] = same_rows(both, """
        $tm1 = DateTime::Split(CAST("2019-01-31T01:01:01Z" AS Datetime));
        SELECT
            CAST(DateTime::MakeTimestamp(DateTime::Split(CAST("2019-01-01T15:30:00Z" AS Datetime))) AS String) AS make_ts,
            CAST(DateTime::MakeDate(CAST("2019-01-01T15:30:00Z" AS Datetime)) AS String) AS make_date,
            CAST(DateTime::MakeDatetime(CAST("2019-01-01T15:30:00.900000Z" AS Timestamp)) AS String) AS make_dt,
            CAST(DateTime::MakeDate(DateTime::StartOfYear(CAST("2019-06-06" AS Date))) AS String) AS year,
            CAST(DateTime::MakeDatetime(DateTime::StartOfQuarter(CAST("2019-06-06T01:02:03Z" AS Datetime))) AS String) AS quarter,
            CAST(DateTime::MakeDate(DateTime::StartOfMonth(CAST("2019-06-06T01:02:03.456789Z" AS Timestamp))) AS String) AS month,
            CAST(DateTime::MakeDate(DateTime::StartOfWeek(CAST("1970-01-01" AS Date))) AS String) AS week_before_1970,
            CAST(DateTime::MakeTimestamp(DateTime::StartOfWeek(CAST("2019-01-01" AS Date))) AS String) AS week,
            CAST(DateTime::MakeDatetime(DateTime::StartOfDay(CAST("2019-06-06T01:02:03Z" AS Datetime))) AS String) AS day,
            CAST(DateTime::MakeDatetime(DateTime::ShiftYears($tm1, 10)) AS String) AS years,
            CAST(DateTime::MakeDate(DateTime::ShiftYears($tm1, -10000)) AS String) AS years_out,
            CAST(DateTime::MakeDatetime(DateTime::ShiftQuarters($tm1, -3)) AS String) AS quarters,
            CAST(DateTime::MakeDatetime(DateTime::ShiftMonths($tm1, 1)) AS String) AS months,
            CAST(DateTime::MakeDatetime(DateTime::ShiftMonths($tm1, -35)) AS String) AS months_back,
            DateTime::MakeDate(DateTime::StartOfDay(CAST(NULL AS Date))) AS none""")
    assert row == {
        "make_ts": "2019-01-01T15:30:00Z", "make_date": "2019-01-01",
        # a Datetime holds whole seconds: the microseconds are left out, not rounded
        "make_dt": "2019-01-01T15:30:00Z",
        "year": "2019-01-01", "quarter": "2019-04-01T00:00:00Z", "month": "2019-06-01",
        "week_before_1970": None, "week": "2018-12-31T00:00:00Z",
        "day": "2019-06-06T00:00:00Z",
        "years": "2029-01-31T01:01:01Z", "years_out": None,
        "quarters": "2018-04-30T01:01:01Z", "months": "2019-02-28T01:01:01Z",
        "months_back": "2016-02-29T01:01:01Z", "none": None}


def test_parse_gives_the_pages_values_and_null_for_what_does_not_parse(both):
    [row] = same_rows(both, """
        $parse1 = DateTime::Parse("%H:%M:%S");
        $parse2 = DateTime::Parse("%S");
        $parse3 = DateTime::Parse("%m/%d/%Y");
        $date_parse = DateTime::Parse("%Y-%m-%d");
        $datetime_parse = DateTime::Parse("%Y-%m-%d %H:%M:%S");
        SELECT
            CAST(DateTime::MakeDatetime($parse1("01:02:03")) AS String) AS parse1,
            CAST(DateTime::MakeTimestamp($parse2("12.3456")) AS String) AS parse2,
            CAST(DateTime::MakeTimestamp($parse3("02/30/2000")) AS String) AS feb_30,
            CAST(DateTime::MakeDate($parse3("02/10/2000")) AS String) AS parse3,
            DateTime::ToSeconds(DateTime::MakeDatetime($date_parse("2019-09-16"))) AS md_ms3,
            DateTime::ToSeconds(DateTime::MakeDatetime($datetime_parse("2019-09-16 00:00:00"))) AS md_ms4,
            CAST(DateTime::MakeDate(DateTime::Parse("%d %b %Y")("05 mAr 2001")) AS String) AS short_name,
            CAST(DateTime::MakeDate(DateTime::Parse("%B %d, %Y")("MARCH 05, 2001")) AS String) AS full_name,
            CAST(DateTime::MakeTimestamp($parse2("12.12345678")) AS String) AS long_fraction,
            CAST(DateTime::MakeDate($date_parse("2019-9-16")) AS String) AS one_digit,
            CAST(DateTime::MakeDate($date_parse("2019-09-16 ")) AS String) AS trailing,
            CAST(DateTime::MakeDate($date_parse("1969-12-31")) AS String) AS before_1970,
            CAST(DateTime::MakeDate(DateTime::Parse("%Y-%m-%d%%")("2019-09-16%")) AS String) AS percent,
            CAST(DateTime::MakeDatetime(DateTime::Parse("%H")("24")) AS String) AS hour_24,
            CAST(DateTime::MakeDate(DateTime::Parse("%b %Y")("Foo 2001")) AS String) AS no_month,
            CAST(DateTime::MakeDate(DateTime::Parse("%B%Y")("2001")) AS String) AS no_name,
            CAST(DateTime::MakeDate($date_parse(NULL)) AS String) AS none""")
    assert row == {
        "parse1": "1970-01-01T01:02:03Z", "parse2": "1970-01-01T00:00:12.345600Z",
        "feb_30": None, "parse3": "2000-02-10", "md_ms3": 1568592000, "md_ms4": 1568592000,
        "short_name": "2001-03-05", "full_name": "2001-03-05",
        # at most 6 digits of microseconds are read, the rest skipped (TParse's %S)
        "long_fraction": "1970-01-01T00:00:12.123456Z",
        "one_digit": None, "trailing": None, "before_1970": None, "percent": "2019-09-16",
        # read, then out of range (ValidateHour, ValidateMonthShortName/FullName)
        "hour_24": None, "no_month": None, "no_name": None, "none": None}


@pytest.mark.parametrize("query, line", [
    ('SELECT DateTime::Format("%q")(CAST(t AS Timestamp)) FROM `//tmp/t`',
     "DateTime::Format: invalid format character: q"),
    ('SELECT DateTime::Format("%Y%")(CAST(t AS Timestamp)) FROM `//tmp/t`',
     "DateTime::Format: format string ends with single %"),
    ('SELECT DateTime::Parse("%Y %j")("2019 1") FROM `//tmp/t`',
     "DateTime::Parse: invalid format character: j"),
    ('SELECT DateTime::Parse("%Y %Z")("2019 GMT") FROM `//tmp/t`',
     "DateTime::Parse with %Z (a time zone) is not supported in dev mode"),
    ('SELECT DateTime::Parse("%S.%Y")("12.2019") FROM `//tmp/t`',
     "DateTime::Parse with a . or a digit after %S, or a letter after %B, is not supported"),
    ('SELECT DateTime::Format("%Y") AS f FROM `//tmp/t`',
     "DateTime::Format(format) makes a function"),
    ('SELECT DateTime::Format("%Y", true AS Always)(t) FROM `//tmp/t`',
     "DateTime::Format has no argument named Always"),
    ('SELECT DateTime::GetYear(i) FROM `//tmp/t`',
     "DateTime::GetYear takes a Date, Datetime or Timestamp (or what DateTime::Split gives), "
     "not a value of another type"),
    ('SELECT DateTime::Format("%Y")("2019-01-01") FROM `//tmp/t`',
     "DateTime::Format takes a Date, Datetime or Timestamp (or what DateTime::Split gives), "
     "not a value of another type"),
    ('SELECT DateTime::EndOfMonth(CAST(t AS Timestamp)) FROM `//tmp/t`',
     "the UDF DateTime::EndOfMonth is not supported in {where}"),
    ('SELECT DateTime::Interval64FromDays(1) FROM `//tmp/t`',
     "the UDF DateTime::Interval64FromDays is not supported in {where}"),
])
def test_what_dev_cannot_give_fails_alike_naming_it(both, query, line):
    fails_alike(both, query, line)
