"""mypy finds a plugin that misuses the interface between the host and its plugins.

One run of mypy over two plugins: the memory mode of memory_mode.py, which uses the
interface as documented, and a broken one, each of whose mistakes must be reported."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

BROKEN = '''
from __future__ import annotations

from pathlib import Path
from typing import Any

from memory_mode import MemoryClient, run_map
from yt_pipeline import hookimpl
from yt_pipeline.config import PipelineConfig
from yt_pipeline.modes import ModeSpec
from yt_pipeline.operations import OperationResult, OperationSpec


class OtherClient(MemoryClient):
    pass


def other_client(settings: PipelineConfig, pipeline_dir: Path) -> MemoryClient:
    return MemoryClient({})


def launch_other(client: OtherClient, spec: OperationSpec) -> OperationResult:
    return OperationResult()


def no_settings(pipeline_dir: Path) -> MemoryClient:
    return MemoryClient({})


@hookimpl
def ytp_register_modes() -> list[ModeSpec]:
    return [
        ModeSpec("a", other_client, launch_other),  # LAUNCHER: takes another client class
        ModeSpec("b", no_settings, run_map),  # FACTORY: does not take the settings
    ]


def token(settings: PipelineConfig) -> str:
    return settings.secret(1) or ""  # SECRET: a name is a string


@hookimpl
def ytp_discover_stages(pipeline_dir: Path, settings: PipelineConfig) -> list:  # BARE
    return []
'''


def test_mypy_accepts_the_memory_mode_and_names_each_mistake_of_a_broken_plugin(tmp_path):
    pytest.importorskip("mypy")
    # the host's sources under their import name (an editable install hides them from mypy)
    (tmp_path / "yt_pipeline").symlink_to(REPO / "core")
    (tmp_path / "ytjobs").symlink_to(REPO / "ytjobs")
    (tmp_path / "memory_mode.py").write_text((REPO / "tests/host/memory_mode.py").read_text())
    (tmp_path / "broken_plugin.py").write_text(BROKEN)
    # in a process of its own: mypy changes the interpreter's recursion limit
    done = subprocess.run([
        sys.executable, "-m", "mypy",
        "--config-file", str(REPO / "pyproject.toml"), "--disallow-any-generics",
        "--cache-dir", str(tmp_path / ".mypy_cache"), "--no-error-summary",
        "--follow-imports", "silent", "--hide-error-context", "--show-error-codes",
        str(tmp_path / "memory_mode.py"), str(tmp_path / "broken_plugin.py"),
    ], capture_output=True, text=True, cwd=tmp_path, timeout=600, check=False)
    stdout, stderr = done.stdout, done.stderr
    lines = [line for line in stdout.splitlines() if ": error:" in line]
    assert not [line for line in lines if "memory_mode.py" in line], stdout + stderr
    source = BROKEN.splitlines()
    flagged = {}
    for line in lines:
        number = int(re.match(r".*broken_plugin\.py:(\d+):", line).group(1))
        mark = re.search(r"# (\w+)", source[number - 1])
        flagged.setdefault(mark.group(1) if mark else f"line {number}", []).append(line)
    assert sorted(flagged) == ["BARE", "FACTORY", "LAUNCHER", "SECRET"], stdout
