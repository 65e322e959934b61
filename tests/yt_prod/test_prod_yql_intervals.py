"""Date and time arithmetic and Intervals give YQL's types and values in dev and on the fake
query tracker alike.

YQL's types, from ydb-platform/ydb (the YQL that YTsaurus runs):
yql/essentials/minikql/invoke_builtins/mkql_builtins_sub.cpp (RegisterDateSub: any two of
Date, Datetime, Timestamp subtract to an Interval; TAnyDateTimeSubInterval: a time minus an
Interval keeps the time's type) and mkql_builtins_add.cpp (RegisterAddDateAndInterval: a
time plus an Interval, on either side, keeps the time's type; Interval + Interval is an
Interval), with the bounds of mkql_builtins_datetime.h (IsBadDateTime: NULL before 1970 or
from 2106 on; IsBadInterval: NULL at 49673 days or more either way). An Interval is YT's
`interval`, a signed count of microseconds (yt/docs/en/_includes/user-guide/storage/
data-types.md, ytsaurus/ytsaurus), which a result and read_table give as that number.

An Interval's text is ISO 8601's duration, read by ParseInterval and written by
WriteInterval (yql/essentials/minikql/mkql_type_ops.cpp); an integer cast to an Interval is
microseconds ("Converting to date and time data types", yql/essentials/docs/en/types/
primitive.md). The literals' values are those the YDB Python SDK's tests expect of the
examples in builtins/basic.md, "Literals of primitive types" (Date("2017-11-27") is 17497,
Interval("P1DT2H3M4.567890S") 93784567890).
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake, fails_alike, same_rows

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

DAY_US = 86_400_000_000
# 2024-01-05 is day 19727; 00:00:00 that day is second 1704412800
DAYS = [{"k": 1, "a": "2024-01-05", "b": "2024-01-01"},
        {"k": 2, "a": "2024-03-01", "b": "2024-02-28"}]


@pytest.fixture
def both(prod_client, tmp_path):
    return dev_and_fake(prod_client, tmp_path, {"//tmp/days": DAYS})


def test_a_difference_of_dates_and_times_is_an_interval_of_microseconds(both):
    # a day's text casts to a Date only: to a Timestamp or a Datetime it is NULL, as YQL's
    # ParseTimestamp wants its `T` time (yql_time_text), so the Date is cast on
    rows = same_rows(both, """
        SELECT k, CAST(a AS Date) - CAST(b AS Date) AS days,
               CAST(CAST(a AS Date) AS Timestamp) - CAST(CAST(b AS Date) AS Timestamp)
                   AS stamps,
               CAST(CAST(a AS Date) AS Datetime) - CAST(b AS Date) AS mixed,
               DateTime::ToDays(CAST(a AS Date) - CAST(b AS Date)) AS whole_days,
               CAST(b AS Date) - CAST(a AS Date) < DateTime::IntervalFromDays(0) AS negative
        FROM `//tmp/days` ORDER BY k""")
    # 2024 is a leap year: February 28 to March 1 is 2 days
    assert rows == [
        {"k": 1, "days": 4 * DAY_US, "stamps": 4 * DAY_US, "mixed": 4 * DAY_US,
         "whole_days": 4, "negative": True},
        {"k": 2, "days": 2 * DAY_US, "stamps": 2 * DAY_US, "mixed": 2 * DAY_US,
         "whole_days": 2, "negative": True}]


def test_a_time_plus_or_minus_an_interval_keeps_its_type(both):
    [row] = same_rows(both, """
        SELECT CAST(CAST("2024-01-05" AS Date) + DateTime::IntervalFromHours(25) AS String)
                   AS date_plus,
               CAST(DateTime::IntervalFromDays(1) + CAST("2024-01-05" AS Date) AS String)
                   AS interval_plus_date,
               CAST("2024-01-05" AS Date) - DateTime::IntervalFromDays(4) AS date_minus,
               CAST(CAST("2024-01-05T00:00:00Z" AS Datetime)
                    + DateTime::IntervalFromMilliseconds(1500) AS String) AS datetime_plus,
               CAST(CAST("2024-01-05T00:00:00Z" AS Timestamp)
                    - DateTime::IntervalFromMicroseconds(1) AS String) AS timestamp_minus,
               CAST("1970-01-02" AS Date) - DateTime::IntervalFromDays(2) AS before_1970,
               DateTime::IntervalFromDays(1) - DateTime::IntervalFromHours(1) AS hours_23,
               DateTime::IntervalFromDays(40000) + DateTime::IntervalFromDays(40000)
                   AS past_the_range""")
    # a Date plus 25 hours is the next day (the microseconds cut to days); a Datetime keeps
    # whole seconds; a Date alone comes back as its count of days (19723 is 2024-01-01)
    assert row == {"date_plus": "2024-01-06", "interval_plus_date": "2024-01-06",
                   "date_minus": 19723, "datetime_plus": "2024-01-05T00:00:01Z",
                   "timestamp_minus": "2024-01-04T23:59:59.999999Z", "before_1970": None,
                   "hours_23": 23 * 3_600_000_000, "past_the_range": None}


def test_an_interval_column_is_written_as_interval_and_read_back_as_one(both):
    dev, prod = both
    for client in both:
        client.run_yql("INSERT INTO `//tmp/spans` WITH TRUNCATE SELECT k, "
                       "CAST(a AS Date) - CAST(b AS Date) AS span FROM `//tmp/days`")
    schemas = [client.declared_schema("//tmp/spans") for client in both]
    assert schemas[0] == schemas[1]
    assert {c["name"]: c["type"] for c in schemas[0]["columns"]} == {
        "k": "int64", "span": "interval"}
    rows = [sorted(client.read_table("//tmp/spans"), key=lambda r: r["k"]) for client in both]
    assert rows[0] == rows[1] == [{"k": 1, "span": 4 * DAY_US}, {"k": 2, "span": 2 * DAY_US}]
    # a later query reads the column as an Interval again
    later = same_rows(both, """
        SELECT k, DateTime::ToHours(span) AS hours,
               CAST(CAST("2024-01-01" AS Date) + span AS String) AS moved
        FROM `//tmp/spans` ORDER BY k""")
    assert later == [{"k": 1, "hours": 96, "moved": "2024-01-05"},
                     {"k": 2, "hours": 48, "moved": "2024-01-03"}]


def test_literals_and_casts_read_and_write_iso_8601_durations(both):
    [row] = same_rows(both, """
        SELECT Date("2017-11-27") AS date, Datetime("2017-11-27T13:24:00Z") AS datetime,
               Timestamp("2017-11-27T13:24:00.123456Z") AS timestamp,
               Interval("P1DT2H3M4.567890S") AS interval,
               CAST("-PT0.5S" AS Interval) AS minus_half, CAST("P1W2D" AS Interval) AS nine_days,
               CAST("PT" AS Interval) AS zero, CAST("P" AS Interval) AS bare_p,
               CAST("P2D1W" AS Interval) AS weeks_after_days,
               CAST("1 day" AS Interval) AS duckdb_text, CAST("P99347D" AS Interval) AS too_long,
               CAST(86400000000 AS Interval) AS from_us, CAST(-5 AS Interval) AS minus_5_us,
               CAST(4291747200000000 AS Interval) AS past_the_range,
               CAST(Interval("P1D") AS Int64) AS to_us,
               CAST(Interval("P1DT2H3M4.567890S") AS String) AS text,
               CAST(CAST(0 AS Interval) AS String) AS zero_text,
               CAST(Interval("-P1D") AS Utf8) AS minus_day_text,
               CAST(Interval("PT60S") AS String) AS minute_text,
               CAST(Nothing(Interval?) AS String) AS none""")
    assert row == {
        "date": 17497, "datetime": 1511789040, "timestamp": 1511789040123456,
        "interval": 93784567890, "minus_half": -500_000, "nine_days": 9 * DAY_US,
        "zero": 0, "bare_p": None, "weeks_after_days": None, "duckdb_text": None,
        # days past 2 * 49673 are refused
        "too_long": None, "from_us": DAY_US, "minus_5_us": -5, "past_the_range": None,
        "to_us": DAY_US, "text": "P1DT2H3M4.56789S", "zero_text": "PT0S",
        "minus_day_text": "-P1D", "minute_text": "PT1M", "none": None}


@pytest.mark.parametrize("query, line", [
    ('SELECT Interval("1 day") AS i FROM `//tmp/days`',
     "YQL: the literal Interval(...) is given a string that is not an Interval"),
    ('SELECT Date("2017-02-30") AS d FROM `//tmp/days`',
     "YQL: the literal Date(...) is given a string that is not a Date"),
    # a Double to an Interval is Impossible in YQL's table of casts (yql_cast_rules)
    ("SELECT CAST(1.5 AS Interval) AS i FROM `//tmp/days`",
     "YQL: CAST of a Double to Interval is impossible"),
])
def test_what_is_not_an_interval_fails_alike_naming_it(both, query, line):
    fails_alike(both, query, line)
