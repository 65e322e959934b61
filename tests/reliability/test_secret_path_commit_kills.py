"""SIGKILL at every crash point (core/crashpoints.py) of a dev run whose stages commit tables
whose paths hold a value of secrets.env, then another pipeline sharing the `.dev` folder
runs, then `--resume`: every row exact, once; the secret never on disk under `.runs/` (the
journal's record of such a commit names only its transaction's folder, whose manifest lists
the tables: recovery.recorded_changes); nothing left behind. The other pipeline leaves the
first one's half-made commit to it (it finishes only its own), as for a record naming its
tables (test_unfinished_commit_of_another_pipeline.py)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from adversarial_helpers import command, crash_points, finish, row, start, tables
from test_unfinished_commit_of_another_pipeline import STEPS  # the folder's other pipeline

from yt_pipeline.testing import write_pipeline

KEY = "Zq7sekretK9xPLmW"

STAGE = """
from yt_pipeline import BaseStage


class Stage(BaseStage):
    def run(self, debug):
        key = self.deps.pipeline_config.secret("API_KEY")
        yt = self.deps.yt_client
        yt.write_table("//k/log", [{"by": self.name, "n": n} for n in range(3)], append=True)
        yt.write_table(f"//k/{self.name}_{key}", [{"n": n} for n in range(3)])
        yt.write_table(f"//k/{key}/acc", [{"by": self.name}], append=True)
        return debug
"""
#: every third crash point in the default run; every one under YTP_KILL_TRIALS (a campaign)
EVERY = int(os.environ.get("YTP_SECRET_COMMIT_KILL_STEP", "3"))


def secret_files(folder: Path) -> list[str]:
    """The files under `folder` whose name or bytes hold the key."""
    found = []
    for path in sorted(folder.rglob("*")):
        if KEY in str(path):
            found.append(str(path))
        elif path.is_file() and KEY.encode() in path.read_bytes():
            found.append(str(path))
    return found


def left_behind(root: Path) -> list[str]:
    dev = root / ".dev"
    found = [str(p.relative_to(root)) for p in dev.rglob("*")
             if p.name.endswith((".tmp", ".pending"))
             or (p.parent.name.endswith(".held") and p.is_file())]
    txn = dev / ".txn"
    if txn.is_dir():
        found += [str(p.relative_to(root)) for p in txn.iterdir()]
    journal = root / ".runs/journal.dev"
    if journal.is_dir():
        found += [str(p.relative_to(root)) for p in journal.iterdir()]
    return found


def test_a_commit_of_secret_paths_killed_anywhere_is_finished_exactly(tmp_path):
    template = write_pipeline(tmp_path / "template", {
        "configs/config.yaml": "pipeline: {mode: dev, workers: 2}\n"
                               "stages: {enabled_stages: [a, b]}\n",
        "configs/secrets.env": f"API_KEY={KEY}\n",
        "stages/a/stage.py": STAGE, "stages/b/stage.py": STAGE, "steps.py": STEPS})
    probe = shutil.copytree(template, tmp_path / "probe")
    code, out = finish(start(command(probe), env={"YTP_CRASH_COUNT": str(tmp_path / "points")}))
    assert code == 0, out[-2000:]
    points = crash_points(tmp_path / "points")
    assert "journal: after the commit record" in points, points
    kills = range(1, len(points) + 1, EVERY if not os.environ.get("YTP_KILL_TRIALS") else 1)
    for at in kills:
        root = shutil.copytree(template, tmp_path / f"t{at}")
        code, _ = finish(start(command(root), env={"YTP_CRASH_AT": str(at)}))
        label = f"killed at {at} ({points[at - 1]})"
        assert code == -9, label
        assert secret_files(root / ".runs") == [], label
        code, out = finish(start([sys.executable, "steps.py"], cwd=root))
        assert "RESULT True None" in out, f"{label}: {out[-2000:]}"
        code, out = finish(start(command(root, "--resume")))
        assert code == 0, f"{label}: {out[-2000:]}"
        got = tables(root / ".dev")
        want_log = sorted([row(by=s, n=n) for s in "ab" for n in range(3)]
                          + [row(by="other", n=0)])
        assert sorted(got.pop("//k/log").elements()) == want_log, label
        assert sorted(got.pop(f"//k/{KEY}/acc").elements()) == [row(by="a"), row(by="b")], \
            label
        for name in "ab":
            assert sorted(got.pop(f"//k/{name}_{KEY}").elements()) == [
                row(n=n) for n in range(3)], label
        assert got == {}, label
        assert secret_files(root / ".runs") == [], label
        assert left_behind(root) == [], label
        shutil.rmtree(root)
