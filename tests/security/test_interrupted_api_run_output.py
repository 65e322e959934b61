"""A run started from Python (`pipeline.run()`) and interrupted (Ctrl-C, SIGTERM) returns
while a stage busy in its own code goes on (the run's end stops operations, not the stage's
code: run_operations.py). What that stage prints, writes to stderr or logs then, and what
a child process it starts prints, reaches the console masked, as it did within the run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from secret_scan import scan_bytes

from yt_pipeline.testing import write_pipeline

API_KEY = "apikey-late-Wq73Rx9zz"
TOKEN = "ytok-late-Hm28Vn41"

# the stage says it runs (STARTED), is interrupted meanwhile, and writes once run() has
# returned (RETURNED, which the program makes), then says it is done (DONE)
BUSY = """
import os, sys, time

from yt_pipeline import BaseStage


class Busy(BaseStage):
    def run(self, debug):
        key = self.deps.pipeline_config.secret("API_KEY")
        open(os.environ["STARTED"], "w").close()
        deadline = time.monotonic() + 30
        while not os.path.exists(os.environ["RETURNED"]) and time.monotonic() < deadline:
            time.sleep(0.02)
        print("late print", key, flush=True)
        sys.stderr.write("late stderr " + key + "\\n")
        self.logger.warning("late log %s", key)
        os.system("echo late child " + key)
        open(os.environ["DONE"], "w").close()
        return debug
"""

PROGRAM = """
import _thread, os, signal, sys, threading, time

from yt_pipeline import DefaultPipeline


def interrupt():
    while not os.path.exists(os.environ["STARTED"]):
        time.sleep(0.02)
    if sys.argv[2] == "sigterm":
        signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)
    else:
        _thread.interrupt_main()


threading.Thread(target=interrupt, daemon=True).start()
pipeline = DefaultPipeline(pipeline_dir=sys.argv[1])
try:
    pipeline.run()
except KeyboardInterrupt:
    print("program: interrupted", flush=True)
open(os.environ["RETURNED"], "w").close()
deadline = time.monotonic() + 30
while not os.path.exists(os.environ["DONE"]) and time.monotonic() < deadline:
    time.sleep(0.02)
time.sleep(0.3)
print("program: done", flush=True)
"""


@pytest.mark.parametrize("how", ["sigint", "sigterm"])
def test_a_stage_going_on_after_an_interrupted_run_shows_no_secret(tmp_path, how):
    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": f"API_KEY={API_KEY}\nYT_TOKEN={TOKEN}\n",
        "stages/busy/stage.py": BUSY,
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["busy"]}})
    program = tmp_path / "program.py"
    program.write_text(PROGRAM)
    env = {name: value for name, value in os.environ.items()
           if name not in ("API_KEY", "YT_TOKEN")}
    env.update({name: str(tmp_path / name.lower()) for name in ("STARTED", "RETURNED", "DONE")})
    done = subprocess.run([sys.executable, str(program), str(root), how], env=env,
                          capture_output=True, timeout=120)
    shown = done.stdout + done.stderr
    assert done.returncode == 0, shown
    assert b"program: interrupted" in done.stdout and b"program: done" in done.stdout
    for line in (b"late print ***", b"late stderr ***", b"late log ***", b"late child ***"):
        assert line in shown, shown
    assert scan_bytes("the program's output", shown, [API_KEY, TOKEN]) == []
