"""A YQL column whose type is not Optional is written as a required column, in dev and on
the fake query tracker as on a cluster, and takes no null afterwards.

Sources: with native YT types a column's type_v3 is that of its YQL type, an Optional
wrapped as {"type_name": "optional", ...} and anything else bare, shown `required: true`
(RowSpecYqlTypeToYtNativeType in yt/yql/providers/yt/lib/schema/schema.cpp, ydb-platform/
ydb); `COUNT(*)->Uint64`, `COUNT(T?)->Uint64` (yt/docs/en/yql/builtins/aggregation.md,
ytsaurus/ytsaurus); a literal is of a data type, not an Optional. A null written into a
required column: "Required column %v cannot have %Qlv value" (ValidateValueType in
yt/yt/client/table_client/unversioned_row.cpp, ytsaurus/ytsaurus). An append of an Optional
column into a required one is refused: YQL's append check converts the written row type to
the table's (yql_yt_datasink_type_ann.cpp), and no Optional converts to a type that is not.
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake, fails_alike, same_rows

from yt_pipeline.errors import QueryFailed, RefusedByCluster
from yt_pipeline.yql_required import required_columns

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

ITEMS = [{"k": "a", "v": 1}, {"k": "a", "v": None}, {"k": "b", "v": 3}]
WRITE = ("PRAGMA yt.InferSchema = '10'; INSERT INTO `//tmp/counts` WITH TRUNCATE "
         "SELECT k, COUNT(*) AS n, COUNT(v) AS nv, 1 AS one, \"x\" AS s, MAX(v) AS top "
         "FROM `//tmp/items` GROUP BY k")


@pytest.fixture
def both(prod_client, tmp_path):
    return dev_and_fake(prod_client, tmp_path, {"//tmp/items": ITEMS}, WRITE)


def test_count_and_literal_columns_are_required_in_both_modes(both):
    dev, prod = both
    declared = dev.declared_schema("//tmp/counts")
    assert declared == prod.declared_schema("//tmp/counts")
    assert declared is not None
    assert {c["name"]: (c["type"], c["required"]) for c in declared["columns"]} == {
        "k": ("string", False), "n": ("uint64", True), "nv": ("uint64", True),
        "one": ("int32", True), "s": ("string", True), "top": ("int64", False)}
    # the fake's @schema: a required column's type_v3 is its bare type
    schema = {str(c["name"]): dict(c) for c in prod.yt().get("//tmp/counts/@schema")}
    assert schema["n"] == {"name": "n", "type": "uint64", "required": True, "type_v3": "uint64"}
    assert schema["top"]["type_v3"] == {"type_name": "optional", "item": "int64"}
    assert same_rows(both, "SELECT k, n, nv, one, s, top FROM `//tmp/counts` ORDER BY k") == [
        {"k": "a", "n": 2, "nv": 1, "one": 1, "s": "x", "top": 1},
        {"k": "b", "n": 1, "nv": 1, "one": 1, "s": "x", "top": 3}]


def test_a_null_written_into_a_required_column_fails_in_both_modes(both):
    row = {"k": "c", "n": None, "nv": 0, "one": 1, "s": "y", "top": None}
    for client in both:
        with pytest.raises(RefusedByCluster) as failed:
            client.write_table("//tmp/counts", [row], append=True)
        assert 'Required column "n" cannot have "null" value' in str(failed.value)
    # a null in an optional column goes in, and the table keeps its required columns
    for client in both:
        client.write_table("//tmp/counts", [dict(row, n=5)], append=True)
        assert sorted(r["n"] for r in client.read_table("//tmp/counts")) == [1, 2, 5]
    assert both[0].declared_schema("//tmp/counts") == both[1].declared_schema("//tmp/counts")


def test_an_optional_column_appended_into_a_required_one_is_refused(both):
    fails_alike(both, "INSERT INTO `//tmp/counts` SELECT k, MAX(v) AS n, COUNT(v) AS nv, "
                      "1 AS one, \"x\" AS s, MAX(v) AS top FROM `//tmp/items` GROUP BY k",
                'Table "//tmp/counts" row type differs from the written row type: '
                "Struct<n:Uint64!=Optional<Int64>>")
    # a required column appended into it goes in
    for client in both:
        client.run_yql("INSERT INTO `//tmp/counts` SELECT k, COUNT(*) AS n, COUNT(v) AS nv, "
                       "2 AS one, \"z\" AS s, MAX(v) AS top FROM `//tmp/items` GROUP BY k")
    assert same_rows(both, "SELECT COUNT(*) AS rows FROM `//tmp/counts`") == [{"rows": 4}]
    # a NULL (YQL's Null type) converts to an Optional, not to a required column's type
    fails_alike(both, "INSERT INTO `//tmp/counts` SELECT k, NULL AS n, COUNT(v) AS nv, "
                      "1 AS one, \"x\" AS s, MAX(v) AS top FROM `//tmp/items` GROUP BY k",
                "row type: Struct<n:Uint64!=Null>")


def test_table_schema_shows_required_columns_in_both_modes(both):
    import yt_pipeline.cli  # noqa: F401  (cli_table is imported through it)
    from yt_pipeline.cli_table import declared_rows

    dev, prod = both
    rows = declared_rows(dev.declared_schema("//tmp/counts"))
    assert rows == declared_rows(prod.declared_schema("//tmp/counts"))
    assert rows == [{"column": "k", "type": "string"},
                    {"column": "n", "type": "uint64", "required": True},
                    {"column": "nv", "type": "uint64", "required": True},
                    {"column": "one", "type": "int32", "required": True},
                    {"column": "s", "type": "string", "required": True},
                    {"column": "top", "type": "int64"}]


@pytest.mark.parametrize(("query", "required"), [
    ("SELECT COUNT(*) AS n, COUNT(DISTINCT v) AS d, -2 AS neg, 1.5 AS f, 'q' AS q, "
     "TRUE AS t FROM `//t`", {"n", "d", "neg", "f", "q", "t"}),
    # a window COUNT is a Uint64 too, as are ROW_NUMBER and RANK (window.md)
    ("SELECT COUNT(*) OVER w AS c, ROW_NUMBER() OVER (ORDER BY v) AS r, RANK() OVER w AS k, "
     "COUNT(*) OVER w + 1 AS p FROM `//t`", {"c", "r", "k"}),
    # anything else stays optional: a value read (of a table whose schema is not given), an
    # expression over a count, NULL; the literal not named is YQL's column3 (yql_unnamed)
    ("SELECT v AS v, COUNT(*) + 1 AS p, NULL AS z, 1 FROM `//t`", {"column3"}),
    # a UNION ALL's column takes the common type of its parts, Optional when one is
    # (UnionAllWrapper, yql/essentials/core/type_ann/type_ann_list.cpp); an outer query
    # reads a subquery's column with its type (MemberWrapper, type_ann_core.cpp)
    ("SELECT 1 AS a UNION ALL SELECT 2 AS a", {"a"}),
    ("SELECT 1 AS a, 2 AS b UNION ALL SELECT 2 AS a, NULL AS b", {"a"}),
    ("SELECT * FROM (SELECT COUNT(*) AS n, MAX(v) AS m FROM `//t`)", {"n"}),
    ("SELECT s.n + 1 AS p FROM (SELECT COUNT(*) AS n FROM `//t`) AS s", {"p"}),
    # a CAST of a literal, a count or a CAST is required when YQL's cast of its type never
    # fails (CastResultsTable, udf_data_type.cpp: test_prod_yql_cast_subquery_required.py):
    # Int32 to Int64 or String, Int64 to Double, Bool to Uint8, Uint64 to String; Int32 to
    # Int8, String to Int64, Double to Int32 may fail, and a type of parameters is not read
    ("SELECT CAST(1 AS Int64) AS a, CAST(1 AS Int8) AS b, CAST('1' AS Int64) AS c, "
     "CAST(1l AS Double) AS d, CAST(TRUE AS Uint8) AS e, CAST(CAST(1 AS Int64) AS String) "
     "AS f, CAST(COUNT(*) AS String) AS g, CAST(1.5 AS Int32) AS h, "
     "CAST(1 AS Decimal(10, 2)) AS i, CAST(2147483648 AS Int32) AS j FROM `//t`",
     {"a", "d", "e", "f", "g"}),
    ("INSERT INTO `//out` WITH TRUNCATE SELECT k, COUNT(*) AS n FROM `//t` GROUP BY k",
     {"n"}),
])
def test_the_required_columns_a_query_text_tells(query, required):
    assert required_columns(query) == required


def test_dev_keeps_required_columns_through_a_transaction_and_a_copy(tmp_path):
    """The required columns go with the schema through appends in a stage's transaction
    (a refused one cut back), its commit, and a copy of the .dev folder."""
    import json
    import shutil

    from yt_pipeline_dev.client import DevClient

    dev = DevClient(tmp_path / ".dev")
    dev.write_table("//tmp/items", ITEMS)
    dev.run_yql(WRITE)
    txn = dev.begin_transaction("appends")
    row = {"k": "z", "n": 0, "nv": 0, "one": 1, "s": "s", "top": None}
    for _ in range(2):
        txn.client.write_table("//tmp/counts", [row], append=True)
    with pytest.raises(RefusedByCluster) as failed:
        txn.client.write_table("//tmp/counts", [dict(row, one=None)], append=True)
    assert 'Required column "one" cannot have "null" value' in str(failed.value)
    record = tmp_path / "record.json"  # committed as the runner does
    record.write_text(json.dumps(txn.prepare(record)))
    txn.commit()
    assert sorted(r["k"] for r in dev.read_table("//tmp/counts")) == ["a", "b", "z", "z"]
    copy = DevClient(shutil.copytree(dev.root, tmp_path / "copy" / ".dev"))
    for client in (dev, copy):
        assert [c["name"] for c in client.declared_schema("//tmp/counts")["columns"]
                if c["required"]] == ["n", "nv", "one", "s"]
        with pytest.raises(RefusedByCluster, match='Required column "s" cannot have'):
            client.write_table("//tmp/counts", [dict(row, s=None)])


def test_a_required_column_read_stays_required_in_both_modes(prod_client, tmp_path):
    """A column read from a table's required column is not Optional, through `+` with a
    literal and as a GROUP BY key; a window COUNT is a Uint64 (RowSpecYqlTypeToYtNativeType,
    yt/yql/providers/yt/lib/schema/schema.cpp; `COUNT(*)->Uint64`, aggregation.md), so the
    fake's @schema and dev's declared one say required, as a cluster's would."""
    from yt_pipeline_dev.client import DevClient

    dev = DevClient(tmp_path / ".dev")
    schema = [{"name": "a", "type": "int64", "required": True},
              {"name": "b", "type": "string"}]
    for client in (dev, prod_client):
        client.create_path("//tmp/req", "table", schema=schema)
        client.write_table("//tmp/req", [{"a": 1, "b": "x"}, {"a": 2, "b": None}])
        client.run_yql("INSERT INTO `//tmp/o` WITH TRUNCATE SELECT a, b, a + 1 AS c, "
                       "COUNT(*) OVER () AS e FROM `//tmp/req`")
        client.run_yql("INSERT INTO `//tmp/g` WITH TRUNCATE SELECT a, COUNT(*) AS n "
                       "FROM `//tmp/req` GROUP BY a")
        client.run_yql("INSERT INTO `//tmp/j` WITH TRUNCATE SELECT l.a AS la, r.a AS ra "
                       "FROM `//tmp/req` AS l LEFT JOIN `//tmp/req` AS r ON l.a = r.a")
    for path, expected in (("//tmp/o", {"a": ("int64", True), "b": ("string", False),
                                        "c": ("int64", True), "e": ("uint64", True)}),
                           ("//tmp/g", {"a": ("int64", True), "n": ("uint64", True)}),
                           # a LEFT JOIN's right side is Optional (yql/essentials/core/
                           # yql_join.cpp: IsRightJoinSideOptional)
                           ("//tmp/j", {"la": ("int64", True), "ra": ("int64", False)})):
        declared = dev.declared_schema(path)
        assert declared == prod_client.declared_schema(path)
        assert {c["name"]: (c["type"], c["required"]) for c in declared["columns"]} == expected



def test_a_staged_append_of_optional_values_into_a_required_column_is_refused(prod_client,
                                                                                fake_yt):
    """In a stage an INSERT goes to a staging table concatenated to the table at the end:
    YQL's own append check is not there to refuse an Optional column appended into a
    required one (yql_yt_datasink_type_ann.cpp), so the backend refuses it with the same
    line, not with the cluster's concatenate error (its schemas are incompatible: the
    fake's schema_compatibility.py); a required column into an optional one goes in."""
    prod_client.write_table("//tmp/items", ITEMS)
    prod_client.run_yql(WRITE)
    txn = prod_client.begin_transaction("stage s")
    try:
        with pytest.raises(QueryFailed) as failed:
            txn.client.run_yql("INSERT INTO `//tmp/counts` SELECT k, MAX(v) AS n, "
                               "COUNT(v) AS nv, 1 AS one, \"x\" AS s, MAX(v) AS top "
                               "FROM `//tmp/items` GROUP BY k")
        message = str(failed.value)
        assert 'Table "//tmp/counts" row type differs from the written row type: ' \
               "Struct<n:Uint64!=Optional<Int64>>" in message
        assert "\n" not in message and "ncompatible" not in message
        txn.client.run_yql("INSERT INTO `//tmp/counts` SELECT k, COUNT(*) AS n, "
                           "COUNT(v) AS nv, 2 AS one, \"z\" AS s, 5L AS top "
                           "FROM `//tmp/items` GROUP BY k")
    finally:
        txn.commit()
    assert sorted((row["one"], row["top"] or 0) for row in fake_yt.rows("//tmp/counts")) == [
        (1, 1), (1, 3), (2, 5), (2, 5)]


def test_values_null_in_one_row_into_a_required_column_are_refused_before_writing(
        prod_client, tmp_path):
    # A CAST that fails for one row, or a column of a table without a schema (which YQL
    # infers Optional), is refused by YQL's type check when the query is compiled: the
    # append check of yql_yt_datasink_type_ann.cpp (ydb-platform/ydb) converts the written
    # row type to the table's with TryConvertTo, which turns no Optional into a type that is
    # not; so the writer's own check ("Required column %v cannot have %Qlv value",
    # ValidateValueType in yt/yt/client/table_client/unversioned_row.cpp, ytsaurus) is never
    # reached, and the table is left as it was. The table here is not YQL's (create_path).
    both = dev_and_fake(prod_client, tmp_path, {"//tmp/loose": [{"v": 1}, {"v": None}]})
    for client in both:
        client.create_path("//tmp/t", "table", schema=[
            {"name": "i", "type": "int64", "required": True},
            {"name": "s", "type": "string", "required": True}])
        client.write_table("//tmp/t", [{"i": 1, "s": "7"}, {"i": 2, "s": "x"}])
    fails_alike(both, "INSERT INTO `//tmp/t` SELECT CAST(s AS Int64) AS i, s FROM `//tmp/t`",
                'Table "//tmp/t" row type differs from the written row type: '
                "Struct<i:Int64!=Optional<Int64>>")
    fails_alike(both, "INSERT INTO `//tmp/t` SELECT v AS i, \"a\" AS s FROM `//tmp/loose`",
                "row type: Struct<i:Int64!=Optional<Int64>>")
    for client in both:
        assert list(client.read_table("//tmp/t")) == [{"i": 1, "s": "7"}, {"i": 2, "s": "x"}]
    # a CAST that never fails (Int64 to String) goes in
    for client in both:
        client.run_yql("INSERT INTO `//tmp/t` SELECT i + 10 AS i, CAST(i AS String) AS s "
                       "FROM `//tmp/t`")
    assert same_rows(both, "SELECT i, s FROM `//tmp/t` ORDER BY i") == [
        {"i": 1, "s": "7"}, {"i": 2, "s": "x"}, {"i": 11, "s": "1"}, {"i": 12, "s": "2"}]
