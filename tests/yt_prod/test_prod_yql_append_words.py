"""The words a YQL append whose row type does not fit the table's is refused with, the same
in dev and on the fake query tracker, as YQL says them: its type diff of the two row types.

YQL's write handler (yt/yql/providers/yt/provider/yql_yt_datasink_type_ann.cpp,
ydb-platform/ydb) tries TryConvertTo and otherwise says `Table "<path>" row type differs from
the written row type: ` and GetTypeDiff(table row type, written row type); a later append in
the same query to a table the query made or replaced is checked against the first write's
row type and says "differs from the appended row type". GetTypeDiff (PrintTypeDiff and
PrintStructDiff in yql/essentials/core/yql_expr_type_annotation.cpp) lists the members that
differ: `name:<table type>!=<written type>`, `-name:<type>` for a column only the table has,
`+name:<type>` for one only the query writes, inside `Struct<...>`.
"""

from __future__ import annotations

from yql_alike import dev_and_fake, fails_alike, same_rows

from yt_pipeline.yql_type_diff import row_type_diff


def test_a_type_diff_names_each_column_and_both_its_types():
    optional = {"type_name": "optional", "item": "int64"}
    assert row_type_diff({"a": optional, "b": "string", "gone": "double"},
                         {"a": {"type_name": "optional", "item": "string"}, "b": "string",
                          "new": "null"}) == \
        "Struct<a:Optional<Int64!=String>,-gone:Double,+new:Null>"
    assert row_type_diff({"n": "uint64"}, {"n": optional}) == "Struct<n:Uint64!=Optional<Int64>>"
    assert row_type_diff({"t": {"type_name": "list", "item": "string"}},
                         {"t": {"type_name": "list", "item": "int64"}}) == \
        "Struct<t:List<String!=Int64>>"


def test_an_append_of_other_columns_names_them_with_a_sign(prod_client, tmp_path):
    both = dev_and_fake(prod_client, tmp_path)
    for client in both:
        client.run_yql("INSERT INTO `//tmp/t` WITH TRUNCATE SELECT 1 AS a, 'x' AS b")
    fails_alike(both, "INSERT INTO `//tmp/t` SELECT 1 AS a, 2.5 AS c",
                'Table "//tmp/t" row type differs from the written row type: '
                "Struct<-b:String,+c:Double>")
    assert same_rows(both, "SELECT a, b FROM `//tmp/t`") == [{"a": 1, "b": "x"}]


def test_a_second_append_in_one_query_is_checked_against_the_first(prod_client, tmp_path):
    both = dev_and_fake(prod_client, tmp_path)
    fails_alike(both, "INSERT INTO `//tmp/new` SELECT 1 AS a; "
                      "INSERT INTO `//tmp/new` SELECT 'x' AS a;",
                'Table "//tmp/new" row type differs from the appended row type: '
                "Struct<a:Int32!=String>")
    # (YQL refuses the whole query as it compiles it, so a cluster writes no table; dev and
    # the fake run the first INSERT before they check the second, and keep its table)
