"""Date arithmetic in dev gives YQL's Interval (mkql_builtins_sub.cpp, RegisterDateSub, in
ydb-platform/ydb: Date - Date is an Interval, not a count of days), and a table a query
writes keeps it as YT's `interval`, a signed count of microseconds (yt/docs/en/_includes/
user-guide/storage/data-types.md, ytsaurus/ytsaurus), in its `.dev` file too."""

from __future__ import annotations

import json

import pytest

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


def test_a_chain_of_additions_of_integer_literals_binds_at_once(tmp_path):
    # `x + 1` of an integer literal is DuckDB's own `+`: no time nor Interval is an integer,
    # and the time-arithmetic macro repeated each operand, DuckDB's binder copying it once
    # more per level (`k + 1 + 2 + 3 + 4` did not bind within a minute)
    dev = DevClient(tmp_path / ".dev", yql_timeout_s=20)
    dev.write_table("//tmp/nums", [{"k": 1, "a": "2024-01-05", "b": "2024-01-08"}])
    assert dev.run_yql("SELECT k + 1 + 2 + 3 + 4 + 5 + 6 - 7 - (-8) AS s, "
                       "CAST(a AS Date) - CAST(b AS Date) AS t FROM `//tmp/nums`"
                       ) == [{"s": 23, "t": -3 * DAY_US}]


def test_interval_from_names_its_count_once_and_keeps_its_bounds(tmp_path):
    from yt_pipeline_dev.yql_translate import translate

    query = ("SELECT DateTime::IntervalFromDays(days) AS span, "
             "DateTime::IntervalFromHours(DateTime::ToHours(DateTime::IntervalFromDays(days))) "
             "AS again FROM `//tmp/days`")
    # each IntervalFrom... named its count three times, so nested ones tripled it: 21
    # before (3, then 3 * 2 * 3 with ToHours' two); ToHours still names its Interval twice
    assert translate(query)[0].template.count("days") == 3
    dev = DevClient(tmp_path / ".dev")
    dev.write_table("//tmp/days", [{"days": d} for d in (49672, 49673, -49672, -49673, 0, None)])
    # an Interval is less than MAX_TIMESTAMP (49673 days) either way (Validate<TInterval>
    # for TFromConverter in yql/essentials/udfs/common/datetime2/datetime_udf.cpp, ydb)
    spans = [49672 * DAY_US, None, -49672 * DAY_US, None, 0, None]
    assert dev.run_yql(query) == [{"span": s, "again": s} for s in spans]
