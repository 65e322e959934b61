"""A comparison inside another's operand (`IF(a > 1, 1, 2) > 0`): the check of its types
(yql_mixed_types.compared) names the operands once more, not once per use in the checking
macros' bodies, where they were copied some fifty times a level: two levels took DuckDB
3 s to bind."""

from __future__ import annotations

import pytest
from macro_expansion import expanded_length

from yt_pipeline.errors import QueryFailed
from yt_pipeline_dev.yql_translate import translate


def nested(depth: int) -> str:
    return "IF(" * depth + "x > 1" + ", 1, 2) > 0" * depth


def sql_length(depth: int) -> int:
    """The length of the SQL DuckDB binds, its macros expanded (macro_expansion.py)."""
    return expanded_length(translate(f"SELECT {nested(depth)} AS v FROM `//t`")[0].template)


def test_each_level_at_most_doubles_the_sql():
    lengths = [sql_length(depth) for depth in range(1, 6)]
    # the operand is in the comparison and in the check: twice, plus the level's own
    # text (the check of the level, some 5,000 characters expanded); it was fifty times
    assert all(later < 2 * earlier + 10_000 for earlier, later in zip(lengths, lengths[1:])), \
        lengths


@pytest.mark.parametrize("depth", [1, 2, 5])
def test_nested_comparisons_answer(dev_client, depth):
    dev_client.write_table("//t", [{"x": 5}, {"x": 0}])
    assert dev_client.run_yql(f"SELECT {nested(depth)} AS v FROM `//t`") == \
        [{"v": True}, {"v": True}]


def test_a_nested_comparison_of_types_yql_does_not_compare_is_still_refused(dev_client):
    dev_client.write_table("//t", [{"x": 5}])
    with pytest.raises(QueryFailed, match="^YQL: Uncompatible types in compare: "
                                          "Int32 '==' String$"):
        dev_client.run_yql('SELECT IF(IF(x > 1, 1, 2) > 0, 1, 2) = "a" AS v FROM `//t`')


def test_a_nested_comparison_inside_a_lambda_of_the_query_answers(dev_client):
    # DuckDB does not fold the bound form inside a lambda: the plain one is kept there
    dev_client.write_table("//t", [{"i": 1}])
    assert dev_client.run_yql(
        "SELECT ListFilter(AsList(1, 2, 3), ($x) -> { RETURN IF($x > 1, 1, 0) > 0; }) AS f "
        "FROM `//t`") == [{"f": [2, 3]}]
