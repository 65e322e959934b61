"""A commit removes and creates its folders before it makes its tables live. A table inside a
folder the commit removes has no commit marker of its own, so after a kill between the
journal record and the removal, readers of the folder (`table count`, `table ls`, another
pipeline) still saw it beside the tables the commit made elsewhere: half a commit. And a
table the commit re-made in that folder, once a reader had made it live, was removed by the
folder removal the next run then finished: a committed table was lost.
On a cluster a transaction's commit makes all its changes visible at once."""

from __future__ import annotations

import json
import shutil
import sys

from adversarial_helpers import command, crash_points, finish, start

from yt_pipeline.testing import write_pipeline

STAGE = """
from yt_pipeline import BaseStage


class Stage(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        if yt.exists("//k/a"):  # the second run: //k goes, //k/a comes back, //o/x is made
            yt.remove("//k", recursive=True)
            yt.write_table("//k/a", [{"new": n} for n in range(2)])
            yt.write_table("//o/x", [{"new": n} for n in range(3)])
        else:
            yt.write_table("//k/a", [{"old": 0}])
            yt.write_table("//k/b", [{"old": 0}])
        return debug
"""
NOTHING = """
from yt_pipeline import BaseStage


class Stage(BaseStage):
    def run(self, debug):
        return debug
"""
OLD = {"//k/a": [{"old": 0}], "//k/b": [{"old": 0}], "//o/x": None}
NEW = {"//k/a": [{"new": n} for n in range(2)], "//k/b": None,
       "//o/x": [{"new": n} for n in range(3)]}


def cli(root, *args: str) -> tuple[int, str]:
    return finish(start([sys.executable, "-m", "yt_pipeline", *args, "-C", str(root)]))


def seen(root) -> dict[str, list | None]:
    """Every table's rows as a reader sees them (None: no such table)."""
    tables: dict[str, list | None] = {}
    for path in ("//k/a", "//k/b", "//o/x"):
        code, out = cli(root, "table", "head", path, "-n", "10", "--format", "json")
        if code != 0:
            assert "no table" in out, out
            tables[path] = None
        else:
            tables[path] = [json.loads(line) for line in out.splitlines() if line.strip()]
    return tables


def test_a_reader_after_a_kill_in_a_commit_that_removes_a_folder_sees_it_whole(tmp_path):
    template = write_pipeline(tmp_path / "template", {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"},
                                              "stages": {"enabled_stages": ["load"]}}),
        "stages/load/stage.py": STAGE,
    })
    code, out = finish(start(command(template)))
    assert code == 0, out
    assert seen(template) == OLD
    counted = shutil.copytree(template, tmp_path / "counted")
    code, out = finish(start(command(counted), env={"YTP_CRASH_COUNT": str(tmp_path / "p")}))
    assert code == 0, out
    assert seen(counted) == NEW
    points = crash_points(tmp_path / "p")
    # from the journal record (the commit point) to the last table made live
    first = points.index("journal: after the commit record")
    last = len(points) - points[::-1].index("dev: before dropping a commit marker") - 1
    assert points[first + 1] == "dev: folders changed", points

    for at in range(first + 1, last + 2):
        root = shutil.copytree(template, tmp_path / f"killed-{at}")
        code, out = finish(start(command(root), env={"YTP_CRASH_AT": str(at)}))
        assert code == -9, (at, out)
        assert seen(root) == NEW, (at, points[at - 1])
        code, out = cli(root, "table", "ls", "//k")
        assert (code, out.split()) == (0, ["a"]), (at, out)
        # the next run finishes the commit: the tables a reader made live stay as they are
        (root / "stages/load/stage.py").write_text(NOTHING)
        code, out = finish(start(command(root)))
        assert code == 0, out
        assert seen(root) == NEW, (at, points[at - 1])
