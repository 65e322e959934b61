"""A prod operation's run cut short: its transaction cannot be pinged any more (the stage
fails, not the whole process: ytsaurus-client's default would interrupt the main thread),
or Ctrl-C stops the run while a stage thread waits on the operation (it is aborted)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("yt_pipeline_prod")

from yt_pipeline.testing import write_pipeline  # noqa: E402
from yt_pipeline_prod.testing import TEST_TOKEN  # noqa: E402

SLOW_MAPPER = """
import time
from ytjobs import read_rows, write_rows

rows = list(read_rows())
time.sleep(4)
write_rows(rows)
"""

STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Copy(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        return debug
"""

CONFIG = """
client:
  operations:
    map:
      input_table: //home/ping/in
      output_table: //home/ping/out
"""


@pytest.fixture
def fake(fake):
    fake.put_table("//home/ping/in", [{"i": 1}])
    return fake


def slow_map_pipeline(root, fake, prod):
    return write_pipeline(root, {
        "configs/secrets.env": f"YT_PROXY={fake.url}\nYT_TOKEN={TEST_TOKEN}\n",
        "stages/copy/stage.py": STAGE,
        "stages/copy/config.yaml": CONFIG,
        "stages/copy/src/mapper.py": SLOW_MAPPER,
    }, config={"pipeline": {"mode": "prod", "build_folder": "//home/ping/build", "prod": prod},
               "stages": {"enabled_stages": ["copy"]}})


def test_a_failing_transaction_ping_fails_the_stage_not_the_process(fake, tmp_path):
    prod = {"retries": False, "poll_interval_s": 0.05,
            # pings every ~0.3 s, so several fall within the operation
            "yt_config": {"transaction_sleep_period": 5, "transaction_timeout": 900,
                          "proxy": {"request_timeout": 300}}}
    root = slow_map_pipeline(tmp_path / "p", fake, prod)
    fake.faults.fail_next("ping_transaction", 10_000, status=503)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                          capture_output=True, text=True, timeout=60)
    output = done.stdout + done.stderr
    print(output, f"exit {done.returncode} after {time.monotonic() - started:.1f}s")
    assert fake.faults.fired["ping_transaction"] >= 1
    assert "KeyboardInterrupt" not in output and "interrupted" not in output.lower(), output
    assert done.returncode == 1, output
    assert "stage copy failed" in output, output


def test_ctrl_c_during_an_operation_stops_it(fake, tmp_path):
    # the KeyboardInterrupt reaches the main thread only, not the stage thread waiting on
    # the operation: closing the client on the way out aborts it
    prod = {"retries": False, "poll_interval_s": 0.05,
            "yt_config": {"transaction_sleep_period": 5}}
    root = slow_map_pipeline(tmp_path / "p", fake, prod)
    proc = subprocess.Popen([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while fake.calls["start_operation"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=30)
    print(output)
    assert fake.calls["start_operation"] == 1
    assert fake.calls["abort_operation"] + fake.calls["abort_transaction"] >= 1, output
