"""A column YQL writes from a NULL literal is of YQL's Null type, which a cluster declares
`null` in the table's schema (type and type_v3 alike, not an optional of Yson): the query
tracker's YQL writes native types with "null" among them (DefaultGatewaySettings in
yt/yql/plugin/config.cpp) and RowSpecYqlTypeToYtNativeType
(yt/yql/providers/yt/lib/schema/schema.cpp, ydb-platform/ydb) writes a NullType as "null".
Dev declares the same, `yt-pipeline table schema` shows it alike, and the column still
takes its rows' nulls and is appended to an Optional column of another table."""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake, same_rows

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

WRITE = "INSERT INTO `//tmp/nulls` WITH TRUNCATE SELECT 1 AS k, NULL AS note"


def test_a_null_literal_column_is_declared_null_in_both_modes(prod_client, tmp_path):
    both = dev_and_fake(prod_client, tmp_path)
    for client in both:
        client.run_yql(WRITE)
    dev, prod = both
    note = {"name": "note", "type": "null", "required": False}
    assert dev.declared_schema("//tmp/nulls")["columns"][1] == note
    assert prod.declared_schema("//tmp/nulls")["columns"][1] == note
    by_name = {column["name"]: column for column in prod.yt().get("//tmp/nulls/@schema")}
    assert by_name["note"]["type_v3"] == "null"
    assert same_rows(both, "SELECT k, note FROM `//tmp/nulls`") == [{"k": 1, "note": None}]


def test_a_null_column_is_appended_to_an_optional_one(prod_client, tmp_path):
    both = dev_and_fake(prod_client, tmp_path)
    for client in both:
        # Just: an Optional<String> (a bare 'a' would make a required column, which a
        # NULL is not appended to: test_prod_yql_required_columns)
        client.run_yql("INSERT INTO `//tmp/notes` WITH TRUNCATE SELECT 1 AS k, Just('a') AS note")
        client.run_yql("INSERT INTO `//tmp/notes` SELECT 2 AS k, NULL AS note")
    assert same_rows(both, "SELECT k, note FROM `//tmp/notes` ORDER BY k") == [
        {"k": 1, "note": "a"}, {"k": 2, "note": None}]
    assert both[1].declared_schema("//tmp/notes")["columns"][1]["type"] == "string"
