"""YQL's `??`, COALESCE, NVL and IF type their operands as YQL does, in dev and on the fake
query tracker alike (core/yql_coalesce.py, core/yql_required.py).

Source: CoalesceWrapper and NvlWrapper in yql/essentials/core/type_ann/type_ann_core.cpp,
with SilentInferCommonType and TryConvertTo in yql/essentials/core/yql_expr_type_annotation.cpp
(ydb-platform/ydb, the YQL YTsaurus runs). The operands need a common type, found by
converting one to the other's type (a number to one of its level or above, a date to a
wider one, Utf8 to String, a NULL to anything); without one the query fails type
annotation, before a row is read, with "uncompatible coalesce types, first type: <left>,
second type: <right>". More than two operands are folded from the left. The result is the
left operand when it is not Optional and of the right one's item type, else the common
type, Optional only when both operands are. IF(c, a, b) needs a common type of its branches
(IfWrapper there, CommonType and GetSuperType in yql_expr_type_annotation.cpp: numbers
unite to the higher level, strings to String, dates to the wider), else "Cannot infer
common type for <then> and <else>", naming their data types.
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake, dev_and_fake_table, fails_alike, same_rows, written_columns

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

ROWS = [{"s": "text", "i": 5, "b": True}]
SCHEMA = [{"name": "s", "type": "string"}, {"name": "i", "type": "int64"},
          {"name": "b", "type": "boolean"}]


@pytest.fixture
def both(prod_client, tmp_path):
    """A dev client and the prod client on the fake, each holding //tmp/src."""
    return dev_and_fake(prod_client, tmp_path, {"//tmp/src": ROWS})


@pytest.mark.parametrize("expression, line", [
    # DuckDB failed as it read the row: "Could not convert string 'str' to INT64"
    ("CAST(s AS Int64) ?? 'str'", "first type: Int64, second type: String"),
    # DuckDB gave 5
    ("i ?? 'str'", "first type: Int64, second type: String"),
    ("COALESCE(i, 'str')", "first type: Int64, second type: String"),
    ("NVL(i, 'str')", "first type: Int64, second type: String"),
    # folded from the left: Coalesce(Coalesce(NULL, i), 'str') is i ?? 'str'
    ("COALESCE(NULL, i, 'str')", "first type: Int64, second type: String"),
    # a ?? b ?? c is a ?? (b ?? c): the inner pair is refused
    ("s ?? i ?? 'str'", "first type: Int64, second type: String"),
    ("b ?? 1", "first type: Bool, second type: Int32"),
    ("CAST(s AS Date) ?? 'str'", "first type: Date, second type: String"),
])
def test_operands_without_a_common_type_are_refused_in_yqls_words(both, expression, line):
    fails_alike(both, f"SELECT {expression} AS x FROM `//tmp/src`",
                f"YQL: uncompatible coalesce types, {line}")


def test_the_refusal_comes_before_any_row_is_read(prod_client, tmp_path):
    # YQL types the query before it reads a row: an empty table is refused too, where
    # DuckDB cast the string to a number for no row and gave no rows
    both = dev_and_fake_table(prod_client, tmp_path, "//tmp/empty", SCHEMA, [])
    fails_alike(both, "SELECT i ?? 'str' AS x FROM `//tmp/empty`",
                "YQL: uncompatible coalesce types, first type: Int64, second type: String")
    fails_alike(both, "SELECT COALESCE(CAST(s AS Int64), 'str') AS x FROM `//tmp/empty`",
                "YQL: uncompatible coalesce types, first type: Int64, second type: String")


def test_operands_with_a_common_type_give_it_and_are_required_when_one_operand_is(
        prod_client, tmp_path):
    schema = [{"name": "i", "type": "int64", "required": True},
              {"name": "o", "type": "int32"}, {"name": "s", "type": "string"}]
    both = dev_and_fake_table(prod_client, tmp_path, "//tmp/src", schema,
                              [{"i": 5, "o": None, "s": "text"}])
    # a required left operand makes the Coalesce required, whatever its right one: dev
    # took the last operand's Optional for the result's
    columns = written_columns(both, (
        "SELECT i ?? o AS left_required, NVL(i, o) AS nvl_of_them, "
        "o ?? i AS widened, CAST(s AS Int8) ?? 7 AS narrow_literal, o ?? 1.5 AS to_double, "
        "NULL ?? i AS null_left, o ?? o AS both_optional, "
        # IF unites its branches' types too, Optional when one is
        "IF(i > 1, i, o) AS if_widened, IF(i > 9, 1.5, o) AS if_double FROM `//tmp/src`"))
    assert columns == {
        "left_required": ("int64", True), "nvl_of_them": ("int64", True),
        "widened": ("int64", True), "narrow_literal": ("int8", True),
        "to_double": ("double", True), "null_left": ("int64", True),
        "both_optional": ("int32", False), "if_widened": ("int64", False),
        "if_double": ("double", False)}
    assert same_rows(both, "SELECT * FROM `//tmp/o`") == [
        {"left_required": 5, "nvl_of_them": 5, "widened": 5, "narrow_literal": 7,
         "to_double": 1.5, "null_left": 5, "both_optional": None, "if_widened": 5,
         "if_double": None}]


@pytest.mark.parametrize("expression, line", [
    # DuckDB gave 1, casting 'a' to a number for the rows that took that branch
    ("IF(i > 1, 1, 'a')", "Int32 and String"),
    ("IF(i > 1, i, 'a')", "Int64 and String"),
    ("IF(i > 1, b, 0)", "Bool and Int32"),
    # the outer IF's then branch is the inner one's Int64
    ("IF(i > 1, IF(i > 2, i, 1), s)", "Int64 and String"),
])
def test_if_branches_without_a_common_type_are_refused_in_yqls_words(both, expression, line):
    fails_alike(both, f"SELECT {expression} AS x FROM `//tmp/src`",
                f"YQL: Cannot infer common type for {line}")
    fails_alike(both, f"SELECT {expression} AS x FROM `//tmp/src` WHERE i > 100",
                f"YQL: Cannot infer common type for {line}")



def test_if_branches_are_checked_inside_a_lambda_of_the_query(both):
    # DuckDB folds the check there only in its plain form: a short branch keeps it
    lambda_of = "SELECT ListMap(AsList(1, 2, 3), ($x) -> {{ RETURN IF($x > 1, abs(i), {}); }}) " \
                "AS f FROM `//tmp/src`"
    assert same_rows(both, lambda_of.format("0")) == [{"f": [0, 5, 5]}]
    fails_alike(both, lambda_of.format('"a"'), "YQL: Cannot infer common type for Int64 and String")
