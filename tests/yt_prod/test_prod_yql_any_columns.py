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

import re

import pytest
from yql_alike import dev_and_fake, fails_alike, same_rows

from yt_pipeline.errors import QueryFailed

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

ROWS = [{"i": 1, "tags": ["a", "b"]}, {"i": 2, "tags": []}, {"i": 3, "tags": None}]
ITEMS = [
    {"i": 1, "tags": ["a", "b"], "attrs": {"brand": "acme"}},
    {"i": 2, "tags": [], "attrs": {"n": -4}},
]
WRITE = ("PRAGMA yt.InferSchema = '10'; INSERT INTO `//tmp/written` WITH TRUNCATE "
         "SELECT i, Yson::ConvertToStringList(tags) AS tags, attrs FROM `//tmp/items`")
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


def test_a_list_is_not_appended_to_a_declared_any_column(declared):
    fails_alike(declared, "INSERT INTO `//tmp/declared` "
                          "SELECT CAST(4 AS Int64) AS i, AsList('x') AS tags",
                # YQL's type diff (GetTypeDiff): the declared columns are Optional, the
                # CAST a required Int64, AsList a bare List<String> (`AsList(T..)->
                # List<T>`), of another kind than the Optional, so the two are printed whole
                'Table "//tmp/declared" row type differs from the written row type: '
                "Struct<i:Optional<Int64>!=Int64,tags:Optional<Yson>!=List<String>>")


@pytest.fixture
def written(prod_client, tmp_path):
    """//tmp/written, as a YQL INSERT wrote it: i Int64, tags List<String>, attrs Yson."""
    return dev_and_fake(prod_client, tmp_path, {"//tmp/items": ITEMS}, WRITE)


def test_a_list_into_a_yson_column_is_refused(written):
    fails_alike(written, "PRAGMA yt.InferSchema = '10'; INSERT INTO `//tmp/written` "
                         "SELECT i, Yson::ConvertToStringList(tags) AS tags, "
                         "Yson::ConvertToStringList(tags) AS attrs FROM `//tmp/items`",
                'Table "//tmp/written" row type differs from the written row type: '
                "Struct<attrs:Optional<Yson!=List<String>>>")


def test_yson_into_a_list_column_is_refused(written):
    fails_alike(written, "PRAGMA yt.InferSchema = '10'; INSERT INTO `//tmp/written` "
                         "SELECT i, tags, attrs FROM `//tmp/items`",
                'Table "//tmp/written" row type differs from the written row type: '
                "Struct<tags:Optional<List<String>!=Yson>>")


def test_the_same_row_type_is_appended(written):
    for client in written:
        client.run_yql(WRITE.replace(" WITH TRUNCATE", ""))
    rows = same_rows(written, "SELECT i, ListLength(tags) AS n, "
                              "Yson::ConvertToString(attrs.brand) AS brand "
                              "FROM `//tmp/written` ORDER BY i")
    assert rows == [{"i": 1, "n": 2, "brand": "acme"}, {"i": 1, "n": 2, "brand": "acme"},
                    {"i": 2, "n": 0, "brand": None}, {"i": 2, "n": 0, "brand": None}]


def test_in_a_stage_prod_refuses_it_too(written):
    # a stage's INSERT writes a staging table, which the backend appends to the table
    # itself at the commit (yt_pipeline_prod.yql._apply): it compares the type_v3 as YQL does
    _, prod = written
    txn = prod.begin_transaction("stage s")
    try:
        with pytest.raises(QueryFailed, match=re.escape(
                "row type: Struct<tags:Optional<List<String>!=Yson>>")):
            txn.client.run_yql("PRAGMA yt.InferSchema = '10'; INSERT INTO `//tmp/written` "
                               "SELECT i, tags, attrs FROM `//tmp/items`")
    finally:
        txn.commit()
    assert len(prod.read_table("//tmp/written")) == len(ITEMS)
