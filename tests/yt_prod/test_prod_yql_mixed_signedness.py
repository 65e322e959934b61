"""IF, COALESCE, NVL, `??` and CASE of integers of mixed signedness are typed as YQL types
them, in dev and on the fake query tracker alike (core/yql_int_common.py), where DuckDB gave
its own wider type (an IF of a Uint32 and an Int32 was written `int64`, holding 4294967295).

Sources (ydb-platform/ydb, the YQL YTsaurus runs): CoalesceWrapper in
yql/essentials/core/type_ann/type_ann_core.cpp types its two values with
SilentInferCommonType (yql/essentials/core/yql_expr_type_annotation.cpp), which converts the
right one to the left one's type, else the left one to the right one's; TryConvertTo
converts a number to a type of its GetNumericDataTypeLevel or above (Uint8, Int8, Uint16,
Int16, Uint32, Int32, Uint64, Int64), and an integer literal to any integer type holding it
(AllowIntegralConversion). IfWrapper (type_ann_core.cpp) takes CommonType of its branches'
types instead (yql_expr_type_annotation.cpp), GetSuperType's higher level of the two, a
literal's type as any other. The converted value is Convert, a static_cast for integers
(TConvert in yql/essentials/minikql/invoke_builtins/mkql_builtins_convert.cpp), so a value
the type does not hold wraps around; each pair converts the values it holds, so a value in
pairs holding one another is converted pair by pair. CASE is an If of halves of its values
(CaseRule and ReduceCaseBranches in yql/essentials/sql/v1/sql_expression.cpp).
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake_table, fails_alike, same_rows, written_columns

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

SCHEMA = [{"name": name, "type": kind} for name, kind in (
    ("k", "int64"), ("b", "boolean"), ("u8", "uint8"), ("i8", "int8"), ("u16", "uint16"),
    ("u32", "uint32"), ("i32", "int32"), ("u64", "uint64"), ("i64", "int64"))]
#: each unsigned column at its type's greatest value, each signed one at -1
ROWS = [{"k": 1, "b": True, "u8": 255, "i8": -1, "u16": 65535, "u32": 4294967295, "i32": -1,
         "u64": 18446744073709551615, "i64": -1}]


@pytest.fixture
def both(prod_client, tmp_path):
    return dev_and_fake_table(prod_client, tmp_path, "//tmp/src", SCHEMA, ROWS)


def test_the_higher_level_is_the_type_and_the_other_value_wraps_around(both):
    columns = written_columns(both, (
        "SELECT IF(k = 1, CAST(4294967295 AS Uint32), CAST(-1 AS Int32)) AS if_cast, "
        "IF(b, u32, i32) AS if_columns, COALESCE(u32, i32) AS coalesce_columns, "
        "NVL(u8, i8) AS nvl_columns, u64 ?? i64 AS question_columns, "
        "CASE WHEN b THEN i8 ELSE u64 END AS case_unsigned_wider, "
        "IF(b, u16, i8) AS if_unsigned_wider FROM `//tmp/src`"))
    # a Uint32 with an Int32 is an Int32, a Uint8 with an Int8 an Int8, a Uint64 with an
    # Int64 an Int64: the signed type is a level above the unsigned one as wide; a wider
    # unsigned type is above the signed one
    assert {name: kind for name, (kind, _) in columns.items()} == {
        "if_cast": "int32", "if_columns": "int32", "coalesce_columns": "int32",
        "nvl_columns": "int8", "question_columns": "int64", "case_unsigned_wider": "uint64",
        "if_unsigned_wider": "uint16"}
    assert same_rows(both, "SELECT * FROM `//tmp/o`") == [{
        "if_cast": -1, "if_columns": -1, "coalesce_columns": -1, "nvl_columns": -1,
        "question_columns": -1, "case_unsigned_wider": 18446744073709551615,
        "if_unsigned_wider": 65535}]


def test_an_integer_literal_that_fits_takes_the_coalesced_values_type_not_an_ifs(both):
    # `u32 ?? 1`: the literal is converted to the Uint32; -1 fits no Uint32, and the Uint32
    # is converted to the literal's Int32. A Coalesce with a right operand not Optional is
    # not Optional (CoalesceWrapper: the common type of the left one's item type). An If
    # takes CommonType of its branches' types (IfWrapper, type_ann_core.cpp), GetSuperType's
    # higher level (yql_expr_type_annotation.cpp): a literal 1 is an Int32 there, whatever
    # the other branch, so `IF(b, 1, u32)` is an Int32
    columns = written_columns(both, (
        "SELECT COALESCE(u32, 1) AS fits, COALESCE(u32, -1) AS not_fitting, "
        "COALESCE(u64, -1) AS into_uint64, IF(b, 1, u32) AS then_literal, "
        "IF(b, u32, -1) AS else_literal FROM `//tmp/src`"))
    assert columns == {
        "fits": ("uint32", True), "not_fitting": ("int32", True),
        "into_uint64": ("uint64", True), "then_literal": ("int32", False),
        "else_literal": ("int32", False)}
    assert same_rows(both, "SELECT * FROM `//tmp/o`") == [{
        "fits": 4294967295, "not_fitting": -1, "into_uint64": 18446744073709551615,
        "then_literal": 1, "else_literal": -1}]


def test_a_coalesce_of_several_and_a_case_of_several_values(both):
    # COALESCE folds from the left: Coalesce(Coalesce(i8, u8), u16) is of the Uint16 (the
    # Int8 above the Uint8, the Uint16 above the Int8); CASE's halves: If(If(u32, i32), i8)
    # is an Int32
    columns = written_columns(both, (
        "SELECT COALESCE(i8, u8, u16) AS coalesced, "
        "CASE WHEN k = 2 THEN u32 WHEN k = 1 THEN i32 ELSE i8 END AS cased FROM `//tmp/src`"))
    assert {name: kind for name, (kind, _) in columns.items()} == {
        "coalesced": "uint16", "cased": "int32"}
    assert same_rows(both, "SELECT * FROM `//tmp/o`") == [{"coalesced": 65535, "cased": -1}]


def test_a_coalesce_of_three_converts_pair_by_pair(both):
    # COALESCE(a, b, c) is the Coalesce of all three (the builtin "coalesce" and "nvl" in
    # yql/essentials/sql/v1/builtin.cpp), which CoalesceWrapper splits into pairs from the
    # left, Coalesce(Coalesce(a, b), c): u32's 4294967295 is the inner pair's Int32 -1, which
    # the outer Int64 keeps, and the outer Uint64 wraps around again
    columns = written_columns(both, (
        "SELECT COALESCE(u32, i32, i64) AS into_int64, NVL(u32, i32, u64) AS into_uint64, "
        "COALESCE(NULL, u32, i32, i64) AS after_null FROM `//tmp/src`"))
    assert columns == {"into_int64": ("int64", False), "into_uint64": ("uint64", False),
                       "after_null": ("int64", False)}
    assert same_rows(both, "SELECT * FROM `//tmp/o`") == [{
        "into_int64": -1, "into_uint64": 18446744073709551615, "after_null": -1}]


def test_a_case_of_several_values_converts_them_half_by_half(both):
    # CASE is If(any WHEN, the If of its THEN values' halves, ELSE) (CaseRule and
    # ReduceCaseBranches in yql/essentials/sql/v1/sql_expression.cpp), each If converting
    # its two values: u32 and i32 make an Int32, where 4294967295 is -1, then an Int64 with
    # i64; with THEN values u32, u16, i32 the halves are u32 and If(u16, i32), an Int32,
    # and their If an Int32 too, before the Uint64 of the ELSE
    columns = written_columns(both, (
        "SELECT CASE WHEN k = 1 THEN u32 WHEN k = 2 THEN i32 ELSE i64 END AS two_thens, "
        "CASE WHEN k = 1 THEN u32 WHEN k = 2 THEN u16 WHEN k = 3 THEN i32 ELSE u64 END "
        "AS three_thens FROM `//tmp/src`"))
    assert columns == {"two_thens": ("int64", False), "three_thens": ("uint64", False)}
    assert same_rows(both, "SELECT * FROM `//tmp/o`") == [{
        "two_thens": -1, "three_thens": 18446744073709551615}]


def test_a_pair_holding_another_converts_the_inner_ones_value_again(both):
    # the inner pair is typed and converted first, then the outer one converts its value
    # (IfWrapper, CoalesceWrapper): IF(b, u32, i32) is an Int32 -1, which the outer If's
    # Uint64 wraps around; `a ?? b ?? c` is Coalesce(a, Coalesce(b, c)) (SubExpr of
    # neq_subexpr, yql/essentials/sql/v1/sql_expression.cpp): u32 ?? u8 is a Uint32, which
    # the outer Int32 makes -1
    columns = written_columns(both, (
        "SELECT IF(b, IF(b, u32, i32), u64) AS nested_if, "
        "COALESCE(COALESCE(u32, i32), u64) AS nested_coalesce, "
        "CAST(NULL AS Int32) ?? u32 ?? u8 AS chain, "
        "IF(b, IF(b, IF(b, u32, i32), u16), u64) AS three_levels FROM `//tmp/src`"))
    assert columns == {"nested_if": ("uint64", False), "nested_coalesce": ("uint64", False),
                       "chain": ("int32", False), "three_levels": ("uint64", False)}
    assert same_rows(both, "SELECT * FROM `//tmp/o`") == [{
        "nested_if": 18446744073709551615, "nested_coalesce": 18446744073709551615,
        "chain": -1, "three_levels": 18446744073709551615}]
    # the inner pair refuses its values before the outer one is typed
    fails_alike(both, "SELECT IF(b, IF(b, u32, 'a'), i64) AS x FROM `//tmp/src`",
                "YQL: Cannot infer common type for Uint32 and String")


def test_a_null_coalesced_with_a_pair_inside_a_lambda_of_the_query(both):
    # Coalesce(NULL, x) is of x's type and converts nothing (CoalesceWrapper); inside a
    # lambda of the query's own not naming its argument, the typing of a pair holding
    # another was refused by DuckDB ("struct_extract must be a constant expression")
    assert same_rows(both, (
        "SELECT ListMap(AsList(1, 2), ($x) -> (NULL ?? i32 ?? i8)) AS a, "
        "ListMap(AsList(2), ($x) -> (IF($x > 1, (NULL ?? u8 ?? i64), i64))) AS b "
        "FROM `//tmp/src`")) == [{"a": [-1, -1], "b": [255]}]
