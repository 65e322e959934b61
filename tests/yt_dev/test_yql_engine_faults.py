"""DuckDB's process (yql_engine) when a statement is abandoned, stopped or cut short: the
next statement gets its own answer, a query's time limit holds, and a process ending in the
middle of an answer fails the statement in one line."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

pytest.importorskip("duckdb")

import yt_pipeline_dev.yql_engine as yql_engine  # noqa: E402
from yt_pipeline.errors import QueryFailed  # noqa: E402
from yt_pipeline_dev.client import DevClient  # noqa: E402

#: minutes of DuckDB's time, far past any wait here
ENDLESS = "SELECT COUNT(*) AS n FROM range(1000000000000) AS r(x) WHERE x % 7 = 3"


@pytest.fixture()
def started(monkeypatch):
    """Every engine process started during the test, killed at its end (a test failing on
    a hang leaves none running)."""
    processes: list[yql_engine._Process] = []
    real_init = yql_engine._Process.__init__

    def init(self, folder):
        real_init(self, folder)
        processes.append(self)

    yql_engine.end_all()
    monkeypatch.setattr(yql_engine._Process, "__init__", init)
    yield processes
    for process in processes:
        process.popen.kill()
        process.popen.wait(timeout=10)
    yql_engine.end_all()


def _in_thread(call, timeout_s: float):
    """`call()`'s result or exception, or "hung" when it took longer than `timeout_s`."""
    outcome: list = []

    def run():
        try:
            outcome.append(call())
        except BaseException as exc:  # noqa: BLE001 - the outcome is compared
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout_s)
    return outcome[0] if outcome else "hung"


def test_a_statement_abandoned_by_ctrl_c_leaves_the_next_query_its_own_answer(tmp_path,
                                                                               started):
    """Ctrl-C in a notebook while a query runs: the process still running it must not be
    kept for the next statement, which would wait for it and then read its answer."""
    client = DevClient(tmp_path / ".dev")
    client.write_table("//t", [{"a": i} for i in range(10)])
    assert client.run_yql("SELECT COUNT(*) AS n FROM `//t`") == [{"n": 10}]
    (abandoned,) = yql_engine._pool._idle  # the next query runs on it

    def ctrl_c(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, ctrl_c)
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        with pytest.raises(KeyboardInterrupt):
            client.run_yql(ENDLESS)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert abandoned not in yql_engine._pool._idle
    assert _in_thread(lambda: client.run_yql("SELECT SUM(a) AS s FROM `//t`"), 30) \
        == [{"s": 45}]
    assert _in_thread(lambda: client.run_yql("SELECT COUNT(*) AS n FROM `//t`"), 30) \
        == [{"n": 10}]
    assert abandoned.popen.wait(timeout=10) == 0  # it read the end of its control pipe


def test_a_process_stopped_during_a_statement_fails_the_query_at_its_time_limit(
        tmp_path, started, monkeypatch):
    """SIGSTOP of DuckDB's process while a statement runs: it no longer reads the
    interrupts, so the query would wait for it forever; it is killed once interrupted for
    KILL_AFTER_S."""
    monkeypatch.setattr(yql_engine, "KILL_AFTER_S", 1.0)
    client = DevClient(tmp_path / ".dev", yql_timeout_s=2.0)
    client.write_table("//t", [{"a": 1}])
    assert client.run_yql("SELECT SUM(a) AS s FROM `//t`") == [{"s": 1}]
    (process,) = yql_engine._pool._idle  # the next query runs on it
    outcome: list = []
    query = threading.Thread(target=lambda: outcome.append(_in_thread(
        lambda: client.run_yql(ENDLESS), 30)), daemon=True)
    began = time.monotonic()
    query.start()
    time.sleep(1.0)  # the statement runs
    os.kill(process.popen.pid, signal.SIGSTOP)
    query.join(40)
    (failed,) = outcome
    assert isinstance(failed, QueryFailed), failed
    assert time.monotonic() - began < 15
    assert str(failed).startswith("YQL query interrupted in DuckDB, still running after ")
    assert process.popen.wait(timeout=10) == -signal.SIGKILL
    assert _recovered(tmp_path)


def test_a_process_stopped_between_statements_fails_the_query_at_its_time_limit(
        tmp_path, started, monkeypatch):
    """SIGSTOP of the idle process the next statement takes: the statement waits for its
    database to be made, before any SQL runs, and the limit holds there too."""
    monkeypatch.setattr(yql_engine, "KILL_AFTER_S", 1.0)
    client = DevClient(tmp_path / ".dev", yql_timeout_s=0.5)
    client.write_table("//t", [{"a": 1}])
    assert client.run_yql("SELECT SUM(a) AS s FROM `//t`") == [{"s": 1}]
    (process,) = yql_engine._pool._idle  # the next query takes it
    os.kill(process.popen.pid, signal.SIGSTOP)
    began = time.monotonic()
    failed = _in_thread(lambda: client.run_yql("SELECT SUM(a) AS s FROM `//t`"), 20)
    assert isinstance(failed, QueryFailed), failed
    assert time.monotonic() - began < 10
    assert str(failed).startswith("YQL query interrupted in DuckDB, still running after ")
    assert process.popen.wait(timeout=10) == -signal.SIGKILL
    assert _recovered(tmp_path)


def test_a_process_ending_in_the_middle_of_an_answer_fails_the_statement_in_one_line(
        started):
    duckdb = yql_engine.engine()
    connection = duckdb.connect()
    process = connection._process
    answers = process._answers

    class Cut:
        """The answer's header is read, then the process is killed while writing the rest
        (more than a pipe holds)."""

        def read(self, size):
            if size != 4:
                os.kill(process.popen.pid, signal.SIGKILL)
                process.popen.wait(timeout=10)
            return answers.read(size)

        def close(self):
            answers.close()

    process._answers = Cut()
    with pytest.raises(yql_engine.Error) as ended:
        connection.execute("SELECT repeat('x', 100) AS s FROM range(100000)")
    assert str(ended.value) == "DuckDB's process ended (killed by signal 9)"
    connection.close()
    assert process not in yql_engine._pool._idle


def test_processes_let_go_are_reaped_and_fds_stay_level(tmp_path, started):
    """A notebook's many queries, some at once: the processes beyond KEEP_IDLE end and are
    waited for (no zombie), and the driver's open files do not grow."""
    client = DevClient(tmp_path / ".dev")
    client.write_table("//t", [{"a": i} for i in range(100)])
    assert client.run_yql("SELECT SUM(a) AS s FROM `//t`") == [{"s": 4950}]
    fds = len(os.listdir("/proc/self/fd"))
    results: dict[int, list] = {}

    def queries(k: int) -> None:
        results[k] = [client.run_yql(f"SELECT SUM(a) * {k} AS s FROM `//t`")
                      for _ in range(10)]

    threads = [threading.Thread(target=queries, args=(k,)) for k in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == {k: [[{"s": 4950 * k}]] * 10 for k in range(1, 5)}
    idle = yql_engine._pool._idle
    assert len(idle) <= yql_engine.KEEP_IDLE
    ended = [process for process in started if process not in idle]
    assert ended  # more than KEEP_IDLE ran at once
    assert [process.popen.returncode for process in ended] == [0] * len(ended)
    assert len(os.listdir("/proc/self/fd")) <= fds + 3 * yql_engine.KEEP_IDLE  # 3 pipes each


def _recovered(tmp_path) -> bool:
    """Whether a later query works: on a new process, which a loaded machine may take
    longer than the tests' half-second limit to start, so asked without that limit."""
    return DevClient(tmp_path / ".dev").run_yql("SELECT SUM(a) AS s FROM `//t`") == [{"s": 1}]
