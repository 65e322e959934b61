"""A column a strict schema types `any` is Yson to YQL whoever declared it, and an append
whose column differs from the table's only in type_v3 (a List<String> written into a Yson
column, or the reverse) is refused, in dev and on the fake query tracker as on a cluster.

A cluster's YQL reads a table of strict schema by each column's type_v3, and `any` (of no
type_v3) is `yson` (the master's TSerializableColumnSchema::SetColumnSchema in
yt/yt/client/table_client/schema_serialization_helpers.cpp gives it one), so it is Yson
whether YQL wrote the table or not. An append is taken when the table's row type and the
written one are the same, or the written one converts (IsSameAnnotation, then TryConvertTo,
in the append checks of yt/yql/providers/yt/provider/yql_yt_datasink_type_ann.cpp,
ydb-platform/ydb): else `Table "..." row type differs from the written row type`.
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake, fails_alike, same_rows

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

ROWS = [{"i": 1, "tags": ["a", "b"]}, {"i": 2, "tags": []}, {"i": 3, "tags": None}]
YSON_REFUSED = ("YQL: column tags is Yson (a list or map column of a table without a schema, "
                "which YQL infers as any, or a Yson column a YQL write gave its table), and "
                "list functions take a List")


@pytest.fixture
def declared(prod_client, tmp_path):
    """//tmp/declared holds ROWS under a strict schema (i int64, tags any) no YQL write
    gave it: created with it on the fake, declared in dev's schema kept for the file."""
    from yt_pipeline_dev.yql_schema import declare

    dev, prod = dev_and_fake(prod_client, tmp_path)
    prod.yt().create("table", "//tmp/declared", attributes={"schema": [
        {"name": "i", "type": "int64"}, {"name": "tags", "type": "any"}]})
    for client in (dev, prod):
        client.write_table("//tmp/declared", ROWS)
    declare(dev.root, dev.visible_file("//tmp/declared"), [("i", "int64"), ("tags", "any")])
    return dev, prod


def test_an_any_column_of_a_declared_schema_is_yson(declared):
    rows = same_rows(declared, "SELECT i, Yson::ConvertToStringList(tags) AS tags, "
                               "Yson::ConvertToString(tags[0]) AS first "
                               "FROM `//tmp/declared` ORDER BY i")
    assert rows == [{"i": 1, "tags": ["a", "b"], "first": "a"},
                    {"i": 2, "tags": [], "first": None},
                    {"i": 3, "tags": None, "first": None}]
    fails_alike(declared, "SELECT ListLength(tags) AS n FROM `//tmp/declared`", YSON_REFUSED)
    # returned as the value it holds
    assert same_rows(declared, "SELECT tags FROM `//tmp/declared` ORDER BY i") == [
        {"tags": ["a", "b"]}, {"tags": []}, {"tags": None}]
