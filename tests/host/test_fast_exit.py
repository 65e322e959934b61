"""The installed command leaves without the interpreter's teardown (fast_exit), yet exits as
a normal exit would: the same code, every atexit handler run, the streams flushed, and
threads that are not daemons waited for."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def _leave(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    script = textwrap.dedent("""
        import atexit, sys, threading, time
        from pathlib import Path
        from yt_pipeline.fast_exit import leave
        out = Path(sys.argv[1])
        atexit.register(lambda: (out / "atexit").write_text("ran"))
        sys.stdout.write("no newline, still buffered")
        """) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script, str(tmp_path)],
                          capture_output=True, text=True, timeout=60)


def test_leave_runs_atexit_flushes_and_keeps_the_code(tmp_path):
    done = _leave(tmp_path, "leave(3)\n")
    assert done.returncode == 3, done.stderr
    assert done.stdout == "no newline, still buffered"
    assert (tmp_path / "atexit").read_text() == "ran"


def test_leave_waits_for_a_thread_that_is_not_a_daemon(tmp_path):
    done = _leave(tmp_path, """
        def late():
            time.sleep(0.3)
            (out / "thread").write_text("finished")
        threading.Thread(target=late).start()
        leave(4)
        """)
    assert done.returncode == 4, done.stderr
    assert (tmp_path / "thread").read_text() == "finished"
    assert (tmp_path / "atexit").read_text() == "ran"


def test_the_installed_command_reports_and_exits_as_before(hello_pipeline, tmp_path):
    command = Path(sys.executable).with_name("yt-pipeline")
    root = hello_pipeline()
    done = subprocess.run([str(command), "run", str(root)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.rstrip().splitlines()[-1].split()[:2] == ["hello", "SUCCESS"]
    [log] = (root / ".runs").glob("*.log")
    assert "[hello] done in" in log.read_text()  # the run's log, flushed to the end
    assert (root / ".dev/tmp/host/hello.jsonl").read_text() == '{"msg":"hi","n":1}\n'
    failed = subprocess.run([str(command), "run", str(tmp_path / "missing")],
                            capture_output=True, text=True, timeout=120)
    assert failed.returncode == 2
    assert failed.stderr.strip() == (f"error: {tmp_path / 'missing'}: pipeline folder does "
                                     "not exist")


def test_leave_waits_for_threads_the_waited_ones_start(tmp_path):
    done = _leave(tmp_path, """
        def second():
            time.sleep(0.2)
            (out / "second").write_text("finished")
        def first():
            time.sleep(0.1)
            threading.Thread(target=second).start()
        threading.Thread(target=first).start()
        leave(5)
        """)
    assert done.returncode == 5, done.stderr
    assert (tmp_path / "second").read_text() == "finished"


TORN_DOWN_STAGE = """
from pathlib import Path

from yt_pipeline import BaseStage


class _Mark:
    # run by the interpreter's teardown only, as it clears the modules
    def __del__(self):
        Path(__file__).with_name("torn_down").write_text("yes")


MARK = _Mark()


class Hello(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//t/hello", [{"n": 1}])
        return debug
"""


def test_python_dash_m_leaves_as_the_installed_command(tmp_path):
    from yt_pipeline.testing import write_pipeline

    root = write_pipeline(tmp_path / "p", {"stages/hello/stage.py": TORN_DOWN_STAGE},
                          {"stages": {"enabled_stages": ["hello"]}})
    done = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (root / ".dev/t/hello.jsonl").read_text() == '{"n":1}\n'
    assert not (root / "stages/hello/torn_down").exists()  # no teardown


LOAD_STAGE = """
from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//t/in", ({"v": i % 13} for i in range(1000)))
        return debug
"""
LONG_QUERY_STAGE = """
from pathlib import Path

from yt_pipeline import BaseStage


class Query(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        Path(__file__).with_name("querying").write_text("")
        # a billion rows joined: far longer than the test waits
        yt.run_yql("INSERT INTO `//t/x` WITH TRUNCATE SELECT COUNT(*) AS c FROM `//t/in` AS a "
                   "CROSS JOIN `//t/in` AS b CROSS JOIN `//t/in` AS c WHERE a.v + b.v + c.v = 20")
        return debug
"""


def test_ctrl_c_during_a_duckdb_query_exits_130_without_an_abort(tmp_path):
    """The query runs on a daemon stage thread inside DuckDB; a teardown after Ctrl-C ended
    that thread there and the process aborted ("terminate called", exit code -6) in 3 of 8
    runs of `python -m yt_pipeline`."""
    import os
    import signal
    import time

    import pytest

    pytest.importorskip("duckdb")
    from yt_pipeline.testing import write_pipeline

    for trial in range(4):
        root = write_pipeline(tmp_path / f"p{trial}", {"stages/load/stage.py": LOAD_STAGE,
                                                       "stages/query/stage.py": LONG_QUERY_STAGE},
                              {"stages": {"graph": {"load": [], "query": ["load"]}}})
        process = subprocess.Popen([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)
        marker = root / "stages/query/querying"
        deadline = time.monotonic() + 60
        while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3 + 0.1 * trial)  # inside the query
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=60)
        finally:
            os.killpg(process.pid, signal.SIGKILL) if process.poll() is None else None
        assert "terminate called" not in err and "FATAL" not in err, f"trial {trial}: {err}"
        assert process.returncode == 130, f"trial {trial}: {process.returncode}\n{err}"
        assert err.rstrip().splitlines()[-1] == (f"interrupted; to resume: yt-pipeline run "
                                                 f"{root} --resume")
        assert not (root / ".dev/t/x.jsonl").exists()
