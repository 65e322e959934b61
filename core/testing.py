"""A pytest plugin with fixtures for testing pipelines and plugins.

Installed with yt-pipeline (entry point `pytest11`), so a plugin's own test-suite can use:

- `make_pipeline(files, config=...)`: a pipeline folder in tmp_path from a dict of files;
- `ytp_plugin_manager`: a fresh plugin manager for one test (installed plugins loaded);
- `register_plugin(obj)`: register a plugin object for the current test only;
- `run_cli(*args)`: run `yt-pipeline` in-process, returning exit code, stdout and stderr.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from yt_pipeline.yamlio import dump_yaml


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def write_pipeline(
    root: Path,
    files: dict[str, str] | None = None,
    config: dict[str, Any] | None = None,
) -> Path:
    """Write a pipeline folder: `files` maps relative paths to text (dedented)."""
    root.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (root / "configs").mkdir(exist_ok=True)
        (root / "configs" / "config.yaml").write_text(dump_yaml(config))
    for relative, text in (files or {}).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        if path.name == "secrets.env":  # as a user keeps it: readable by its owner alone
            path.chmod(0o600)
    return root


@pytest.fixture
def make_pipeline(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1_000_000))

    def make(files: dict[str, str] | None = None, config: dict[str, Any] | None = None,
             name: str | None = None) -> Path:
        return write_pipeline(tmp_path / (name or f"pipeline{next(counter)}"), files, config)

    return make


@pytest.fixture
def ytp_plugin_manager() -> Iterator[Any]:
    from yt_pipeline.plugins import create_plugin_manager, set_plugin_manager

    pm = create_plugin_manager()
    set_plugin_manager(pm)
    try:
        yield pm
    finally:
        set_plugin_manager(None)


@pytest.fixture
def register_plugin(ytp_plugin_manager: Any) -> Iterator[Callable[..., Any]]:
    registered: list[Any] = []

    def register(plugin: Any, name: str | None = None) -> Any:
        ytp_plugin_manager.register(plugin, name=name)
        ytp_plugin_manager.check_pending()
        registered.append(plugin)
        return plugin

    yield register
    for plugin in registered:
        if ytp_plugin_manager.is_registered(plugin):
            ytp_plugin_manager.unregister(plugin)


def invoke_cli(*args: str, pipeline_class: type | None = None) -> CliResult:
    import contextlib
    import io

    from yt_pipeline import logs
    from yt_pipeline.cli import invoke

    out, err = io.StringIO(), io.StringIO()
    logs.propagate_to_root = True  # so caplog sees what the command logged
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = invoke([str(a) for a in args], pipeline_class=pipeline_class)
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    return invoke_cli


def process_ended(pid: int, within_s: float = 5.0) -> bool:
    """True once process `pid` has ended (gone, or a zombie its parent has not reaped yet),
    waiting up to `within_s` seconds; Linux only (/proc)."""
    import time

    deadline = time.monotonic() + within_s
    while True:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
