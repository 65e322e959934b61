"""Every complete pipeline in docs/ is written to a folder, run, and its output checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from doc_blocks import DOCS, find_pipelines

PIPELINES = find_pipelines()


def _available(feature: str) -> bool:
    from yt_pipeline.modes import installed_modes
    from yt_pipeline.plugins import create_plugin_manager

    if feature == "operations":
        return "dev" in installed_modes(create_plugin_manager())
    if feature == "yql":
        from yt_pipeline.errors import QueryFailed
        from yt_pipeline_dev.client import DevClient

        try:
            DevClient(Path("/nonexistent-ytp-probe")).run_yql("SELECT 1 AS one")
        except QueryFailed as exc:
            return "not available" not in str(exc)
        except Exception:
            return True
        return True
    raise AssertionError(f"unknown feature {feature!r} in a needs: directive")


def _prod_args(args: list[str], root: Path, proxy) -> list[str]:
    """The command in prod mode on the fake proxy: what a user puts in configs/ for prod."""
    from yt_pipeline_prod.testing import TEST_TOKEN

    secrets = root / "configs" / "secrets.env"
    secrets.write_text(f"YT_PROXY={proxy.url}\nYT_TOKEN={TEST_TOKEN}\n")
    return [*args, "--set", "pipeline.mode=prod", "--set", "pipeline.build_folder=//tmp/docs",
            "--set", "pipeline.prod.retries=false", "--set", "pipeline.prod.poll_interval_s=0.05"]


def _run(args: list[str], run_cli) -> tuple[int, str]:
    if args[0] == "python":
        done = subprocess.run([sys.executable, *args[1:]], capture_output=True, text=True,
                              timeout=120)
        return done.returncode, done.stdout + done.stderr
    result = run_cli(*args)
    return result.exit_code, result.output


def _dev_rows(root: Path, yt_path: str) -> int:
    table = root / ".dev" / (yt_path.lstrip("/") + ".jsonl")
    return sum(1 for line in table.read_text().splitlines() if line.strip())


def test_docs_hold_runnable_pipelines():
    assert len(PIPELINES) >= 3
    for pipeline in PIPELINES:
        assert pipeline.files, f"{pipeline.source}: no titled blocks"
        checked = pipeline.expect_rows or any(c.expect for c in pipeline.commands)
        assert checked, f"{pipeline.source}: nothing checked"


@pytest.mark.parametrize("pipeline", PIPELINES, ids=[p.name for p in PIPELINES])
def test_doc_pipeline_runs(pipeline, tmp_path, run_cli, monkeypatch, request):
    for feature in pipeline.needs:
        if not _available(feature):
            pytest.skip(f"{pipeline.source}: needs {feature}, which no installed plugin provides")
    root = tmp_path / pipeline.name
    for relative, text in pipeline.files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.chdir(root)
    proxy = None
    if any(command.prod for command in pipeline.commands) or pipeline.expect_prod_rows:
        from yt_pipeline_prod.testing import start_fake_proxy

        proxy = start_fake_proxy()
        request.addfinalizer(proxy.stop)
    for command in pipeline.commands:
        args = _prod_args(command.args, root, proxy) if command.prod else command.args
        code, output = _run(args, run_cli)
        where = f"{pipeline.source}: {' '.join(command.args)}"
        assert code == command.exit_code, f"{where}: exit code {code}\n{output}"
        for text in command.expect:
            assert text in output, f"{where}: {text!r} not in\n{output}"
        for text in command.expect_not:
            assert text not in output, f"{where}: {text!r} in\n{output}"
    for yt_path, count in pipeline.expect_rows:
        assert _dev_rows(root, yt_path) == count, f"{pipeline.source}: {yt_path}"
    for yt_path, count in pipeline.expect_prod_rows:
        assert proxy is not None and len(proxy.rows(yt_path)) == count, (
            f"{pipeline.source}: {yt_path} on the fake proxy")


def test_every_page_is_linked_from_the_index():
    index = (DOCS / "index.md").read_text()
    for page in sorted(DOCS.glob("*.md")):
        if page.name != "index.md":
            assert f"({page.name})" in index, f"{page.name} is not linked from docs/index.md"



def test_every_page_is_in_the_site_navigation():
    nav = (DOCS.parent / "mkdocs.yml").read_text()
    for page in sorted(DOCS.glob("*.md")):
        assert f": {page.name}\n" in nav, f"{page.name} is missing from mkdocs.yml"
