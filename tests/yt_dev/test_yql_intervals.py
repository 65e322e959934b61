"""Date arithmetic in dev gives YQL's Interval (mkql_builtins_sub.cpp, RegisterDateSub, in
ydb-platform/ydb: Date - Date is an Interval, not a count of days), and a table a query
writes keeps it as YT's `interval`, a signed count of microseconds (yt/docs/en/_includes/
user-guide/storage/data-types.md, ytsaurus/ytsaurus), in its `.dev` file too."""

from __future__ import annotations

import json

import pytest

from yt_pipeline.errors import QueryFailed
from yt_pipeline_dev.client import DevClient

pytest.importorskip("duckdb", reason="dev runs YQL on DuckDB")

DAY_US = 86_400_000_000


def test_date_minus_date_is_an_interval_kept_as_microseconds(tmp_path):
    dev = DevClient(tmp_path / ".dev")
    dev.write_table("//tmp/days", [{"a": "2024-01-05", "b": "2024-01-08"}])
    assert dev.run_yql("SELECT CAST(a AS Date) - CAST(b AS Date) AS span FROM `//tmp/days`"
                       ) == [{"span": -3 * DAY_US}]
    dev.run_yql("INSERT INTO `//tmp/spans` WITH TRUNCATE "
                "SELECT CAST(a AS Date) - CAST(b AS Date) AS span FROM `//tmp/days`")
    stored = (tmp_path / ".dev" / "tmp" / "spans.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in stored] == [{"span": -3 * DAY_US}]
    assert [c["type"] for c in dev.declared_schema("//tmp/spans")["columns"]] == ["interval"]


def test_nothing_of_a_datetime_or_an_interval_writes_a_column_of_that_type(tmp_path):
    # Nothing(T?) is an empty value of type T (yql/essentials/docs/en/builtins/basic.md,
    # "Just"): a Datetime, not the Timestamp dev gave before
    dev = DevClient(tmp_path / ".dev")
    dev.write_table("//tmp/one", [{"i": 1}])
    dev.run_yql("INSERT INTO `//tmp/empty` WITH TRUNCATE SELECT Nothing(Datetime?) AS dt, "
                "Nothing(Interval?) AS span FROM `//tmp/one`")
    assert {c["name"]: c["type"] for c in dev.declared_schema("//tmp/empty")["columns"]} == {
        "dt": "datetime", "span": "interval"}
    assert list(dev.read_table("//tmp/empty")) == [{"dt": None, "span": None}]


def test_an_interval_times_or_divided_by_an_integer_is_an_interval(tmp_path):
    # TNumMulInterval (mkql_builtins_mul.cpp) and TNumDivInterval (mkql_builtins_div.cpp),
    # ydb-platform/ydb: the microseconds multiplied, NULL past an Interval's 49673 days
    # (IsBadInterval), or divided as C++ divides integers, toward zero, NULL by zero
    dev = DevClient(tmp_path / ".dev")
    dev.write_table("//tmp/n", [{"n": 3}])
    assert dev.run_yql("""
        SELECT DateTime::IntervalFromDays(1) / 2 AS half_day,
               DateTime::IntervalFromMicroseconds(-7) / n AS toward_zero,
               DateTime::IntervalFromDays(1) / 0 AS by_zero,
               DateTime::IntervalFromHours(1) * n AS hours_3,
               n * DateTime::IntervalFromHours(1) AS integer_first,
               DateTime::IntervalFromDays(40000) * 2 AS past_the_range
        FROM `//tmp/n`""") == [
        {"half_day": DAY_US // 2, "toward_zero": -2, "by_zero": None,
         "hours_3": 3 * 3_600_000_000, "integer_first": 3 * 3_600_000_000,
         "past_the_range": None}]
    dev.run_yql("INSERT INTO `//tmp/halves` WITH TRUNCATE "
                "SELECT DateTime::IntervalFromDays(n) / 2 AS span FROM `//tmp/n`")
    assert [c["type"] for c in dev.declared_schema("//tmp/halves")["columns"]] == ["interval"]
    assert list(dev.read_table("//tmp/halves")) == [{"span": 3 * DAY_US // 2}]


@pytest.mark.parametrize("expression, line", [
    # no Sub or Add overload pairs a time with a number (RegisterDateSub, TAnyDateTimeSub-
    # Interval in mkql_builtins_sub.cpp; RegisterAddDateAndInterval in mkql_builtins_add.cpp)
    ('CAST("2024-01-05" AS Date) - 1', "YQL: Date - Int32 has no overload"),
    ('1 + CAST("2024-01-05" AS Date)', "YQL: Int32 + Date has no overload"),
    ('CAST("2024-01-05T00:00:00Z" AS Timestamp) + 1', "YQL: Timestamp + Int32 has no overload"),
    ('CAST("2024-01-05T00:00:00Z" AS Datetime) - 1.5', "YQL: Datetime - Double has no overload"),
    ("DateTime::IntervalFromDays(1) + 1", "YQL: Interval + Int32 has no overload"),
    # Mul and Div take an Interval with an integer only, Div with the Interval first
    ("DateTime::IntervalFromDays(1) * 1.5", "YQL: Interval * Double has no overload"),
    ("2 / DateTime::IntervalFromDays(1)", "YQL: Int32 / Interval has no overload"),
    ("DateTime::IntervalFromDays(1) / DateTime::IntervalFromDays(1)",
     "YQL: Interval / Interval has no overload"),
])
def test_a_time_or_an_interval_with_a_number_it_takes_no_overload_for_fails(
        tmp_path, expression, line):
    dev = DevClient(tmp_path / ".dev")
    dev.write_table("//tmp/one", [{"i": 1}])
    with pytest.raises(QueryFailed) as failed:
        dev.run_yql(f"SELECT {expression} AS x FROM `//tmp/one`")
    assert str(failed.value).startswith(line)
    assert "\n" not in str(failed.value)
