"""SUM of an integer column and the aggregates over no rows give the same types and values
in dev and on the fake query tracker, YQL's (tests/yt_dev/test_yql_sums_and_empty.py says
where each is learned: `SUM(Unsigned?)->Uint64?` in yt/docs/en/yql/builtins/
aggregation.md; SUM's AggrAdd wraps around, mkql_builtins_add.cpp; COUNT_IF's default
value Uint64 0, yql/essentials/mount/lib/yql/aggregate.yqls, ydb-platform/ydb)."""

from __future__ import annotations

import pytest
from yql_alike import fails_alike, same_rows

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

BIG = 2 ** 63
SCHEMA = [{"name": "k", "type": "string"}, {"name": "u", "type": "uint64"},
          {"name": "i", "type": "int64"}]
ROWS = [{"k": "a", "u": BIG + 5, "i": BIG - 1}, {"k": "a", "u": BIG, "i": 2},
        {"k": "b", "u": 3, "i": -4}]


@pytest.fixture
def both(prod_client, tmp_path):
    from yt_pipeline_dev.client import DevClient

    dev = DevClient(tmp_path / ".dev")
    for client in (dev, prod_client):
        for path, rows in (("//tmp/t", ROWS), ("//tmp/empty", [])):
            client.create_path(path, "table", schema=SCHEMA)
            client.write_table(path, rows)
    return dev, prod_client


def test_a_sum_of_an_unsigned_column_is_a_wrapped_uint64_in_both_modes(both):
    for client in both:
        client.run_yql("INSERT INTO `//tmp/s` WITH TRUNCATE SELECT k, SUM(u) AS su, "
                       "SUM(i) AS si FROM `//tmp/t` GROUP BY k")
    dev, prod = both
    declared = dev.declared_schema("//tmp/s")
    assert declared == prod.declared_schema("//tmp/s")
    assert declared is not None
    assert {c["name"]: c["type"] for c in declared["columns"]} == {
        "k": "string", "su": "uint64", "si": "int64"}
    assert same_rows(both, "SELECT k, su, si FROM `//tmp/s` ORDER BY k") == [
        {"k": "a", "su": 5, "si": -BIG + 1}, {"k": "b", "su": 3, "si": -4}]
    assert same_rows(both, "SELECT SUM(u) AS s FROM `//tmp/t` WHERE k = 'b' OR i = 2") == [
        {"s": BIG + 3}]


def test_aggregates_over_no_rows_in_both_modes(both):
    assert same_rows(both, "SELECT COUNT_IF(i > 0) AS ci, COUNT(*) AS n, SUM(u) AS su, "
                           "AVG(i) AS av, MIN(i) AS mi, MAX(u) AS ma FROM `//tmp/empty`") == [
        {"ci": 0, "n": 0, "su": None, "av": None, "mi": None, "ma": None}]
    for client in both:
        client.run_yql("INSERT INTO `//tmp/e` WITH TRUNCATE SELECT COUNT_IF(i > 0) AS ci, "
                       "SUM(u) AS su FROM `//tmp/empty`")
    dev, prod = both
    declared = dev.declared_schema("//tmp/e")
    assert declared == prod.declared_schema("//tmp/e")
    assert declared is not None
    assert {c["name"]: (c["type"], c["required"]) for c in declared["columns"]} == {
        "ci": ("uint64", True), "su": ("uint64", False)}


def test_a_case_without_else_fails_and_one_of_required_values_is_required_in_both_modes(
        both):
    """CaseRule in yql/essentials/sql/v1/sql_expression.cpp (ydb) refuses a CASE without
    ELSE ("ELSE is required") and builds it as the builtin If of its branches."""
    fails_alike(both, "SELECT CASE WHEN i > 1 THEN 1 END AS c FROM `//tmp/t`",
                "YQL: ELSE is required")
    for client in both:
        client.run_yql("INSERT INTO `//tmp/c` WITH TRUNCATE SELECT "
                       "CASE WHEN i > 0 THEN 'p' ELSE 'n' END AS sign, "
                       "CASE WHEN i > 0 THEN k ELSE 'n' END AS kn FROM `//tmp/t`")
    dev, prod = both
    declared = dev.declared_schema("//tmp/c")
    assert declared == prod.declared_schema("//tmp/c")
    assert declared is not None
    assert {c["name"]: (c["type"], c["required"]) for c in declared["columns"]} == {
        "sign": ("string", True), "kn": ("string", False)}
    assert same_rows(both, "SELECT sign, kn FROM `//tmp/c` ORDER BY kn") == [
        {"sign": "p", "kn": "a"}, {"sign": "p", "kn": "a"}, {"sign": "n", "kn": "n"}]


def test_columns_not_named_are_columnN_in_both_modes(both):
    """`column` and the item's index, as YQL names them (TColumns::AddUnnamed in
    yql/essentials/sql/v1/select.cpp, ydb)."""
    assert same_rows(both, "SELECT k, COUNT(*), 'x', `k` AS kk FROM `//tmp/t` GROUP BY k "
                           "ORDER BY k") == [
        {"k": "a", "column1": 2, "column2": "x", "kk": "a"},
        {"k": "b", "column1": 1, "column2": "x", "kk": "b"}]


def test_a_union_all_of_required_columns_is_required_in_both_modes(both):
    """UnionAllWrapper (yql/essentials/core/type_ann/type_ann_list.cpp, ydb): a column of
    every part has the common type of its types."""
    for client in both:
        client.run_yql("INSERT INTO `//tmp/un` WITH TRUNCATE SELECT COUNT(*) AS n, 1 AS one "
                       "FROM `//tmp/t` UNION ALL SELECT COUNT(*) AS n, NULL AS one "
                       "FROM `//tmp/empty`")
    dev, prod = both
    declared = dev.declared_schema("//tmp/un")
    assert declared == prod.declared_schema("//tmp/un")
    assert declared is not None
    assert {c["name"]: (c["type"], c["required"]) for c in declared["columns"]} == {
        "n": ("uint64", True), "one": ("int32", False)}
