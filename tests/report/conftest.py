"""One real dev pipeline, run twice, shared by the report tests (running it takes seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_pipeline import SECRET, write_report_pipeline

from yt_pipeline.testing import invoke_cli


@pytest.fixture(scope="session")
def two_runs(tmp_path_factory) -> tuple[Path, list[str]]:
    """The pipeline folder and its two run ids, oldest first. Both runs fail at `publish`;
    the second takes `clean_users` from the cache."""
    root = write_report_pipeline(tmp_path_factory.mktemp("report") / "shop")
    for _ in range(2):
        result = invoke_cli("run", root)
        assert result.exit_code == 1, result.output
        assert "publish" in result.stderr
    runs = sorted(p.stem for p in (root / ".runs").glob("2*.json"))
    assert len(runs) == 2
    second = json.loads((root / ".runs" / f"{runs[1]}.json").read_text())
    assert second["stages"]["clean_users"]["outcome"] == "CACHED"
    # A job log written before its secret was known to be one holds it in clear: the
    # report masks what it shows by itself.
    with (root / ".runs" / "logs" / runs[1] / "enrich.log").open("a") as log:
        log.write(f"late line with {SECRET} in clear\n")
    return root, runs
