"""bench/compare: the yt-pipeline side of the comparison runs and checks its own output.

The whole comparison (`python bench/compare/run.py --quick`) needs the network the first
time (it installs yt-framework into its own venv) and takes about half a minute, so it runs
here only when YTP_BENCH_SMOKE=1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "compare"
sys.path.insert(0, str(BENCH))

import measure  # noqa: E402
import pipelines  # noqa: E402


def _write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _operations_available() -> bool:
    from yt_pipeline.modes import installed_modes
    from yt_pipeline.plugins import create_plugin_manager

    return "dev" in installed_modes(create_plugin_manager())


def test_every_generated_file_is_valid_python():
    makers = [pipelines.ytf_data(10), pipelines.ours_data(10), pipelines.ytf_hello(),
              pipelines.ours_hello(), pipelines.ytf_sleepers(), pipelines.ours_sleepers()]
    for files in makers:
        for path, text in files.items():
            if path.endswith(".py"):
                compile(text, path, "exec")


def test_hello_runs_and_writes_its_table(tmp_path, run_cli):
    root = _write(tmp_path / "hello", pipelines.ours_hello())
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    table = root / ".dev/tmp/bench/compare/hello.jsonl"
    assert table.read_text() == '{"greeting":"Hello, world!"}\n'


def test_data_pipeline_records_its_phases(tmp_path, monkeypatch, run_cli):
    root = _write(tmp_path / "data", pipelines.ours_data(200))
    monkeypatch.setenv("BENCH_TIMINGS", str(tmp_path / "timings.jsonl"))
    result = run_cli("run", root)
    phases = (tmp_path / "timings.jsonl").read_text()
    assert '"phase": "write"' in phases
    assert (root / ".dev/tmp/bench/compare/rows.jsonl").read_text().count("\n") == 200
    if _operations_available():
        assert result.exit_code == 0, result.output
        assert '"phase": "read"' in phases  # the read-back stage verified sums and counts
    else:
        assert "no plugin provides mode 'dev'" in result.output


def test_tree_rss_counts_a_child_process():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        own = measure.tree_rss(os.getpid())
        assert own > measure.tree_rss(child.pid) > 0
    finally:
        child.kill()
        child.wait()


@pytest.mark.skipif(os.environ.get("YTP_BENCH_SMOKE") != "1", reason="set YTP_BENCH_SMOKE=1")
def test_quick_comparison_prints_every_phase(tmp_path):
    run = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--work", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    for label in ("(1) data", "(2) hello world", "(3) 8 independent", "(4) second run"):
        assert label in run.stdout
