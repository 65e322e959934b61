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
