"""Two writes outside a transaction make a file of their own beside the table they write:
a YQL INSERT appending to a table (DuckDB's rows, before they are added to the table) and
the putting in order of job outputs bound for a table of sorted schema. A process killed
(SIGKILL) between making such a file and renaming it away left it in the table's folder for
good (`.<name>.<random>.tmp.part`, `..<name>....ordered`): the next run's sweep of
temporary files (atomic.remove_leftovers) looks for `.*.tmp` only. Both are now named as
temporary files, and the next run removes them; the tables keep exactly their rows."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from adversarial_helpers import command, crash_points, finish, start

from yt_pipeline.testing import write_pipeline
from yt_pipeline_dev.client import DevClient

TABLE_ROWS = [{"a": i} for i in range(1, 6)]

APPEND = """
import sys
from pathlib import Path
from yt_pipeline_dev.client import DevClient

DevClient(Path(sys.argv[1])).run_yql("INSERT INTO `//t/a` SELECT a + 100 AS a FROM `//t/a`")
"""

REWRITE = """
import sys
from pathlib import Path
from yt_pipeline_dev.sorted_schema import _rewrite

target = Path(sys.argv[1]) / "t" / ".a.jsonl.k2m3x9.tmp"
_rewrite(target, 0, [(9, 18), (0, 9)])
"""


def pipeline(root: Path, dev: Path) -> Path:
    """A pipeline of one stage that writes another table, its `.dev` the folder `dev`."""
    made = write_pipeline(root, {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"},
                                           "stages": {"graph": {"other": []}}}),
        "stages/other/stage.py": (
            "from yt_pipeline import BaseStage\n\n\n"
            "class Other(BaseStage):\n"
            "    def run(self, debug):\n"
            "        self.deps.yt_client.write_table('//u/b', [{'b': 1}])\n"
            "        return debug\n"),
    })
    (made / ".dev").symlink_to(dev)
    return made


def leftovers(dev: Path) -> list[str]:
    """Every file of a write other than a table's own in the folder of //t."""
    return sorted(p.name for p in (dev / "t").iterdir()
                  if p.name not in ("a.jsonl", "src.jsonl"))


def rows(table: Path) -> list[dict]:
    return [json.loads(line) for line in table.read_text().splitlines()]


def killed_at(tmp_path: Path, script: str, point: str, dev: Path) -> None:
    """Run `script` over `dev` once to find the crash point `point`, then again killed
    there."""
    count = tmp_path / "points"
    probe = tmp_path / "probe"
    probe.mkdir()
    code, out = finish(start([sys.executable, "-c", script, str(dev)],
                             env={"YTP_CRASH_COUNT": str(count)}, cwd=probe))
    points = crash_points(count)
    assert point in points, (points, out[-2000:])
    code, out = finish(start([sys.executable, "-c", script, str(dev)],
                             env={"YTP_CRASH_AT": str(points.index(point) + 1)}, cwd=probe))
    assert code == -signal.SIGKILL, out[-2000:]


def table_folder(tmp_path: Path, name: str, *, by_yql: bool = False) -> Path:
    """A dev folder holding //t/a; `by_yql`: written by a YQL INSERT, as YQL appends only
    to a table it wrote."""
    dev = tmp_path / name
    (dev / "t").mkdir(parents=True)
    if not by_yql:
        (dev / "t/a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in TABLE_ROWS))
        return dev
    (dev / "t/src.jsonl").write_text("".join(json.dumps(r) + "\n" for r in TABLE_ROWS))
    DevClient(dev).run_yql("INSERT INTO `//t/a` WITH TRUNCATE SELECT a FROM `//t/src`")
    return dev


def test_a_yql_append_killed_before_adding_its_rows_leaves_nothing_after_the_next_run(
        tmp_path):
    # the probe appends once: the killed append runs on a copy of the table as it was
    probe_dev = table_folder(tmp_path, "probe_dev", by_yql=True)
    dev = table_folder(tmp_path, "dev", by_yql=True)
    count = tmp_path / "points"
    code, out = finish(start([sys.executable, "-c", APPEND, str(probe_dev)],
                             env={"YTP_CRASH_COUNT": str(count)}))
    assert code == 0, out[-2000:]
    points = crash_points(count)
    assert "dev: YQL rows copied" in points, points
    assert sorted(r["a"] for r in rows(probe_dev / "t/a.jsonl")) == [
        *range(1, 6), *range(101, 106)]
    code, out = finish(start([sys.executable, "-c", APPEND, str(dev)],
                             env={"YTP_CRASH_AT": str(points.index("dev: YQL rows copied") + 1)}))
    assert code == -signal.SIGKILL, out[-2000:]
    left = leftovers(dev)
    assert left, "the killed append left no file of its own: the test kills too late"
    # DuckDB's rows, not yet the table's
    assert rows(dev / "t/a.jsonl") == TABLE_ROWS

    code, out = finish(start(command(pipeline(tmp_path / "next", dev))))
    assert code == 0, out[-3000:]
    assert leftovers(dev) == [], leftovers(dev)
    assert rows(dev / "t/a.jsonl") == TABLE_ROWS
    assert rows(dev / "u/b.jsonl") == [{"b": 1}]


def test_job_outputs_killed_while_put_in_order_leave_nothing_after_the_next_run(tmp_path):
    dev = table_folder(tmp_path, "dev")
    # the temporary file of a write of //t/a outside a transaction: two rows of 9 bytes
    # each, which `_rewrite` puts the other way round
    (dev / "t/.a.jsonl.k2m3x9.tmp").write_text('{"a":10}\n{"a":20}\n')
    killed_at(tmp_path, REWRITE, "dev: job outputs put in order", dev)
    left = leftovers(dev)
    assert any("ordered" in name for name in left), left

    code, out = finish(start(command(pipeline(tmp_path / "next", dev))))
    assert code == 0, out[-3000:]
    assert leftovers(dev) == [], leftovers(dev)
    assert rows(dev / "t/a.jsonl") == TABLE_ROWS
