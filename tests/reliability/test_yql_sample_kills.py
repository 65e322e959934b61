"""A YQL query killed (SIGKILL) while it runs left the folder its tables' first rows are
copied to (`.cache/yql-sample-<random>/`, yql_duckdb.Executor._sample_of, removed only
when the query ends), and nothing removed it: each killed query added one, with the samples
it had copied. The folder is now a claimed work folder in the dev folder's `.sort/`
(sort_work.work_folder), which the next run or client removes once its owner is dead.
Every file under the dev folder is listed, and the table's rows checked."""

from __future__ import annotations

import json
import shutil
import signal
import sys
from pathlib import Path

import pytest
from adversarial_helpers import command, crash_points, finish, start

from yt_pipeline.testing import write_pipeline

APPEND = """
import sys
from pathlib import Path
from yt_pipeline_dev.client import DevClient

client = DevClient(Path(sys.argv[1]))
client.run_yql("INSERT INTO `//t/s` SELECT * FROM `//t/src`")
"""

WRITES = """
from yt_pipeline import BaseStage


class Writes(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//b/t", [{"x": 1}])
        return debug
"""


def other_pipeline(root: Path, dev: Path) -> Path:
    """A pipeline writing //b/t whose `.dev` is `dev`."""
    write_pipeline(root, {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"},
                                           "stages": {"graph": {"writes": []}}}),
        "stages/writes/stage.py": WRITES,
        "stages/writes/config.yaml": "{}",
    })
    (root / ".dev").symlink_to(dev)
    return root


#: what a dev folder holds besides its tables and work files: lock markers, kept schemas
#: and their folder mark, whole-line marks, the operation log
BOOKKEEPING = (".locks/", ".cache/yql_columns/", ".cache/whole_lines/")


#: the folders a dev folder holds, empty of work once no run is under way: its tables' (//t,
#: //b), the transactions', sorts' and removals' areas and the kept sandboxes
FOLDERS = {"t", "b", ".cache", ".txn", ".sort", ".removed", ".sandboxes"}


def files(dev: Path) -> list[str]:
    """Every file under `dev` but dev's bookkeeping (BOOKKEEPING)."""
    return sorted(str(p.relative_to(dev)) for p in dev.rglob("*")
                  if p.is_file() and not str(p.relative_to(dev)).startswith(BOOKKEEPING))


def folders(dev: Path) -> list[str]:
    """Every folder under `dev` (work folders included) but dev's bookkeeping."""
    return sorted(str(p.relative_to(dev)) for p in dev.rglob("*")
                  if p.is_dir() and not (str(p.relative_to(dev)) + "/").startswith(BOOKKEEPING))


def test_a_yql_append_killed_while_it_runs_leaves_no_sample_folder(tmp_path):
    pytest.importorskip("duckdb", reason="YQL runs on DuckDB in dev")
    from yt_pipeline_dev.client import DevClient

    base = [{"k": k, "v": 2 * k} for k in range(50)]
    new = [{"k": 100 + k, "v": k} for k in range(500)]
    dev = tmp_path / "p" / ".dev"
    client = DevClient(dev)
    values = ", ".join(f"({r['k']}, {r['v']})" for r in base)
    client.run_yql("INSERT INTO `//t/s` WITH TRUNCATE SELECT CAST(k AS Int64) AS k, "
                   f"CAST(v AS Int64) AS v FROM (VALUES {values}) AS t(k, v)")
    client.write_table("//t/src", new)  # schemaless: the query samples its first rows
    script = tmp_path / "append.py"
    script.write_text(APPEND)
    count = tmp_path / "points"
    reference = tmp_path / "reference" / ".dev"
    shutil.copytree(dev, reference, symlinks=True)
    code, out = finish(start([sys.executable, str(script), str(reference)],
                             env={"YTP_CRASH_COUNT": str(count)}))
    assert code == 0, out[-3000:]
    points = crash_points(count)
    assert "dev: YQL rows copied" in points, points
    assert set(folders(dev)) <= FOLDERS, folders(dev)
    code, out = finish(start([sys.executable, str(script), str(dev)],
                             env={"YTP_CRASH_AT": str(points.index("dev: YQL rows copied") + 1)}))
    assert code == -signal.SIGKILL, out[-3000:]
    # the killed query's work is on disk, the table as it was
    assert not set(folders(dev)) <= FOLDERS, folders(dev)
    # the next run, of a pipeline sharing the dev folder, removes what the dead query left:
    # its temporary files (atomic.remove_leftovers) and its work folder (sort_work.sweep)
    code, out = finish(start(command(other_pipeline(tmp_path / "b", dev))))
    assert code == 0, out[-3000:]
    tables = ["b/t.jsonl", "operation.log", "t/s.jsonl", "t/src.jsonl"]
    assert files(dev) == tables, files(dev)
    assert set(folders(dev)) <= FOLDERS, folders(dev)
    client = DevClient(dev)
    assert list(client.read_table("//t/s")) == base
    client.run_yql("INSERT INTO `//t/s` SELECT * FROM `//t/src`")
    assert list(client.read_table("//t/s")) == base + new
    assert files(dev) == tables, files(dev)
    assert set(folders(dev)) <= FOLDERS, folders(dev)
