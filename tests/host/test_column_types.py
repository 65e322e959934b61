"""The values a strict schema's column takes, as a cluster's table writer decides (the
rules and their sources: core/column_types.py). Dev and the fake proxy both refuse rows with
these rules (tests/yt_dev/test_map.py, tests/yt_prod/test_prod_operations.py)."""

from __future__ import annotations

import pytest

from yt_pipeline.column_types import SchemaColumns, refused_row, refused_value, yt_column_type

TAKEN = [("int64", 5), ("int64", -(2 ** 63)), ("int64", 2 ** 63 - 1), ("uint64", 0),
         ("uint64", 2 ** 64 - 1), ("uint64", 7), ("double", 0.5), ("boolean", False),
         ("string", "x"), ("string", b"\x00"), ("any", {"a": [1]}), ("any", 3),
         ("int64", None), ("double", None)]
REFUSED = [("int64", 2 ** 63, "Unable to convert uint64 to int64"),
           ("uint64", -1, "Unable to convert negative int64 to uint64"),
           ("any", 2 ** 64, "out of the int64 and uint64 ranges"),
           ("int64", True, 'expected type "int64" or "null" but got "boolean"'),
           ("boolean", 1, 'expected type "boolean" or "null" but got "int64"'),
           ("double", 1, 'expected type "double" or "null" but got "int64"'),
           ("int64", 1.0, 'expected type "int64" or "null" but got "double"'),
           ("string", 1, 'expected type "string" or "null" but got "int64"'),
           ("string", ["a"], 'expected type "string" or "null" but got "any"')]


@pytest.mark.parametrize(("column_type", "value"), TAKEN)
def test_a_value_of_the_columns_type_or_null_is_taken(column_type, value):
    assert refused_value("c", column_type, value) is None


@pytest.mark.parametrize(("column_type", "value", "words"), REFUSED)
def test_another_type_is_refused_and_integers_convert_only_when_they_fit(column_type, value,
                                                                         words):
    refused = refused_value("c", column_type, value)
    assert refused is not None and words in refused and '"c"' in refused


def test_a_row_is_refused_at_its_first_column_the_schema_lacks_or_refuses():
    columns = {"id": "int64", "name": "string"}
    assert refused_row(columns, {"id": 1, "name": None}) is None
    assert refused_row(columns, {"id": 1, "extra": 2}) == 'Unknown column "extra" in strict schema'
    assert "got \"string\"" in refused_row(columns, {"id": "1"})


def test_a_required_column_a_row_leaves_out_is_refused_as_its_null_in_schema_order():
    """The writer fills a column the row leaves out with null, then checks the schema's
    columns in the schema's order, after refusing a column the schema lacks
    (ReorderAndValidateRows in yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp)."""
    columns = SchemaColumns({"id": "int64", "name": "string", "n": "uint64"}, ["name", "n"])
    assert refused_row(columns, {"id": 1, "name": "a", "n": 2}) is None
    assert refused_row(columns, {"id": 1, "n": 2}) == \
        'Required column "name" cannot have "null" value'
    # checked in the schema's order, not the row's
    assert refused_row(columns, {"n": None, "id": 1}) == \
        'Required column "name" cannot have "null" value'
    assert 'column "id"' in refused_row(columns, {"name": "a", "n": 2, "id": "x"})
    # a column the schema lacks is refused before any value is checked
    assert refused_row(columns, {"id": "x", "extra": 1}) == \
        'Unknown column "extra" in strict schema'
    # an optional column left out is null, which it takes
    assert refused_row(columns, {"name": "a", "n": 0}) is None


def test_yql_columns_get_the_yt_types_of_their_duckdb_types():
    # YQL's Date, Datetime and Timestamp are DuckDB's DATE, TIMESTAMP_S and TIMESTAMP
    # (yt_pipeline.yql_times), YT's date, datetime and timestamp
    assert [yt_column_type(kind) for kind in ("BIGINT", "DECIMAL(2,1)", "VARCHAR", "BOOLEAN",
                                              "UBIGINT", "DATE", "TIMESTAMP_S", "TIMESTAMP",
                                              "INTEGER[]")] == [
        "int64", "double", "string", "boolean", "uint64", "date", "datetime", "timestamp",
        "any"]
    # YQL's narrower integers keep their width and sign in the schema it writes
    # (RowSpecYqlTypeToYtType in yt/yql/providers/yt/lib/schema/schema.cpp, ydb), not `any`
    assert [yt_column_type(kind) for kind in ("UTINYINT", "USMALLINT", "UINTEGER", "TINYINT",
                                              "SMALLINT", "INTEGER", "HUGEINT")] == [
        "uint8", "uint16", "uint32", "int8", "int16", "int32", "int64"]


def test_a_time_column_of_a_strict_schema_takes_its_count_and_refuses_text():
    # a date is an unsigned count of days (data-types.md, ytsaurus); a writer takes an
    # integer in a uint64 column (enable_integral_type_conversion) and refuses a string
    assert refused_value("d", "date", 20513) is None
    assert refused_value("d", "date", "2026-03-01") == (
        'Invalid type of column "d": expected type "date" or "null" but got "string"')
