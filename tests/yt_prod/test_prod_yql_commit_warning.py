"""A stage's YQL query with COMMIT writes its tables at once in prod, past the stage's
transaction (after a COMMIT a query reads what it wrote before it, YQL docs
ydb/docs/en/core/yql/reference/syntax/commit.md in ydb-platform/ydb, which the staging
tables of yt_pipeline_prod/yql.py would hide): prod and dev both say so when a stage runs
one, and nothing is said for the queries a stage's transaction covers, nor outside a stage."""

from __future__ import annotations

import logging

import pytest

from yt_pipeline.yql_commit import commit_inserts
from yt_pipeline_dev.client import DevClient

pytest.importorskip("duckdb", reason="YQL runs on DuckDB in dev and in the fake")

WITH_COMMIT = ("INSERT INTO `//tmp/first` WITH TRUNCATE SELECT 1 AS a;\nCOMMIT;\n"
               "INSERT INTO `//tmp/copy` SELECT a FROM `//tmp/first`;")
WARNING = ("a stage's YQL query with COMMIT writes //tmp/first, //tmp/copy at once in prod, "
           "outside the stage's transaction: if the stage then fails, is retried or is "
           "resumed, those writes stay (and an append is made again). Split the query at "
           "COMMIT into queries of their own to make it all or nothing with the stage")


def warnings_of(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "yt_pipeline.yql" and r.levelno == logging.WARNING]


@pytest.fixture
def clients(prod_client, tmp_path):
    return {"dev": DevClient(tmp_path / ".dev"), "prod": prod_client}


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_a_stage_query_with_commit_says_what_prod_writes_outside_the_stage(
        clients, caplog, mode):
    txn = clients[mode].begin_transaction("stage s")
    caplog.set_level(logging.WARNING, logger="yt_pipeline.yql")
    txn.client.run_yql(WITH_COMMIT)
    assert warnings_of(caplog) == [WARNING]
    txn.abort()


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_queries_the_stage_covers_or_outside_a_stage_say_nothing(clients, caplog, mode):
    client = clients[mode]
    caplog.set_level(logging.WARNING, logger="yt_pipeline.yql")
    client.run_yql(WITH_COMMIT)  # outside a stage: the query's own transaction covers it
    txn = client.begin_transaction("stage s")
    txn.client.run_yql("INSERT INTO `//tmp/other` WITH TRUNCATE SELECT 2 AS b;")
    txn.client.run_yql("SELECT 1 AS c; COMMIT; SELECT 2 AS c;")  # writes nothing
    assert warnings_of(caplog) == []
    txn.abort()


def test_the_tables_named_are_those_the_inserts_write():
    assert commit_inserts("INSERT INTO `//a` SELECT 1 AS x; COMMIT;") == ["//a"]
    assert commit_inserts("INSERT INTO `//a` SELECT 1 AS x;") == []
    assert commit_inserts("USE primary; INSERT INTO primary.`//a` WITH TRUNCATE SELECT 1 AS x;"
                          " COMMIT; INSERT INTO `//a` SELECT 2 AS x;") == ["//a"]
    assert commit_inserts("$t = '//b'; INSERT INTO $t SELECT 1 AS x; COMMIT;") == [
        "a table named by an expression"]
