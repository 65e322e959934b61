"""yql_yson.sampled_columns: what a schemaless table's first rows tell of its columns, in one
pass, must be what a pass for each says: the columns inferred (yql_rules.inferred_columns),
the first value of each, and the Yson ones (a list or a map, or two kinds of value, as
TStreamSchemaInferer::AddRow types them: value_type per value, big integers included)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from yt_pipeline.column_types import value_type
from yt_pipeline.yql_rules import inferred_columns
from yt_pipeline.yql_yson import sampled_columns, yson_columns

VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2 ** 64), max_value=2 ** 65),
    st.sampled_from([2 ** 63 - 1, 2 ** 63, -(2 ** 63), -(2 ** 63) - 1, 0, -1]),
    st.floats(allow_nan=False), st.text(max_size=3), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))
ROWS = st.lists(st.dictionaries(st.sampled_from(["a", "b", "$c", "", "d"]), VALUES,
                                max_size=4), max_size=8)


def _per_value(rows: list[dict[str, Any]], limit: int) -> tuple[dict[str, Any], set[str]]:
    """The first values and Yson columns, a value at a time."""
    first: dict[str, Any] = {}
    kinds: dict[str, set[str]] = {}
    for row in rows[:limit]:
        for name, value in row.items():
            if value is not None:
                first.setdefault(name, value)
                if not name.startswith("$"):
                    kinds.setdefault(name, set()).add(value_type(value))
    return first, {name for name, seen in kinds.items() if "any" in seen or len(seen) > 1}


@settings(max_examples=300, deadline=None, database=None)
@given(rows=ROWS, limit=st.integers(min_value=1, max_value=9))
def test_one_pass_tells_what_a_pass_each_does(rows, limit):
    sampled = sampled_columns(iter(rows), limit)
    first, yson = _per_value(rows, limit)
    assert sampled.names == inferred_columns(rows, limit)
    assert sampled.first == first
    assert sampled.yson == yson == yson_columns(rows, limit)


def test_an_int64_column_with_one_value_past_it_is_yson():
    rows = [{"a": 1, "b": 2 ** 63, "c": -5}, {"a": 2 ** 63, "b": 2 ** 64 - 1, "c": 7}]
    sampled = sampled_columns(rows, 1000)
    assert sampled.yson == {"a"}
    assert sampled.first == {"a": 1, "b": 2 ** 63, "c": -5}
    # the kind is the first value's only while no later row is read
    assert sampled_columns(rows, 1).yson == set()
