"""An operation's input table replaced by a commit of a parallel stage (or of another run)
while the operation runs: as on a cluster, where an operation reads a snapshot of its
inputs, its jobs read the version the operation started with, never a mix of two versions
(rows lost or doubled), whatever the moment of the commit."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
from adversarial_helpers import seeded
from dag_helpers import run_pipeline

from yt_pipeline.testing import write_pipeline

OLD = 3000
#: the new version: fewer rows of the same width (a silent mix of versions on the old
#: code), or more and wider ones (half lines)
SHAPES = {"fewer rows": (1000, 2), "wider rows": (4000, 222)}

STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map, run_map_reduce, run_sort


class Reader(BaseStage):
    def run(self, debug):
        ops = self.config.client.operations
        kind = self.config.kind
        {"map": run_map, "map_reduce": run_map_reduce, "sort": run_sort}[kind](
            self, getattr(ops, kind))
        return debug
"""
MAPPER = """
from ytjobs import read_rows, write_rows

write_rows({"v": row["v"], "i": row["i"]} for row in read_rows())
"""
REDUCER = """
from ytjobs import groups, read_rows, write_rows

for key, rows in groups(read_rows(), "i"):
    write_rows(rows)
"""


def make(root: Path, kind: str) -> Path:
    section = {"input_table": "//t/in", "output_table": "//t/out",
               "resources": {"job_count": 4}}
    if kind == "map_reduce":
        section["reduce_by"] = ["i"]
    if kind == "sort":
        section = {"input_table": "//t/in", "output_table": "//t/out", "sort_by": ["i"]}
    root = write_pipeline(root, {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [reader]}\n",
        "stages/reader/stage.py": STAGE,
        "stages/reader/src/mapper.py": MAPPER,
        "stages/reader/src/reducer.py": REDUCER,
        "stages/reader/config.yaml": json.dumps({"kind": kind, "client": {"operations": {
            kind: section}}}),
    })
    table = root / ".dev/t/in.jsonl"
    table.parent.mkdir(parents=True)
    table.write_text("".join(json.dumps({"v": 1, "i": i}) + "\n" for i in range(OLD)))
    return root


def replace_live(root: Path, shape: str) -> None:
    """What a commit of another stage does to the table: a new file renamed over it."""
    table = root / ".dev/t/in.jsonl"
    tmp = table.with_name(".in.jsonl.race.tmp")
    count, value = SHAPES[shape]
    tmp.write_text("".join(json.dumps({"v": value, "i": i}) + "\n" for i in range(count)))
    os.replace(tmp, table)


@pytest.mark.parametrize("kind", ["map", "map_reduce", "sort"])
@pytest.mark.parametrize("moment", ["after the split", "while the jobs read"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_an_input_replaced_while_an_operation_runs_is_read_in_one_version(
        tmp_path, monkeypatch, kind, moment, shape):
    from yt_pipeline_dev import processes, table_ops

    root = make(tmp_path / "p", kind)
    rng = seeded(f"{kind}-{moment}-{shape}")
    if moment == "after the split":
        original = table_ops.split_files

        def split_then_commit(paths, parts, *rest):
            shards = original(paths, parts, *rest)
            replace_live(root, shape)
            return shards

        monkeypatch.setattr(table_ops, "split_files", split_then_commit)
        if kind == "sort":
            original_sort = table_ops.sort_files

            def commit_then_sort(sources, *args, **kwargs):
                replace_live(root, shape)
                return original_sort(sources, *args, **kwargs)

            monkeypatch.setattr(table_ops, "sort_files", commit_then_sort)
    else:
        original_feed = processes._feed
        fed = []
        which = rng.randint(1, 3)

        def feed_then_commit(proc, segments, *sent):
            fed.append(1)
            if len(fed) == which:
                replace_live(root, shape)
            return original_feed(proc, segments, *sent)

        monkeypatch.setattr(processes, "_feed", feed_then_commit)
    result = run_pipeline(root)
    # a job given half a line fails loudly: that at least loses nothing in silence, but an
    # operation that reads one version never meets one
    assert getattr(result, "success", False), result
    rows = Counter(json.dumps(json.loads(line), sort_keys=True)
                   for line in (root / ".dev/t/out.jsonl").read_text().splitlines())
    old = Counter(json.dumps({"i": i, "v": 1}, sort_keys=True) for i in range(OLD))
    count, value = SHAPES[shape]
    new = Counter(json.dumps({"i": i, "v": value}, sort_keys=True) for i in range(count))
    assert rows in (old, new), (
        f"{kind}: a mix of versions: {sum(rows.values())} rows, "
        f"{sum((rows & old).values())} of the old, {sum((rows & new).values())} of the new")


FAN_OUT = """
import sys
from yt_pipeline import Pipeline, parallel_map, step

WORKERS = int(sys.argv[1])


@step(outputs=["seen"])
def fan(yt):
    yt.write_table("//t/x", [{"w": -1, "j": 0}])  # the stage's own first version

    def one(worker):
        for batch in range(3):
            yt.write_table("//t/x", ({"w": worker, "b": batch, "j": j} for j in range(500)),
                           append=True)
        return worker

    parallel_map(one, list(range(WORKERS)), workers=WORKERS)
    return yt.row_count("//t/x")


pipeline = Pipeline("fan", folder=".")
pipeline.add_step(fan)
result = pipeline.run()
print("SEEN", result["seen"] if result.success else result.error)
"""


@pytest.mark.parametrize("workers", [2, 8])
def test_threads_of_one_stage_appending_to_one_table_keep_every_row(tmp_path, workers):
    """A stage's writes are staged in its transaction; two of its threads appending to one
    table each copied the same staged version, and the second's rename dropped the rows of
    the first: 8 threads of 1500 rows kept about 1500."""
    import subprocess
    import sys

    root = write_pipeline(tmp_path / "p", {"steps.py": FAN_OUT})
    done = subprocess.run([sys.executable, "steps.py", str(workers)], cwd=root,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    total = 1 + workers * 3 * 500
    assert f"SEEN {total}" in done.stdout, done.stdout + done.stderr[-2000:]
    rows = Counter(json.dumps(json.loads(line), sort_keys=True)
                   for line in (root / ".dev/t/x.jsonl").read_text().splitlines())
    assert rows == Counter([json.dumps({"j": 0, "w": -1}, sort_keys=True)] + [
        json.dumps({"b": b, "j": j, "w": w}, sort_keys=True)
        for w in range(workers) for b in range(3) for j in range(500)])
