"""A SUM of an integer column inside an expression has YQL's type and value, in dev and on
the fake query tracker alike.

Sources (ydb-platform/ydb):
- SUM of an integer is a Uint64 or an Int64 that wraps around (WidenIntegral, then AggrAdd:
  sum_traits_factory_opt in yql/essentials/mount/lib/yql/aggregate.yqls; TAdd's SafeAdd in
  yql/essentials/minikql/invoke_builtins/mkql_builtins_add.cpp), Optional
  (`SUM(Unsigned?)->Uint64?`, yt/docs/en/yql/builtins/aggregation.md, ytsaurus/ytsaurus);
- `+`, `-`, `*` of two numbers are of the later of their types in GetNumericDataTypeLevel
  (Uint8, Int8, ..., Uint64, Int64, Float, Double: yql/essentials/core/
  yql_expr_type_annotation.cpp), Optional when one is (AddWrapper, SubWrapper, MulWrapper in
  yql/essentials/core/type_ann/type_ann_core.cpp): `SUM(u) + 1` is a Uint64?, an Int64 sum
  with a Uint64 one an Int64?, and the result wraps around in that type;
- WidenIntegralWrapper (type_ann_core.cpp) leaves a Double as it is: SUM of a Double column
  is a Double?.
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake_table, same_rows, written_columns

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

BIG = 2 ** 63
SCHEMA = [{"name": "k", "type": "string"}, {"name": "u", "type": "uint64"},
          {"name": "i", "type": "int64"}, {"name": "n", "type": "int32"},
          {"name": "d", "type": "double"}]
# the sum of u is 2^64 + 5, which a Uint64 holds as 5
ROWS = [{"k": "a", "u": BIG + 5, "i": 1, "n": 2, "d": 2.5},
        {"k": "a", "u": BIG, "i": 2, "n": 3, "d": 1.0}]


@pytest.fixture
def both(prod_client, tmp_path):
    return dev_and_fake_table(prod_client, tmp_path, "//tmp/t", SCHEMA, ROWS)


def test_arithmetic_over_sums_has_yqls_type_and_wraps_around(both):
    assert written_columns(both, "SELECT SUM(u) + 1 AS plus, SUM(u) - 2 * SUM(u) AS minus, "
                                 "-SUM(u) AS negated, SUM(i) + SUM(u) AS mixed, "
                                 "SUM(n) * 2 AS widened FROM `//tmp/t`") == {
        "plus": ("uint64", False), "minus": ("uint64", False),
        "negated": ("uint64", False), "mixed": ("int64", False),
        "widened": ("int64", False)}
    assert same_rows(both, "SELECT * FROM `//tmp/o`") == [
        {"plus": 6, "minus": 2 ** 64 - 5, "negated": 2 ** 64 - 5, "mixed": 8,
         "widened": 10}]


def test_a_sum_read_by_a_cast_or_a_comparison_is_the_wrapped_sum(both):
    # a CAST of the Uint64? 5 (DuckDB's exact 2^64 + 5 fits no 64-bit integer: NULL)
    assert written_columns(both, "SELECT CAST(SUM(u) AS Uint64) AS as_uint, "
                                 "CAST(SUM(t.u) AS Int32) AS as_int, SUM(u) + 0.5 AS with_double "
                                 "FROM `//tmp/t` AS t") == {
        "as_uint": ("uint64", False), "as_int": ("int32", False),
        "with_double": ("double", False)}
    assert same_rows(both, "SELECT * FROM `//tmp/o`") == [
        {"as_uint": 5, "as_int": 5, "with_double": 5.5}]
    # HAVING and ORDER BY compare YQL's sum
    assert same_rows(both, "SELECT k, SUM(u) AS s FROM `//tmp/t` GROUP BY k "
                           "HAVING SUM(u) < 10") == [{"k": "a", "s": 5}]


def test_a_sum_of_a_double_column_is_an_optional_double(both):
    assert written_columns(both, "SELECT SUM(d) AS s, SUM(d) + 1 AS s1 FROM `//tmp/t`") == {
        "s": ("double", False), "s1": ("double", False)}
    assert same_rows(both, "SELECT s, s1 FROM `//tmp/o`") == [{"s": 3.5, "s1": 4.5}]
