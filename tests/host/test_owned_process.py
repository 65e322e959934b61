"""The installed command runs its start-up with the cyclic collector waiting longer between
collections, freezes its start-up objects before the first stage and sets the collector back
(owned_process); a command that runs no stage sets it back before its work; garbage made by
the million during start-up is still collected; a run through the Python API leaves the
collector alone; and what a stage makes after the freeze is still collected."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

from yt_pipeline.owned_process import STARTUP_THRESHOLD
from yt_pipeline.testing import invoke_cli, write_pipeline

#: CPython's threshold of the youngest generation (gc module documentation)
DEFAULT = 700

STAGE = """
import gc
import os
import weakref

from yt_pipeline import BaseStage

# imported while the command starts up (stage discovery), before the freeze
with open(os.environ["GC_PROBE"], "a") as probe_file:
    probe_file.write(f"{gc.get_threshold()[0]}\\n")


class Node:
    pass


class Probe(BaseStage):
    def run(self, debug):
        frozen = gc.get_freeze_count()
        node = Node()
        node.me = node  # garbage only the cyclic collector can free
        probe = weakref.ref(node)
        del node
        gc.collect()
        self.deps.yt_client.write_table(
            "//tmp/host/gc", [{"frozen": frozen, "cycle_freed": probe() is None,
                               "threshold": gc.get_threshold()[0]}])
        return debug
"""


def _pipeline(root: Path) -> Path:
    return write_pipeline(root, {"stages/probe/stage.py": STAGE},
                          {"stages": {"enabled_stages": ["probe"]}})


def _probe(root: Path) -> dict:
    return json.loads((root / ".dev/tmp/host/gc.jsonl").read_text())


def _command(*args: str, probe: Path) -> None:
    command = Path(sys.executable).with_name("yt-pipeline")
    done = subprocess.run([str(command), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "GC_PROBE": str(probe)})
    assert done.returncode == 0, done.stderr


def test_the_installed_command_starts_without_collecting_then_freezes(tmp_path):
    root = _pipeline(tmp_path / "p")
    _command("run", str(root), probe=tmp_path / "imported")
    # the stage was imported during start-up, with the collector waiting longer
    assert (tmp_path / "imported").read_text() == f"{STARTUP_THRESHOLD}\n"
    probe = _probe(root)
    assert probe["frozen"] > 1000  # the modules' objects, out of the collector's walks
    assert probe["threshold"] == DEFAULT  # as it was, for the stages
    assert probe["cycle_freed"] is True


def test_a_command_that_runs_no_stage_collects_for_its_work(tmp_path):
    root = _pipeline(tmp_path / "p")
    _command("list", str(root), probe=tmp_path / "imported")  # imports the stage to list it
    assert (tmp_path / "imported").read_text() == f"{DEFAULT}\n"


def test_python_m_enters_as_the_installed_command(tmp_path):
    root = _pipeline(tmp_path / "p")
    done = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "GC_PROBE": str(tmp_path / "imported")})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "imported").read_text() == f"{STARTUP_THRESHOLD}\n"
    assert _probe(root)["threshold"] == DEFAULT


def test_a_run_through_the_api_leaves_the_collector_alone(tmp_path, monkeypatch):
    root = _pipeline(tmp_path / "p")
    monkeypatch.setenv("GC_PROBE", str(tmp_path / "imported"))
    before = gc.get_freeze_count()
    result = invoke_cli("run", str(root))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "imported").read_text() == f"{gc.get_threshold()[0]}\n"
    assert _probe(root)["frozen"] == before == gc.get_freeze_count()
    assert _probe(root)["threshold"] == gc.get_threshold()[0]
    assert _probe(root)["cycle_freed"] is True


GARBAGE_STAGE = """
import gc
import os
import weakref

from yt_pipeline import BaseStage


class Node:
    pass


# a module that makes cyclic garbage by the million as it is imported
first = Node()
first.me = first
probe = weakref.ref(first)
del first
for _ in range(3 * %d):
    node = Node()
    node.me = node
with open(os.environ["GC_PROBE"], "a") as probe_file:
    probe_file.write(f"{probe() is None}\\n")
del node


class Probe(BaseStage):
    def run(self, debug):
        return debug
"""


def test_garbage_made_by_the_million_during_start_up_is_still_collected(tmp_path):
    root = write_pipeline(tmp_path / "p", {"stages/probe/stage.py": GARBAGE_STAGE % STARTUP_THRESHOLD},
                          {"stages": {"enabled_stages": ["probe"]}})
    _command("run", str(root), probe=tmp_path / "collected")
    # collected by the collector's own run, during the import: it waits, it does not stop
    assert (tmp_path / "collected").read_text() == "True\n"
