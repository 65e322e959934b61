"""A dev run started from Python and interrupted (Ctrl-C, SIGTERM) while its jobs run: the
run's end stops them (run_operations.py) and the operation's sandbox is kept, as a failed
one's is. What the stopped jobs wrote there (their stderr, a file of their own, a file named
after a secret) holds no secret, as in the sandbox of an operation that failed."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from secret_scan import scan_folder
from test_dev_api_interrupts import interrupt_once_running

from yt_pipeline import DefaultPipeline
from yt_pipeline.testing import write_pipeline

pytestmark = pytest.mark.usefixtures("sigint_reaches_the_runs")

API_KEY = "apikey-stopped-Jq41xZ"
TOKEN = "ytok-stopped-Wm92Lp"

COPY = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Copy(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//home/stop/in", [{"i": i} for i in range(4)])
        run_map(self, self.config.client.operations.map)
        return debug
"""

# the job shows the secret (its stderr, a file of its own and its name), then says it runs
# (a file named by its pid in PIDS) and holds until the run's end stops it
MAPPER = """
import base64, os, sys, time

from ytjobs import read_rows, write_rows

key = os.environ["API_KEY"]
sys.stderr.write("calling with " + key + " " + base64.b64encode(key.encode()).decode() + "\\n")
sys.stderr.flush()
with open("debug.txt", "w") as handle:
    handle.write("key=" + key + "\\n")
open("cache-" + key, "w").close()
rows = list(read_rows())
open(os.path.join(os.environ["PIDS"], str(os.getpid())), "w").close()
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    time.sleep(0.05)
write_rows(rows)
"""

CONFIG = """
client:
  operations:
    map:
      input_table: //home/stop/in
      output_table: //home/stop/out
      resources:
        job_count: 2
      env:
        API_KEY: null
        PIDS: {pids}
"""


@pytest.mark.parametrize("how", ["sigint", "sigterm"])
def test_the_sandbox_of_jobs_the_run_stopped_holds_no_secret(tmp_path, monkeypatch, how):
    if how == "sigterm" and signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        pytest.skip("SIGTERM has a handler of the test runner's: the run sets none")
    for name in ("API_KEY", "YT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    pids = tmp_path / "pids"
    pids.mkdir()
    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": f"API_KEY={API_KEY}\nYT_TOKEN={TOKEN}\n",
        "stages/copy/stage.py": COPY,
        "stages/copy/config.yaml": CONFIG.format(pids=pids),
        "stages/copy/src/mapper.py": MAPPER,
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["copy"]}})
    pipeline = DefaultPipeline(pipeline_dir=root)
    try:
        interrupt_once_running(how, pids, jobs=2)
        with pytest.raises(KeyboardInterrupt):
            pipeline.run()
    finally:
        pipeline.close()
    sandboxes = root / ".dev" / ".sandboxes"
    kept = [path.name for path in Path(sandboxes).rglob("*.stderr")]
    assert len(kept) == 2, kept  # the stopped jobs' sandbox is kept
    assert "calling with ***" in (next(Path(sandboxes).rglob("*.stderr")).read_text())
    assert scan_folder(root, [API_KEY, TOKEN]) == []
