"""The pipeline of test_kill_trials_undo.py, and every row its tables must hold after one
complete run (computed from what its code means, not from a run).

After `seed` (re)writes //a/base and //a/yacc, stages run two at a time appending to
//a/yacc: `fq` runs queries of several statements whose first INSERTs append to //a/yacc
(and make //a/made) and whose last fails, catching each failure and going on, after an
append of its own to //a/yacc (which YQL would have made in place); `wa` appends with
write_table, `ya` with YQL `INSERT INTO` (no TRUNCATE); `rt`, retried, runs such a failing
query and then fails its first attempt. A failing query's rows must never reach a table.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from yt_pipeline.testing import write_pipeline

N = 60
FAILING_QUERIES = 6

SEED = f"""
from yt_pipeline import BaseStage


class Seed(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//a/base", ({{"k": i % 5, "v": i}} for i in range({N})))
        yt.run_yql("INSERT INTO `//a/yacc` WITH TRUNCATE "
                   "SELECT Just(CAST(-1 AS Int64)) AS k, Just(CAST(-1 AS Int64)) AS v")
        yt.run_yql("INSERT INTO `//a/typed` WITH TRUNCATE SELECT 'a' AS s")
        yt.write_table("//a/log", [{{"stage": "seed"}}])
        return debug
"""
#: a query whose INSERTs write //a/yacc and make //a/made, then fail on //a/typed's row
#: type: two stages' queries making //a/made at once do not conflict on its lock, which a
#: query that fails never takes (prod's stage locks a table as it puts the rows of a query
#: that ended well on it)
FAILING = ("INSERT INTO `//a/yacc` SELECT k, v + 100000 AS v FROM `//a/base`;\\n"
           "INSERT INTO `//a/made` WITH TRUNCATE SELECT k FROM `//a/base`;\\n"
           "INSERT INTO `//a/yacc` SELECT k, v + 200000 AS v FROM `//a/base` WHERE k = 0;\\n"
           "INSERT INTO `//a/typed` SELECT 1 AS s;")
FAILING_STAGE = f"""
from yt_pipeline import BaseStage
from yt_pipeline.errors import QueryFailed


class Fq(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//a/yacc", [{{"k": 7, "v": 7}}], append=True)
        for n in range({FAILING_QUERIES}):
            try:
                yt.run_yql(f"{FAILING}")
            except QueryFailed:
                pass
            else:
                raise AssertionError("the query did not fail")
            yt.write_table("//a/yacc", [{{"k": 8, "v": n}}], append=True)
        yt.write_table("//a/log", [{{"stage": self.name}}], append=True)
        return debug
"""
WRITE_APPENDS = """
from yt_pipeline import BaseStage


class Wa(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        for b in range(4):
            yt.write_table("//a/yacc", ({"k": 9, "v": b * 100 + i} for i in range(10)),
                           append=True)
        yt.write_table("//a/log", [{"stage": self.name}], append=True)
        return debug
"""
YQL_APPENDS = """
from yt_pipeline import BaseStage


class Ya(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        for b in range(3):
            yt.run_yql(f"INSERT INTO `//a/yacc` SELECT k, v * 1000 + {b} AS v "
                       "FROM `//a/base` WHERE k = 1")
        yt.write_table("//a/log", [{"stage": self.name}], append=True)
        return debug
"""
RETRIED = f"""
import os
from pathlib import Path

from yt_pipeline import BaseStage
from yt_pipeline.errors import BackendError, QueryFailed


class Rt(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//a/yacc", [{{"k": 6, "v": 6}}], append=True)
        try:
            yt.run_yql(f"{FAILING}")
        except QueryFailed:
            pass
        marks = os.environ.get("MARKS")
        if marks:
            mark = Path(marks) / "rt"
            if not mark.exists():
                mark.touch()
                raise BackendError("first attempt of rt fails after its failed query")
        yt.write_table("//a/log", [{{"stage": self.name}}], append=True)
        return debug
"""
#: another pipeline of the same folder (`other`), run beside a trial's first run: once seed
#: has written //a/log (it rewrites //a/yacc no more), it appends to //a/yacc and runs a
#: failing query writing it, outside any stage of the first; it says whether it appended
OTHER_STEPS = """
import time

from yt_pipeline import Pipeline, step
from yt_pipeline.errors import QueryFailed


@step()
def other(yt):
    deadline = time.monotonic() + 8
    while not yt.exists("//a/log"):
        if time.monotonic() > deadline:
            print("SKIPPED")
            return
        time.sleep(0.05)
    print("APPENDING")
    for n in range(5):
        yt.write_table("//a/yacc", [{"k": 10, "v": n}], append=True)
        try:
            yt.run_yql("INSERT INTO `//a/yacc` SELECT k, v + 300000 AS v FROM `//a/base`;\\n"
                       "INSERT INTO `//a/typed` SELECT 1 AS s;")
        except QueryFailed:
            pass
        else:
            raise AssertionError("the query did not fail")


pipeline = Pipeline("other", folder=".")
pipeline.add_step(other)
result = pipeline.run()
print("RESULT", result.success, result.error)
"""
OTHER_ROWS = [{"k": 10, "v": n} for n in range(5)]
GRAPH = {"seed": [], "fq": ["seed"], "wa": ["seed"], "ya": ["seed"], "rt": ["seed"]}


def make(root: Path) -> Path:
    return write_pipeline(root, {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev", "workers": 2},
                                           "stages": {"graph": GRAPH}}),
        "steps.py": OTHER_STEPS,
        "stages/seed/stage.py": SEED,
        "stages/fq/stage.py": FAILING_STAGE,
        "stages/wa/stage.py": WRITE_APPENDS,
        "stages/ya/stage.py": YQL_APPENDS,
        "stages/rt/stage.py": RETRIED,
        "stages/rt/config.yaml": json.dumps({"retry": {"max_attempts": 3, "backoff_s": 0}}),
    })


def row(**values) -> str:
    return json.dumps(values, sort_keys=True)


def expected() -> dict[str, Counter]:
    base = [{"k": i % 5, "v": i} for i in range(N)]
    yacc = ([row(k=-1, v=-1), row(k=7, v=7), row(k=6, v=6)]
            + [row(k=8, v=n) for n in range(FAILING_QUERIES)]
            + [row(k=9, v=b * 100 + i) for b in range(4) for i in range(10)]
            + [row(k=1, v=r["v"] * 1000 + b) for b in range(3) for r in base if r["k"] == 1])
    return {
        "//a/base": Counter(row(**r) for r in base),
        "//a/yacc": Counter(yacc),
        "//a/typed": Counter([row(s="a")]),
        "//a/log": Counter(row(stage=s) for s in GRAPH),
    }
