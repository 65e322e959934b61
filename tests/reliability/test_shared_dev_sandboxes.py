"""Two runs of different pipelines sharing one dev folder (`.dev` a link to one folder), each
appending a map's and a reduce's output to the same tables at once: both succeed, and each
table holds the rows of both operations exactly, every row checked. Their operations have
the same stage, name and tables, so the same sandbox name: the second's launch used to clear
the first's sandbox under its running jobs (launcher.sandbox_for, sandbox_claim.py). Then
one of them is killed at seeded crash points while the other runs, and resumed: the rows of
both runs, and no sandbox of the killed one left under a numbered name (`-2`)."""

from __future__ import annotations

import json
import os
import random
import signal
from collections import Counter
from pathlib import Path

from adversarial_helpers import command, finish, row, start, tables

from yt_pipeline.testing import write_pipeline

TRIALS = int(os.environ.get("YTP_ADV_TRIALS", "2"))
KEYS = 13

STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map, run_reduce


class Both(BaseStage):
    def run(self, debug):
        ops = self.config.client.operations
        run_map(self, ops.map)
        run_reduce(self, ops.reduce)
        return debug
"""
MAPPER = """
import os
from ytjobs import read_rows, write_rows

write_rows({**r, "by": os.environ["WHO"]} for r in read_rows())
"""
REDUCER = """
import os
from ytjobs import groups, read_rows, write_rows

write_rows({"k": k, "n": len(list(rs)), "by": os.environ["WHO"]}
           for k, rs in groups(read_rows(), "k"))
"""


def make(root: Path, who: str) -> Path:
    def op(output: str, **more) -> dict:
        return {"input_table": "//r/in", "output_table": output, "append": True,
                "env": {"WHO": who}, "resources": {"job_count": 3}, **more}

    return write_pipeline(root, {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"},
                                           "stages": {"graph": {"both": []}}}),
        "stages/both/stage.py": STAGE,
        "stages/both/src/mapper.py": MAPPER,
        "stages/both/src/reducer.py": REDUCER,
        "stages/both/config.yaml": json.dumps({"client": {"operations": {
            "map": op("//r/mapped"), "reduce": op("//r/counts", reduce_by=["k"])}}}),
    })


def two_pipelines(folder: Path, rng: random.Random, rows_from: int) -> tuple[Path, list, list]:
    """Pipelines `a` and `b` in `folder`, their `.dev` one shared folder holding //r/in."""
    shared = folder / "shared"
    (shared / "r").mkdir(parents=True)
    rows = [{"k": rng.randrange(KEYS), "i": i} for i in range(rng.randint(rows_from, 20000))]
    (shared / "r/in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    roots = [make(folder / who, who) for who in "ab"]
    for root in roots:
        (root / ".dev").symlink_to(shared)
    return shared, roots, rows


def check(shared: Path, rows: list[dict], label: str) -> None:
    got = tables(shared)
    counts = Counter(r["k"] for r in rows)
    assert got["//r/mapped"] == Counter(row(**r, by=who) for who in "ab" for r in rows), label
    assert got["//r/counts"] == Counter(row(k=k, n=n, by=who) for who in "ab"
                                        for k, n in counts.items()), label
    # sandboxes are made in .sandboxes (launcher.sandbox_for); none at the top either
    left = [p.name for p in [*shared.glob(".sandboxes/*"), *shared.iterdir()]
            if p.name.startswith("sandbox_") or p.name.endswith("_sandbox")]
    assert left == [], f"{label}: sandboxes left {left}"


def test_two_pipelines_sharing_a_dev_folder_run_one_operation_at_once(tmp_path):
    rng = random.Random(20261205_1)
    for trial in range(TRIALS):
        shared, roots, rows = two_pipelines(tmp_path / f"t{trial}", rng, 5000)
        runs = [start(command(root)) for root in roots]
        for code, out in [finish(run) for run in runs]:
            assert code == 0, f"trial {trial}: {out[-3000:]}"
        check(shared, rows, f"trial {trial}")


def test_one_of_them_killed_while_the_other_runs_then_resumed(tmp_path):
    rng = random.Random(7)
    for trial in range(2 * TRIALS):
        shared, roots, rows = two_pipelines(tmp_path / f"t{trial}", rng, 8000)
        point = rng.randint(1, 12)
        label = f"trial {trial} (a killed at its crash point {point})"
        killed = start(command(roots[0]), env={"YTP_CRASH_AT": str(point)})
        other = start(command(roots[1]))
        assert finish(killed)[0] == -signal.SIGKILL, label
        code, out = finish(other)
        assert code == 0, f"{label}: b failed: {out[-3000:]}"
        code, out = finish(start(command(roots[0], "--resume")))
        assert code == 0, f"{label}: the resume failed: {out[-3000:]}"
        check(shared, rows, label)
