"""A run killed in the middle of a commit, then another pipeline of the same folder runs
first and clears up what killed runs left (txn.sweep), then the killed one resumes: the
recorded commit must still be finished, every row once.

- the folder moved (renamed, mounted at another path) in between: the dev backend named
  the commit record by its absolute path only; from the new path no record was found, the
  commit was taken for one that never happened and its staged rows removed;
- the transaction's `prepared` file empty (what a machine crash leaves of a file renamed
  into place): it named no record, with the same loss.
"""

from __future__ import annotations

import os
import shutil
import sys

import pytest
from adversarial_helpers import command, crash_points, finish, row, start, tables

from yt_pipeline.testing import write_pipeline

STAGE = """
from yt_pipeline import BaseStage


class Stage(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//k/log", [{"by": self.name, "n": n} for n in range(3)], append=True)
        yt.write_table("//k/" + self.name, [{"n": n} for n in range(3)])
        return debug
"""
STEPS = """
from yt_pipeline import Pipeline, step


@step()
def other(yt):
    yt.write_table("//k/log", [{"by": "other", "n": 0}], append=True)


pipeline = Pipeline("other", folder=".")
pipeline.add_step(other)
result = pipeline.run()
print("RESULT", result.success, result.error)
"""


@pytest.mark.parametrize("damage", ["folder moved", "prepared emptied"])
def test_a_commit_killed_half_way_is_finished_by_its_own_pipeline(tmp_path, damage):
    template = write_pipeline(tmp_path / "template", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [a, b]}\n",
        "stages/a/stage.py": STAGE, "stages/b/stage.py": STAGE, "steps.py": STEPS})
    probe = shutil.copytree(template, tmp_path / "probe")
    finish(start(command(probe), env={"YTP_CRASH_COUNT": str(tmp_path / "points")}))
    points = crash_points(tmp_path / "points")
    kills = [i for i, name in enumerate(points, 1)
             if name in ("journal: after the commit record",
                         "dev: before a staged table becomes live")]
    assert len(kills) >= 4, points
    for at in kills:
        root = shutil.copytree(template, tmp_path / f"t{at}")
        code, _ = finish(start(command(root), env={"YTP_CRASH_AT": str(at)}))
        assert code == -9
        moved = tmp_path / f"moved{at}"
        if damage == "folder moved":
            os.rename(root, moved)
        else:
            moved = root
            for prepared in (root / ".dev/.txn").glob("*/prepared"):
                prepared.write_text("")
        label = f"killed at {at} ({points[at - 1]}), {damage}"
        # the other pipeline first: it clears up what killed runs of the folder left
        code, out = finish(start([sys.executable, "steps.py"], cwd=moved))
        assert "RESULT True None" in out, f"{label}: {out[-2000:]}"
        code, out = finish(start(command(moved, "--resume")))
        assert code == 0, f"{label}: {out[-2000:]}"
        want = [row(by=s, n=n) for s in "ab" for n in range(3)]
        want.append(row(by="other", n=0))
        got = tables(moved / ".dev")
        assert sorted(got["//k/log"].elements()) == sorted(want), label
        for name in "ab":
            assert sorted(got[f"//k/{name}"].elements()) == [row(n=n) for n in range(3)], label
        shutil.rmtree(moved)
