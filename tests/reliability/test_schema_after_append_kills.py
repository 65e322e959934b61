"""SIGKILL while stages append a row at a time to a table a YQL INSERT wrote (their later
appends made in place, the table's schema kept by the file's bytes once its transaction is
prepared), then `--resume`: the table keeps the schema YQL gave it, in the folder and in a
copy of it, and a query reads every committed row with its types."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

import pytest
from adversarial_helpers import command, finish, reference_points, start

from yt_pipeline.testing import write_pipeline
from yt_pipeline_dev.client import DevClient

STAGES = ["s0", "s1"]
APPENDS = 60
BASE = 300
STAGE_CODE = """
from yt_pipeline import BaseStage


class History(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        for i in range({APPENDS}):
            yt.write_table("//h/history", [{{"stage": self.name, "i": i, "x": i / 4}}],
                           append=True)
        return debug
"""
COLUMNS = [("stage", "string", None), ("i", "int64", None), ("x", "double", None)]


def make(root: Path) -> Path:
    files = {"configs/config.yaml": json.dumps({
        "pipeline": {"mode": "dev", "workers": 1},
        "stages": {"graph": {"s0": [], "s1": ["s0"]}}})}
    for name in STAGES:
        files[f"stages/{name}/stage.py"] = STAGE_CODE.format(APPENDS=APPENDS)
    root = write_pipeline(root, files)
    client = DevClient(root / ".dev")
    client.write_table("//h/src", [{"stage": "base", "i": i, "x": 0.0} for i in range(BASE)])
    client.run_yql("INSERT INTO `//h/history` WITH TRUNCATE SELECT stage, i, x FROM `//h/src`")
    return root


def check(root: Path, label: str) -> None:
    client = DevClient(root / ".dev")
    for seen in (client, DevClient(shutil.copytree(root / ".dev", root / "copy" / ".dev"))):
        schema = seen.declared_schema("//h/history")
        assert schema is not None, f"{label}: the table lost its schema"
        assert [(c["name"], c["type"], c.get("sort_order")) for c in schema["columns"]] == \
            COLUMNS, label
    rows = client.run_yql("SELECT stage, COUNT(*) AS n, SUM(i) AS si, SUM(x) AS sx "
                          "FROM `//h/history` GROUP BY stage ORDER BY stage")
    total = APPENDS * (APPENDS - 1) // 2
    assert rows == [{"stage": "base", "n": BASE, "si": BASE * (BASE - 1) // 2, "sx": 0.0}] + [
        {"stage": name, "n": APPENDS, "si": total, "sx": total / 4} for name in STAGES], label
    assert all(isinstance(row["sx"], float) for row in rows), label


@pytest.fixture(scope="module")
def points(tmp_path_factory) -> list[str]:
    root = make(tmp_path_factory.mktemp("reference") / "p")
    points = reference_points(root)
    check(root, "reference")
    return points


@pytest.mark.parametrize("nth", [1, APPENDS // 2, APPENDS + 3, 2 * APPENDS - 5])
def test_a_kill_while_appending_then_resume_keeps_the_schema(tmp_path, points, nth):
    in_place = [n for n, name in enumerate(points, 1) if name == "dev: appended in place"]
    assert len(in_place) == len(STAGES) * (APPENDS - 1)  # all but each stage's first append
    root = make(tmp_path / "p")
    code, out = finish(start(command(root), env={"YTP_CRASH_AT": str(in_place[nth - 1])}))
    assert code == -signal.SIGKILL, out
    code, out = finish(start(command(root, "--resume")))
    assert code == 0, out
    check(root, f"killed at append in place {nth}")
