"""DuckDB in processes of its own (yql_engine): started as a run starts only when a stage's
code calls run_yql, used by the query, holding no secret, never imported by the driver,
restricted like an in-process database, and ending with the driver however it ends."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

import yt_pipeline_dev.yql_engine as yql_engine  # noqa: E402
from yt_pipeline.errors import QueryFailed  # noqa: E402
from yt_pipeline.testing import invoke_cli, process_ended  # noqa: E402
from yt_pipeline_dev.query_stages import stages_query  # noqa: E402
from yt_pipeline_dev.yql_sandbox import restricted_connection  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(autouse=True)
def no_idle_engine_left():
    yql_engine.end_all()  # one a test before left idle
    yield
    yql_engine.end_all()


def _started(monkeypatch) -> list[yql_engine._Process]:
    """Every engine process started from now on."""
    started = []
    real_init = yql_engine._Process.__init__

    def init(self, folder):
        real_init(self, folder)
        started.append(self)

    monkeypatch.setattr(yql_engine._Process, "__init__", init)
    return started



def test_only_stages_that_query_start_it(tmp_path):
    assert stages_query(EXAMPLES / "03_yql", ["revenue"])
    assert not stages_query(EXAMPLES / "01_hello_world", ["hello"])
    assert not stages_query(tmp_path, ["missing"])


@pytest.mark.parametrize("example, loaded", [("03_yql", True), ("01_hello_world", False)])
def test_a_run_loads_the_engine_only_when_a_stage_queries(tmp_path, example, loaded):
    """In a fresh interpreter: a run of a pipeline without a query imports neither the
    engine's module nor what it needs (its start is that much shorter)."""
    shutil.copytree(EXAMPLES / example, tmp_path / example)
    script = textwrap.dedent("""
        import sys
        from yt_pipeline.cli import main
        try:
            main(["run", sys.argv[1]])
        except SystemExit as stop:
            assert not stop.code, stop.code
        finally:
            print("engine loaded:", "yt_pipeline_dev.yql_engine" in sys.modules, file=sys.stderr)
    """)
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / example)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"engine loaded: {loaded}" in done.stderr.splitlines()


@pytest.mark.parametrize("example, processes", [("03_yql", 1), ("01_hello_world", 0)])
def test_a_run_starts_one_process_as_it_starts_and_its_query_uses_it(tmp_path, monkeypatch,
                                                                     example, processes):
    started = _started(monkeypatch)
    tables_when_prepared = []
    real_prepare = yql_engine.prepare

    def prepare():
        # the tables written so far: none, the process starts with the run
        tables_when_prepared.append(sorted((tmp_path / example).rglob("*.jsonl")))
        real_prepare()

    monkeypatch.setattr(yql_engine, "prepare", prepare)
    shutil.copytree(EXAMPLES / example, tmp_path / example)
    result = invoke_cli("run", str(tmp_path / example))
    assert result.exit_code == 0, result.output
    assert len(started) == processes  # the query took the one started, not a new one
    assert tables_when_prepared == [[]] * processes
    assert list((tmp_path / example).rglob("*.jsonl"))  # the stages did write tables


def test_the_database_is_restricted_like_one_in_the_process(tmp_path):
    allowed = tmp_path / "t.jsonl"
    allowed.write_text('{"a": 1}\n')
    secret = tmp_path / "secrets.env"
    secret.write_text("YT_TOKEN=engine-secret\n")
    duckdb = yql_engine.engine()
    connection = restricted_connection(duckdb, [str(allowed)])
    try:
        assert connection.execute(f"SELECT a FROM read_json('{allowed}')").fetchall() == [(1,)]
        with pytest.raises(duckdb.Error, match="disabled by configuration|Permission"):
            connection.execute(f"SELECT * FROM read_text('{secret}')")
        with pytest.raises(duckdb.Error):
            connection.execute("SET enable_external_access = true")
    finally:
        connection.close()


def test_errors_keep_duckdbs_names_and_bases(tmp_path):
    duckdb = yql_engine.engine()
    connection = duckdb.connect()
    try:
        with pytest.raises(duckdb.ParserException) as parsed:
            connection.execute("SELEC 1")
        assert isinstance(parsed.value, duckdb.Error)
        assert "syntax error" in str(parsed.value)
        with pytest.raises(duckdb.Error) as bound:
            connection.execute("SELECT nope FROM (SELECT 1 AS a)")
        assert type(bound.value).__name__ == "BinderException"
        assert connection.execute("SELECT 1 AS one, 'x' AS s").description == [
            ("one", "INTEGER"), ("s", "VARCHAR")]
    finally:
        connection.close()
    with pytest.raises(duckdb.Error, match="closed"):
        connection.execute("SELECT 1")


def test_the_process_holds_no_secret_and_the_driver_no_duckdb(tmp_path):
    """Run in a fresh interpreter: its environment holds a token; the engine's environment
    and command line do not, and DuckDB was never imported by the driver."""
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from yt_pipeline_dev.client import DevClient
        import yt_pipeline_dev.yql_engine as yql_engine

        client = DevClient(Path(sys.argv[1]))
        client.write_table("//t", [{"a": 1}, {"a": 2}])
        assert client.run_yql("SELECT SUM(a) AS s FROM `//t`") == [{"s": 3}]
        (process,) = yql_engine._pool._idle
        pid = process.popen.pid
        environ = open(f"/proc/{pid}/environ", "rb").read()
        cmdline = open(f"/proc/{pid}/cmdline", "rb").read()
        print("token in engine env:", b"engine-token-123" in environ)
        print("token in engine cmdline:", b"engine-token-123" in cmdline)
        print("duckdb in driver:", any(n in sys.modules for n in ("duckdb", "_duckdb")))
    """)
    env = {**os.environ, "YT_TOKEN": "engine-token-123"}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / ".dev")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["token in engine env: False",
                                        "token in engine cmdline: False",
                                        "duckdb in driver: False"]


KILLED_DRIVER = """
import os, sys, threading
from pathlib import Path
from yt_pipeline_dev.client import DevClient
import yt_pipeline_dev.yql_engine as yql_engine

client = DevClient(Path(sys.argv[1]))
client.write_table("//t", [{"a": i} for i in range(10)])
yql_engine.prepare()
(idle,) = yql_engine._pool._idle
print(idle.popen.pid, flush=True)
if sys.argv[2] == "busy":  # a statement that runs for minutes
    connection = yql_engine.engine().connect()
    threading.Thread(target=connection.execute, args=(
        "SELECT COUNT(*) FROM range(100000000000) AS a(x) WHERE x % 7 = 3",),
        daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"""


@pytest.mark.parametrize("state", ["idle", "busy"])
def test_the_process_ends_with_a_killed_driver(tmp_path, state):
    driver = subprocess.Popen([sys.executable, "-c", KILLED_DRIVER, str(tmp_path / ".dev"),
                               state], stdout=subprocess.PIPE, text=True)
    assert driver.stdout is not None
    pid = int(driver.stdout.readline())
    assert driver.stdout.readline().strip() == "ready"
    time.sleep(0.3)  # the statement is running
    assert not process_ended(pid, within_s=0.05)
    driver.send_signal(signal.SIGKILL)
    driver.wait(timeout=10)
    assert process_ended(pid), f"engine process {pid} outlived its driver ({state})"


def test_a_process_that_dies_fails_the_statement_in_one_line_and_the_next_query_works(
        dev_client):
    dev_client.write_table("//t", [{"a": 1}, {"a": 2}])
    yql_engine.prepare()
    (process,) = yql_engine._pool._idle
    os.kill(process.popen.pid, signal.SIGKILL)
    process.popen.wait(timeout=10)
    # a dead idle process is passed over
    assert dev_client.run_yql("SELECT SUM(a) AS s FROM `//t`") == [{"s": 3}]
    connection = yql_engine.engine().connect()
    os.kill(connection._process.popen.pid, signal.SIGKILL)
    with pytest.raises(yql_engine.Error, match=r"^DuckDB's process ended \(killed by signal 9\)$"):
        connection.execute("SELECT 1")
    connection.close()
    assert dev_client.run_yql("SELECT COUNT(*) AS n FROM `//t`") == [{"n": 2}]


def test_statements_at_once_run_in_processes_of_their_own(dev_client, monkeypatch):
    started = _started(monkeypatch)
    dev_client.write_table("//t", [{"a": i} for i in range(1000)])
    results, errors = {}, []

    def query(k: int) -> None:
        try:
            results[k] = dev_client.run_yql(f"SELECT SUM(a * {k}) AS s FROM `//t`")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=query, args=(k,)) for k in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert results == {k: [{"s": k * sum(range(1000))}] for k in range(1, 5)}
    assert 1 < len(started) <= 4
    assert len(yql_engine._pool._idle) <= yql_engine.KEEP_IDLE
    ended = [p for p in started if p not in yql_engine._pool._idle]
    assert all(process_ended(p.popen.pid) for p in ended)  # those not kept let go


def test_without_duckdb_the_query_says_what_to_install(dev_client, monkeypatch):
    monkeypatch.setattr(yql_engine._pool, "_folder", None)
    monkeypatch.setattr(yql_engine, "duckdb_folder", lambda: None)
    dev_client.write_table("//t", [{"a": 1}])
    with pytest.raises(QueryFailed, match=r"needs DuckDB: pip install 'yt-pipeline-dev\[yql\]'"):
        dev_client.run_yql("SELECT a FROM `//t`")
