"""The values of YQL's CASE are typed as YQL types them, in dev and on the fake query tracker
alike (core/yql_case.py).

Source: CaseRule and ReduceCaseBranches in yql/essentials/sql/v1/sql_expression.cpp
(ydb-platform/ydb, the YQL YTsaurus runs): `CASE WHEN c1 THEN v1 ... ELSE e END` becomes the
builtin If, its WHEN branches halved again and again (the first half the left one), each
pair of halves an If of their values, and the whole If(any condition, that value, e). Each
If needs a common type of its two values (IfWrapper in
yql/essentials/core/type_ann/type_ann_core.cpp, CommonType in yql_expr_type_annotation.cpp:
numbers unite to the higher level, strings to String, dates to the wider), else the query
fails type annotation, before a row is read, with "Cannot infer common type for <then> and
<else>", naming the data types, a half's the common type of its values.
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake, dev_and_fake_table, fails_alike, same_rows, written_columns

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

ROWS = [{"k": k, "s": f"v{k}", "f": k / 2, "b": k % 2 == 0} for k in range(5)]
SCHEMA = [{"name": "k", "type": "int64"}, {"name": "s", "type": "string"},
          {"name": "f", "type": "double"}, {"name": "b", "type": "boolean"}]


@pytest.fixture
def both(prod_client, tmp_path):
    """A dev client and the prod client on the fake, each holding //tmp/src."""
    return dev_and_fake(prod_client, tmp_path, {"//tmp/src": ROWS})


@pytest.mark.parametrize("expression, types", [
    # DuckDB failed only for the rows taking the THEN branch: "Could not convert string
    # 'pos' to INT32"
    ("CASE WHEN k > 1 THEN 'pos' ELSE 0 END", "String and Int32"),
    # DuckDB: "Cannot mix values of type BIGINT and VARCHAR in CASE expression"
    ("CASE WHEN k > 1 THEN s ELSE k END", "String and Int64"),
    # DuckDB gave numbers: the Bools became 0 and 1
    ("CASE WHEN k > 1 THEN b ELSE k END", "Bool and Int64"),
    # the two WHEN branches are one If before the ELSE joins them: 'one' and 2 are refused
    # though the ELSE is a NULL, which unites with anything
    ("CASE k WHEN 1 THEN 'one' WHEN 2 THEN 2 ELSE NULL END", "String and Int32"),
    # 1, k and f unite to a Double, which the ELSE's String does not unite with
    ("CASE k WHEN 1 THEN 1 WHEN 2 THEN k WHEN 3 THEN f ELSE s END", "Double and String"),
    # a CASE inside a value is refused first, as its If is typed before the one around it
    ("CASE WHEN k > 1 THEN CASE WHEN k > 2 THEN 'a' ELSE 1 END ELSE 'c' END",
     "String and Int32"),
    ("CASE WHEN k > 1 THEN CAST('2024-01-01' AS Date) ELSE 'x' END", "Date and String"),
])
def test_values_without_a_common_type_are_refused_in_yqls_words(both, expression, types):
    fails_alike(both, f"SELECT {expression} AS x FROM `//tmp/src`",
                f"YQL: Cannot infer common type for {types}")
    # before a row is read: no row takes either branch here
    fails_alike(both, f"SELECT {expression} AS x FROM `//tmp/src` WHERE k > 100",
                f"YQL: Cannot infer common type for {types}")


def test_the_refusal_comes_for_an_empty_table_and_inside_a_lambda(prod_client, tmp_path):
    both = dev_and_fake_table(prod_client, tmp_path, "//tmp/empty", SCHEMA, [])
    fails_alike(both, "SELECT CASE WHEN k > 1 THEN s ELSE k END AS x FROM `//tmp/empty`",
                "YQL: Cannot infer common type for String and Int64")
    lambda_of = ("SELECT ListMap(AsList(1, 2, 3), ($x) -> {{ RETURN CASE WHEN $x > 1 THEN k "
                 "ELSE {} END; }}) AS f FROM `//tmp/empty`")
    fails_alike(both, lambda_of.format("'a'"), "YQL: Cannot infer common type for Int64 and String")
    assert same_rows(both, lambda_of.format("0")) == []


def test_values_with_a_common_type_give_it(both):
    columns = written_columns(both, (
        "SELECT CASE k WHEN 1 THEN 1 WHEN 2 THEN k WHEN 3 THEN f ELSE 7 END AS to_double, "
        "CASE WHEN b THEN 1 ELSE k END AS to_int64, "
        "CASE WHEN b THEN 'even' WHEN k = 1 THEN s ELSE NULL END AS to_string, "
        "CASE WHEN k > 1 THEN CASE WHEN b THEN 1 ELSE 2 END ELSE 3 END AS nested "
        "FROM `//tmp/src`"))
    assert {name: kind for name, (kind, _) in columns.items()} == {
        "to_double": "double", "to_int64": "int64", "to_string": "string", "nested": "int32"}
    assert same_rows(both, "SELECT * FROM `//tmp/o` ORDER BY to_double") == [
        {"to_double": 1.0, "to_int64": 1, "to_string": "v1", "nested": 3},
        {"to_double": 1.5, "to_int64": 3, "to_string": None, "nested": 2},
        {"to_double": 2.0, "to_int64": 1, "to_string": "even", "nested": 1},
        {"to_double": 7.0, "to_int64": 1, "to_string": "even", "nested": 3},
        {"to_double": 7.0, "to_int64": 1, "to_string": "even", "nested": 1},
    ]


def test_a_case_of_the_query_is_checked_where_the_rewrites_wrote_their_own(both):
    # IF and IN are written as CASEs of DuckDB's: the query's CASE around and inside them
    # keeps its meaning, and a named GROUP BY expression is still refused in SELECT, as YQL
    # refuses a column of it there
    assert same_rows(both, (
        "SELECT IF(k > 1, CASE WHEN b THEN 1 ELSE 2 END, 3) AS x, "
        "CASE WHEN k IN (1, 2) THEN 'in' ELSE 'out' END AS y FROM `//tmp/src` ORDER BY x, y")) \
        == [{"x": 1, "y": "in"}, {"x": 1, "y": "out"}, {"x": 2, "y": "out"},
            {"x": 3, "y": "in"}, {"x": 3, "y": "out"}]
    assert same_rows(both, (
        "SELECT g, COUNT(*) AS n FROM `//tmp/src` "
        "GROUP BY CASE WHEN k > 1 THEN 'big' ELSE 'small' END AS g ORDER BY g")) == [
        {"g": "big", "n": 3}, {"g": "small", "n": 2}]
    fails_alike(both, (
        "SELECT CASE WHEN k > 1 THEN 'big' ELSE 'small' END AS g, COUNT(*) AS n "
        "FROM `//tmp/src` GROUP BY CASE WHEN k > 1 THEN 'big' ELSE 'small' END AS g2"),
        "Column `k` must either be a key column in GROUP BY")
