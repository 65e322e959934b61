"""SIGKILL of a dev run at seeded crash points inside its operations, on inputs the stage
itself wrote (staged), then `--resume` or a new run: sort, reduce with a foreign table
(join_reduce), a map splitting its rows among two appended tables (by a table switch and on
fd 4), map_reduce, a reduce of a row selection and vanilla, in one stage, after which the
stage appends to the input again. The crash points are between the jobs' outputs placed in
the output tables, after a staged input is copied, after a sort, and every durable write of
the commit. Each table must then hold exactly the rows of one complete run, every row
checked; no sandbox (with its copies of the staged inputs) is left."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
from collections import Counter
from pathlib import Path

import pytest
from adversarial_helpers import (
    command,
    differences,
    finish,
    reference_points,
    row,
    start,
    tables,
)

from yt_pipeline.testing import write_pipeline

TRIALS = int(os.environ.get("YTP_ADV_TRIALS", "10"))
N = 600
KEYS = 9
SELECTED = (100, 450)

OPS = f"""
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map, run_map_reduce, run_reduce, run_sort, run_vanilla


class Ops(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        rows = [{{"k": (i * 4) % {KEYS}, "v": i}} for i in range({N})]
        yt.write_table("//r/in", rows[:{N} // 2])
        yt.write_table("//r/in", rows[{N} // 2:], append=True)
        yt.write_table("//r/f", [{{"k": k, "name": "n%d" % k}} for k in range({KEYS})])
        ops = self.config.client.operations
        run_sort(self, ops.sort)
        run_reduce(self, ops.join)
        run_map(self, ops.split)
        run_map_reduce(self, ops.mr)
        run_reduce(self, ops.sel)
        run_vanilla(self, ops.van)
        # after the operations: none of them may have read these rows
        yt.write_table("//r/in", [{{"k": -1, "v": -1}}], append=True)
        return debug
"""
LATER = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_sort


class Later(BaseStage):
    def run(self, debug):
        run_sort(self, self.config.client.operations.sort)
        return debug
"""
JOINER = """
from ytjobs import groups, read_rows, write_rows

for k, rows in groups(read_rows(), "k"):
    rows = list(rows)
    names = [r["name"] for r in rows if "name" in r]
    write_rows([{"k": k, "names": names, "n": len(rows) - len(names)}])
"""
SPLITTER = """
import json, os
from ytjobs import read_rows
from ytjobs.tables import table_switch

out, fd4 = os.fdopen(1, "wb"), os.fdopen(4, "wb")
for r in read_rows():
    line = json.dumps(r).encode() + b"\\n"
    if r["v"] % 3 == 0:
        fd4.write(line)  # table 1
    elif r["v"] % 3 == 1:
        out.write(line)  # table 0
    else:
        out.write(table_switch(1) + line + table_switch(0))
"""
MR_MAPPER = """
from ytjobs import read_rows, write_rows

write_rows({"k": r["k"], "v": r["v"] * 2} for r in read_rows())
"""
SUMMER = """
from ytjobs import groups, read_rows, write_rows

write_rows({"k": k, "total": sum(r["v"] for r in rows)} for k, rows in groups(read_rows(), "k"))
"""
TASK = """
import os
print("task", os.environ["YT_JOB_COOKIE"])
"""


def make(root: Path) -> Path:
    def reduce(inputs, output, **more):
        return {"input_tables": inputs, "output_table": output, "reduce_by": ["k"],
                "resources": {"job_count": 3}, **more}

    operations = {
        "sort": {"input_table": "//r/in", "output_table": "//r/s", "sort_by": ["k", "v"]},
        "join": {**reduce(["//r/s", "<foreign=%true>//r/f"], "//r/j", join_by=["k"]),
                 "reducer": "src/joiner.py"},
        "split": {"input_table": "//r/in", "output_tables": ["//r/m0", "//r/m1"],
                  "append": True, "mapper": "src/splitter.py",
                  "resources": {"job_count": 3}},
        "mr": {**reduce(["//r/in"], "//r/mr", append=True), "mapper": "src/mr_mapper.py",
               "reducer": "src/summer.py"},
        "sel": {**reduce([f"//r/in[#{SELECTED[0]}:#{SELECTED[1]}]"], "//r/sel"),
                "reducer": "src/summer.py"},
        "van": {"script": "src/task.py", "resources": {"job_count": 2}},
    }
    return write_pipeline(root, {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"}, "stages": {
            "graph": {"ops": [], "later": ["ops"]}}}),
        "stages/ops/stage.py": OPS,
        "stages/ops/config.yaml": json.dumps({"client": {"operations": operations}}),
        "stages/ops/src/joiner.py": JOINER,
        "stages/ops/src/splitter.py": SPLITTER,
        "stages/ops/src/mr_mapper.py": MR_MAPPER,
        "stages/ops/src/summer.py": SUMMER,
        "stages/ops/src/task.py": TASK,
        "stages/later/stage.py": LATER,
        "stages/later/config.yaml": json.dumps({"client": {"operations": {"sort": {
            "input_table": "//r/in", "output_table": "//r/in_sorted", "sort_by": ["v"]}}}}),
    })


def expected() -> dict[str, Counter]:
    """Every row of each table after one complete run, from the stage code's meaning."""
    rows = [{"k": (i * 4) % KEYS, "v": i} for i in range(N)]
    final = rows + [{"k": -1, "v": -1}]
    by_key: dict[int, list[int]] = {}
    for r in rows:
        by_key.setdefault(r["k"], []).append(r["v"])
    selected: dict[int, int] = {}
    for r in rows[SELECTED[0]:SELECTED[1]]:
        selected[r["k"]] = selected.get(r["k"], 0) + r["v"]
    return {
        "//r/in": Counter(row(**r) for r in final),
        "//r/in_sorted": Counter(row(**r) for r in final),
        "//r/f": Counter(row(k=k, name=f"n{k}") for k in range(KEYS)),
        "//r/s": Counter(row(**r) for r in rows),
        "//r/j": Counter(row(k=k, names=[f"n{k}"], n=len(vs)) for k, vs in by_key.items()),
        "//r/m0": Counter(row(**r) for r in rows if r["v"] % 3 == 1),
        "//r/m1": Counter(row(**r) for r in rows if r["v"] % 3 != 1),
        "//r/mr": Counter(row(k=k, total=2 * sum(vs)) for k, vs in by_key.items()),
        "//r/sel": Counter(row(k=k, total=t) for k, t in selected.items()),
    }


def check(root: Path, label: str) -> None:
    dev = root / ".dev"
    problems = differences(tables(dev), expected())
    assert not problems, f"{label}: " + "; ".join(problems)
    sorted_rows = [json.loads(x) for x in (dev / "r/s.jsonl").read_text().splitlines()]
    assert sorted_rows == sorted(sorted_rows, key=lambda r: (r["k"], r["v"])), label
    # sandboxes are made in .sandboxes (launcher.sandbox_for); none at the top either
    left = [p.name for p in [*dev.glob(".sandboxes/*"), *dev.iterdir()]
            if p.name.startswith("sandbox_") or p.name.endswith("_sandbox")]
    assert left == [], f"{label}: sandboxes left {left}"
    copies = [str(p) for p in dev.rglob(".ytp_inputs")]
    assert copies == [], f"{label}: input snapshots left {copies}"
    txn = dev / ".txn"
    assert not txn.exists() or not list(txn.iterdir()), f"{label}: transaction left"


@pytest.fixture(scope="module")
def points(tmp_path_factory) -> list[str]:
    root = make(tmp_path_factory.mktemp("reference") / "p")
    found = reference_points(root)
    check(root, "uninterrupted run")
    return found


def test_the_operations_pass_their_crash_points(points):
    for name in ("dev: staged input copied", "dev: sorted", "dev: map job output placed",
                 "dev: reduce job output placed", "dev: operation outputs written",
                 "dev: prepared"):
        assert name in points, points


def test_kills_inside_operations_then_resume_or_rerun_give_the_rows_of_one_run(tmp_path,
                                                                              points):
    """Every other trial runs anew instead of resuming: killed before the stage `ops`
    committed (its journal record), a new run gives the rows of one run too; killed after,
    it would append the appending operations' rows once more, as it should."""
    rng = random.Random(20261205_2)
    template = make(tmp_path / "template")
    inside = [n for n, name in enumerate(points, 1) if not name.startswith(("state", "journal"))]
    committed = points.index("journal: after the commit record") + 1
    picks = rng.sample(inside, min(TRIALS, len(inside)))
    for trial, point in enumerate(picks):
        root = tmp_path / f"t{trial}"
        shutil.copytree(template, root)
        anew = trial % 2 == 1
        if anew:
            point = rng.choice([n for n in inside if n < committed])
        label = (f"trial {trial} (crash point {point}/{len(points)}: {points[point - 1]}, "
                 f"then {'a new run' if anew else '--resume'})")
        code, out = finish(start(command(root), env={"YTP_CRASH_AT": str(point)}))
        assert code == -signal.SIGKILL, f"{label}: {out[-2000:]}"
        code, out = finish(start(command(root) if anew else command(root, "--resume")))
        assert code == 0, f"{label}: the next run failed: {out[-3000:]}"
        check(root, label)
        shutil.rmtree(root)
