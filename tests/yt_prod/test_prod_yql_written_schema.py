"""A table a YQL INSERT wrote keeps its columns' YQL types, in dev and on the fake query
tracker as on a cluster: a List column is read back as a List, a Yson column as Yson.

The YTsaurus query tracker's YQL writes native YT types (UseNativeYtTypes true and
NativeYtTypeCompatibility "complex,...": DefaultGatewaySettings in yt/yql/plugin/config.cpp,
ytsaurus/ytsaurus), so each column gets the type_v3 of its YQL type
(RowSpecToYTSchema and RowSpecYqlTypeToYtNativeType in yt/yql/providers/yt/lib/schema/
schema.cpp, ydb-platform/ydb): Optional<List<String>> is optional<list<string>>, a
Struct a struct of its members, a Dict a dict of its key and value, Yson `yson`. The master
gives each column its old `type` too, `any` for a composite or Yson one, and `required`
(TSerializableColumnSchema::SetColumnSchema in yt/yt/client/table_client/
schema_serialization_helpers.cpp: CastToV1Type, Required, the type_v3 wrapper).
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake, fails_alike, same_rows

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

ITEMS = [
    {"i": 1, "tags": ["a", "b"], "attrs": {"brand": "acme", "sizes": [1, 2]}},
    {"i": 2, "tags": [], "attrs": {"n": -4}},
    {"i": 3, "tags": None, "attrs": None},
]
WRITE = ("PRAGMA yt.InferSchema = '10'; INSERT INTO `//tmp/written` WITH TRUNCATE "
         "SELECT i, Yson::ConvertToStringList(tags) AS tags, attrs FROM `//tmp/items`")


def _optional(item):
    return {"type_name": "optional", "item": item}


@pytest.fixture
def both(prod_client, tmp_path):
    return dev_and_fake(prod_client, tmp_path, {"//tmp/items": ITEMS}, WRITE)


def test_a_written_list_column_is_a_list_and_a_yson_one_yson(both):
    rows = same_rows(both, """
        SELECT i, ListLength(tags) AS n, tags[0] AS first,
               Yson::ConvertToString(attrs.brand) AS brand,
               Yson::ConvertToInt64List(attrs.sizes) AS sizes
        FROM `//tmp/written` ORDER BY i""")
    assert rows == [
        {"i": 1, "n": 2, "first": "a", "brand": "acme", "sizes": [1, 2]},
        {"i": 2, "n": 0, "first": None, "brand": None, "sizes": None},
        {"i": 3, "n": None, "first": None, "brand": None, "sizes": None}]
    # the Yson column is returned as the value it holds, as it was written
    assert same_rows(both, "SELECT i, tags, attrs FROM `//tmp/written` ORDER BY i") == [
        {"i": 1, "tags": ["a", "b"], "attrs": ITEMS[0]["attrs"]},
        {"i": 2, "tags": [], "attrs": {"n": -4}},
        {"i": 3, "tags": None, "attrs": None}]


def test_list_functions_refuse_the_written_yson_column(both):
    for query in ("SELECT ListLength(attrs) AS n FROM `//tmp/written`",
                  'SELECT ListHas(attrs, "a") AS has FROM `//tmp/written`'):
        fails_alike(both, query, "YQL: column attrs is Yson (a list or map column of a "
                                 "table without a schema, which YQL infers as any, or a Yson "
                                 "column a YQL write gave its table), and list functions "
                                 "take a List")


def test_the_written_schema_has_a_clusters_type_v3(both):
    _, prod = both
    schema = prod.yt().get("//tmp/written/@schema")
    assert dict(schema.attributes) == {"strict": True, "unique_keys": False}
    columns = {str(column["name"]): dict(column) for column in schema}
    assert columns["tags"] == {"name": "tags", "type": "any", "required": False,
                               "type_v3": _optional({"type_name": "list", "item": "string"})}
    assert columns["attrs"] == {"name": "attrs", "type": "any", "required": False,
                                "type_v3": _optional("yson")}
    assert columns["i"] == {"name": "i", "type": "int64", "required": False,
                            "type_v3": _optional("int64")}


def test_declared_schema_shows_both_any_in_dev_and_prod(both):
    dev, prod = both
    declared = dev.declared_schema("//tmp/written")
    assert declared == prod.declared_schema("//tmp/written")
    assert declared is not None
    assert {c["name"]: c["type"] for c in declared["columns"]} == {
        "i": "int64", "tags": "any", "attrs": "any"}


@pytest.mark.parametrize(("duckdb_type", "v3"), [
    ("VARCHAR[]", {"type_name": "list", "item": "string"}),
    ("BIGINT[][]", {"type_name": "list", "item": {"type_name": "list", "item": "int64"}}),
    ('STRUCT(n BIGINT, "a b" VARCHAR[])', {"type_name": "struct", "members": [
        {"name": "n", "type": "int64"},
        {"name": "a b", "type": {"type_name": "list", "item": "string"}}]}),
    ("MAP(VARCHAR, DOUBLE)", {"type_name": "dict", "key": "string", "value": "double"}),
    ('UNION("yson:attrs" JSON)', "yson"),
    ("BOOLEAN", "bool"),
])
def test_a_duckdb_type_gives_yqls_type_v3_and_reads_back(duckdb_type, v3):
    from yt_pipeline.yql_type_v3 import column_type_v3, composite_duckdb_type, is_yson_v3

    assert column_type_v3(duckdb_type) == _optional(v3)
    if isinstance(v3, dict):  # a composite column is read back as the type it was written
        assert composite_duckdb_type(_optional(v3)) == duckdb_type.replace(
            "n BIGINT", '"n" BIGINT')
    else:
        assert composite_duckdb_type(_optional(v3)) is None
    assert is_yson_v3(_optional(v3)) == (v3 == "yson")
