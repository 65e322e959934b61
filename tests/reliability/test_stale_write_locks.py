"""A dev run killed while its stage's transaction holds table locks leaves their files in
`.dev/.locks/<table>.held/`; the next run removes them as it starts, even one that writes
nothing, while the lock of a live transaction of another process sharing the folder stays,
and a dead transaction's lock stays dead when its pid now names a live process."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from adversarial_helpers import command, finish, start

from yt_pipeline.testing import write_pipeline
from yt_pipeline.yamlio import dump_yaml

TABLES = ["//t/a", "//t/b", "//t/c"]

WRITER = """
import time
from pathlib import Path

from yt_pipeline import BaseStage


class Writer(BaseStage):
    def run(self, debug):
        flags = Path(self.config.flags)
        for number, path in enumerate(self.config.tables, 1):
            self.deps.yt_client.write_table(path, [{"n": number}])
            (flags / f"wrote{number}").touch()
        time.sleep(600)  # killed here or before
        return debug
"""

IDLE = """
from yt_pipeline import BaseStage


class Idle(BaseStage):
    def run(self, debug):
        return debug
"""

# another pipeline's transaction sharing the folder, alive until its stdin closes
LIVE_OTHER = """
import sys
from pathlib import Path

from yt_pipeline_dev.client import DevClient

txn = DevClient(Path(sys.argv[1])).begin_transaction("yt-pipeline R stage other attempt 1")
txn.client.write_table("//t/other", [{"n": 0}])
print("locked", flush=True)
sys.stdin.read()
"""


def pipeline(root: Path, flags: Path) -> Path:
    return write_pipeline(root, {
        "configs/config.yaml": dump_yaml({
            "pipeline": {"mode": "dev"},
            "stages": {"graph": {"writer": [], "idle": []}},
        }),
        "stages/writer/stage.py": WRITER,
        "stages/writer/config.yaml": dump_yaml({"flags": str(flags), "tables": TABLES}),
        "stages/idle/stage.py": IDLE,
        "stages/idle/config.yaml": dump_yaml({}),
    })


def locks(dev: Path) -> list[str]:
    """The lock files in the folder, as `<transaction>.<mode>`."""
    return sorted(path.name for path in (dev / ".locks").glob("*.held/*"))


def wait_for(path: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not path.exists():
        assert process.poll() is None, f"the run ended before {path.name}: {finish(process)}"
        assert time.monotonic() < deadline, f"waited in vain for {path}"
        time.sleep(0.01)


@pytest.mark.parametrize("seed", range(3))
def test_a_run_start_drops_the_locks_of_a_killed_run_and_keeps_a_live_ones(seed, tmp_path):
    rng = random.Random(seed)
    flags = tmp_path / "flags"
    flags.mkdir()
    root = pipeline(tmp_path / "p", flags)
    dev = root / ".dev"
    dev.mkdir(exist_ok=True)
    other = subprocess.Popen([sys.executable, "-c", LIVE_OTHER, str(dev)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None and other.stdout.readline() == "locked\n"
        live = locks(dev)
        assert len(live) == 1 and live[0].endswith(".exclusive"), live

        # a dead transaction whose name holds the pid of a live process (this one's): its
        # folder's owner.lock is not held, so its lock is stale all the same
        reused = f"{time.time_ns()}-{os.getpid()}-7"
        (dev / ".txn" / reused).mkdir(parents=True)
        (dev / ".txn" / reused / "owner.lock").touch()
        held = next((dev / ".locks").glob("*.held"))
        (held.parent / "reused-table.held").mkdir()
        (held.parent / "reused-table.held" / f"{reused}.shared").write_text("{}")

        # the writer killed after a seeded number of its writes, at a seeded instant after
        writes = rng.randint(1, len(TABLES))
        run = start(command(root, "--only", "writer"))
        wait_for(flags / f"wrote{writes}", run)
        time.sleep(rng.uniform(0, 0.2))
        os.killpg(run.pid, signal.SIGKILL)
        finish(run)
        dead = [name for name in locks(dev) if name not in live]
        assert len(dead) >= writes + 1, f"the kill left too few locks: {locks(dev)}"

        result = subprocess.run(command(root, "--only", "idle"), capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        assert locks(dev) == live, f"seed {seed}: {writes} writes"
        assert sorted(path.name for path in (dev / ".locks").glob("*.held")) == [held.name]
        assert not (dev / "t" / "a.jsonl").exists()  # a killed transaction wrote nothing
    finally:
        other.communicate(timeout=60)
