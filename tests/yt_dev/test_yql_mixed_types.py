"""Comparisons and arithmetic of types YQL does not mix are refused in dev, in YQL's words,
before a row is read (core/yql_mixed_types.py).

YQL's words and rules, ydb-platform/ydb:
- comparisons: CompareWrapper in yql/essentials/core/type_ann/type_ann_core.cpp adds
  "Uncompatible types in compare: <left> '<op>' <right>" when CanCompare (yql/essentials/
  core/yql_expr_type_annotation.cpp) says Uncomparable; for two data types that is
  NUdf::IsComparable (yql/essentials/public/udf/udf_data_type.cpp): numeric with numeric,
  string with string, integral with Decimal..., never Yson (no CanCompare feature in
  UDF_TYPE_ID_MAP, udf_data_type.h), never Bool with a number (Bool is no NumericType).
- arithmetic: AddWrapper, SubWrapper, MulWrapper, DivWrapper, ModWrapper in
  type_ann_core.cpp: "Cannot add type <left> and <right>" (substract, multiply, divide,
  mod) for operands that are not numbers, dates with intervals, nor Decimals.
"""

from __future__ import annotations

import pytest

from yt_pipeline.errors import QueryFailed


@pytest.fixture
def tables(dev_client):
    dev_client.create_path("//strict", "table", schema=[
        {"name": "a", "type": "int64"}, {"name": "s", "type": "string"},
        {"name": "b", "type": "boolean"}])
    dev_client.write_table("//strict", [{"a": 1, "s": "1", "b": True}], append=True)
    # schemaless: `a` is inferred an Int64, `m` (two kinds of values) is Yson
    dev_client.write_table("//loose", [{"a": 1, "m": 1}, {"a": 2, "m": "z"}])
    return dev_client


@pytest.mark.parametrize(("query", "words"), [
    ('SELECT 1 = "1" AS v', "Int32 '==' String"),
    ('SELECT 1 != "1" AS v', "Int32 '!=' String"),
    ('SELECT "1" < 2 AS v', "String '<' Int32"),
    ("SELECT true = 1 AS v", "Bool '==' Int32"),
    ('SELECT * FROM `//strict` WHERE a = "1"', "Int64 '==' String"),
    ("SELECT * FROM `//strict` WHERE a >= s", "Int64 '>=' String"),
    ('SELECT * FROM `//loose` WHERE a = "1"', "Int64 '==' String"),
    ('SELECT * FROM `//loose` WHERE m = "1"', "Yson '==' String"),
])
def test_a_comparison_of_types_yql_does_not_compare_is_refused(tables, query, words):
    # DuckDB casts the string to the number and answers (1 = "1" was true in dev)
    with pytest.raises(QueryFailed, match=f"^YQL: Uncompatible types in compare: {words}$"):
        tables.run_yql(query)


def test_the_refusal_needs_no_row(tables):
    # YQL refuses while annotating types: an empty result changes nothing
    with pytest.raises(QueryFailed, match="Uncompatible types in compare: Int64 '==' String"):
        tables.run_yql('SELECT * FROM `//strict` WHERE a = "1" AND a > 5')


@pytest.mark.parametrize(("query", "expected"), [
    ("SELECT 1 < 2.5 AS v", [{"v": True}]),  # two numbers
    ('SELECT "a" = "a" AS v', [{"v": True}]),
    ("SELECT a FROM `//strict` WHERE a = 1 AND s = '1' AND b = true", [{"a": 1}]),
    ("SELECT a FROM `//loose` WHERE a > 1", [{"a": 2}]),
    ("SELECT a FROM `//strict` WHERE a = NULL", []),  # NULL compares with anything
])
def test_comparisons_yql_allows_give_their_rows(tables, query, expected):
    assert tables.run_yql(query) == expected


@pytest.mark.parametrize(("query", "words"), [
    ('SELECT "a" + 1 AS v', "Cannot add type String and Int32"),
    ('SELECT "2" * 2 AS v', "Cannot multiply type String and Int32"),  # was 4 in dev
    ("SELECT true + 1 AS v", "Cannot add type Bool and Int32"),
    ("SELECT a + s AS v FROM `//strict`", "Cannot add type Int64 and String"),
    ("SELECT a - s AS v FROM `//strict`", "Cannot substract type Int64 and String"),
    ("SELECT s / a AS v FROM `//strict`", "Cannot divide type String and Int64"),
    ("SELECT s % a AS v FROM `//strict`", "Cannot mod type String and Int64"),
    ("SELECT m + 1 AS v FROM `//loose`", "Cannot add type Yson and Int32"),
])
def test_arithmetic_of_a_string_bool_or_yson_is_refused_in_yqls_words(tables, query, words):
    with pytest.raises(QueryFailed, match=f"^YQL: {words}$"):
        tables.run_yql(query)
