"""Chains of `/`, `%`, `+` and `-` between columns in dev YQL: YQL's results, bound at once.

Each of these operators is a DuckDB macro in dev (yql_operators: YQL's integer division and
remainder, its types of time arithmetic), whose body names each operand many times. Nested,
DuckDB's binder copied the inner call once a name, a level at a time: `a / b / c / d` of
four columns, or `a + b + c + d + e` of five, did not bind within a minute, and a query
summing a few columns hung. The chains here each had to bind within the query's limit."""

from __future__ import annotations

import pytest

from yt_pipeline_dev.client import DevClient

pytest.importorskip("duckdb", reason="dev runs YQL on DuckDB")

DAY_US = 86_400_000_000
ROW = {"a": 1000, "b": 3, "c": -2, "d": 7, "e": 5, "x": 10.0, "zero": 0,
       "day": "2024-02-27"}


@pytest.fixture
def dev(tmp_path):
    client = DevClient(tmp_path / ".dev", yql_timeout_s=20)
    client.write_table("//tmp/n", [ROW])
    return client


@pytest.mark.parametrize("expression, value", [
    # YQL's integer division goes toward zero: 1000 / 3 = 333, / -2 = -166, / 7 = -23
    ("a / b / c / d / e", -4),
    ("a / b / c / d / e / zero", None),  # by zero: NULL, in YQL
    ("a % d % e % b", 1),  # 1000 % 7 = 6, % 5 = 1, % 3 = 1
    ("(0 - a) % d % e", -1),  # the remainder has the dividend's sign, as C's
    ("a + b + c + d + e + a + b", 2016),
    ("a - b + c - d + e - a + b", -4),
    ("(a + b) / (c - d) % e / b", 0),  # 1003 / -9 = -111, % 5 = -1, / 3 = 0
    ("x / b / c / d / e", 10.0 / 3 / -2 / 7 / 5),  # a Double divides as IEEE 754
])
def test_a_chain_of_columns_binds_at_once_with_yqls_result(dev, expression, value):
    [row] = dev.run_yql(f"SELECT {expression} AS v FROM `//tmp/n`")
    assert row == {"v": pytest.approx(value) if isinstance(value, float) else value}


def test_a_chain_of_time_arithmetic_keeps_yqls_types(dev):
    # a Date plus Intervals stays a Date; a Date minus a Date is an Interval
    # (mkql_builtins_add.cpp, mkql_builtins_sub.cpp: yql_time_arith)
    dev.run_yql(
        "INSERT INTO `//tmp/t` WITH TRUNCATE SELECT "
        "CAST(day AS Date) + Interval('P1D') + Interval('P1D') + Interval('P1D') "
        "- Interval('P1D') AS later, "
        "CAST(day AS Date) + Interval('P1D') - CAST(day AS Date) + Interval('P1D') "
        "+ Interval('P1D') AS span FROM `//tmp/n`")
    # a date column holds days since 1970: 2024-02-29 is day 19782
    assert list(dev.read_table("//tmp/t")) == [{"later": 19782, "span": 3 * DAY_US}]
    assert {c["name"]: c["type"] for c in dev.declared_schema("//tmp/t")["columns"]} == {
        "later": "date", "span": "interval"}


def test_chains_in_group_by_and_having(tmp_path):
    # DuckDB cannot read a lambda's field in HAVING ("column "l" must appear in the GROUP BY
    # clause"): a chain there keeps its macros, binding as fast as before; one in GROUP BY
    # is bound once in SELECT and GROUP BY alike, which DuckDB takes for one expression
    dev = DevClient(tmp_path / ".dev", yql_timeout_s=20)
    dev.write_table("//tmp/g", [{"a": i, "b": i % 3 + 1, "g": i % 2} for i in range(20)])
    assert dev.run_yql(
        "SELECT g, SUM(a) + SUM(b) + SUM(a) AS s FROM `//tmp/g` GROUP BY g "
        "HAVING SUM(a) + SUM(b) + SUM(a) > 200 ORDER BY g") == [{"g": 1, "s": 220}]
    assert dev.run_yql(
        "SELECT a / b / 2 / 1 AS k, COUNT(*) AS n FROM `//tmp/g` GROUP BY a / b / 2 / 1 "
        "ORDER BY k LIMIT 3") == [{"k": 0, "n": 4}, {"k": 1, "n": 5}, {"k": 2, "n": 3}]
