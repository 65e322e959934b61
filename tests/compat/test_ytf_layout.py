"""A pipeline laid out the way yt-framework documents it (its map example: a stage writing a
table, a map stage with src/mapper.py, `job:` and `client.operations.map` keys), with only
the imports changed, run by `yt-pipeline` in dev mode.

Where yt-framework's API differs from ours the exact layout cannot run yet; those tests are
expected failures naming the difference, and a second variant applies the changes that
docs/coming-from-yt-framework.md tells users to make.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

LAYOUT = Path(__file__).resolve().parent / "ytf_layout"
INPUT = ".dev/tmp/compat/04_map_operation/input.jsonl"
OUTPUT = ".dev/tmp/compat/04_map_operation/output.jsonl"
EXPECTED_INPUT = [
    {"id": 1, "text": "alpha beta", "value": 10},
    {"id": 2, "text": "gamma", "value": 20},
    {"id": 3, "text": "delta epsilon", "value": 30},
]
EXPECTED_OUTPUT = [
    {"id": 1, "processed_text": "seen_ALPHA BETA", "processed_value": 30},
    {"id": 2, "processed_text": "seen_GAMMA", "processed_value": 60},
    {"id": 3, "processed_text": "seen_DELTA EPSILON", "processed_value": 90},
]

# The differences, each one line, as the user meets them.
WRITE_TABLE_KEYWORD = "write_table() names its first parameter path, not table_path"
NO_OMEGACONF = "omegaconf is not installed with yt-pipeline (yt-framework depends on it)"
NO_LOGGER_MODULE = "ytjobs.logging.logger does not exist (ytjobs.get_logger does)"
VANILLA_LOG = ".dev/run_vanilla.log"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _dev_operations_available() -> bool:
    from yt_pipeline.plugins import create_plugin_manager

    return bool(create_plugin_manager().hook.ytp_launch_operation.get_hookimpls())


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    return Path(shutil.copytree(LAYOUT, tmp_path / "04_map_operation"))


def _adjust(root: Path) -> None:
    """The changes docs/coming-from-yt-framework.md lists, applied by text replacement."""
    create = root / "stages/create_input/stage.py"
    create.write_text(create.read_text()
                      .replace("table_path=self.config", "self.config")
                      .replace("rows=rows,", "rows,"))
    vanilla = root / "stages/run_vanilla/src/vanilla.py"
    vanilla.write_text(vanilla.read_text().replace(
        "from ytjobs.logging.logger import get_logger", "from ytjobs import get_logger"))
    if importlib.util.find_spec("omegaconf") is None:
        # the documented alternative: ytjobs.load_config() gives the same data as a dict
        for script in ("run_map/src/mapper.py", "run_vanilla/src/vanilla.py"):
            path = root / "stages" / script
            text = (path.read_text()
                    .replace("from omegaconf import OmegaConf\n", "")
                    .replace("from ytjobs.config import get_config_path",
                             "from ytjobs import load_config")
                    .replace("config = OmegaConf.load(get_config_path())",
                             "config = load_config()"))
            path.write_text(re.sub(r"config\.job\.(\w+)", r'config["job"]["\1"]', text))


def test_layout_and_config_keys_are_read_as_they_are(layout, run_cli):
    listed = run_cli("list", layout)
    assert listed.exit_code == 0, listed.output
    names = [line.split()[1] for line in listed.stdout.splitlines()]
    assert names == ["create_input", "run_map", "run_vanilla"]


@pytest.mark.xfail(reason=WRITE_TABLE_KEYWORD, raises=AssertionError, strict=False)
def test_table_stage_with_only_imports_changed(layout, run_cli):
    ran = run_cli("run", layout, "--set", "stages.enabled_stages=[create_input]")
    assert ran.exit_code == 0, ran.output
    assert _rows(layout / INPUT) == EXPECTED_INPUT


def test_table_stage_with_the_documented_changes(layout, run_cli):
    _adjust(layout)
    ran = run_cli("run", layout, "--set", "stages.enabled_stages=[create_input]")
    assert ran.exit_code == 0, ran.output
    assert _rows(layout / INPUT) == EXPECTED_INPUT


@pytest.mark.xfail(reason=f"{WRITE_TABLE_KEYWORD}; {NO_OMEGACONF}; {NO_LOGGER_MODULE}",
                   raises=AssertionError, strict=False)
def test_whole_pipeline_with_only_imports_changed(layout, run_cli):
    ran = run_cli("run", layout)
    assert ran.exit_code == 0, ran.output
    assert _rows(layout / OUTPUT) == EXPECTED_OUTPUT
    log = (layout / VANILLA_LOG).read_text()
    assert "Greeting: Hello from the compat layout" in log and "Iteration 2/2" in log


def test_whole_pipeline_with_the_documented_changes(layout, run_cli):
    if not _dev_operations_available():
        pytest.skip("no installed plugin runs operations in dev mode")
    _adjust(layout)
    ran = run_cli("run", layout)
    assert ran.exit_code == 0, ran.output
    assert _rows(layout / OUTPUT) == EXPECTED_OUTPUT
    log = (layout / VANILLA_LOG).read_text()
    assert "Greeting: Hello from the compat layout" in log and "Iteration 2/2" in log
