"""The pipeline of test_kill_trials_sorted.py, and every row its tables must hold after one
complete run (computed from what its code means, not from a run).

`seed` (re)writes //s/base and gives two tables a sorted strict schema (create_path) and
their first rows: //s/t, and //s/u whose schema says `unique_keys`. Then two stages run at
once, each appending to one of them by every means a stage has:

- `a` appends to //s/t with write_table, merges rows into the middle of it with a YQL
  `INSERT INTO` (YQL keeps a sorted table sorted), appends with a reduce whose jobs' outputs
  follow its last key, and appends once more with write_table.
- `b` appends to //s/u with a map of three jobs (each writing its rows in key order, the
  jobs' key ranges apart), then with write_table; its first attempt fails after both
  (`retry:`), and its map's job 1 fails its first attempt after writing rows.

`seed` rewrites what the others append to, so a new run after an interrupted one ends with
the rows of one run too. The first attempts fail only when MARKS names a folder.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from yt_pipeline.testing import write_pipeline

N = 240
KEYS = 6

SEED = f"""
import yt.yson as yson

from yt_pipeline import BaseStage

T = [{{"name": "k", "type": "int64", "sort_order": "ascending"}},
     {{"name": "src", "type": "string"}}, {{"name": "v", "type": "int64"}}]
U = yson.to_yson_type([{{"name": "k", "type": "int64", "sort_order": "ascending"}},
                       {{"name": "v", "type": "int64"}}],
                      attributes={{"strict": True, "unique_keys": True}})


class Seed(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//s/base", ({{"k": i % {KEYS}, "v": i}} for i in range({N})))
        yt.create_path("//s/t", "table", schema=T)
        yt.write_table("//s/t", ({{"k": k, "src": "seed", "v": k}} for k in range(10)))
        yt.create_path("//s/u", "table", schema=U)
        yt.write_table("//s/u", ({{"k": k, "v": -k}} for k in range(5)))
        return debug
"""
APPENDS_T = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_reduce


class A(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//s/t", ({"k": k, "src": "w", "v": k} for k in range(10, 20)),
                       append=True)
        yt.run_yql("INSERT INTO `//s/t` SELECT k + 5 AS k, 'y' AS src, v FROM `//s/base` "
                   "WHERE v < 30")
        run_reduce(self, self.config.client.operations.count)
        yt.write_table("//s/t", [{"k": 2000, "src": "w2", "v": 0}], append=True)
        return debug
"""
COUNTER = """
from ytjobs import groups, read_rows, write_rows

write_rows({"k": 1000 + k, "src": "r", "v": len(list(rows))}
           for k, rows in groups(read_rows(), "k"))
"""
APPENDS_U = """
import os
from pathlib import Path

from yt_pipeline import BaseStage
from yt_pipeline.errors import BackendError
from yt_pipeline.operations import run_map


class B(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        run_map(self, self.config.client.operations.shift)
        yt.write_table("//s/u", [{"k": 10000, "v": 0}], append=True)
        marks = os.environ.get("MARKS")
        if marks and not (Path(marks) / "b").exists():
            (Path(marks) / "b").touch()
            raise BackendError("first attempt of b fails after its appends")
        return debug
"""
SHIFTER = """
import os, sys
from ytjobs import read_rows, write_rows

rows = list(read_rows())
marks = os.environ.get("MARKS")
if marks and os.environ["YT_JOB_COOKIE"] == "1":
    mark = os.path.join(marks, "shift.1")
    if not os.path.exists(mark):
        open(mark, "w").close()
        write_rows({"k": 10 + r["v"], "v": -1} for r in rows[:4])
        sys.stdout.flush()
        raise SystemExit("first attempt fails")
write_rows({"k": 10 + r["v"], "v": r["k"]} for r in rows)
"""
GRAPH = {"seed": [], "a": ["seed"], "b": ["seed"]}


def make(root: Path) -> Path:
    retry = {"max_attempts": 3, "backoff_s": 0}
    return write_pipeline(root, {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev", "workers": 2},
                                           "stages": {"graph": GRAPH}}),
        "stages/seed/stage.py": SEED,
        "stages/a/stage.py": APPENDS_T,
        "stages/a/src/counter.py": COUNTER,
        "stages/a/config.yaml": json.dumps({"client": {"operations": {"count": {
            "input_table": "//s/base", "output_table": "//s/t", "append": True,
            "reduce_by": ["k"], "reducer": "src/counter.py",
            "resources": {"job_count": 2}}}}}),
        "stages/b/stage.py": APPENDS_U,
        "stages/b/src/shifter.py": SHIFTER,
        "stages/b/config.yaml": json.dumps({"retry": retry, "client": {"operations": {
            "shift": {"input_table": "//s/base", "output_table": "//s/u", "append": True,
                      "mapper": "src/shifter.py", "max_failed_job_count": 3,
                      "resources": {"job_count": 3}}}}}),
    })


def row(**values) -> str:
    return json.dumps(values, sort_keys=True)


def expected() -> dict[str, Counter]:
    base = [{"k": i % KEYS, "v": i} for i in range(N)]
    per_key = Counter(r["k"] for r in base)
    t = ([row(k=k, src="seed", v=k) for k in range(10)]
         + [row(k=k, src="w", v=k) for k in range(10, 20)]
         + [row(k=r["k"] + 5, src="y", v=r["v"]) for r in base if r["v"] < 30]
         + [row(k=1000 + k, src="r", v=n) for k, n in per_key.items()]
         + [row(k=2000, src="w2", v=0)])
    u = ([row(k=k, v=-k) for k in range(5)]
         + [row(k=10 + r["v"], v=r["k"]) for r in base] + [row(k=10000, v=0)])
    return {"//s/base": Counter(row(**r) for r in base), "//s/t": Counter(t), "//s/u": Counter(u)}


def out_of_order(dev: Path) -> list[str]:
    """The sorted tables whose rows are not in key order in their files (or whose unique
    keys repeat)."""
    problems = []
    for name, unique in (("t", False), ("u", True)):
        path = dev / f"s/{name}.jsonl"
        if not path.exists():
            continue
        keys = [json.loads(line)["k"] for line in path.read_text().splitlines()]
        if keys != sorted(keys) or (unique and len(set(keys)) != len(keys)):
            problems.append(f"//s/{name} is out of order: keys {keys[:40]}...")
    return problems
