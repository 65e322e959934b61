"""A string cast to Date, Datetime or Timestamp is read as YQL reads it, in dev and on the
fake: ParseDate, ParseDatetime and ParseTimestamp in yql/essentials/minikql/
mkql_type_ops.cpp (ydb-platform/ydb) take `yyyy-mm-dd` alone for a Date, and a `T` time
with `Z` or an offset `+hh:mm` for a Datetime (a fraction too for a Timestamp); any other
text is NULL, where DuckDB read a date out of a timestamp's text, a time without a zone,
and ignored an offset."""

from __future__ import annotations

from yql_alike import dev_and_fake, same_rows

TEXTS = ["2025-01-15", "2025-1-5", "2025-01-15T00:10:00Z", "2025-01-15 00:10:00",
         "2025-01-15T00:10:00+03:00", "2025-01-15T00:10:00-01:30", "2025-01-15T00:10:00.5Z",
         "2025-01-15T00:10:00", "2025-02-30", "1969-12-31", " 2025-01-15"]
# 2025-01-15 is day 20103; 00:10 of it second 1736899800
EXPECTED = {
    "2025-01-15": (20103, None, None),
    "2025-1-5": (20093, None, None),
    "2025-01-15T00:10:00Z": (None, 1736899800, 1736899800000000),
    "2025-01-15 00:10:00": (None, None, None),
    "2025-01-15T00:10:00+03:00": (None, 1736889000, 1736889000000000),
    "2025-01-15T00:10:00-01:30": (None, 1736905200, 1736905200000000),
    "2025-01-15T00:10:00.5Z": (None, None, 1736899800500000),
    "2025-01-15T00:10:00": (None, None, None),
    "2025-02-30": (None, None, None),
    "1969-12-31": (None, None, None),
    " 2025-01-15": (None, None, None),
}


def test_text_is_cast_to_a_time_as_yql_parses_it(prod_client, tmp_path):
    both = dev_and_fake(prod_client, tmp_path, {"//tmp/texts": [{"s": s} for s in TEXTS]})
    rows = same_rows(both, "SELECT s, CAST(s AS Date) AS d, CAST(s AS Datetime) AS dt, "
                           "CAST(s AS Timestamp) AS ts FROM `//tmp/texts` ORDER BY s")
    assert {row["s"]: (row["d"], row["dt"], row["ts"]) for row in rows} == EXPECTED


def test_a_day_is_grouped_from_a_timestamps_text_through_a_timestamp(prod_client, tmp_path):
    """`CAST(ts AS Date)` of "2025-01-15T00:10:00Z" is NULL in YQL: the day is the
    Timestamp's, cast to a Date."""
    both = dev_and_fake(prod_client, tmp_path, {"//tmp/ev": [
        {"ts": "2025-01-14T23:50:00Z"}, {"ts": "2025-01-15T00:10:00Z"},
        {"ts": "2025-01-15T08:00:00Z"}]})
    rows = same_rows(both, "SELECT day, COUNT(*) AS n, COUNT(CAST(ts AS Date)) AS direct "
                           "FROM `//tmp/ev` GROUP BY CAST(CAST(ts AS Timestamp) AS Date) AS day "
                           "ORDER BY day")
    assert rows == [{"day": 20102, "n": 1, "direct": 0}, {"day": 20103, "n": 2, "direct": 0}]
