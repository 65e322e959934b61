"""SUM's type and value, and the aggregates over no rows, in dev as in YQL.

Sources (ydb-platform/ydb and ytsaurus/ytsaurus):
- `SUM(Unsigned?)->Uint64?`, `SUM(Signed?)->Int64?`, `COUNT_IF(Bool?)->Uint64`,
  `MIN(T)->T?`, `AVG(Double?)->Double?` (yt/docs/en/yql/builtins/aggregation.md);
- SUM is WidenIntegral then AggrAdd (sum_traits_factory_opt in
  yql/essentials/mount/lib/yql/aggregate.yqls), and AggrAdd of integers is TAdd's SafeAdd
  (yql/essentials/minikql/invoke_builtins/mkql_builtins_add.cpp), which wraps around in
  the type's width: a Uint64 sum is taken modulo 2^64, an Int64 one in two's complement;
- COUNT_IF is count_traits_factory over If(Coalesce(value, false), 1, 0), whose default
  value is Uint64 0 (count_if_traits_factory_opt, aggregate.yqls): over no rows it is 0,
  while SUM, AVG, MIN and MAX (default value Null) are NULL.
"""

from __future__ import annotations

import pytest

from yt_pipeline.errors import QueryFailed
from yt_pipeline_dev.client import DevClient

pytest.importorskip("duckdb", reason="dev runs YQL on DuckDB")

BIG = 2 ** 63
SCHEMA = [{"name": "k", "type": "string"}, {"name": "u", "type": "uint64"},
          {"name": "u8", "type": "uint8"}, {"name": "i", "type": "int64"}]
ROWS = [{"k": "a", "u": BIG + 5, "u8": 200, "i": BIG - 1},
        {"k": "a", "u": BIG, "u8": 100, "i": 2},
        {"k": "b", "u": 3, "u8": None, "i": -4}]


@pytest.fixture
def dev(tmp_path):
    client = DevClient(tmp_path / ".dev")
    for path, rows in (("//in/t", ROWS), ("//in/empty", [])):
        client.create_path(path, "table", schema=SCHEMA)
        client.write_table(path, rows)
    return client


def columns(dev: DevClient, path: str) -> dict[str, tuple[str, bool]]:
    schema = dev.declared_schema(path)
    assert schema is not None
    return {c["name"]: (c["type"], c["required"]) for c in schema["columns"]}


def test_a_sum_of_an_unsigned_column_is_a_uint64_wrapped_around(dev):
    dev.run_yql("INSERT INTO `//out/s` WITH TRUNCATE SELECT k, SUM(u) AS su, "
                "SUM(u8) AS s8, SUM(i) AS si FROM `//in/t` GROUP BY k ORDER BY k")
    assert columns(dev, "//out/s") == {"k": ("string", False), "su": ("uint64", False),
                                       "s8": ("uint64", False), "si": ("int64", False)}
    # 2^63 + 5 + 2^63 is 2^64 + 5, which a Uint64 holds as 5; 2^63 - 1 + 2 wraps to -2^63 + 1
    assert list(dev.read_table("//out/s")) == [
        {"k": "a", "su": 5, "s8": 300, "si": -BIG + 1},
        {"k": "b", "su": 3, "s8": None, "si": -4}]
    # a sum that fits is the sum, above 2^63 too, read back as the Uint64 it is
    assert dev.run_yql("SELECT SUM(u) AS s FROM `//in/t` WHERE u8 = 100 OR k = 'b'") == [
        {"s": BIG + 3}]


def test_a_sum_of_an_aliased_column_distinct_or_over_a_window_is_a_uint64(dev):
    dev.run_yql("INSERT INTO `//out/w` WITH TRUNCATE SELECT t.k AS k, "
                "SUM(t.u) OVER (PARTITION BY t.k) AS w FROM `//in/t` AS t")
    assert columns(dev, "//out/w")["w"] == ("uint64", False)
    assert sorted((r["k"], r["w"]) for r in dev.read_table("//out/w")) == [
        ("a", 5), ("a", 5), ("b", 3)]
    assert dev.run_yql("SELECT SUM(DISTINCT t.u) AS s FROM `//in/t` AS t") == [{"s": 8}]


def test_aggregates_over_no_rows(dev):
    select = ("SELECT COUNT_IF(i > 0) AS ci, COUNT_IF(i > 0) + 1 AS ci1, COUNT(*) AS n, "
              "SUM(u) AS su, SUM(i) AS si, AVG(i) AS av, MIN(i) AS mi, MAX(u) AS ma "
              "FROM `//in/empty`")
    assert dev.run_yql(select) == [{"ci": 0, "ci1": 1, "n": 0, "su": None, "si": None,
                                    "av": None, "mi": None, "ma": None}]
    dev.run_yql(f"INSERT INTO `//out/e` WITH TRUNCATE {select}")
    assert list(dev.read_table("//out/e")) == [
        {"ci": 0, "ci1": 1, "n": 0, "su": None, "si": None, "av": None, "mi": None,
         "ma": None}]
    # COUNT_IF is a Uint64 that is never NULL: a required column, as COUNT's
    assert columns(dev, "//out/e")["ci"] == ("uint64", True)
    assert columns(dev, "//out/e")["su"] == ("uint64", False)


def test_count_if_of_a_group_and_of_a_window_counts_null_as_false(dev):
    rows = dev.run_yql("SELECT k, COUNT_IF(u8 > 150) AS c, "
                       "COUNT_IF(u8 > 150) OVER (PARTITION BY k) AS w "
                       "FROM `//in/t` GROUP BY k, u8 ORDER BY k, c")
    assert rows == [{"k": "a", "c": 0, "w": 1}, {"k": "a", "c": 1, "w": 1},
                    {"k": "b", "c": 0, "w": 0}]


# -- CASE: YQL requires its ELSE, and types it as IF --------------------------------------
# CaseRule in yql/essentials/sql/v1/sql_expression.cpp (ydb-platform/ydb) fails a CASE
# without ELSE with "ELSE is required", and builds the CASE as the builtin If over its
# branches (ReduceCaseBranches): Optional only when one of its values is.

def test_a_case_without_else_fails_as_in_yql(dev):
    with pytest.raises(QueryFailed) as failed:
        dev.run_yql("SELECT CASE WHEN i > 1 THEN 1 END AS c FROM `//in/t`")
    assert "YQL: ELSE is required" in str(failed.value)
    # a nested CASE without its own ELSE too, whatever the outer one has
    with pytest.raises(QueryFailed, match="ELSE is required"):
        dev.run_yql("SELECT CASE WHEN i > 1 THEN CASE WHEN i > 2 THEN 1 END ELSE 0 END AS c "
                    "FROM `//in/t`")


def test_a_case_of_required_values_writes_a_required_column(dev):
    dev.create_path("//in/r", "table", schema=[{"name": "a", "type": "int64", "required": True},
                                               {"name": "b", "type": "string"}])
    dev.write_table("//in/r", [{"a": 1, "b": "x"}, {"a": 3, "b": None}])
    dev.run_yql("INSERT INTO `//out/c` WITH TRUNCATE SELECT "
                "CASE WHEN a > 1 THEN a ELSE 0 END AS c1, "
                "CASE a WHEN 1 THEN 'one' ELSE 'many' END AS c2, "
                "CASE WHEN a > 1 THEN CASE WHEN a > 2 THEN a ELSE 1 END ELSE a + 1 END AS c3, "
                "CASE WHEN a > 1 THEN b ELSE 'n' END AS c4, "
                "CASE WHEN a > 1 THEN NULL ELSE a END AS c5 FROM `//in/r`")
    assert columns(dev, "//out/c") == {"c1": ("int64", True), "c2": ("string", True),
                                       "c3": ("int64", True), "c4": ("string", False),
                                       "c5": ("int64", False)}
    assert sorted(dev.read_table("//out/c"), key=lambda r: r["c1"]) == [
        {"c1": 0, "c2": "one", "c3": 2, "c4": "n", "c5": 1},
        {"c1": 3, "c2": "many", "c3": 3, "c4": None, "c5": None}]


# -- a result column not named is YQL's columnN --------------------------------------------

def test_columns_not_named_are_named_as_yql_names_them(dev):
    """YQL calls an expression not named `column` and its index in the SELECT list
    (TColumns::AddUnnamed, yql/essentials/sql/v1/select.cpp); a column read keeps its name.
    DuckDB named them after their text (`sum(u)`, `count_star()`)."""
    rows = dev.run_yql("SELECT k, COUNT(*), SUM(u8), 'x', `k` AS kk FROM `//in/t` "
                       "GROUP BY k ORDER BY column1 DESC")
    assert rows == [{"k": "a", "column1": 2, "column2": 300, "column3": "x", "kk": "a"},
                    {"k": "b", "column1": 1, "column2": None, "column3": "x", "kk": "b"}]
    # an INSERT writes those names; the count not named is a required Uint64, as named
    dev.run_yql("INSERT INTO `//out/n` WITH TRUNCATE SELECT k, COUNT(*), SUM(u) "
                "FROM `//in/t` GROUP BY k")
    assert columns(dev, "//out/n") == {"k": ("string", False), "column1": ("uint64", True),
                                       "column2": ("uint64", False)}
    # `*` beside an expression: left as DuckDB names it
    assert "k" in dev.run_yql("SELECT *, 1 AS one FROM `//in/t` LIMIT 1")[0]


def test_a_union_all_of_required_columns_writes_required_ones(dev):
    """YQL's UNION ALL gives a column every part has the common type of its types,
    Optional when one part's is (UnionAllWrapper in yql/essentials/core/type_ann/
    type_ann_list.cpp, ydb)."""
    dev.run_yql("INSERT INTO `//out/u` WITH TRUNCATE "
                "SELECT k, COUNT(*) AS n, 1 AS one FROM `//in/t` GROUP BY k "
                "UNION ALL SELECT 'z' AS k, COUNT(*) AS n, NULL AS one FROM `//in/empty`")
    assert columns(dev, "//out/u") == {"k": ("string", False), "n": ("uint64", True),
                                       "one": ("int32", False)}
    assert sorted((r["k"], r["n"], r["one"]) for r in dev.read_table("//out/u")) == [
        ("a", 2, 1), ("b", 1, 1), ("z", 0, None)]
