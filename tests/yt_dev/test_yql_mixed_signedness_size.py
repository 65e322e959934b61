"""The SQL DuckDB binds for a COALESCE of several values and a CASE of more than two, which
convert each value pair by pair (core/yql_int_common.py): each value's conversion is a
macro and names the types of all the values, so its length is paid once per value, and a
CASE or COALESCE an IF holds is copied with the IF. The wrapping of a value was written once
for each integer type, and the types' ranks once for each type a value's path names: the
SQL was some 2.7 times the length of the former single conversion of the whole, and
queries holding them took DuckDB three times as long to bind."""

from __future__ import annotations

import pytest
from macro_expansion import expanded_length

from yt_pipeline_dev.yql_translate import translate


def sql_length(select: str) -> int:
    """The length of the SQL DuckDB binds, its macros expanded (macro_expansion.py)."""
    return expanded_length(translate(f"SELECT {select} AS v FROM `//t`")[0].template)


@pytest.mark.parametrize(("select", "longest"), [
    # 97,656 before; a single conversion of the whole was 35,721
    ("COALESCE(a, b, c, d, e)", 65_000),
    # 73,126 before; 27,142
    ("CASE WHEN x THEN a WHEN y THEN b WHEN z THEN c ELSE d END", 45_000),
    # 1,694,312 before; 694,777
    ("IF(x, CASE k WHEN 1 THEN a WHEN 2 THEN b ELSE c END, a)", 1_100_000),
])
def test_a_conversion_pair_by_pair_is_not_much_longer_than_one_of_the_whole(select, longest):
    assert sql_length(select) < longest



@pytest.mark.parametrize(("select", "longest"), [
    # 1,232,357 before; a single conversion of the whole was 1,013,396
    ("COALESCE(a, (b ?? c), d)", 1_150_000),
    # 1,110,092 before; 904,001
    ("COALESCE(a, CASE WHEN x THEN b ELSE c END, d)", 1_050_000),
])
def test_a_coalesce_of_several_holding_a_later_rewrite_is_converted_once(select, longest):
    # the `??` and the CASE are written after the COALESCE, into each copy of its
    # operands: each operand's path copied them once per operand (DuckDB bound such a
    # query in twice the time)
    assert sql_length(select) < longest


@pytest.mark.parametrize(("select", "longest"), [
    # 1,087,131 before; 65,726
    ("COALESCE(a, (b ?? c), e)", 100_000),
    # 3,488,595 before; 177,422
    ("COALESCE(a, (b ?? c ?? d), e)", 270_000),
    # 976,449 before; 60,578
    ("COALESCE(a, CASE WHEN x THEN b ELSE c END, d)", 95_000),
    # 482,530 before; 45,509
    ("IF(x, (a ?? b), c)", 70_000),
    # 433,624 before; 41,648
    ("IF(x, CASE WHEN y THEN a ELSE b END, c)", 65_000),
    # 4,106,303 before (DuckDB bound it in some 15 s); 215,251
    ("COALESCE((255ut), (ri32 ?? 0 ?? u16), CASE WHEN NULL THEN i32 ELSE ri8 END)", 330_000),
    # 3,395,587 before; 231,015
    ("NVL(NVL(a, (b ?? c)), COALESCE(d, (e ?? f), g))", 350_000),
])
def test_a_check_of_an_operand_holding_a_later_rewrite_names_it_once(select, longest):
    # the `??` and the CASE are small when the IF or COALESCE holding them is checked,
    # but are written later into each copy the check's macro (yql_coalesce_key,
    # yql_if_key) and the conversion's (yql_int_as) make of the operand, each copy with
    # its own check and conversion: the SQL grew several times over at each level
    assert sql_length(select) < longest


@pytest.mark.parametrize(("select", "longest"), [
    # 111,404 before; 19,196
    ("COALESCE(CAST(-3 AS Int16), 255ut)", 30_000),
    # 75,474 before; 12,850
    ("IF(x, CAST(1 AS Uint64), 255ut)", 20_000),
    # 3,208,717 before (DuckDB bound it in some 10 s); 286,876
    ("ListMap(AsList(1, 2, 3), ($x) -> ($x ?? COALESCE(CAST(-3 AS Int16), 255ut)))",
     430_000),
])
def test_an_integer_literal_cast_to_an_integer_type_is_one_cast(select, longest):
    # the CAST's check of its operand's type and its CASE of a branch per type named the
    # literal ten times, of which DuckDB keeps one: the checks holding the cast copied
    # them all
    assert sql_length(select) < longest
