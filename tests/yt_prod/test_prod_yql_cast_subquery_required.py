"""A CAST that never fails, and a subquery's column read by an outer query, keep a required
column required, in dev and on the fake query tracker as on a cluster.

Sources (ydb-platform/ydb):
- `CAST(x AS T)` is the callable SafeCast (TSqlExpression::CastRule in
  yql/essentials/sql/v1/sql_expression.cpp), typed by CastWrapper<false>
  (yql/essentials/core/type_ann/type_ann_core.cpp): T when CastResult<false> says the cast
  cannot fail, else T?; for two data types that is CastResultsTable
  (yql/essentials/public/udf/udf_data_type.cpp): Int64 to String, Int32 to Int64, Int64 to
  Double (MayLoseData), Bool to Int32 never fail; Int64 to Int32, String to Int64, Uint64
  to Int64, Double to Int64 may (MayFail).
- a subquery's row is a struct, and a column read from it has the member's own type
  (SqlColumnWrapper, MemberWrapper in type_ann_core.cpp): required when the inner column is.
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake_table, same_rows, written_columns

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

SCHEMA = [{"name": "k", "type": "string"}, {"name": "i", "type": "int64", "required": True},
          {"name": "n", "type": "int32", "required": True},
          {"name": "u", "type": "uint64", "required": True},
          {"name": "s", "type": "string", "required": True},
          {"name": "b", "type": "boolean", "required": True},
          {"name": "d", "type": "double", "required": True}]
ROWS = [{"k": "a", "i": 1, "n": 2, "u": 3, "s": "7", "b": True, "d": 2.5},
        {"k": None, "i": 2 ** 40, "n": -1, "u": 2 ** 63, "s": "x", "b": False, "d": -1.0}]


@pytest.fixture
def both(prod_client, tmp_path):
    return dev_and_fake_table(prod_client, tmp_path, "//tmp/t", SCHEMA, ROWS)


def test_casts_that_never_fail_keep_a_required_column_required(both):
    assert written_columns(both, "SELECT CAST(i AS String) AS i_text, CAST(n AS Int64) AS n_wide, "
                                 "CAST(i AS Double) AS i_double, CAST(b AS Int32) AS b_int, "
                                 "CAST(n AS bigint) AS n_alias, CAST(1 AS Int64) + i AS sum_cast, "
                                 "CAST(COUNT(*) OVER () AS String) AS count_text "
                                 "FROM `//tmp/t`") == {
        "i_text": ("string", True), "n_wide": ("int64", True), "i_double": ("double", True),
        "b_int": ("int32", True), "n_alias": ("int64", True), "sum_cast": ("int64", True),
        "count_text": ("string", True)}
    assert same_rows(both, "SELECT * FROM `//tmp/o` ORDER BY n_wide") == [
        {"i_text": str(2 ** 40), "n_wide": -1, "i_double": float(2 ** 40), "b_int": 0,
         "n_alias": -1, "sum_cast": 2 ** 40 + 1, "count_text": "2"},
        {"i_text": "1", "n_wide": 2, "i_double": 1.0, "b_int": 1, "n_alias": 2,
         "sum_cast": 2, "count_text": "2"}]


def test_casts_that_may_fail_are_optional(both):
    # each may give NULL: a value out of the target's range, a string that is not a number;
    # a CAST of an Optional value (k) is Optional whatever the types
    assert written_columns(both, "SELECT CAST(i AS Int32) AS narrow, CAST(s AS Int64) AS parsed, "
                                 "CAST(u AS Int64) AS signed, CAST(d AS Int64) AS truncated, "
                                 "CAST(k AS String) AS same FROM `//tmp/t`") == {
        "narrow": ("int32", False), "parsed": ("int64", False), "signed": ("int64", False),
        "truncated": ("int64", False), "same": ("string", False)}
    assert same_rows(both, "SELECT narrow, parsed, signed, truncated FROM `//tmp/o` "
                           "ORDER BY truncated") == [
        {"narrow": None, "parsed": None, "signed": None, "truncated": -1},
        {"narrow": 1, "parsed": 7, "signed": 3, "truncated": 2}]


def test_a_subquerys_required_column_stays_required_in_the_outer_query(both):
    assert written_columns(both, "SELECT i, x, k FROM (SELECT i, i + 1 AS x, k FROM `//tmp/t`)") == {
        "i": ("int64", True), "x": ("int64", True), "k": ("string", False)}
    assert same_rows(both, "SELECT i, x, k FROM `//tmp/o` ORDER BY i") == [
        {"i": 1, "x": 2, "k": "a"}, {"i": 2 ** 40, "x": 2 ** 40 + 1, "k": None}]
    # by the subquery's alias, through `*`, through a CAST of the inner column's type
    assert written_columns(both, "SELECT q.n AS qn, CAST(q.n AS String) AS qs FROM "
                                 "(SELECT n FROM `//tmp/t` WHERE i > 1) AS q") == {
        "qn": ("int32", True), "qs": ("string", True)}
    assert written_columns(both, "SELECT * FROM (SELECT n, k FROM `//tmp/t`)") == {
        "n": ("int32", True), "k": ("string", False)}
    # a subquery on the side a LEFT JOIN may leave without a row is Optional
    assert written_columns(both, "SELECT l.n AS ln, r.n AS rn FROM `//tmp/t` AS l LEFT JOIN "
                                 "(SELECT n FROM `//tmp/t` WHERE n > 0) AS r ON l.n = r.n") == {
        "ln": ("int32", True), "rn": ("int32", False)}
    assert same_rows(both, "SELECT ln, rn FROM `//tmp/o` ORDER BY ln") == [
        {"ln": -1, "rn": None}, {"ln": 2, "rn": 2}]
