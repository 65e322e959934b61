"""examples/07_plugin, installed the way pip installs it: a dist-info folder with its entry
points on the path of a fresh `yt-pipeline` process. (A real `pip install` into the test
environment would leave the plugin active for every other test.)"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "examples" / "07_plugin"


def _entry_points(pyproject: str) -> str:
    section = re.search(r"^\[project\.entry-points\.yt_pipeline\]\n(.*?)(?:^\[|\Z)",
                        pyproject, re.M | re.S)
    assert section, "pyproject.toml must register the plugin in the yt_pipeline group"
    lines = [ln for ln in section.group(1).splitlines() if ln.strip() and not ln.startswith("#")]
    return "[yt_pipeline]\n" + "\n".join(ln.replace('"', "") for ln in lines) + "\n"


@pytest.fixture
def plugin_env(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "site"
    info = site / "ytp_stage_summary-0.1.0.dist-info"
    info.mkdir(parents=True)
    metadata = "Metadata-Version: 2.1\nName: ytp-stage-summary\nVersion: 0.1.0\n"
    (info / "METADATA").write_text(metadata)
    (info / "entry_points.txt").write_text(_entry_points((PLUGIN / "pyproject.toml").read_text()))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(PLUGIN)])
    env["YTP_STRICT_PLUGINS"] = "1"  # a plugin that fails to load must fail the test
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", "from yt_pipeline.cli import main; main()", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    target = tmp_path / "hello"
    shutil.copytree(REPO / "examples" / "01_hello_world", target,
                    ignore=shutil.ignore_patterns(".dev", ".build", "state*.yml", "*.tsv"))
    return target


def test_plugin_is_listed_with_its_hooks(plugin_env):
    listed = _cli(plugin_env, "plugins")
    assert listed.returncode == 0, listed.stderr
    line = next(ln for ln in listed.stdout.splitlines() if ln.startswith("stage_summary"))
    assert "ytp-stage-summary" in line
    assert "ytp_add_commands" in line and "ytp_after_stage" in line


def test_hook_writes_summary_and_command_shows_it(plugin_env, hello):
    ran = _cli(plugin_env, "run", str(hello))
    assert ran.returncode == 0, ran.stderr
    records = [ln.split("\t") for ln in (hello / "stage_summary.tsv").read_text().splitlines()]
    assert [(r[1], r[2]) for r in records] == [("hello", "SUCCESS")]
    assert float(records[0][3]) >= 0

    shown = _cli(plugin_env, "summary", str(hello))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0] == f"run {records[0][0]}"
    assert re.search(r"^\s+hello\s+SUCCESS\s+\d+\.\d\ds$", shown.stdout, re.M)


def test_summary_before_any_run_is_one_clear_error(plugin_env, hello):
    shown = _cli(plugin_env, "summary", str(hello))
    assert shown.returncode == 1
    assert "stage_summary.tsv: no summary yet" in shown.stderr


def test_disabled_plugin_writes_nothing_and_adds_no_command(plugin_env, hello):
    env = {**plugin_env, "YTP_DISABLE_PLUGINS": "stage_summary"}
    assert _cli(env, "run", str(hello)).returncode == 0
    assert not (hello / "stage_summary.tsv").exists()
    assert _cli(env, "summary", str(hello)).returncode == 2  # no such command
