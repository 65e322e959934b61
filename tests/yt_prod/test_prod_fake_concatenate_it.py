"""The fake proxy's `concatenate` of tables against YTsaurus's own integration tests: what
the class TestConcatenate of yt/yt/tests/integration/tests/test_concatenate.py
(ytsaurus/ytsaurus) asserts a cluster answers, asked through ytsaurus-client. Each test
names the integration test it follows; the rules are the fake's schema_compatibility.py,
which says where they come from.
"""

from __future__ import annotations

import pytest
import yt.yson as yson
from yt.wrapper.errors import YtResponseError
from yt_errors import messages

STRING_KEY = [{"name": "key", "type": "string"}]


def _table(yt, path, schema=None, rows=None):
    yt.create("table", path, attributes={"schema": schema} if schema is not None else {})
    if rows:
        yt.write_table(path, rows, format="json")


def _read(yt, path):
    return list(yt.read_table(path, format="json"))


def _column(name, kind):
    return {"name": name, "type": kind, "required": False}


def test_inputs_of_one_schema_give_it_to_a_weak_destination(yt):
    # test_infer_schema_many_columns: strong inputs alike give a destination of weak schema
    # their schema, its columns in name order; test_infer_schema: the inputs' own
    columns = [_column(name, "string") for name in "badc"]
    for path in ("//tmp/t1", "//tmp/t2"):
        _table(yt, path, columns, [{"a": "1", "b": "2", "c": "3", "d": "4"}])
    _table(yt, "//tmp/union")
    yt.concatenate(["//tmp/t1", "//tmp/t2"], "//tmp/union")
    assert _read(yt, "//tmp/union") == [{"a": "1", "b": "2", "c": "3", "d": "4"}] * 2
    schema = yt.get("//tmp/union/@schema")
    assert [(c["name"], c["type"], c["required"]) for c in schema] == [
        (name, "string", False) for name in "abcd"]
    assert (schema.attributes["strict"], schema.attributes["unique_keys"]) == (True, False)
    assert yt.get("//tmp/union/@schema_mode") == "strong"


def test_sorted_unique_inputs_give_an_unsorted_schema(yt):
    # test_concatenate_unique_keys: the inferred schema is stripped of sort order and
    # unique_keys
    schema = [{"name": "key", "type": "string", "sort_order": "ascending"}]
    for path in ("//tmp/t1", "//tmp/t2"):
        yt.create("table", path, attributes={"schema": yson.to_yson_type(
            schema, attributes={"unique_keys": True})})
        yt.write_table(path, [{"key": "x"}], format="json")
    _table(yt, "//tmp/union")
    yt.concatenate(["//tmp/t1", "//tmp/t2"], "//tmp/union")
    assert _read(yt, "//tmp/union") == [{"key": "x"}, {"key": "x"}]
    assert bool(yt.get("//tmp/union/@sorted")) is False
    assert bool(yt.get("//tmp/union/@schema/@unique_keys")) is False
    assert [c.get("sort_order") for c in yt.get("//tmp/union/@schema")] == [None]


@pytest.mark.parametrize("append", [True, False])
def test_a_weak_destination_stays_weak_when_appended_or_inputs_differ(yt, append):
    # test_conflict_missing_output_schema_append (the destination's own weak schema counts
    # when appending), test_different_input_schemas_no_output_schema (inputs that differ)
    _table(yt, "//tmp/t1", STRING_KEY, [{"key": "x"}])
    _table(yt, "//tmp/t2", STRING_KEY if append else [_column("value", "int64")])
    _table(yt, "//tmp/union")
    target = "<append=%true>//tmp/union" if append else "//tmp/union"
    yt.concatenate(["//tmp/t1", "//tmp/t2"], target)
    assert yt.get("//tmp/union/@schema_mode") == "weak"
    assert list(yt.get("//tmp/union/@schema")) == []


def test_a_strong_destination_takes_a_source_of_fewer_optional_columns(yt):
    # test_compatible_schemas: a strict input lacking an optional output column is taken
    _table(yt, "//tmp/t1", STRING_KEY, [{"key": "x"}])
    _table(yt, "//tmp/t2", [_column("value", "string")], [{"value": "y"}])
    _table(yt, "//tmp/union", [_column("key", "string"), _column("value", "string")])
    yt.concatenate(["//tmp/t1", "//tmp/t2"], "<append=%true>//tmp/union")
    assert _read(yt, "//tmp/union") == [{"key": "x"}, {"value": "y"}]


@pytest.mark.parametrize(("sources", "cause"), [
    # test_incompatible_schemas: an int64 column into a string one, a column the output
    # lacks
    ([("//tmp/t1", STRING_KEY), ("//tmp/t2", [_column("value", "int64")])],
     'Column "value" input type is incompatible with output type'),
    ([("//tmp/t1", STRING_KEY), ("//tmp/t3", [_column("other_column", "string")])],
     'Column "other_column" is found in input schema but is missing in output schema'),
    # test_strong_output_schema_weak_input_schemas: tables of weak schema
    ([("//tmp/t1", None), ("//tmp/t2", None)],
     "Incompatible strictness: input schema is not strict while output schema is"),
])
def test_a_strong_destination_refuses_sources_of_incompatible_schema(yt, sources, cause):
    for path, schema in sources:
        _table(yt, path, schema)
    _table(yt, "//tmp/union", [_column("key", "string"), _column("value", "string")])
    with pytest.raises(YtResponseError) as raised:
        yt.concatenate([path for path, _ in sources], "//tmp/union")
    found = messages(raised.value.error)
    bad = sources[1][0] if sources[1][1] is not None else sources[0][0]
    assert (f"Schema of output table //tmp/union is not compatible with schema of input "
            f"table {bad}") in found
    assert "Table schemas are incompatible" in found
    assert cause in found
    assert raised.value.contains_code(316)  # IncompatibleSchemas


def test_optional_values_do_not_go_into_a_required_column(yt):
    # CheckTypeCompatibility: optional into required needs each value checked, which
    # concatenate does not do; required into optional and int32 into int64 are taken
    _table(yt, "//tmp/optional", [_column("key", "string")], [{"key": "x"}])
    _table(yt, "//tmp/narrow", [{"name": "key", "type": "string", "required": True},
                                {"name": "n", "type": "int32", "required": False}],
           [{"key": "y", "n": 1}])
    _table(yt, "//tmp/required", [{"name": "key", "type": "string", "required": True},
                                  _column("n", "int64")])
    with pytest.raises(YtResponseError) as raised:
        yt.concatenate(["//tmp/optional"], "//tmp/required")
    assert ('Column "key" input type is incompatible with output type'
            in messages(raised.value.error))
    _table(yt, "//tmp/wide", [_column("key", "string"), _column("n", "int64")])
    yt.concatenate(["//tmp/narrow"], "//tmp/wide")
    assert _read(yt, "//tmp/wide") == [{"key": "y", "n": 1}]


def test_a_complex_column_is_not_lost_in_a_non_strict_destination(yt):
    # test_lost_complex_column
    _table(yt, "//tmp/t1", [{"name": "list_column",
                             "type_v3": {"type_name": "list", "item": "int64"}},
                            {"name": "int_column", "type_v3": "int64"}])
    yt.create("table", "//tmp/union", attributes={"schema": yson.to_yson_type(
        [{"name": "int_column", "type_v3": "int64"}], attributes={"strict": False})})
    with pytest.raises(YtResponseError) as raised:
        yt.concatenate(["//tmp/t1"], "//tmp/union")
    assert any("is missing in strict part of output schema" in message
               for message in messages(raised.value.error))

