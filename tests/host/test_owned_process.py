"""The installed command freezes its start-up objects before the first stage
(owned_process); a run through the Python API leaves the collector alone; and what a stage
makes after the freeze is still collected."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

from yt_pipeline.testing import invoke_cli, write_pipeline

STAGE = """
import gc
import weakref

from yt_pipeline import BaseStage


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
            "//tmp/host/gc", [{"frozen": frozen, "cycle_freed": probe() is None}])
        return debug
"""


def _pipeline(root: Path) -> Path:
    return write_pipeline(root, {"stages/probe/stage.py": STAGE},
                          {"stages": {"enabled_stages": ["probe"]}})


def _probe(root: Path) -> dict:
    return json.loads((root / ".dev/tmp/host/gc.jsonl").read_text())


def test_the_installed_command_freezes_and_still_collects(tmp_path):
    root = _pipeline(tmp_path / "p")
    command = Path(sys.executable).with_name("yt-pipeline")
    done = subprocess.run([str(command), "run", str(root)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    probe = _probe(root)
    assert probe["frozen"] > 1000  # the modules' objects, out of the collector's walks
    assert probe["cycle_freed"] is True


def test_a_run_through_the_api_leaves_the_collector_alone(tmp_path):
    root = _pipeline(tmp_path / "p")
    before = gc.get_freeze_count()
    result = invoke_cli("run", str(root))
    assert result.exit_code == 0, result.output
    assert _probe(root)["frozen"] == before == gc.get_freeze_count()
    assert _probe(root)["cycle_freed"] is True
