"""The types of a table's first rows, told from the rows a query has read (yql_sample_types)
where DuckDB described a copy of them: the same types where told, and the query's result
the same, DuckDB asked only where the rows cannot tell."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import yt_pipeline_dev.yql_duckdb as yql_duckdb
from yt_pipeline_dev.yql_engine import engine
from yt_pipeline_dev.yql_sample_types import told_types
from yt_pipeline_dev.yql_sandbox import restricted_connection
from yt_pipeline_dev.yql_schema import SchemaCache, first_rows


def _told(table_file, sample=1000, read_for=1000):
    rows = first_rows(table_file, read_for)
    names = sorted({name for row in rows for name, value in row.items() if value is not None})
    return told_types(rows, read_for, sample, names)


def _lines(tmp_path, *lines):
    table = tmp_path / "t.jsonl"
    table.write_text("".join(line + "\n" for line in lines))
    return table


@pytest.mark.parametrize(("lines", "told"), [
    (['{"a": 1, "b": "x", "c": 1.5, "d": true}', '{"a": 7, "c": 1e5, "d": null}'],
     {"a": "BIGINT", "b": "VARCHAR", "c": "DOUBLE", "d": "BOOLEAN"}),
    (['{"a": -1}', '{"a": -999999999999999999}'], {"a": "BIGINT"}),
    (['{"a": "2024-01-01", "t": "12:00:00"}'], {"a": "VARCHAR", "t": "VARCHAR"}),
    # DuckDB: HUGEINT for both signs; past 18 digits the BIGINT check fails anyway
    (['{"a": 1}', '{"a": -1}'], None),
    (['{"a": 1000000000000000000}'], None),
    (['{"a": 1}', '{"a": 1.5}'], None),           # Yson to YQL: two kinds
    (['{"a": [1]}'], None),
    (['{"a": 1}', ''], None),                     # a blank line
    (['{"a": 1}', '[1]'], None),                  # DuckDB: one `json` column
    (['{"a": 1}', '{"A": 2}'], None),             # DuckDB: a and A_1
])
def test_what_the_rows_tell(tmp_path, lines, told):
    assert _told(_lines(tmp_path, *lines)) == told


def test_nothing_is_told_past_the_lines_read(tmp_path):
    table = _lines(tmp_path, *[json.dumps({"a": i}) for i in range(5)])
    assert _told(table, sample=1000, read_for=2) is None      # PRAGMA yt.InferSchema = '2'
    assert _told(table, sample=4, read_for=2) is None
    assert _told(table, sample=2, read_for=5) == {"a": "BIGINT"}
    assert _told(table, sample=1000, read_for=9) == {"a": "BIGINT"}  # the whole table


SCALARS = st.one_of(
    st.booleans(), st.integers(min_value=-(10 ** 19), max_value=10 ** 19),
    st.floats(allow_nan=False, allow_infinity=False, width=32), st.text(max_size=4),
    st.sampled_from(["2024-01-05", "12:00:00", "550e8400-e29b-41d4-a716-446655440000", "-0"]))


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.dictionaries(st.sampled_from(["a", "b", "c"]), SCALARS,
                                     min_size=1, max_size=3), min_size=1, max_size=6))
def test_a_type_told_is_the_one_duckdb_finds(tmp_path_factory, rows):
    table = tmp_path_factory.mktemp("told") / "t.jsonl"
    table.write_text("".join(json.dumps(row) + "\n" for row in rows))
    told = _told(table)
    if told is None:
        return
    connection = restricted_connection(engine(), [str(table)])
    try:
        described = SchemaCache(table.parent).sampled(table, 1000, connection)
    finally:
        connection.close()
    assert told == {name: described[name] for name in told}


def test_a_query_asks_duckdb_only_when_the_rows_cannot_tell(dev_client, monkeypatch):
    asked = []
    sampled = SchemaCache.sampled

    def recorded(self, table_file, *args, **kwargs):
        asked.append(table_file.name)
        return sampled(self, table_file, *args, **kwargs)

    monkeypatch.setattr(SchemaCache, "sampled", recorded)
    dev_client.write_table("//t", [{"k": k, "a": 1.5 if k == 1500 else k} for k in range(1600)])
    # 1.5 past the first 1000 rows: the BIGINT told fails its check, and every row's type
    # (DOUBLE) is learned
    assert json.dumps(dev_client.run_yql("SELECT a FROM `//t` WHERE k = 1")) == '[{"a": 1.0}]'
    assert asked == []
    # the first row alone gives the columns: the sample goes on past it, DuckDB is asked
    dev_client.write_table("//u", [{"k": k, "s": f"s{k}"} for k in range(5)])
    query = "PRAGMA yt.InferSchema = '1'; SELECT s FROM `//u` WHERE k = 4"
    assert dev_client.run_yql(query) == [{"s": "s4"}]
    assert len(asked) == 1


def test_a_late_string_in_an_integer_column_is_still_refused_as_text(dev_client, monkeypatch):
    monkeypatch.setattr(yql_duckdb, "SAMPLE_ROWS", 4)
    dev_client.write_table("//t", [{"k": k, "a": "7" if k == 6 else k} for k in range(8)])
    # every row's type is JSON: the string keeps its quotes, the integers are JSON too
    assert dev_client.run_yql("PRAGMA yt.InferSchema = '4'; SELECT a FROM `//t` "
                              "WHERE k >= 5 ORDER BY k") == [
        {"a": "5"}, {"a": '"7"'}, {"a": "7"}]
