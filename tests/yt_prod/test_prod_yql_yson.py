"""A list or map column of a table without a schema is Yson to YQL, in dev and on the fake
query tracker as on a cluster.

YQL infers such a table's columns from its first rows (PRAGMA yt.InferSchema, which prod
adds): a column of lists or maps, or of values of two kinds, is `any`
(TStreamSchemaInferer::AddRow, yt/yql/providers/yt/lib/infer_schema/infer_schema.cpp), read
as Optional<Yson> (ConvertYtDataType in yt/yql/providers/yt/lib/schema/schema.cpp,
ydb-platform/ydb). List functions take no Yson; `col[...]` and `col.name` on one are a
Yson::Lookup (yql/essentials/docs/en/udf/list/yson.md: "the dot or square brackets operator
automatically adds a Yson::Lookup call"), whose node only the Yson functions take. The Yson
functions are strict by default (PRAGMA yson.Strict): a value of another type fails, a
missing key is NULL.
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake, fails_alike, same_rows

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

ITEMS = [
    {"i": 1, "tags": ["a", "b"], "attrs": {"brand": "acme", "n": 3, "w": 1.5, "ok": True,
                                           "sizes": [1, 2], "names": ["x", "y"]}},
    {"i": 2, "tags": [], "attrs": {"n": -4}},
    {"i": 3, "tags": None, "attrs": None},
]
MIXED = [{"k": 1, "v": 1}, {"k": 2, "v": "one"}]


@pytest.fixture
def both(prod_client, tmp_path):
    return dev_and_fake(prod_client, tmp_path, {"//tmp/items": ITEMS, "//tmp/mixed": MIXED})


def test_list_functions_on_a_yson_column_fail_naming_it(both):
    for query in ('SELECT ListHas(tags, "a") AS has FROM `//tmp/items`',
                  "SELECT ListLength(tags) AS n FROM `//tmp/items`",
                  "SELECT ListSort(tags) AS s FROM `//tmp/items`"):
        fails_alike(both, query, "YQL: column tags is Yson (a list or map column of a table "
                                 "without a schema, which YQL infers as any, or a Yson "
                                 "column a YQL write gave its table)")
    fails_alike(both, "SELECT ListLength(v) AS n FROM `//tmp/mixed`",
                "YQL: column v is Yson")
    # the same lists written by a YQL INSERT have a declared List type, which they take
    for client in both:
        client.run_yql("INSERT INTO `//tmp/written` WITH TRUNCATE "
                       "SELECT i, Yson::ConvertToStringList(tags) AS tags FROM `//tmp/items`")
    assert same_rows(both, "SELECT i, ListLength(tags) AS n, tags[0] AS first "
                           "FROM `//tmp/written` ORDER BY i") == [
        {"i": 1, "n": 2, "first": "a"}, {"i": 2, "n": 0, "first": None},
        {"i": 3, "n": None, "first": None}]


def test_a_lookup_is_a_yson_node_the_yson_functions_take(both):
    rows = same_rows(both, """
        SELECT i, Yson::ConvertToString(tags[0]) AS first, Yson::ConvertToString(tags[5]) AS past,
               Yson::ConvertToString(attrs.brand) AS brand,
               Yson::ConvertToInt64(attrs["n"]) AS n, Yson::ConvertToDouble(attrs.w) AS w,
               Yson::ConvertToBool(attrs.ok) AS ok,
               Yson::ConvertToInt64(attrs.sizes[1]) AS second_size
        FROM `//tmp/items` ORDER BY i""")
    assert rows == [
        {"i": 1, "first": "a", "past": None, "brand": "acme", "n": 3, "w": 1.5, "ok": True,
         "second_size": 2},
        {"i": 2, "first": None, "past": None, "brand": None, "n": -4, "w": None, "ok": None,
         "second_size": None},
        {"i": 3, "first": None, "past": None, "brand": None, "n": None, "w": None, "ok": None,
         "second_size": None}]


def test_conversions_of_lists_and_lookups(both):
    rows = same_rows(both, """
        SELECT i, Yson::ConvertToStringList(tags) AS tags,
               ListLength(Yson::ConvertToStringList(tags)) AS n,
               Yson::ConvertToInt64List(attrs.sizes) AS sizes,
               Yson::ConvertToStringList(attrs.names) AS names,
               Yson::LookupString(attrs, "brand") AS brand,
               Yson::LookupInt64(attrs, "n") AS n_attr,
               Yson::LookupDouble(attrs, "w") AS w, Yson::LookupBool(attrs, "ok") AS ok,
               Yson::LookupString(attrs, "missing") AS missing,
               ListLength(Yson::ConvertToList(attrs.sizes)) AS items
        FROM `//tmp/items` ORDER BY i""")
    assert rows == [
        {"i": 1, "tags": ["a", "b"], "n": 2, "sizes": [1, 2], "names": ["x", "y"],
         "brand": "acme", "n_attr": 3, "w": 1.5, "ok": True, "missing": None, "items": 2},
        {"i": 2, "tags": [], "n": 0, "sizes": None, "names": None, "brand": None,
         "n_attr": -4, "w": None, "ok": None, "missing": None, "items": None},
        {"i": 3, "tags": None, "n": None, "sizes": None, "names": None, "brand": None,
         "n_attr": None, "w": None, "ok": None, "missing": None, "items": None}]


def test_a_yson_column_is_returned_as_its_value(both):
    rows = same_rows(both, "SELECT i, tags, attrs FROM `//tmp/items` ORDER BY i")
    assert rows == [{"i": row["i"], "tags": row["tags"], "attrs": row["attrs"]}
                    for row in ITEMS]
    assert same_rows(both, "SELECT k, v FROM `//tmp/mixed` ORDER BY k") == MIXED


def test_strict_conversions_refuse_another_type(both):
    fails_alike(both, "SELECT Yson::ConvertToInt64(attrs.brand) AS n FROM `//tmp/items`",
                "YQL: Yson::ConvertToInt64: the Yson value is varchar, not an integer")
    fails_alike(both, 'SELECT Yson::LookupString(attrs, "n") AS s FROM `//tmp/items`',
                "YQL: Yson::LookupString: the Yson value is ")
    fails_alike(both, "SELECT Yson::ConvertToStringList(attrs) AS s FROM `//tmp/items`",
                "YQL: Yson::ConvertToStringList: the Yson value is object, not a list")


def test_a_yson_node_in_a_result_or_an_insert_fails(both):
    fails_alike(both, "SELECT tags[0] AS first FROM `//tmp/items`",
                "YQL: column first is a Yson node (what col[...], col.name, "
                "Yson::Lookup or Yson::ConvertToList give), which no result or table holds")
    fails_alike(both, "INSERT INTO `//tmp/out` WITH TRUNCATE "
                      "SELECT attrs.brand AS brand FROM `//tmp/items`",
                "YQL: column brand is a Yson node")


def test_json_text_parsed_and_serialized(both):
    rows = same_rows(both, """
        SELECT Yson::ConvertToInt64List(Yson::Lookup(Yson::ParseJson('{"a": [5, 6]}'), "a"))
                   AS a,
               Yson::SerializeJson(attrs.sizes) AS sizes
        FROM `//tmp/items` WHERE i = 1""")
    assert rows == [{"a": [5, 6], "sizes": "[1,2]"}]
    # YSON text and the other functions are refused by name
    fails_alike(both, "SELECT Yson::Serialize(attrs) AS s FROM `//tmp/items`",
                "YQL: the UDF Yson::Serialize is not supported in {where}")
