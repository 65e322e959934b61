"""The typed decode that tells a table file fits a strict schema (schema_fast_check) says
"all fit" only where the cluster's rules, as column_types.refused_row has them, refuse no
row; its "look closer" then gives the row-by-row check its say."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yt_pipeline import column_types
from yt_pipeline_dev.client import DevClient, UnsortedWrite
from yt_pipeline_dev.schema_fast_check import all_fit, row_struct

TYPES = ["int64", "int32", "int8", "uint64", "uint16", "double", "boolean", "string", "any",
         "null", "date", "datetime", "timestamp", "interval"]
NAMES = ["a", "b", "c", "my col", "$x"]
#: integers at and around every range's ends, and past int64 and uint64
EDGES = sorted({edge + delta for low, high in [*column_types.INTEGER_RANGES.values(),
                                               *column_types.TIME_RANGES.values()]
                for edge in (low, high) for delta in (-1, 0, 1)} | {10 ** 19, -(10 ** 19)})

values = st.one_of(
    st.none(), st.booleans(), st.sampled_from(EDGES), st.integers(-(2 ** 70), 2 ** 70),
    st.integers(-300, 300), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 1.0, -2.5, 1e18]), st.text(max_size=4),
    st.lists(st.integers(-3, 3), max_size=2), st.dictionaries(st.sampled_from("xy"),
                                                              st.integers(0, 3), max_size=2))


@st.composite
def schema_and_rows(draw):
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    types = {name: draw(st.sampled_from(TYPES)) for name in names}
    required = draw(st.sets(st.sampled_from(names)))
    rows = draw(st.lists(st.dictionaries(st.sampled_from([*NAMES, "extra"]), values,
                                         max_size=5), min_size=1, max_size=6))
    return column_types.SchemaColumns(types, required), rows


def _table(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


@settings(max_examples=600, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(schema_and_rows())
def test_all_fit_only_when_no_row_is_refused(tmp_path, case):
    columns, rows = case
    table = _table(tmp_path, rows)
    refused = [column_types.refused_row(columns, row) for row in rows]
    if all_fit(columns, table):
        assert refused == [None] * len(rows), (dict(columns), columns.required, rows)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_rows_that_plainly_fit_are_told_so(tmp_path, data):
    """Values of each column's own kind, within its range and under 19 digits: the typed
    decode says they fit (the row-by-row look is needed only for what it cannot model)."""
    modelled = [kind for kind in TYPES if kind != "null"]
    types = {name: data.draw(st.sampled_from(modelled)) for name in NAMES[:3]}
    columns = column_types.SchemaColumns(types, data.draw(st.sets(st.sampled_from(NAMES[:3]))))

    def value(kind: str):
        if kind in column_types.INTEGER_RANGES or kind in column_types.TIME_RANGES:
            low, high = (column_types.INTEGER_RANGES.get(kind)
                         or (column_types.TIME_RANGES[kind][0],
                             column_types.TIME_RANGES[kind][1] + 1))
            return st.integers(max(low, -(10 ** 17)), min(high - 1, 10 ** 17))
        return {"double": st.floats(allow_nan=False, allow_infinity=False),
                "boolean": st.booleans(), "string": st.text(max_size=5),
                "any": st.lists(st.integers(0, 9), max_size=2)}[kind]

    rows = [{name: data.draw(value(kind)) for name, kind in types.items()}
            for _ in range(data.draw(st.integers(1, 5)))]
    assert [column_types.refused_row(columns, row) for row in rows] == [None] * len(rows)
    assert all_fit(columns, _table(tmp_path, rows))


@pytest.mark.parametrize("kind", ["double", "int64"])
def test_an_integer_in_a_double_column_and_a_float_in_an_integer_one_look_closer(tmp_path,
                                                                                 kind):
    columns = column_types.SchemaColumns({"v": kind})
    wrong = 3 if kind == "double" else 3.0
    assert not all_fit(columns, _table(tmp_path, [{"v": 1.5 if kind == "double" else 1},
                                                  {"v": wrong}]))
    assert column_types.refused_row(columns, {"v": wrong}) is not None


def test_composite_types_are_not_modelled():
    assert row_struct(column_types.SchemaColumns({"v": "list"})) is None
    assert row_struct(column_types.SchemaColumns({"v": "null"}, ["v"])) is None


def test_a_write_into_a_strict_table_still_names_the_refused_row(tmp_path):
    """Through the client: a million-row append that fits is taken; one late row that does
    not is refused with its number, the table left as it was."""
    client = DevClient(tmp_path / ".dev")
    client.create_path("//t", "table", schema=[{"name": "id", "type": "int64"},
                                               {"name": "score", "type": "double"}])
    client.write_table("//t", ({"id": i, "score": i / 2} for i in range(1000)))
    rows = [{"id": i, "score": 0.5} for i in range(500)] + [{"id": 500, "score": 7}]
    with pytest.raises(Exception, match=r'row 501: Invalid type of column "score": '
                                        r'expected type "double" or "null" but got "int64"'):
        client.write_table("//t", rows, append=True)
    assert client.row_count("//t") == 1000
    assert list(client.read_table("//t"))[-1] == {"id": 999, "score": 499.5}


KEY_VALUES = {"int64": st.integers(-(2 ** 63), 2 ** 63 - 1), "uint64": st.integers(0, 2 ** 64 - 1),
              "double": st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                                  st.integers(-3, 3)),  # an integer too: sorts before them
              "boolean": st.booleans(), "string": st.text(max_size=3), "any": values}


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_keys_in_order_only_when_the_row_by_row_look_finds_them_so(tmp_path, data):
    """Keys of each type, nulls among them, sometimes sorted: a key order the typed
    compare accepts is one YT's order (the row-by-row look) accepts too."""
    from yt_pipeline_dev.schema_fast_check import keys_in_order
    from yt_pipeline_dev.sorted_schema import _first_violation

    key = data.draw(st.lists(st.sampled_from(["a", "b"]), min_size=1, max_size=2, unique=True))
    types = {name: data.draw(st.sampled_from(sorted(KEY_VALUES))) for name in key}
    value = {name: st.one_of(st.none(), KEY_VALUES[types[name]]) if data.draw(st.booleans())
             else KEY_VALUES[types[name]] for name in key}
    rows = data.draw(st.lists(st.fixed_dictionaries({name: value[name] for name in key}),
                              max_size=8))
    if data.draw(st.booleans()):
        from yt_pipeline.column_types import sort_key

        try:
            rows.sort(key=lambda row: tuple(sort_key(row[name]) for name in key))
        except (TypeError, ValueError):  # a list or a map in an `any` key: as drawn
            pass
    table = _table(tmp_path, rows)
    if keys_in_order(table, key, types):
        assert not isinstance(_first_violation(table, key, 0), str), (types, rows)


def test_sorted_keys_of_simple_types_are_told_in_order(tmp_path):
    from yt_pipeline_dev.schema_fast_check import keys_in_order

    rows = [{"a": i // 3, "b": f"x{i % 3}", "c": [i]} for i in range(5000)]
    types = {"a": "int64", "b": "string", "c": "any"}
    assert keys_in_order(_table(tmp_path, rows), ["a", "b"], types)
    assert not keys_in_order(_table(tmp_path, rows[::-1]), ["a", "b"], types)
    assert not keys_in_order(_table(tmp_path, rows), ["c"], types)  # `any`: not looked at


def test_a_write_out_of_key_order_into_a_sorted_table_is_still_refused(tmp_path):
    client = DevClient(tmp_path / ".dev")
    client.create_path("//s", "table", schema=[
        {"name": "k", "type": "int64", "sort_order": "ascending"}, {"name": "v", "type": "string"}])
    client.write_table("//s", ({"k": i, "v": "x"} for i in range(3000)))
    with pytest.raises(UnsortedWrite, match=r"Sort order violation: \[5\] > \[4\]"):
        client.write_table("//s", [{"k": 5, "v": "a"}, {"k": 4, "v": "b"}])
    with pytest.raises(UnsortedWrite, match=r"Sort order violation: \[2999\] > \[1\]"):
        client.write_table("//s", [{"k": 1, "v": "a"}], append=True)  # before the last row
    assert client.row_count("//s") == 3000


@pytest.mark.parametrize("name", ['say "hi"', "back\\slash", "tab\there"])
def test_a_column_name_msgspec_cannot_name_is_checked_row_by_row(tmp_path, name):
    """YT takes any column name but an empty one or one of prefix "$" (ValidateColumnSchema
    in yt/yt/client/table_client/schema.cpp); msgspec names no field with a quote, a
    backslash or a control character: such a table is checked the slow way, not failed."""
    client = DevClient(tmp_path / ".dev")
    client.create_path("//t", "table", schema=[
        {"name": name, "type": "int64", "sort_order": "ascending"}])
    client.write_table("//t", [{name: 1}, {name: 2}])
    assert list(client.read_table("//t")) == [{name: 1}, {name: 2}]
    with pytest.raises(Exception, match=rf'row 2: Invalid type of column "{re.escape(name)}"'):
        client.write_table("//t", [{name: 3}, {name: "x"}], append=True)
    with pytest.raises(UnsortedWrite, match=r"Sort order violation"):
        client.write_table("//t", [{name: 5}, {name: 4}], append=True)
    assert list(client.read_table("//t")) == [{name: 1}, {name: 2}]


def test_an_integer_in_a_double_key_is_not_taken_for_a_float(tmp_path):
    """YT sorts every integer before every double: 1.5 then 2 is out of order, which the
    row-by-row look says; the typed compare must not read 2 as 2.0 and call it in order."""
    from yt_pipeline_dev.schema_fast_check import keys_in_order
    from yt_pipeline_dev.sorted_schema import _first_violation

    table = _table(tmp_path, [{"k": 1.5}, {"k": 2}])
    assert _first_violation(table, ["k"], 0) == "Sort order violation: [1.5] > [2]"
    assert not keys_in_order(table, ["k"], {"k": "double"})
    table = _table(tmp_path, [{"k": 1.0, "s": "b"}, {"k": 1, "s": "a"}])  # equal as floats
    assert not keys_in_order(table, ["k", "s"], {"k": "double", "s": "string"})
    assert isinstance(_first_violation(table, ["k", "s"], 0), str)


def test_a_table_switch_is_not_vouched_for_by_a_schema_with_its_keys(tmp_path):
    """A job's output with a switch to table 1: the row after it goes to table 1, whose
    schema refuses it, even when table 0's schema has columns named like a control row's
    keys (so the switch itself would fit it as a row)."""
    from yt_pipeline_dev.output_schema import refused_output

    stream = tmp_path / "out"
    stream.write_text('{"$attributes":{"table_index":1},"$value":null}\n{"v":"text"}\n')
    first = column_types.SchemaColumns({"$attributes": "any", "$value": "any", "v": "string"})
    second = column_types.SchemaColumns({"v": "int64"})
    assert not all_fit(first, stream)
    assert refused_output(stream, [first, second]) == (
        'Invalid type of column "v": expected type "int64" or "null" but got "string"')
