"""AGGREGATE_LIST and AGGREGATE_LIST_DISTINCT in dev, as on a cluster.

Source: yt/docs/en/yql/builtins/aggregation.md, "AGGREGATE_LIST" (ytsaurus/ytsaurus):
`AGGREGATE_LIST(T? [, limit:Uint64])->List<T>` (NULLs are passed over: the items are T, and
the list is never NULL), DISTINCT keeps unique values, the second argument caps the count;
the order of the items is the implementation's, so the tests sort them. Dev refused both
("the function AGGREGATE_LIST is not supported in dev mode").
"""

from __future__ import annotations

import pytest

pytest.importorskip("duckdb", reason="dev runs YQL on DuckDB")


@pytest.fixture
def dev(dev_client):
    dev_client.create_path("//in/t", "table", schema=[
        {"name": "user", "type": "string"}, {"name": "page", "type": "string"},
        {"name": "ms", "type": "int64"}])
    dev_client.write_table("//in/t", [
        {"user": "ann", "page": "a", "ms": 5}, {"user": "ann", "page": "a", "ms": None},
        {"user": "ann", "page": "b", "ms": 7}, {"user": "bob", "page": None, "ms": None}])
    return dev_client


def test_aggregate_list_passes_over_nulls_and_gives_an_empty_list_for_none(dev):
    dev.run_yql("INSERT INTO `//out/l` WITH TRUNCATE SELECT user, "
                "ListSort(AGGREGATE_LIST(page)) AS pages, "
                "ListSort(AGG_LIST_DISTINCT(page)) AS distinct_pages, "
                "ListSort(AGGREGATE_LIST(ms)) AS times, "
                "ListLength(AGGREGATE_LIST(page, 2)) AS capped "
                "FROM `//in/t` GROUP BY user")
    assert sorted(dev.read_table("//out/l"), key=lambda r: r["user"]) == [
        {"user": "ann", "pages": ["a", "a", "b"], "distinct_pages": ["a", "b"],
         "times": [5, 7], "capped": 2},
        {"user": "bob", "pages": [], "distinct_pages": [], "times": [], "capped": 0}]


def test_aggregate_list_of_no_rows_is_an_empty_list(dev):
    assert dev.run_yql("SELECT AGGREGATE_LIST(page) AS pages FROM `//in/t` "
                       "WHERE user = 'nobody'") == [{"pages": []}]


def test_aggregate_list_over_a_window(dev):
    got = dev.run_yql("SELECT user, ms, ListSort(AGGREGATE_LIST(ms) OVER w) AS all_ms "
                      "FROM `//in/t` WINDOW w AS (PARTITION BY user)")
    assert sorted((r["user"], r["ms"] or 0, tuple(r["all_ms"])) for r in got) == [
        ("ann", 0, (5, 7)), ("ann", 5, (5, 7)), ("ann", 7, (5, 7)), ("bob", 0, ())]
