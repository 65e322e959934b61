"""Every complete pipeline in docs/ is written to a folder, run, and its output checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from doc_blocks import DOCS, find_pipelines

PIPELINES = find_pipelines()


def _available(feature: str) -> bool:
    from yt_pipeline.plugins import create_plugin_manager

    if feature == "operations":
        return bool(create_plugin_manager().hook.ytp_launch_operation.get_hookimpls())
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


def _dev_rows(root: Path, yt_path: str) -> int:
    table = root / ".dev" / (yt_path.lstrip("/") + ".jsonl")
    return sum(1 for line in table.read_text().splitlines() if line.strip())


def test_docs_hold_runnable_pipelines():
    assert len(PIPELINES) >= 3
    for pipeline in PIPELINES:
        assert pipeline.files, f"{pipeline.source}: no titled blocks"
        assert pipeline.expect or pipeline.expect_rows, f"{pipeline.source}: nothing checked"


@pytest.mark.parametrize("pipeline", PIPELINES, ids=[p.name for p in PIPELINES])
def test_doc_pipeline_runs(pipeline, tmp_path, run_cli, monkeypatch):
    for feature in pipeline.needs:
        if not _available(feature):
            pytest.skip(f"{pipeline.source}: needs {feature}, which no installed plugin provides")
    root = tmp_path / pipeline.name
    for relative, text in pipeline.files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.chdir(root)
    result = None
    for args in pipeline.runs or [["run", "."]]:
        result = run_cli(*args)
    assert result is not None
    assert result.exit_code == pipeline.expect_exit, f"{pipeline.source}\n{result.output}"
    for text in pipeline.expect:
        assert text in result.output, f"{pipeline.source}: {text!r} not in\n{result.output}"
    for yt_path, count in pipeline.expect_rows:
        assert _dev_rows(root, yt_path) == count, f"{pipeline.source}: {yt_path}"


def test_every_page_is_linked_from_the_index():
    index = (DOCS / "index.md").read_text()
    for page in sorted(DOCS.glob("*.md")):
        if page.name != "index.md":
            assert f"({page.name})" in index, f"{page.name} is not linked from docs/index.md"

