"""A commit makes its tables live one rename at a time. A run killed between two of those
renames left one table in its committed version and the others in their old one until that
pipeline ran again; a reader of the folder meanwhile (`table count`, `table head`, `table
ls`, another pipeline) saw half a commit: a stage's rows in one table and not those it wrote
beside them, and not the table it made.
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
        again = yt.exists("//k/a")
        for name in ("a", "b"):
            yt.write_table("//k/" + name, [{"n": n} for n in range(3)], append=True)
        if again:  # a table the second run makes
            yt.write_table("//k/c", [{"n": 0}])
        return debug
"""
SWAP = "dev: before a staged table becomes live"


def cli(root, *args: str) -> tuple[int, str]:
    return finish(start([sys.executable, "-m", "yt_pipeline", *args, "-C", str(root)]))


def test_a_reader_after_a_kill_between_two_renames_sees_the_whole_commit(tmp_path):
    template = write_pipeline(tmp_path / "template", {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"},
                                              "stages": {"enabled_stages": ["load"]}}),
        "stages/load/stage.py": STAGE,
    })
    code, out = finish(start(command(template)))  # each table: 3 rows
    assert code == 0, out
    counted = shutil.copytree(template, tmp_path / "counted")
    code, out = finish(start(command(counted), env={"YTP_CRASH_COUNT": str(tmp_path / "p")}))
    assert code == 0, out
    swaps = [n for n, name in enumerate(crash_points(tmp_path / "p"), 1) if name == SWAP]
    assert len(swaps) == 3, swaps  # a, b, then c

    root = shutil.copytree(template, tmp_path / "killed")
    code, out = finish(start(command(root), env={"YTP_CRASH_AT": str(swaps[1])}))
    assert code == -9, out
    # the kill came between the renames: a's file holds the second run's rows, b's not yet
    assert len((root / ".dev/k/a.jsonl").read_text().splitlines()) == 6
    assert len((root / ".dev/k/b.jsonl").read_text().splitlines()) == 3
    assert not (root / ".dev/k/c.jsonl").exists()
    # a reader sees the commit whole: the journal record was written before the renames
    for name in ("a", "b"):
        code, out = cli(root, "table", "count", "//k/" + name)
        assert (code, out.strip()) == (0, "6"), (name, out)
    code, out = cli(root, "table", "head", "//k/b", "-n", "10")
    assert code == 0 and out.count('"n"') == 6, out
    code, out = cli(root, "table", "ls", "//k")
    assert (code, out.split()) == (0, ["a", "b", "c"]), out
    # and the pipeline's next run, finding the commit done, adds its own rows once more
    code, out = finish(start(command(root)))
    assert code == 0, out
    for name in ("a", "b"):
        rows = [json.loads(line) for line in (root / f".dev/k/{name}.jsonl").read_text()
                .splitlines()]
        assert rows == [{"n": n} for n in range(3)] * 3, name
