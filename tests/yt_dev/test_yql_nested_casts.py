"""CASTs of CASTs: each level names its operand once in the SQL DuckDB binds
(yql_semantics._bound_once). The integer cast reads its operand's type, then casts it
(five names of it), and named again at every level the SQL grew five times a level: six
levels of CAST(CAST(... AS String) AS Int64) took DuckDB 95 s to bind."""

from __future__ import annotations

import pytest
from macro_expansion import expanded_length

from yt_pipeline_dev.yql_translate import translate


def nested(depth: int, operand: str = "x") -> str:
    for level in range(depth):
        operand = f"CAST({operand} AS {'String' if level % 2 == 0 else 'Int64'})"
    return operand


def sql_length(depth: int) -> int:
    """The length of the SQL DuckDB binds, its macros expanded (macro_expansion.py)."""
    return expanded_length(translate(f"SELECT {nested(depth)} AS v FROM `//t`")[0].template)


def test_the_sql_grows_by_the_same_length_each_level():
    steps = [sql_length(depth + 1) - sql_length(depth) for depth in range(1, 9)]
    # each level's own text, its macros expanded: it was 5 times the level below it. A
    # level to String holds the text of every type's YQL text (a Double's is some 3.7 KB,
    # yql_times.yql_float_text); each level of a kind adds the same length
    assert steps[2:] == steps[:-2], steps
    assert max(steps) < 5000, steps


@pytest.mark.parametrize("depth, expected", [(1, "5"), (2, 5), (6, 5), (9, "5")])
def test_nested_casts_give_yql_s_value(dev_client, depth, expected):
    dev_client.write_table("//t", [{"x": 5}])
    assert dev_client.run_yql(f"SELECT {nested(depth)} AS v FROM `//t`") == [{"v": expected}]


def test_a_cast_of_an_expression_keeps_yql_s_meaning(dev_client):
    dev_client.write_table("//t", [{"f": 1.7, "s": "12"}])
    rows = dev_client.run_yql(
        "SELECT CAST(f * 2 AS Int64) AS cut, CAST(-f AS Int32) AS negative, "
        "CAST(CAST(s AS Int64) + 1 AS String) AS text, CAST(CAST(f AS String) AS Double) AS d, "
        "CAST(CAST('2024-01-02' AS Date) AS String) AS day FROM `//t`")
    # YQL cuts a fraction toward zero
    assert rows == [{"cut": 3, "negative": -1, "text": "13", "d": 1.7, "day": "2024-01-02"}]


def test_null_stays_null_through_every_level(dev_client):
    dev_client.write_table("//t", [{"x": 5}, {"x": None}])
    assert dev_client.run_yql(f"SELECT {nested(6)} AS v FROM `//t`") == [{"v": 5}, {"v": None}]
