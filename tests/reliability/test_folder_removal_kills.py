"""SIGKILL a dev removal of a folder (outside any transaction) at seeded moments: the
folder is left whole or gone, never with part of its tables, and the next run's clean-up
(recovery.sweep) leaves nothing of it behind.

Deleted file by file, a killed removal left the folder with some of its tables and not the
others, for every later reader."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from yt_pipeline.errors import TableNotFound
from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.recovery import sweep

TRIALS = int(os.environ.get("YTP_FOLDER_REMOVAL_KILL_TRIALS", "24"))
SUBFOLDERS, TABLES = 4, 40

REMOVER = """
import sys
from pathlib import Path
from yt_pipeline_dev.client import DevClient

client = DevClient(Path(sys.argv[1]))
Path(sys.argv[2]).touch()
client.remove("//f", recursive=True)
Path(sys.argv[3]).touch()
"""


def fill(client: DevClient) -> None:
    for sub in range(SUBFOLDERS):
        for item in range(TABLES):
            client.write_table(f"//f/s{sub}/t{item}", [{"n": item}])


def state(client: DevClient) -> str:
    """'whole' or 'gone'; fails naming what is left of a folder half removed."""
    if not client.exists("//f"):
        return "gone"
    subs = {f"s{sub}" for sub in range(SUBFOLDERS)}
    assert set(client.list("//f")) == subs, client.list("//f")
    for sub in sorted(subs):
        names = client.list(f"//f/{sub}")
        assert len(names) == TABLES, f"//f/{sub} holds {len(names)} of {TABLES} tables"
        for item in range(TABLES):
            assert list(client.read_table(f"//f/{sub}/t{item}")) == [{"n": item}]
    return "whole"


def aside(root: Path) -> list[str]:
    """What removals left in `.dev/.removed`."""
    where = root / ".removed"
    return sorted(os.listdir(where)) if where.exists() else []


def kill_removal(root: Path, delay: float, env: dict[str, str]) -> bool:
    """Start a removal of //f, kill it `delay` s after it begins: whether it ended first."""
    started, ended = root.parent / "started", root.parent / "ended"
    started.unlink(missing_ok=True)
    remover = subprocess.Popen([sys.executable, "-c", REMOVER, str(root), str(started),
                                str(ended)], env=env)
    try:
        while not started.exists() and remover.poll() is None:
            time.sleep(0.0005)
        try:  # a remover killed at a crash point (or done) is not waited for to the delay
            remover.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            remover.send_signal(signal.SIGKILL)
    finally:
        remover.wait(timeout=60)
    return ended.exists()


def test_a_killed_removal_leaves_the_folder_whole_or_gone(tmp_path):
    pace = random.Random(7)
    seen = []
    for trial in range(TRIALS):
        root = tmp_path / str(trial) / ".dev"
        client = DevClient(root)
        fill(client)
        env = dict(os.environ)
        if trial % 4 == 0:  # right after the rename, before anything is deleted
            env["YTP_CRASH_AT"] = "1"
            delay = 5.0
        else:
            delay = pace.uniform(0, 0.06)
        finished = kill_removal(root, delay, env)
        left = state(client)
        seen.append(left)
        if finished:
            assert left == "gone"
        if trial % 4 == 0 and not finished:
            assert aside(root) != []  # killed right after the rename: left aside
        sweep(root)  # the next run's clean-up
        assert state(client) == left
        assert aside(root) == []
        if left == "whole":
            client.remove("//f", recursive=True)
        try:
            client.list("//f")
            raise AssertionError("//f listed after its removal")
        except TableNotFound:
            pass
        assert list(root.rglob("*.jsonl")) == []
    # kills landed before the rename and after it
    assert "whole" in seen and "gone" in seen, seen
