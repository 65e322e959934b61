"""A pipeline folder moved (renamed, mounted at another path) between a run killed in the
middle of a commit and the next run: the commit recorded before the kill is finished, by the
pipeline's own --resume and by another pipeline of the folder that happens to run first and
clears up what killed runs left. Before, the dev backend named the commit record by its
absolute path: from the new path no record was found, the commit was taken for one that
never happened and dropped, and the rows of a stage recorded as succeeded were lost."""

from __future__ import annotations

import os
import shutil
import sys

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


def test_a_commit_killed_half_way_is_finished_after_the_folder_moved(tmp_path):
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
        os.rename(root, moved)
        label = f"killed at {at} ({points[at - 1]})"
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
