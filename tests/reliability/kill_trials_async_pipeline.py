"""The pipeline of test_kill_trials_async.py, and every row its tables must hold after one
complete run (computed from what its code means, not from a run).

`pipeline.cache: true`. After `seed` (re)writes //b/base and the tables the others append
to, two stages run at once, each appending to tables of its own:

- `ops` starts three operations with `sync=False` and, while they run, appends to a table
  with write_table and runs a YQL `INSERT INTO` (no TRUNCATE); then waits for two of them
  and leaves the third to the stage's end. Its first attempt fails (`retry:`) before it
  waits for any, its operations running. The operations: a map writing two appended
  tables (by a table switch and on fd 4) whose job 1 fails its first attempt after writing
  rows; a reduce appending to //b/sorted, a table of sorted strict schema, rows whose keys
  follow its last; a map_reduce appending to //b/mr.
- `side` appends with write_table, runs a map appending to //b/side_map and a YQL
  `INSERT INTO` of its own table; its first attempt fails after its appends (`retry:`).

`tail` reads what both made and overwrites //b/summary. The first attempts fail only when
MARKS names a folder (where they leave a mark): a trial's runs fail them once in all.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from yt_pipeline.testing import write_pipeline

N = 300
KEYS = 7
#: keys of the rows seed writes to //b/sorted: the reduce's keys (0..KEYS-1) follow them
SORTED_SEED = range(-4, 0)

SEED = f"""
from yt_pipeline import BaseStage

SCHEMA = [{{"name": "k", "type": "int64", "sort_order": "ascending"}},
          {{"name": "n", "type": "int64"}}]


class Seed(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//b/base", ({{"k": i % {KEYS}, "v": i}} for i in range({N})))
        for name in ("m0", "m1", "mr", "direct", "side"):
            yt.write_table("//b/" + name, [{{"seed": name}}])
        yt.create_path("//b/sorted", "table", schema=SCHEMA)
        yt.write_table("//b/sorted", ({{"k": k, "n": 0}} for k in {list(SORTED_SEED)}))
        yt.run_yql("INSERT INTO `//b/y` WITH TRUNCATE "
                   "SELECT Just(CAST(-1 AS Int64)) AS k, Just(CAST(-1 AS Int64)) AS v")
        yt.run_yql("INSERT INTO `//b/side_y` WITH TRUNCATE "
                   "SELECT Just(CAST(-1 AS Int64)) AS k, Just(CAST(-1 AS Int64)) AS v")
        return debug
"""
OPS = """
import os
from pathlib import Path

from yt_pipeline import BaseStage
from yt_pipeline.errors import BackendError
from yt_pipeline.operations import run_map, run_map_reduce, run_reduce


class Ops(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        ops = self.config.client.operations
        split = run_map(self, ops.split, sync=False)
        reduce = run_reduce(self, ops.count, sync=False)
        run_map_reduce(self, ops.total, sync=False)  # the stage waits for it as it ends
        for b in range(3):
            yt.write_table("//b/direct", ({"src": "ops", "b": b, "i": i} for i in range(40)),
                           append=True)
        yt.run_yql("INSERT INTO `//b/y` SELECT k, v FROM `//b/base` WHERE v % 4 = 0")
        marks = os.environ.get("MARKS")
        if marks and not (Path(marks) / "ops").exists():
            (Path(marks) / "ops").touch()
            # the operations still run: the stage waits for them before its attempt ends
            raise BackendError("first attempt of ops fails while its operations run")
        debug["split"] = split.wait().rows
        debug["count"] = reduce.wait().rows
        return debug
"""
SPLITTER = """
import json, os, sys
from ytjobs import read_rows
from ytjobs.tables import table_switch

rows = list(read_rows())
out, fd4 = os.fdopen(1, "wb"), os.fdopen(4, "wb")
marks = os.environ.get("MARKS")
if marks and os.environ["YT_JOB_COOKIE"] == "1":
    mark = os.path.join(marks, "split.1")
    if not os.path.exists(mark):
        open(mark, "w").close()
        for r in rows[:5]:
            out.write(json.dumps({"half": r["v"]}).encode() + b"\\n")
            fd4.write(json.dumps({"half": r["v"]}).encode() + b"\\n")
        out.flush()
        fd4.flush()
        raise SystemExit("first attempt fails")
for r in rows:
    line = json.dumps({"v": r["v"]}).encode() + b"\\n"
    if r["v"] % 3 == 0:
        fd4.write(line)  # table 1
    elif r["v"] % 3 == 1:
        out.write(line)  # table 0
    else:
        out.write(table_switch(1) + line + table_switch(0))
"""
COUNTER = """
from ytjobs import groups, read_rows, write_rows

write_rows({"k": k, "n": len(list(rows))} for k, rows in groups(read_rows(), "k"))
"""
MR_MAPPER = """
from ytjobs import read_rows, write_rows

write_rows({"k": r["k"], "v": r["v"] * 2} for r in read_rows())
"""
MR_REDUCER = """
from ytjobs import groups, read_rows, write_rows

write_rows({"k": k, "total": sum(r["v"] for r in rows)} for k, rows in groups(read_rows(), "k"))
"""
SIDE = """
import os
from pathlib import Path

from yt_pipeline import BaseStage
from yt_pipeline.errors import BackendError
from yt_pipeline.operations import run_map


class Side(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        for b in range(2):
            yt.write_table("//b/side", ({"src": "side", "b": b, "i": i} for i in range(30)),
                           append=True)
        run_map(self, self.config.client.operations.copy)
        yt.run_yql("INSERT INTO `//b/side_y` SELECT k, v * 10 AS v FROM `//b/base` WHERE k = 3")
        marks = os.environ.get("MARKS")
        if marks and not (Path(marks) / "side").exists():
            (Path(marks) / "side").touch()
            raise BackendError("first attempt of side fails after its appends")
        return debug
"""
COPIER = """
from ytjobs import read_rows, write_rows

write_rows({"src": "side_map", "v": r["v"]} for r in read_rows() if r["k"] != 0)
"""
TAIL = """
from yt_pipeline import BaseStage


class Tail(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        counts = {name: yt.row_count("//b/" + name)
                  for name in ("m0", "m1", "mr", "sorted", "direct", "side", "side_map")}
        yt.write_table("//b/summary", [counts])
        return debug
"""
GRAPH = {"seed": [], "ops": ["seed"], "side": ["seed"], "tail": ["ops", "side"]}


def make(root: Path) -> Path:
    def retried(**sections):
        """A stage config: its operation sections, and `retry:` (its first attempt fails)."""
        return json.dumps({"retry": {"max_attempts": 3, "backoff_s": 0},
                           "client": {"operations": sections}})

    return write_pipeline(root, {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev", "workers": 2,
                                                        "cache": True},
                                           "stages": {"graph": GRAPH}}),
        "stages/seed/stage.py": SEED,
        "stages/ops/stage.py": OPS,
        "stages/ops/src/splitter.py": SPLITTER,
        "stages/ops/src/counter.py": COUNTER,
        "stages/ops/src/mr_mapper.py": MR_MAPPER,
        "stages/ops/src/mr_reducer.py": MR_REDUCER,
        "stages/ops/config.yaml": retried(
            split={"input_table": "//b/base", "output_tables": ["//b/m0", "//b/m1"],
                   "append": True, "mapper": "src/splitter.py", "max_failed_job_count": 3,
                   "resources": {"job_count": 3}},
            count={"input_table": "//b/base", "output_table": "//b/sorted", "append": True,
                   "reduce_by": ["k"], "reducer": "src/counter.py",
                   "resources": {"job_count": 2}},
            total={"input_table": "//b/base", "output_table": "//b/mr", "append": True,
                   "reduce_by": ["k"], "mapper": "src/mr_mapper.py",
                   "reducer": "src/mr_reducer.py", "resources": {"job_count": 2}}),
        "stages/side/stage.py": SIDE,
        "stages/side/src/copier.py": COPIER,
        "stages/side/config.yaml": retried(copy={
            "input_table": "//b/base", "output_table": "//b/side_map", "append": True,
            "mapper": "src/copier.py", "resources": {"job_count": 2}}),
        "stages/tail/stage.py": TAIL,
    })


def row(**values) -> str:
    return json.dumps(values, sort_keys=True)


def expected() -> dict[str, Counter]:
    base = [{"k": i % KEYS, "v": i} for i in range(N)]
    by_key: dict[int, list[int]] = {}
    for r in base:
        by_key.setdefault(r["k"], []).append(r["v"])
    tables = {
        "//b/base": [row(**r) for r in base],
        "//b/m0": [row(seed="m0")] + [row(v=r["v"]) for r in base if r["v"] % 3 == 1],
        "//b/m1": [row(seed="m1")] + [row(v=r["v"]) for r in base if r["v"] % 3 != 1],
        "//b/mr": [row(seed="mr")] + [row(k=k, total=2 * sum(vs)) for k, vs in by_key.items()],
        "//b/sorted": ([row(k=k, n=0) for k in SORTED_SEED]
                       + [row(k=k, n=len(vs)) for k, vs in sorted(by_key.items())]),
        "//b/direct": [row(seed="direct")] + [row(src="ops", b=b, i=i)
                                              for b in range(3) for i in range(40)],
        "//b/y": [row(k=-1, v=-1)] + [row(**r) for r in base if r["v"] % 4 == 0],
        "//b/side": [row(seed="side")] + [row(src="side", b=b, i=i)
                                          for b in range(2) for i in range(30)],
        "//b/side_map": [row(src="side_map", v=r["v"]) for r in base if r["k"] != 0],
        "//b/side_y": [row(k=-1, v=-1)] + [row(k=3, v=r["v"] * 10) for r in base
                                           if r["k"] == 3],
    }
    counts = {name[4:]: len(rows) for name, rows in tables.items()
              if name[4:] in ("m0", "m1", "mr", "sorted", "direct", "side", "side_map")}
    tables["//b/summary"] = [row(**counts)]
    return {name: Counter(rows) for name, rows in tables.items()}


def sorted_keys(dev: Path) -> list[int]:
    """The keys of //b/sorted in the order of its file (a sorted table keeps them in order)."""
    lines = (dev / "b/sorted.jsonl").read_text().splitlines()
    return [json.loads(line)["k"] for line in lines]
