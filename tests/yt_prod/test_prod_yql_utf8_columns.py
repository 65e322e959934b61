"""A YQL write gives a Utf8 result column the YT type `utf8`, in dev and on the fake query
tracker alike, as a cluster does, and what follows from it.

Sources (ydb-platform/ydb): RowSpecYqlTypeToYtType and RowSpecYqlTypeToYtNativeType in
yt/yql/providers/yt/lib/schema/schema.cpp write a Utf8 as `utf8` and a String as `string`;
ConvertYtDataType in the same file reads a `utf8` column back as a Utf8. An append whose row
type is not the table's is refused with YQL's type diff unless TryConvertTo converts it (the
append checks of yt/yql/providers/yt/provider/yql_yt_datasink_type_ann.cpp); the data branch
of TryConvertToImpl (yql/essentials/core/yql_expr_type_annotation.cpp) makes a Utf8 a String
(ToString) and a String literal holding UTF-8 a Utf8, and no other String a Utf8.
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake, fails_alike, same_rows, written_columns

from yt_pipeline.column_types import refused_value
from yt_pipeline.errors import QueryFailed

SOURCE = {"//tmp/src": [{"s": "text", "i": 5}]}
#: a table YQL wrote with a Utf8 column `u` and a String one `s`
UTF8_TABLE = ("INSERT INTO `//tmp/t` WITH TRUNCATE "
              "SELECT CAST(s AS Utf8) AS u, s FROM `//tmp/src`")


def test_casts_to_utf8_and_utf8_literals_are_written_utf8(prod_client, tmp_path):
    both = dev_and_fake(prod_client, tmp_path, SOURCE)
    # (a literal, suffixed or not, is required: yql_required)
    assert written_columns(both, "SELECT CAST(s AS Utf8) AS u, s, CAST(i AS Utf8) AS iu, "
                                 "'lit'u AS lu, 'plain' AS ls FROM `//tmp/src`") == {
        "u": ("utf8", False), "s": ("string", False), "iu": ("utf8", False),
        "lu": ("utf8", True), "ls": ("string", True)}
    assert same_rows(both, "SELECT u, iu, lu FROM `//tmp/o`") == [
        {"u": "text", "iu": "5", "lu": "lit"}]


def test_a_utf8_column_read_stays_utf8(prod_client, tmp_path):
    # by its name, by `*`, through a subquery, as alias.column on either side of a JOIN
    # (an outer JOIN makes it Optional, still a Utf8), and in a UNION ALL whose parts agree
    both = dev_and_fake(prod_client, tmp_path, SOURCE, UTF8_TABLE)
    assert written_columns(both, "SELECT * FROM `//tmp/t`") == {
        "u": ("utf8", False), "s": ("string", False)}
    assert written_columns(both, "SELECT u AS copied, s FROM (SELECT u, s FROM `//tmp/t`)") \
        == {"copied": ("utf8", False), "s": ("string", False)}
    assert written_columns(both, "SELECT r.u AS ru, l.s AS ls FROM `//tmp/src` AS l "
                                 "LEFT JOIN `//tmp/t` AS r ON l.s = r.s") == {
        "ru": ("utf8", False), "ls": ("string", False)}
    assert written_columns(both, "SELECT u FROM `//tmp/t` UNION ALL "
                                 "SELECT CAST(s AS Utf8) AS u FROM `//tmp/src`") == {
        "u": ("utf8", False)}
    # a Utf8 and a String have the common type String
    assert written_columns(both, "SELECT u FROM `//tmp/t` UNION ALL "
                                 "SELECT s AS u FROM `//tmp/src`") == {"u": ("string", False)}


def test_if_coalesce_and_case_of_utf8_values_stay_utf8(prod_client, tmp_path):
    # IF, Coalesce and CASE (an If of its values: CaseRule in sql_expression.cpp) give the
    # common type of their values (IfWrapper, CoalesceWrapper in type_ann_core.cpp), a Utf8
    # for Utf8 values, a NULL among them adding none; a Utf8 and a String unite to a String.
    # Dev wrote each `string`, so appending them into a `utf8` column failed in dev only
    both = dev_and_fake(prod_client, tmp_path, SOURCE, UTF8_TABLE)
    assert written_columns(both, (
        "SELECT IF(s = 'text', u, 'x'u) AS if_u, COALESCE(u, 'x'u) AS coalesce_u, "
        "NVL(u, u) AS nvl_u, u ?? 'x'u AS question_u, "
        "CASE WHEN s = 'a' THEN u WHEN s = 'b' THEN NULL ELSE 'x'u END AS case_u, "
        "IF(s = 'text', u, s) AS if_mixed, COALESCE(s, u) AS coalesce_mixed, "
        "CASE WHEN s = 'a' THEN u ELSE s END AS case_mixed FROM `//tmp/t`")) == {
        "if_u": ("utf8", False), "coalesce_u": ("utf8", True), "nvl_u": ("utf8", False),
        "question_u": ("utf8", True), "case_u": ("utf8", False),
        "if_mixed": ("string", False), "coalesce_mixed": ("string", False),
        "case_mixed": ("string", False)}
    for client in both:
        client.run_yql("INSERT INTO `//tmp/t` SELECT COALESCE(u, 'x'u) AS u, s FROM `//tmp/t`")
    assert same_rows(both, "SELECT u FROM `//tmp/t`") == [{"u": "text"}, {"u": "text"}]


def test_a_string_appended_to_a_utf8_column_is_refused(prod_client, tmp_path):
    both = dev_and_fake(prod_client, tmp_path, SOURCE, UTF8_TABLE)
    # (dev says "YQL: <the error>", prod "YQL query <id> failed: <the error>")
    fails_alike(both, "INSERT INTO `//tmp/t` SELECT s AS u, s FROM `//tmp/src`",
                'Table "//tmp/t" row type differs from the written row type: '
                "Struct<u:Optional<Utf8!=String>>")
    assert same_rows(both, "SELECT u, s FROM `//tmp/t`") == [{"u": "text", "s": "text"}]


def test_a_utf8_into_a_string_column_and_a_literal_into_a_utf8_one_go_in(prod_client,
                                                                         tmp_path):
    # TryConvertTo makes the Utf8 a String, and the String literal a Utf8
    both = dev_and_fake(prod_client, tmp_path, SOURCE, UTF8_TABLE)
    for client in both:
        client.run_yql("INSERT INTO `//tmp/t` SELECT 'lit' AS u, CAST(s AS Utf8) AS s "
                       "FROM `//tmp/src`")
    assert same_rows(both, "SELECT u, s FROM `//tmp/t` ORDER BY u") == [
        {"u": "lit", "s": "text"}, {"u": "text", "s": "text"}]
    dev, prod = both
    assert dev.declared_schema("//tmp/t") == prod.declared_schema("//tmp/t")
    assert [(c["name"], c["type"]) for c in dev.declared_schema("//tmp/t")["columns"]] == [
        ("u", "utf8"), ("s", "string")]


def test_a_utf8_column_is_read_as_a_utf8(prod_client, tmp_path):
    # a required Utf8 cast to Utf8 never fails (CastResultsTable: yql_cast_types), so the
    # CAST is required; a String's may fail (bytes that are no UTF-8) and is Optional
    both = dev_and_fake(prod_client, tmp_path, SOURCE,
                        "INSERT INTO `//tmp/t` WITH TRUNCATE "
                        "SELECT CAST(1 AS Utf8) AS u, CAST(1 AS String) AS s")
    assert written_columns(both, "SELECT u, s FROM `//tmp/t`") == {
        "u": ("utf8", True), "s": ("string", True)}
    assert written_columns(both, "SELECT CAST(u AS Utf8) AS from_utf8, "
                                 "CAST(s AS Utf8) AS from_string FROM `//tmp/t`") == {
        "from_utf8": ("utf8", True), "from_string": ("utf8", False)}


def test_a_stage_appends_a_utf8_into_a_string_column_and_refuses_a_string_into_utf8(
        prod_client, fake_yt, tmp_path):
    # in a stage's transaction the query writes a staging table, whose @schema prod's stage
    # checks against the table's before it appends (yt_pipeline_prod/yql.py): a Utf8 goes
    # into a `string` column, as YQL converts it, and a String into a `utf8` one is refused
    prod_client.write_table("//tmp/src", SOURCE["//tmp/src"])
    prod_client.run_yql(UTF8_TABLE)
    txn = prod_client.begin_transaction("stage s")
    txn.client.run_yql("INSERT INTO `//tmp/t` SELECT CAST('more' AS Utf8) AS u, "
                       "CAST('more' AS Utf8) AS s")
    with pytest.raises(QueryFailed) as refused:
        txn.client.run_yql("INSERT INTO `//tmp/t` SELECT s AS u, s FROM `//tmp/src`")
    assert str(refused.value).endswith(
        'Table "//tmp/t" row type differs from the written row type: '
        "Struct<u:Optional<Utf8!=String>>")
    assert sorted((row["u"], row["s"]) for row in txn.client.read_table("//tmp/t")) == [
        ("more", "more"), ("text", "text")]
    txn.abort()


def test_a_utf8_column_takes_text_of_valid_utf8_only():
    # ValidateSimpleLogicalType<Utf8> (yt/yt/client/table_client/validate_logical_type-inl.h,
    # ytsaurus/ytsaurus) refuses a value that is no UTF-8 with "Not a valid utf8 string"
    assert refused_value("u", "utf8", "text ü") is None
    assert refused_value("u", "utf8", b"\xff") == "Not a valid utf8 string"
    assert refused_value("u", "utf8", "\udcff") == "Not a valid utf8 string"
    assert refused_value("u", "utf8", 5) == \
        'Invalid type of column "u": expected type "utf8" or "null" but got "int64"'


def test_a_string_literal_mixed_with_a_utf8_is_converted_as_yql_converts_it(prod_client,
                                                                           tmp_path):
    # IfWrapper and CoalesceWrapper (type_ann_core.cpp) type their values with
    # SilentInferCommonType (yql_expr_type_annotation.cpp): it converts a Coalesce's right
    # operand, or an If's THEN value, to the other's type first, else the other to its type;
    # but an Optional value converts to no type that is not one, so an Optional THEN value
    # is converted second. TryConvertTo makes a String literal a Utf8 and a Utf8 a String,
    # so the type is the Utf8 where the literal goes first. `u` is Optional, `ru` required
    both = dev_and_fake(prod_client, tmp_path, SOURCE,
                        "INSERT INTO `//tmp/t` WITH TRUNCATE "
                        "SELECT CAST(s AS Utf8) AS u, s, 'req'u AS ru FROM `//tmp/src`")
    assert written_columns(both, (
        "SELECT COALESCE(u, 'x') AS coalesce_u, u ?? 'x' AS question_u, NVL(u, 'x') AS nvl_u, "
        "COALESCE(u, 'x', 'y') AS coalesce_more, IF(s = 'text', u, 'x') AS if_u, "
        "IF(s = 'text', 'x', u) AS if_literal_first, "
        "CASE WHEN s = 'a' THEN u ELSE 'x' END AS case_u, "
        "IF(s = 'text', ru, 'x') AS if_required, IF(s = 'text', 'x', ru) AS if_required_else, "
        "COALESCE(u, s) AS coalesce_column FROM `//tmp/t`")) == {
        "coalesce_u": ("utf8", True), "question_u": ("utf8", True), "nvl_u": ("utf8", True),
        "coalesce_more": ("utf8", True), "if_u": ("utf8", False),
        "if_literal_first": ("utf8", False), "case_u": ("utf8", False),
        # a required Utf8 THEN value goes first: it becomes a String
        "if_required": ("string", True), "if_required_else": ("utf8", True),
        # a String column is no literal: the Utf8 becomes a String
        "coalesce_column": ("string", False)}
    assert same_rows(both, "SELECT coalesce_u, if_u, if_required FROM `//tmp/o`") == [
        {"coalesce_u": "text", "if_u": "text", "if_required": "req"}]
    # the Utf8 goes into the table's `utf8` column, where a String would be refused
    for client in both:
        client.run_yql("INSERT INTO `//tmp/t` SELECT COALESCE(u, 'x') AS u, s, ru "
                       "FROM `//tmp/t`")
    assert same_rows(both, "SELECT u FROM `//tmp/t`") == [{"u": "text"}, {"u": "text"}]
