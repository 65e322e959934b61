"""YQL's pattern operators REGEXP, RLIKE and MATCH in dev, as on a cluster.

Sources (ydb-platform/ydb): yql/essentials/docs/en/syntax/expressions.md, "Matching a string
by pattern": "REGEXP and RLIKE are aliases used to call Re2::Grep. MATCH: Same for
Re2::Match" (a part of the string, or the whole); ydb/docs/yql/docs_yfm/docs/ru/yql-core/
udf/list/re2.md: `Re2::Grep(String) -> (String?) -> Bool`, false for an empty value.
DuckDB's SQL has none of the three: dev failed with DuckDB's "syntax error at or near".
"""

from __future__ import annotations

import pytest

pytest.importorskip("duckdb", reason="dev runs YQL on DuckDB")


@pytest.fixture
def dev(dev_client):
    dev_client.create_path("//in/t", "table", schema=[
        {"name": "id", "type": "int64"}, {"name": "s", "type": "string"}])
    dev_client.write_table("//in/t", [{"id": 1, "s": "abc"}, {"id": 2, "s": "xab"},
                                      {"id": 3, "s": "a1"}, {"id": 4, "s": None}])
    return dev_client


def test_regexp_rlike_and_match_give_yqls_values(dev):
    got = dev.run_yql('SELECT id, s REGEXP "^a" AS starts, s RLIKE "ab" AS has, '
                      's MATCH "a\\\\d" AS whole, s || "!" REGEXP "c!$" AS joined '
                      "FROM `//in/t` ORDER BY id")
    assert got == [
        {"id": 1, "starts": True, "has": True, "whole": False, "joined": True},
        {"id": 2, "starts": False, "has": True, "whole": False, "joined": False},
        {"id": 3, "starts": True, "has": False, "whole": True, "joined": False},
        # Re2::Grep and Match give false for an empty value
        {"id": 4, "starts": False, "has": False, "whole": False, "joined": False}]


@pytest.mark.parametrize("where", ['NOT s REGEXP "b"', 's NOT REGEXP "b"',
                                   's NOT RLIKE "b" AND id > 0'])
def test_a_negated_pattern_keeps_the_rows_that_do_not_match_and_the_empty_one(dev, where):
    dev.run_yql(f"INSERT INTO `//out/n` WITH TRUNCATE SELECT id FROM `//in/t` WHERE {where}")
    assert sorted(r["id"] for r in dev.read_table("//out/n")) == [3, 4]


def test_a_pattern_in_brackets_beside_other_conditions(dev):
    got = dev.run_yql('SELECT id FROM `//in/t` WHERE id < 4 AND (s MATCH ("a" || "bc") '
                      'OR s REGEXP "^x") ORDER BY id')
    assert got == [{"id": 1}, {"id": 2}]


def test_a_named_expression_called_match_is_no_operator(dev):
    got = dev.run_yql('$match = Re2::Match("a\\\\d"); '
                      "SELECT id, $match(s) AS m FROM `//in/t` WHERE id > 2 ORDER BY id")
    assert got == [{"id": 3, "m": True}, {"id": 4, "m": False}]


def test_a_pattern_match_is_written_as_a_required_bool(dev):
    # Re2::Grep(String) -> (String?) -> Bool: never NULL, so the column is required
    dev.run_yql('INSERT INTO `//out/m` WITH TRUNCATE SELECT id, s REGEXP "b" AS has_b, '
                'NOT s MATCH "a.*" AS not_a, s REGEXP "b" OR id > 3 AS either FROM `//in/t`')
    assert {c["name"]: (c["type"], c["required"])
            for c in dev.declared_schema("//out/m")["columns"]} == {
        "id": ("int64", False), "has_b": ("boolean", True), "not_a": ("boolean", True),
        # OR of a Bool with an Optional<Bool> (id > 3) is Optional
        "either": ("boolean", False)}
    assert sorted((r["id"], r["has_b"], r["not_a"]) for r in dev.read_table("//out/m")) == [
        (1, True, False), (2, True, True), (3, False, False), (4, False, True)]
