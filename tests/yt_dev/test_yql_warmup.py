"""DuckDB made ready in the background (yql_warmup): expected as a run starts only when a
stage's code calls run_yql, started while an operation's jobs run, taken once by the first
statement, restricted like a new database before the statement's SQL runs, and never needed
for a query to work."""

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
def test_a_run_expects_a_query_only_when_a_stage_queries(tmp_path, monkeypatch, example,
                                                         expected):
    told = []
    monkeypatch.setattr(yql_warmup, "expect", told.append)
    shutil.copytree(EXAMPLES / example, tmp_path / example)
    result = invoke_cli("run", str(tmp_path / example))
    assert result.exit_code == 0, result.output
    assert told == [expected]


def test_an_expected_warmup_starts_once_and_only_when_expected():
    started = []
    real_start = yql_warmup.start
    try:
        yql_warmup.start = lambda: started.append(True)
        yql_warmup.expect(False)
        yql_warmup.start_if_expected()
        assert started == []
        yql_warmup.expect(True)
        yql_warmup.start_if_expected()
        yql_warmup.start_if_expected()
        assert started == [True]
    finally:
        yql_warmup.start = real_start


SLOW_MAP_STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class SlowMap(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//t/in", [{"a": 1}, {"a": 2}])
        run_map(self, self.config.client.operations.map)
        return debug
"""

SLOW_MAPPER = """
import os
import time

from ytjobs import read_rows, write_rows

# the driver waits: several of its ticks pass
time.sleep(float(os.environ.get("SLEEP_S", "0.4")))
write_rows(read_rows())
"""

MAP_CONFIG = """
client:
  operations:
    map:
      input_table: //t/in
      output_table: //t/out
      mapper: src/mapper.py
      resources:
        job_count: 1
"""

QUERY_STAGE = """
from yt_pipeline import BaseStage


class Query(BaseStage):
    def run(self, debug):
        debug["sum"] = self.deps.yt_client.run_yql("SELECT SUM(a) AS s FROM `//t/out`")[0]["s"]
        return debug
"""


def test_the_warmup_runs_while_the_jobs_before_the_query_run(tmp_path, monkeypatch):
    started, taken = [], []
    real_start, real_take = yql_warmup.start, yql_warmup.take_fresh

    def start():
        # from the driver's wait for the map's jobs, not as the run starts
        started.append(threading.current_thread().name)
        real_start()

    def take():
        fresh = real_take()
        taken.append(fresh is not None)
        return fresh

    monkeypatch.setattr(yql_warmup, "start", start)
    monkeypatch.setattr(yql_warmup, "take_fresh", take)
    monkeypatch.setattr("yt_pipeline_dev.yql_duckdb.take_fresh", take)
    from yt_pipeline.testing import write_pipeline

    root = write_pipeline(
        tmp_path / "p",
        {"stages/slow/stage.py": SLOW_MAP_STAGE, "stages/slow/src/mapper.py": SLOW_MAPPER,
         "stages/slow/config.yaml": MAP_CONFIG, "stages/query/stage.py": QUERY_STAGE},
        {"stages": {"graph": {"slow": [], "query": ["slow"]}}})
    result = invoke_cli("run", str(root))
    assert result.exit_code == 0, result.output
    assert len(started) == 1 and started[0].startswith("ytp-stage"), started
    assert taken == [True]  # the query ran on the database warmed meanwhile
    assert (root / ".dev/t/out.jsonl").read_text() == '{"a":1}\n{"a":2}\n'


QUICK_STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Quick(BaseStage):
    def run(self, debug):
        if debug.get("never"):
            self.deps.yt_client.run_yql("SELECT 1")
        self.deps.yt_client.write_table("//t/in", [{"a": 1}])
        run_map(self, self.config.client.operations.map)
        return debug
"""


def test_a_run_that_ends_before_its_warmup_exits_cleanly(tmp_path):
    """The stage names run_yql but never queries, and ends as soon as its map's one job
    does, a little after the driver's first tick started the warm-up; so the interpreter
    ends while DuckDB is still being imported or started: were the warm-up a daemon thread,
    CPython would end it inside DuckDB's C++ code and the process would abort (it did, in
    6 of 10 such runs)."""
    import subprocess
    import sys

    from yt_pipeline.testing import write_pipeline

    config = MAP_CONFIG.replace("resources:", "env:\n        SLEEP_S: '0.12'\n      resources:")
    root = write_pipeline(tmp_path / "p", {"stages/quick/stage.py": QUICK_STAGE,
                                           "stages/quick/src/mapper.py": SLOW_MAPPER,
                                           "stages/quick/config.yaml": config},
                          {"stages": {"enabled_stages": ["quick"]}})
    for attempt in range(8):
        done = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"run {attempt}: {done.returncode}\n{done.stderr}"
        assert "terminate called" not in done.stderr
    assert (root / ".dev/t/out.jsonl").read_text() == '{"a":1}\n'


NEVER_QUERY_STAGE = """
from yt_pipeline import BaseStage


class Query(BaseStage):
    def run(self, debug):
        if debug.get("never"):
            self.deps.yt_client.run_yql("SELECT 1")
        return debug
"""

FAILING_LOAD_STAGE = """
from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        raise RuntimeError("no input today")
"""


def _made_databases(monkeypatch) -> list:
    made = []
    real_make = yql_warmup._make

    def make():
        made.append(real_make())
        return made[-1]

    monkeypatch.setattr(yql_warmup, "_make", make)
    return made


def test_a_warmup_no_statement_took_is_closed_as_its_run_ends(tmp_path, monkeypatch):
    """A stage names run_yql but never queries: the database warmed during the map is not
    handed to a statement of the next run in this process (a test, a notebook), nor kept
    open until the process ends."""
    made = _made_databases(monkeypatch)
    from yt_pipeline.testing import write_pipeline

    root = write_pipeline(
        tmp_path / "p",
        {"stages/slow/stage.py": SLOW_MAP_STAGE, "stages/slow/src/mapper.py": SLOW_MAPPER,
         "stages/slow/config.yaml": MAP_CONFIG, "stages/query/stage.py": NEVER_QUERY_STAGE},
        {"stages": {"graph": {"slow": [], "query": ["slow"]}}})
    result = invoke_cli("run", str(root))
    assert result.exit_code == 0, result.output
    assert len(made) == 1  # warmed while the map's job slept
    assert yql_warmup.take_fresh() is None  # nothing left for the next run's statement
    for thread in _threads("ytp-duckdb-close"):
        thread.join(timeout=10)
    with pytest.raises(import_duckdb().Error, match="closed"):
        made[0].execute("SELECT 1")


def test_a_run_that_fails_before_its_jobs_leaves_no_warmup_expected(tmp_path, monkeypatch):
    """The run expected a query, but its first stage failed before any job ran: a map run
    later in this process outside that run (DevClient, another pipeline) warms nothing."""
    made = _made_databases(monkeypatch)
    from yt_pipeline.testing import write_pipeline

    root = write_pipeline(
        tmp_path / "p",
        {"stages/load/stage.py": FAILING_LOAD_STAGE, "stages/query/stage.py": QUERY_STAGE},
        {"stages": {"graph": {"load": [], "query": ["load"]}}})
    result = invoke_cli("run", str(root))
    assert result.exit_code != 0 and "no input today" in result.output, result.output
    yql_warmup.start_if_expected()  # what the next wait for jobs does
    assert yql_warmup.take_fresh() is None
    assert made == []
