"""job_leftovers: which processes holding a job's files it kills, and which it leaves."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from yt_pipeline_dev import job_leftovers

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")

#: holds the file argv[1] open for writing (its stdout) and says so on stderr
HOLD = "import sys, time; sys.stderr.write('ready\\n'); sys.stderr.flush(); time.sleep(30)"
#: starts HOLD in a session of its own and ends: the holder is nobody's child here
ESCAPE = ("import subprocess, sys; subprocess.Popen([sys.executable, '-c', sys.argv[1]], "
          "stdout=open(sys.argv[2], 'ab'), stderr=sys.stderr, start_new_session=True)")


def wait_ready(stream) -> None:
    assert stream.readline() == b"ready\n"


def holder_pid(path: Path) -> int | None:
    return next(iter(job_leftovers._holders(
        {(path.stat().st_dev, path.stat().st_ino)}, writing=True)), None)


def test_a_writer_in_a_session_of_its_own_is_killed(tmp_path):
    out = tmp_path / "job.out"
    out.write_bytes(b"")
    starter = subprocess.Popen([sys.executable, "-c", ESCAPE, HOLD, str(out)],
                               stderr=subprocess.PIPE)
    wait_ready(starter.stderr)
    starter.wait()
    pid = holder_pid(out)
    assert pid is not None, "the helper holds the file"
    started = time.monotonic()
    job_leftovers.stop_writers([out, None])
    assert time.monotonic() - started < job_leftovers.WAIT_S
    assert holder_pid(out) is None
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()


def test_a_child_of_the_driver_holding_the_file_is_left_alone(tmp_path, monkeypatch):
    """The driver's children are its jobs and YQL engines, and one forked this instant holds
    the driver's files until its exec: none of them is a job's leftover."""
    monkeypatch.setattr(job_leftovers, "WAIT_S", 0.2)
    out = tmp_path / "job.out"
    with out.open("ab") as handle:
        child = subprocess.Popen([sys.executable, "-c", HOLD], stdout=handle,
                                 stderr=subprocess.PIPE)
    try:
        wait_ready(child.stderr)
        job_leftovers.stop_writers([out])
        assert child.poll() is None
    finally:
        child.kill()
        child.wait()


def test_a_file_no_one_writes_costs_no_look_at_proc(tmp_path, monkeypatch):
    out = tmp_path / "job.out"
    out.write_bytes(b"{}\n")
    reader = out.open("rb")  # a reader is no writer
    monkeypatch.setattr(job_leftovers, "_holders", lambda *a, **k: pytest.fail("walked /proc"))
    try:
        job_leftovers.stop_writers([out, tmp_path / "gone"])
    finally:
        reader.close()
