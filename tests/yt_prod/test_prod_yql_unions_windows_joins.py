"""UNION by name, YQL's default window frame, LEFT SEMI/ONLY JOIN, the pattern operators
and AGGREGATE_LIST give the same rows and written types in dev and on the fake query
tracker (both run yql_semantics' rewrites); each value is YQL's, cited in the dev tests
(tests/yt_dev/test_yql_windows_and_unions.py, test_yql_one_sided_joins.py,
test_yql_pattern_operators.py, test_yql_aggregate_list.py)."""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake_table, fails_alike, same_rows, written_columns

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

SCHEMA = [{"name": "g", "type": "string"}, {"name": "day", "type": "int64"},
          {"name": "v", "type": "int64"}]
ROWS = [{"g": "a", "day": 1, "v": 5}, {"g": "a", "day": 1, "v": 5},
        {"g": "a", "day": 2, "v": 1}, {"g": "b", "day": 1, "v": None}]


@pytest.fixture
def both(prod_client, tmp_path):
    return dev_and_fake_table(prod_client, tmp_path, "//tmp/t", SCHEMA, ROWS)


def test_the_rewrites_give_the_same_rows_in_both(both):
    rows = same_rows(both, """
        SELECT g, day, SUM(v) OVER (PARTITION BY g ORDER BY day, v) AS running,
            g REGEXP "^a" AS is_a
        FROM `//tmp/t` ORDER BY g, day, running""")
    assert rows == [{"g": "a", "day": 1, "running": 5, "is_a": True},
                    {"g": "a", "day": 1, "running": 10, "is_a": True},
                    {"g": "a", "day": 2, "running": 11, "is_a": True},
                    {"g": "b", "day": 1, "running": None, "is_a": False}]
    rows = same_rows(both, "SELECT g FROM `//tmp/t` WHERE day = 2 "
                           "UNION ALL SELECT day AS other FROM `//tmp/t` WHERE g = 'b'")
    assert sorted(rows, key=repr) == sorted([{"g": "a", "other": None},
                                             {"g": None, "other": 1}], key=repr)
    rows = same_rows(both, "SELECT t.g AS g, t.day AS day FROM `//tmp/t` AS t "
                           "LEFT ONLY JOIN (SELECT g FROM `//tmp/t` WHERE day = 2) AS u "
                           "ON t.g = u.g")
    assert rows == [{"g": "b", "day": 1}]
    rows = same_rows(both, "SELECT g, ListSort(AGGREGATE_LIST(v)) AS vs FROM `//tmp/t` "
                           "GROUP BY g ORDER BY g")
    assert rows == [{"g": "a", "vs": [1, 5, 5]}, {"g": "b", "vs": []}]


def test_the_written_types_are_the_same_in_both(both):
    assert written_columns(both, 'SELECT g, g RLIKE "b" AS is_b, COUNT(*) OVER (ORDER BY day) '
                                 "AS n FROM `//tmp/t`") == {
        "g": ("string", False), "is_b": ("boolean", True), "n": ("uint64", True)}


def test_a_union_of_a_number_and_a_string_fails_alike(both):
    fails_alike(both, "SELECT g AS a FROM `//tmp/t` UNION ALL SELECT v AS a FROM `//tmp/t`",
                "YQL: UNION ALL gives column a types with no common type")
