"""DuckDB made ready in the background (yql_warmup): started as a run starts only when a
stage's code calls run_yql, taken once by the first statement, restricted like a new
database before the statement's SQL runs, and never needed for a query to work."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

import yt_pipeline_dev.yql_warmup as yql_warmup  # noqa: E402
from yt_pipeline.testing import invoke_cli  # noqa: E402
from yt_pipeline_dev.yql_sandbox import import_duckdb, restricted_connection  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(autouse=True)
def no_warmup_left():
    yql_warmup.take_fresh()  # one a test before left behind
    yield
    yql_warmup.take_fresh()


def _threads(name: str) -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == name]


def test_nothing_to_take_unless_started():
    assert yql_warmup.take_fresh() is None


def test_the_database_made_is_taken_once_and_restricted_like_a_new_one(tmp_path):
    allowed = tmp_path / "t.jsonl"
    allowed.write_text('{"a": 1}\n')
    secret = tmp_path / "secrets.env"
    secret.write_text("YT_TOKEN=warm-secret\n")
    yql_warmup.start()
    fresh = yql_warmup.take_fresh()
    assert fresh is not None
    assert yql_warmup.take_fresh() is None  # one statement only
    duckdb = import_duckdb()
    connection = restricted_connection(duckdb, [str(allowed)], fresh)
    assert connection is fresh
    try:
        assert connection.execute(f"SELECT a FROM read_json('{allowed}')").fetchall() == [(1,)]
        with pytest.raises(duckdb.Error):
            connection.execute(f"SELECT * FROM read_text('{secret}')").fetchall()
        with pytest.raises(duckdb.Error):
            connection.execute("SET enable_external_access = true")
    finally:
        connection.close()


def test_a_warmup_that_fails_leaves_the_query_to_connect_itself(dev_client, monkeypatch):
    def broken():
        raise RuntimeError("no engine today")

    monkeypatch.setattr(yql_warmup, "_make", broken)
    yql_warmup.start()
    dev_client.write_table("//t", [{"a": 1}, {"a": 2}])
    assert dev_client.run_yql("SELECT SUM(a) AS s FROM `//t`") == [{"s": 3}]
    assert yql_warmup.take_fresh() is None  # the failed one was taken by the query


def test_the_first_statement_takes_the_warm_database(dev_client, monkeypatch):
    taken = []
    real_restricted = restricted_connection

    def spy(duckdb, allowed, fresh=None):
        taken.append(fresh)
        return real_restricted(duckdb, allowed, fresh)

    monkeypatch.setattr("yt_pipeline_dev.yql_duckdb.restricted_connection", spy)
    dev_client.write_table("//t", [{"a": 1}])
    yql_warmup.start()
    dev_client.run_yql("INSERT INTO `//u` WITH TRUNCATE SELECT a FROM `//t`;\n"
                       "SELECT a FROM `//u`")
    assert taken[0] is not None and taken[1:] == [None]
    assert list(dev_client.read_table("//u")) == [{"a": 1}]


def test_a_statements_database_is_closed_in_the_background(dev_client, monkeypatch):
    closed = []
    real_close_later = yql_warmup.close_later

    def spy(connection):
        closed.append(connection)
        real_close_later(connection)

    monkeypatch.setattr("yt_pipeline_dev.yql_duckdb.close_later", spy)
    dev_client.write_table("//t", [{"a": 1}])
    assert dev_client.run_yql("SELECT a FROM `//t`") == [{"a": 1}]
    for thread in _threads("ytp-duckdb-close"):
        thread.join(timeout=10)
    duckdb = import_duckdb()
    with pytest.raises(duckdb.Error, match="closed"):
        closed[0].execute("SELECT 1")


def test_only_stages_that_query_start_it(tmp_path):
    assert yql_warmup.stages_query(EXAMPLES / "03_yql", ["revenue"])
    assert not yql_warmup.stages_query(EXAMPLES / "01_hello_world", ["hello"])
    assert not yql_warmup.stages_query(tmp_path, ["missing"])


@pytest.mark.parametrize("example, expected", [("03_yql", True), ("01_hello_world", False)])
def test_a_run_warms_duckdb_only_for_a_query(tmp_path, monkeypatch, example, expected):
    started = []
    monkeypatch.setattr(yql_warmup, "start", lambda: started.append(True))
    shutil.copytree(EXAMPLES / example, tmp_path / example)
    result = invoke_cli("run", str(tmp_path / example))
    assert result.exit_code == 0, result.output
    assert started == ([True] if expected else [])


QUICK_STAGE = """
from yt_pipeline import BaseStage


class Quick(BaseStage):
    def run(self, debug):
        if debug.get("never"):
            self.deps.yt_client.run_yql("SELECT 1")
        self.deps.yt_client.write_table("//t/quick", [{"a": 1}])
        return debug
"""


def test_a_run_that_ends_before_its_warmup_exits_cleanly(tmp_path):
    """The stage names run_yql but never queries and ends in milliseconds, so the interpreter
    ends while DuckDB is still being imported or started: were the warm-up a daemon thread,
    CPython would end it inside DuckDB's C++ code and the process would abort (it did, in
    6 of 10 such runs)."""
    import subprocess
    import sys

    from yt_pipeline.testing import write_pipeline

    root = write_pipeline(tmp_path / "p", {"stages/quick/stage.py": QUICK_STAGE},
                          {"stages": {"enabled_stages": ["quick"]}})
    for attempt in range(8):
        done = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"run {attempt}: {done.returncode}\n{done.stderr}"
        assert "terminate called" not in done.stderr
    assert (root / ".dev/t/quick.jsonl").read_text() == '{"a":1}\n'
