"""CASTs of a Date, Datetime, Timestamp or Interval to a number give its count, and a CAST
to Float writes a `float` column of a Float's value, in dev and on the fake query tracker
as on a cluster.

Sources (ydb-platform/ydb):
- which casts never fail, so keep a required column required (CastWrapper<false> in
  yql/essentials/core/type_ann/type_ann_core.cpp): CastResultsTable
  (yql/essentials/public/udf/udf_data_type.cpp). Its Date row: Uint16, Int32, Uint32,
  Int64, Uint64, Double and Float never fail (Complete), Int8, Uint8 and Int16 may
  (MayFail: 49672 days pass Int16's range); Datetime: Uint32, Int64, Uint64, Double never
  fail, Float rounds (MayLoseData), Int32 and narrower may fail; Timestamp: Int64 and
  Uint64 never fail, Double and Float round, Uint32 and narrower may fail; Interval: Int64
  never fails, Uint64 may (its microseconds are signed), Double rounds. Double to Float rounds
  (MayLoseData), never fails: an Optional only when its operand is.
- the value of a time cast to a number is its count: days, seconds, microseconds since
  1970-01-01 ("Converting to date and time data types" in
  yql/essentials/docs/en/types/primitive.md; the units in types/json.md).
- a Float column: YQL writes its Float as the YT type `float` (RowSpecYqlTypeToYtType in
  yt/yql/providers/yt/lib/schema/schema.cpp); YTsaurus's writer takes a double within a
  float's range, or an infinity, there (ValidateSimpleLogicalType<Float> in
  yt/yt/client/table_client/validate_logical_type-inl.h, ytsaurus/ytsaurus).
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake_table, fails_alike, same_rows, written_columns

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

DAY = 86400
SCHEMA = [{"name": "d", "type": "date", "required": True},
          {"name": "dt", "type": "datetime", "required": True},
          {"name": "ts", "type": "timestamp", "required": True},
          {"name": "x", "type": "double", "required": True},
          {"name": "i", "type": "int64", "required": True}]
#: 2024-01-02, then 2079-07-06 (past Int16's days), 2065 (past Int32's seconds) and a
#: timestamp of 5 microseconds (within Int32's range)
ROWS = [{"d": 19724, "dt": 19724 * DAY + 1, "ts": (19724 * DAY + 1) * 10 ** 6, "x": 0.1, "i": 2 ** 40 + 1},
        {"d": 40000, "dt": 3_000_000_000, "ts": 5, "x": 1e300, "i": -3}]


@pytest.fixture
def both(prod_client, tmp_path):
    return dev_and_fake_table(prod_client, tmp_path, "//tmp/t", SCHEMA, ROWS)


def test_a_time_cast_to_a_number_is_its_count(both):
    assert written_columns(both, "SELECT CAST(d AS Int32) AS d32, CAST(d AS Uint16) AS du16, "
                                 "CAST(d AS Int16) AS d16, CAST(d AS Double) AS dd, "
                                 "CAST(dt AS Int64) AS dt64, CAST(dt AS Int32) AS dt32, "
                                 "CAST(ts AS Uint64) AS tsu, CAST(ts AS Int32) AS ts32, "
                                 "i FROM `//tmp/t`") == {
        "d32": ("int32", True), "du16": ("uint16", True), "d16": ("int16", False),
        "dd": ("double", True), "dt64": ("int64", True), "dt32": ("int32", False),
        "tsu": ("uint64", True), "ts32": ("int32", False), "i": ("int64", True)}
    # past the target's range: NULL, as YQL's cast that may fail gives
    assert same_rows(both, "SELECT * FROM `//tmp/o` ORDER BY i") == [
        {"d32": 40000, "du16": 40000, "d16": None, "dd": 40000.0, "dt64": 3_000_000_000,
         "dt32": None, "tsu": 5, "ts32": 5, "i": -3},
        {"d32": 19724, "du16": 19724, "d16": 19724, "dd": 19724.0,
         "dt64": 19724 * DAY + 1, "dt32": 19724 * DAY + 1,
         "tsu": (19724 * DAY + 1) * 10 ** 6, "ts32": None, "i": 2 ** 40 + 1}]


def test_a_time_cast_to_a_number_in_an_expression(both):
    # an Interval (a difference of Timestamps) is its microseconds, signed: NULL as a Uint64
    # when negative
    assert same_rows(both, "SELECT CAST(d AS Int64) + 1 AS next_day, "
                           "CAST(Date('2024-01-02') AS Uint32) AS literal, "
                           "CAST(ts AS Int64) / 1000000 = CAST(dt AS Int64) AS same_second, "
                           "CAST(CAST(dt AS Timestamp) - ts AS Int64) AS apart, "
                           "CAST(ts - CAST(dt AS Timestamp) AS Uint64) AS apart_unsigned, "
                           "CAST(CAST(dt AS Timestamp) - ts AS Double) AS apart_double "
                           "FROM `//tmp/t` ORDER BY next_day") == [
        {"next_day": 19725, "literal": 19724, "same_second": True, "apart": 0,
         "apart_unsigned": 0, "apart_double": 0.0},
        {"next_day": 40001, "literal": 19724, "same_second": False,
         "apart": 3 * 10 ** 15 - 5, "apart_unsigned": None, "apart_double": 3e15 - 5}]


def test_a_cast_to_float_writes_a_float_column_of_a_floats_value(both):
    assert written_columns(both, "SELECT CAST(x AS Float) AS f, CAST(i AS Float) AS fi, "
                                 "CAST(1.1 AS Float) AS literal, i FROM `//tmp/t`") == {
        "f": ("float", True), "fi": ("float", True), "literal": ("float", True),
        "i": ("int64", True)}
    # the nearest Float: 0.1 and 2^40 + 1 rounded to 24 bits; 1e300 past a Float's range
    # is an infinity (a C++ static_cast), not NULL
    assert same_rows(both, "SELECT f, fi, literal FROM `//tmp/o` ORDER BY i") == [
        {"f": "inf", "fi": -3.0, "literal": 1.100000023841858},
        {"f": 0.10000000149011612, "fi": float(2 ** 40), "literal": 1.100000023841858}]
    # a query reading the float column reads a Float, and writes one again (the fake keeps
    # a float column's values as doubles, as YT does, and reads them back as Floats)
    for client in both:
        client.run_yql("INSERT INTO `//tmp/p` WITH TRUNCATE SELECT f, f * 2 AS twice, i "
                       "FROM `//tmp/o`")
    dev, prod = both
    assert dev.declared_schema("//tmp/p") == prod.declared_schema("//tmp/p")
    assert [(c["name"], c["type"]) for c in dev.declared_schema("//tmp/p")["columns"]] == [
        ("f", "float"), ("twice", "float"), ("i", "int64")]
    assert same_rows(both, "SELECT f, twice FROM `//tmp/p` ORDER BY i") == [
        {"f": "inf", "twice": "inf"},
        {"f": 0.10000000149011612, "twice": 0.20000000298023224}]


def test_a_float_column_takes_floats_and_a_double_column_takes_them_too(both):
    written_columns(both, "SELECT CAST(x AS Float) AS f, x FROM `//tmp/t`")
    # a Float widens to a Double (TryConvertTo, in the append checks of
    # yt/yql/providers/yt/provider/yql_yt_datasink_type_ann.cpp); a Double does not
    # narrow to a Float, which YQL refuses before anything is written
    for client in both:
        client.run_yql("INSERT INTO `//tmp/o` SELECT CAST(i AS Float) AS f, "
                       "CAST(i AS Float) AS x FROM `//tmp/t` WHERE i < 0")
    fails_alike(both, "INSERT INTO `//tmp/o` SELECT x AS f, x FROM `//tmp/t`",
                'Table "//tmp/o" row type differs from the written row type: '
                "Struct<f:Float!=Double>")
    assert same_rows(both, "SELECT f, x FROM `//tmp/o` ORDER BY x") == [
        {"f": -3.0, "x": -3.0}, {"f": 0.10000000149011612, "x": 0.1},
        {"f": "inf", "x": 1e300}]
