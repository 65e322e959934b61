"""A dev job that SIGTERM ended alone (not with the run) is a failed job, run again, even
in a run after an earlier one of the same process took a SIGTERM. Before, the flag that
earlier run set stayed set for a run that did not set the handler itself (one off the main
thread, or in a program with a handler of its own): the job was taken as stopped with the
run, and the operation failed as though interrupted.

A cluster never ends a job with SIGTERM (it kills with SIGKILL), so the job's own end is
what a job failure is here: it runs again up to max_failed_job_count, as the fake proxy
runs a failed job again (yt_pipeline_prod/fake/op_runner.py)."""

from __future__ import annotations

import signal
import threading

import pytest

from yt_pipeline.term_signal import Terminated, sigterm_interrupts
from yt_pipeline_dev.launcher import launch

# the first attempt (YT_JOB_INDEX 0) ends itself by SIGTERM; the rerun copies its rows
MAPPER = """
import os
import signal
import sys

rows = sys.stdin.read()
if os.environ["YT_JOB_INDEX"] == "0":
    os.kill(os.getpid(), signal.SIGTERM)
sys.stdout.write(rows)
"""


def an_earlier_run_took_a_sigterm() -> None:
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        pytest.skip("SIGTERM has a handler of the test runner's")
    with pytest.raises(Terminated), sigterm_interrupts():
        signal.raise_signal(signal.SIGTERM)


def test_a_job_sigterm_ended_alone_runs_again_off_the_main_thread(dev_client, stages):
    an_earlier_run_took_a_sigterm()
    stages("m", {"src/mapper.py": MAPPER})
    dev_client.write_table("//in/t", [{"id": 1}, {"id": 2}])
    spec = stages.spec("map", "m", input_tables=["//in/t"], output_tables=["//out/t"],
                       mapper="src/mapper.py", max_failed_job_count=2)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            launch(dev_client, spec)
        except BaseException as error:  # noqa: BLE001 - the test says it
            failures.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert [str(error) for error in failures] == []
    assert list(dev_client.read_table("//out/t")) == [{"id": 1}, {"id": 2}]
    log = (dev_client.root / "operation.log").read_text()
    assert ("RERUN map job 1 of 1: attempt 1 was killed by signal SIGTERM (15) (failed jobs 1 "
            "of max_failed_job_count 2)") in log, log
