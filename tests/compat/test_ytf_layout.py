"""A pipeline laid out the way yt-framework documents it (its map example: a stage writing a
table, a map stage with src/mapper.py, `job:` and `client.operations.map` keys), with only
the imports changed, run by `yt-pipeline` in dev mode.

Its jobs import `omegaconf` (installed with yt-framework; with yt-pipeline it comes with the
`compat` extra), `ytjobs.config`, `ytjobs.logging.logger` and `ytjobs.mapper`, and its stage
calls `write_table(table_path=..., rows=...)`: all of it runs unchanged.
"""

from __future__ import annotations

import json
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

VANILLA_LOG = ".dev/run_vanilla.log"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _dev_operations_available() -> bool:
    from yt_pipeline.modes import installed_modes
    from yt_pipeline.plugins import create_plugin_manager

    return "dev" in installed_modes(create_plugin_manager())


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    return Path(shutil.copytree(LAYOUT, tmp_path / "04_map_operation"))


def test_layout_and_config_keys_are_read_as_they_are(layout, run_cli):
    listed = run_cli("list", layout)
    assert listed.exit_code == 0, listed.output
    names = [line.split()[1] for line in listed.stdout.splitlines()]
    assert names == ["create_input", "run_map", "run_vanilla"]


def test_table_stage_with_only_imports_changed(layout, run_cli):
    ran = run_cli("run", layout, "--set", "stages.enabled_stages=[create_input]")
    assert ran.exit_code == 0, ran.output
    assert _rows(layout / INPUT) == EXPECTED_INPUT


STREAM_MAPPER = """
from omegaconf import OmegaConf

from ytjobs.config import get_config_path
from ytjobs.mapper import StreamMapper

config = OmegaConf.load(get_config_path())


def process(row):
    print("debug output that must not reach the table")
    yield {
        "id": row["id"],
        "processed_text": config.job.prefix + row["text"].upper(),
        "processed_value": row["value"] * config.job.multiplier,
    }


if __name__ == "__main__":
    StreamMapper().map(process)
"""


def _needs_jobs() -> None:
    if not _dev_operations_available():
        pytest.skip("no installed plugin runs operations in dev mode")
    pytest.importorskip("omegaconf", reason="the layout's jobs import omegaconf (compat extra)")


def test_whole_pipeline_with_only_imports_changed(layout, run_cli):
    _needs_jobs()
    ran = run_cli("run", layout)
    assert ran.exit_code == 0, ran.output
    assert _rows(layout / OUTPUT) == EXPECTED_OUTPUT
    log = (layout / VANILLA_LOG).read_text()
    assert "Greeting: Hello from the compat layout" in log and "Iteration 2/2" in log


def test_stream_mapper_job_runs_unchanged(layout, run_cli):
    _needs_jobs()
    (layout / "stages/run_map/src/mapper.py").write_text(STREAM_MAPPER)
    ran = run_cli("run", layout, "--set", "stages.enabled_stages=[create_input,run_map]")
    assert ran.exit_code == 0, ran.output
    assert _rows(layout / OUTPUT) == EXPECTED_OUTPUT
