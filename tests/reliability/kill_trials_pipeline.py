"""The pipeline of test_kill_trials_more.py, and every row its tables must hold after one
complete run (computed from what its code means, not from a run).

After `seed` (re)writes //a/base, //a/acc and //a/yacc, six stages run two at a time, each
appending to a table others append to at the same time: a map whose job 1 fails its first
attempt (max_failed_job_count 3) after writing rows, a sort + reduce, a map_reduce and three
write_table appends to //a/acc; YQL `INSERT INTO` (no TRUNCATE) to //a/yacc from two stages;
a stage with `retry:` whose first attempt appends and then fails. `tail` reads //a/acc.
Every stage appends its name to //a/log. The first attempts fail only when MARKS names a
folder (where they leave a mark): a run of a trial fails them once, whatever is killed.
Since `seed` rewrites what the others append to, a whole run again (`--force`) ends with
the same rows as the first.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from yt_pipeline.testing import write_pipeline

N = 240
KEYS = 5

SEED = f"""
from yt_pipeline import BaseStage


class Seed(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//a/base", ({{"k": i % {KEYS}, "v": i}} for i in range({N})))
        yt.write_table("//a/acc", ({{"src": "seed", "i": i}} for i in range(10)))
        # Just: Optional, as the appended columns of a schemaless table are (a CAST
        # that never fails would be required, and YQL refuses those appends into it)
        yt.run_yql("INSERT INTO `//a/yacc` WITH TRUNCATE "
                   "SELECT Just(CAST(-1 AS Int64)) AS k, Just(CAST(-1 AS Int64)) AS v")
        yt.write_table("//a/log", [{{"stage": "seed"}}])
        return debug
"""
MAP = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class M(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        self.deps.yt_client.write_table("//a/log", [{"stage": self.name}], append=True)
        return debug
"""
MAPPER = """
import os, sys
from ytjobs import read_rows, write_rows

marks = os.environ.get("MARKS")
cookie = os.environ["YT_JOB_COOKIE"]
rows = list(read_rows())
if marks and cookie == "1":
    mark = os.path.join(marks, "mapper." + cookie)
    if not os.path.exists(mark):
        open(mark, "w").close()
        write_rows({"src": "half", "v": r["v"]} for r in rows[:5])
        sys.stdout.flush()
        raise SystemExit("first attempt fails")
write_rows({"src": "m1", "v": r["v"]} for r in rows)
"""
SORT_REDUCE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_sort, run_reduce


class R(BaseStage):
    def run(self, debug):
        ops = self.config.client.operations
        run_sort(self, ops.sort)
        run_reduce(self, ops.reduce)
        self.deps.yt_client.write_table("//a/log", [{"stage": self.name}], append=True)
        return debug
"""
REDUCER = """
from ytjobs import groups, read_rows, write_rows

write_rows({"src": "r1", "k": k, "n": len(list(rows))} for k, rows in groups(read_rows(), "k"))
"""
MAPREDUCE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map_reduce


class Mr(BaseStage):
    def run(self, debug):
        run_map_reduce(self, self.config.client.operations.map_reduce)
        self.deps.yt_client.write_table("//a/log", [{"stage": self.name}], append=True)
        return debug
"""
MR_MAPPER = """
from ytjobs import read_rows, write_rows

write_rows({"k": r["k"], "v": r["v"] * 2} for r in read_rows())
"""
MR_REDUCER = """
from ytjobs import groups, read_rows, write_rows

write_rows({"src": "mr1", "k": k, "total": sum(r["v"] for r in rows)}
           for k, rows in groups(read_rows(), "k"))
"""
WRITER = """
from yt_pipeline import BaseStage


class W(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        for b in range(3):
            yt.write_table("//a/acc", ({"src": "w1", "b": b, "i": i} for i in range(50)),
                           append=True)
        yt.run_yql("INSERT INTO `//a/yacc` SELECT k, v FROM `//a/base` WHERE v % 3 = 0")
        yt.write_table("//a/log", [{"stage": self.name}], append=True)
        return debug
"""
YQL = """
from yt_pipeline import BaseStage


class Y(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.run_yql("INSERT INTO `//a/yacc` SELECT k, v * 100 AS v FROM `//a/base` WHERE k = 1")
        yt.run_yql("INSERT INTO `//a/yacc` SELECT k, v * 1000 AS v FROM `//a/base` WHERE k = 2")
        yt.write_table("//a/log", [{"stage": self.name}], append=True)
        return debug
"""
RETRIED = """
import os
from pathlib import Path

from yt_pipeline.testing import write_pipeline
from yt_pipeline import BaseStage
from yt_pipeline.errors import BackendError


class Rt(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//a/acc", ({"src": "rt", "i": i} for i in range(20)), append=True)
        marks = os.environ.get("MARKS")
        if marks:
            mark = Path(marks) / "rt"
            if not mark.exists():
                mark.touch()
                raise BackendError("first attempt of rt fails after appending")
        yt.write_table("//a/log", [{"stage": self.name}], append=True)
        return debug
"""
TAIL = """
from yt_pipeline import BaseStage


class T(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        rows = list(yt.read_table("//a/acc"))
        yt.write_table("//a/summary", [{"rows": len(rows)}])
        yt.write_table("//a/log", [{"stage": self.name}], append=True)
        return debug
"""
GRAPH = {"seed": [], "m1": ["seed"], "r1": ["seed"], "mr1": ["seed"], "w1": ["seed"],
         "y1": ["seed"], "rt": ["seed"], "tail": ["m1", "r1", "mr1", "w1", "y1", "rt"]}


def make(root: Path) -> Path:
    def ops(**sections):
        return json.dumps({"client": {"operations": sections}})

    return write_pipeline(root, {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev", "workers": 2},
                                           "stages": {"graph": GRAPH}}),
        "stages/seed/stage.py": SEED,
        "stages/m1/stage.py": MAP,
        "stages/m1/src/mapper.py": MAPPER,
        "stages/m1/config.yaml": ops(map={
            "input_table": "//a/base", "output_table": "//a/acc", "append": True,
            "max_failed_job_count": 3, "resources": {"job_count": 3}}),
        "stages/r1/stage.py": SORT_REDUCE,
        "stages/r1/src/reducer.py": REDUCER,
        "stages/r1/config.yaml": ops(
            sort={"input_table": "//a/base", "output_table": "//a/sorted", "sort_by": ["k"]},
            reduce={"input_table": "//a/sorted", "output_table": "//a/acc", "append": True,
                    "reduce_by": ["k"], "resources": {"job_count": 2}}),
        "stages/mr1/stage.py": MAPREDUCE,
        "stages/mr1/src/mapper.py": MR_MAPPER,
        "stages/mr1/src/reducer.py": MR_REDUCER,
        "stages/mr1/config.yaml": ops(map_reduce={
            "input_table": "//a/base", "output_table": "//a/acc", "append": True,
            "reduce_by": ["k"], "resources": {"job_count": 2}}),
        "stages/w1/stage.py": WRITER,
        "stages/y1/stage.py": YQL,
        "stages/rt/stage.py": RETRIED,
        "stages/rt/config.yaml": json.dumps({"retry": {"max_attempts": 3, "backoff_s": 0}}),
        "stages/tail/stage.py": TAIL,
    })


def row(**values) -> str:
    return json.dumps(values, sort_keys=True)


def expected() -> dict[str, Counter]:
    base = [{"k": i % KEYS, "v": i} for i in range(N)]
    by_key: dict[int, list[int]] = {}
    for r in base:
        by_key.setdefault(r["k"], []).append(r["v"])
    acc = ([row(src="seed", i=i) for i in range(10)]
           + [row(src="m1", v=r["v"]) for r in base]
           + [row(src="r1", k=k, n=len(vs)) for k, vs in by_key.items()]
           + [row(src="mr1", k=k, total=2 * sum(vs)) for k, vs in by_key.items()]
           + [row(src="w1", b=b, i=i) for b in range(3) for i in range(50)]
           + [row(src="rt", i=i) for i in range(20)])
    yacc = ([row(k=-1, v=-1)] + [row(**r) for r in base if r["v"] % 3 == 0]
            + [row(k=r["k"], v=r["v"] * 100) for r in base if r["k"] == 1]
            + [row(k=r["k"], v=r["v"] * 1000) for r in base if r["k"] == 2])
    return {
        "//a/base": Counter(row(**r) for r in base),
        "//a/sorted": Counter(row(**r) for r in base),
        "//a/acc": Counter(acc),
        "//a/yacc": Counter(yacc),
        "//a/summary": Counter([row(rows=len(acc))]),
        "//a/log": Counter(row(stage=s) for s in GRAPH),
    }
