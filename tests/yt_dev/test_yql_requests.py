"""The requests a dev query sends DuckDB's process (yql_engine), each a round trip: the
statement's macros go with the request restricting its connection, and a table whose first
rows tell their types has no sample described."""

from __future__ import annotations

import pytest

from yt_pipeline_dev import yql_engine
from yt_pipeline_dev.yql_engine import engine
from yt_pipeline_dev.yql_sandbox import restricted_connection


@pytest.fixture
def requests(monkeypatch):
    sent: list[tuple] = []
    call = yql_engine._Process.call

    def recorded(self, *request):
        sent.append(request)
        return call(self, *request)

    monkeypatch.setattr(yql_engine._Process, "call", recorded)
    return sent


def test_an_insert_asks_for_its_database_its_restriction_its_columns_and_its_rows(
        dev_client, requests):
    dev_client.write_table("//t", [{"k": k, "score": k * 7} for k in range(30)])
    dev_client.run_yql("INSERT INTO `//out` WITH TRUNCATE SELECT score % 10 AS bucket, "
                       "COUNT(*) AS n FROM `//t` GROUP BY score % 10 ORDER BY bucket")
    sql = [request[2] for request in requests if request[0] == "execute"]
    assert [request[0] for request in requests] == ["connect"] + ["execute"] * len(sql)
    assert [text.split()[0] for text in sql] == ["SET", "SET", "DESCRIBE", "COPY"]
    restricting = sql[1]
    # restricted first, then the macros the statement calls
    assert restricting.index("SET lock_configuration = true") < restricting.index(
        "CREATE OR REPLACE MACRO yql_mod_by(")
    assert [row["n"] for row in dev_client.read_table("//out")] == [3] * 10


def test_the_macros_of_a_statement_work_on_a_connection_locked(dev_client):
    dev_client.write_table("//t", [{"a": 7}, {"a": -7}])
    assert dev_client.run_yql("SELECT a / 2 AS half, a % 2 AS odd FROM `//t` ORDER BY a") == [
        {"half": -3, "odd": -1}, {"half": 3, "odd": 1}]


def test_what_runs_with_the_restriction_runs_after_it(tmp_path):
    allowed = tmp_path / "t.jsonl"
    allowed.write_text('{"a": 1}\n')
    connection = restricted_connection(
        engine(), [str(allowed)], then="CREATE OR REPLACE MACRO plus_one(x) AS x + 1")
    try:
        assert connection.execute(
            f"SELECT plus_one(a) AS b FROM read_json('{allowed}')").fetchall() == [(2,)]
        with pytest.raises(yql_engine.Error, match="configuration has been locked"):
            connection.execute("SET enable_external_access = true")
    finally:
        connection.close()
