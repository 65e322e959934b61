"""A run's own files damaged between two runs (cut short by a copy, a full disk or a machine
crash before dev's unforced writes reached the disk): the next run refuses with one line
naming the file, or recovers; it never hands a stage less than a fresh run would, never runs
a stage that succeeded again (which would append again), never loses what a stage wrote."""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

from adversarial_helpers import finish, start, tables

from yt_pipeline.testing import write_pipeline

STEPS = """
import os, sys
from yt_pipeline import Pipeline, step


@step(outputs=["count"])
def extract(yt):
    yt.write_table("//d/log", [{"step": "extract"}], append=True)
    return yt.write_table("//d/raw", ({"id": i} for i in range(10)))


@step(inputs=["count"], outputs=["total"])
def summary(count, yt):
    if os.path.exists("fail"):
        raise RuntimeError("boom")
    yt.write_table("//d/summary", [{"count": count}])
    return count


pipeline = Pipeline("d", folder=".")
pipeline.add_step(extract)
pipeline.add_step(summary)
result = pipeline.run(resume=True)
print("RESULT", result.success, result.outputs.get("total"), result.error)
"""


def run(root: Path) -> tuple[int, str]:
    return finish(start([sys.executable, "steps.py"], cwd=root), timeout=60)


def test_a_damaged_entries_file_stops_the_resume_instead_of_skipping_what_follows(tmp_path):
    """.runs/stages.<state>.json keeps what a stage that succeeded handed on. Read as empty
    when it did not parse, the resumed `summary` lost its input `count`, was SKIPPED and
    the run reported success without ever writing //d/summary."""
    template = write_pipeline(tmp_path / "template", {"steps.py": STEPS, "fail": ""})
    code, out = run(template)
    assert "RESULT False None" in out, out
    (template / "fail").unlink()
    entries = template / ".runs/stages.d.dev.json"
    whole = entries.read_text()
    rng = random.Random(20261203)
    cuts = [0, len(whole) - 2, *rng.sample(range(1, len(whole) - 2), 3)]  # -1: its newline
    for cut in cuts:
        root = tmp_path / f"cut{cut}"
        shutil.copytree(template, root)
        target = root / ".runs/stages.d.dev.json"
        target.write_text(whole[:cut])
        before = tables(root / ".dev")
        code, out = run(root)
        errors = [line for line in out.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and errors[0].startswith(
            "error: .runs/stages.d.dev.json: it is not whole JSON ("), (cut, out[-2000:])
        assert "put back the file" in errors[0]
        assert tables(root / ".dev") == before, cut  # nothing ran, nothing appended
        assert target.read_text() == whole[:cut], cut  # the damage is not made for good
        target.write_text(whole)  # put back: the resume runs summary alone, with its input
        code, out = run(root)
        assert "RESULT True 10 None" in out, (cut, out[-2000:])
        got = tables(root / ".dev")
        assert sum(got["//d/log"].values()) == 1 and sum(got["//d/raw"].values()) == 10
        assert list(got["//d/summary"]) == ['{"count": 10}'], cut
        shutil.rmtree(root)


def test_an_entry_that_is_not_an_object_is_refused_naming_the_stage(tmp_path, run_cli):
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [a]}\n",
        "stages/a/stage.py": "from yt_pipeline import BaseStage\n\n\nclass A(BaseStage):\n"
                             "    def run(self, debug):\n        return debug\n",
    })
    assert run_cli("run", root).exit_code == 0
    (root / ".runs/stages.dev.json").write_text('{"a": 3}\n')
    result = run_cli("run", root, "--resume")
    assert result.exit_code == 2
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith("error: .runs/stages.dev.json: the entry of stage 'a' is not an object: ")
