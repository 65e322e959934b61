"""A stage is a transaction in dev: appends from parallel stages and from two runs keep every
row, a retried or failed stage leaves the tables as one attempt (or none) left them, and a
stage reads its own writes while nobody else sees them before it commits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from yt_pipeline.testing import write_pipeline

APPEND = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Append(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        cfg = self.config
        rows = [{"stage": self.name, "i": i} for i in range(cfg.rows)]
        yt.write_table("//t/all", rows, append=True)
        if "map" in cfg.kinds:
            yt.write_table(f"//t/in_{self.name}", rows)
            run_map(self, cfg.client.operations.map)
        if "yql" in cfg.kinds:
            # the query reads a table written before the run: YQL runs outside the stage's
            # transaction and may not read what the stage itself wrote (refused in both modes)
            yt.run_yql(f"INSERT INTO `//t/yql` SELECT stage, i FROM `//t/q_{self.name}`")
        debug[self.name] = len(rows)
        return debug
"""
MAPPER = """
from ytjobs import read_rows, write_rows

write_rows({**row, "mapped": True} for row in read_rows())
"""


def appending_pipeline(root: Path, count: int, rows: int, kinds: list[str]) -> Path:
    names = [f"s{i}" for i in range(count)]
    files = {"configs/config.yaml": json.dumps({
        "pipeline": {"mode": "dev", "workers": count},
        "stages": {"graph": {name: [] for name in names}},
    })}
    for name in names:
        files[f"stages/{name}/stage.py"] = APPEND
        files[f"stages/{name}/src/mapper.py"] = MAPPER
        files[f"stages/{name}/config.yaml"] = json.dumps({
            "rows": rows, "kinds": kinds,
            "client": {"operations": {"map": {
                "input_table": f"//t/in_{name}", "output_table": "//t/mapped", "append": True,
                "resources": {"job_count": 2}}}},
        })
        if "yql" in kinds:
            files[f".dev/t/q_{name}.jsonl"] = "".join(
                json.dumps({"stage": name, "i": i}) + "\n" for i in range(rows))
    return write_pipeline(root, files)


def table(root: Path, name: str) -> Counter:
    path = root / ".dev" / "t" / f"{name}.jsonl"
    return Counter(path.read_text().splitlines()) if path.exists() else Counter()


def expected(names: list[str], rows: int, **extra) -> Counter:
    return Counter(json.dumps({"stage": n, "i": i, **extra}, separators=(",", ":"))
                   for n in names for i in range(rows))


def run(root: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root), *extra],
                          capture_output=True, text=True, timeout=300)


def rows_of(counter: Counter) -> Counter:
    """Rows as parsed JSON (key order aside), for comparing what a job or DuckDB wrote."""
    return Counter(json.dumps(json.loads(line), sort_keys=True) for line in counter.elements())


@pytest.mark.parametrize("count, kinds", [(2, ["write", "map", "yql"]), (4, ["write"]),
                                          (8, ["write", "map", "yql"])])
def test_parallel_stages_appending_to_one_table_keep_every_row(tmp_path, count, kinds):
    root = appending_pipeline(tmp_path / "p", count, 3000, kinds)
    done = run(root)
    assert done.returncode == 0, done.stderr
    names = [f"s{i}" for i in range(count)]
    assert table(root, "all") == expected(names, 3000)
    if "map" in kinds:
        assert rows_of(table(root, "mapped")) == rows_of(expected(names, 3000, mapped=True))
    if "yql" in kinds:
        assert rows_of(table(root, "yql")) == rows_of(expected(names, 3000))


STEPS = """
import os, sys, time
from pathlib import Path
from yt_pipeline import Pipeline, step

name, gate = sys.argv[1], Path(sys.argv[2])


def make(index):
    def append(yt):
        Path(f"{gate}.{name}.{index}").write_text("")
        while not gate.exists():  # every step of both runs appends at once
            time.sleep(0.01)
        rows = ({"run": name, "step": index, "i": i} for i in range(2500))
        yt.write_table("//t/shared", rows, append=True)
    append.__name__ = f"append{index}"
    return append


pipeline = Pipeline(name, folder=".", workers=4)
for index in range(4):
    pipeline.add_step(step(make(index)))
result = pipeline.run()
sys.exit(0 if result.success else result.error)
"""


def test_two_runs_appending_to_one_table_keep_every_row(tmp_path):
    """Two pipelines of one folder share its .dev: two processes, each with four steps
    appending to the same table at the same moment."""
    root = write_pipeline(tmp_path / "p", {"steps.py": STEPS})
    gate = tmp_path / "gate"
    runs = [subprocess.Popen([sys.executable, "steps.py", name, str(gate)], cwd=root,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name in ("one", "two")]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("gate.*"))) < 8:
        assert time.monotonic() < deadline, "the steps never all started"
        assert all(r.poll() is None for r in runs), [r.communicate() for r in runs]
        time.sleep(0.02)
    gate.write_text("go")
    for process in runs:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    lines = (root / ".dev/t/shared.jsonl").read_text().splitlines()
    assert Counter(lines) == Counter(
        json.dumps({"run": r, "step": s, "i": i}, separators=(",", ":"))
        for r in ("one", "two") for s in range(4) for i in range(2500))


FLAKY = """
from pathlib import Path
from yt_pipeline import BaseStage
from yt_pipeline.errors import OperationFailed
from yt_pipeline.operations import run_map


class Flaky(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        rows = [{"stage": self.name, "i": i} for i in range(100)]
        yt.write_table("//t/all", rows, append=True)
        yt.write_table("//t/in_flaky", rows)
        run_map(self, self.config.client.operations.map)
        yt.run_yql("INSERT INTO `//t/yql` SELECT stage, i FROM `//t/src_flaky`")
        yt.remove("//t/doomed")
        attempts = Path(self.context.pipeline_dir) / "attempts"
        made = int(attempts.read_text()) + 1 if attempts.exists() else 1
        attempts.write_text(str(made))
        if made <= self.config.fail_times:
            raise OperationFailed(f"attempt {made} failed", stage=self.name, operation="map")
        return debug
"""


def flaky_pipeline(root: Path, fail_times: int, max_attempts: int) -> Path:
    return write_pipeline(root, {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [flaky]}\n",
        "stages/flaky/stage.py": FLAKY,
        "stages/flaky/src/mapper.py": MAPPER,
        "stages/flaky/config.yaml": json.dumps({
            "fail_times": fail_times,
            "retry": {"max_attempts": max_attempts, "backoff_s": 0},
            "client": {"operations": {"map": {
                "input_table": "//t/in_flaky", "output_table": "//t/mapped", "append": True}}},
        }),
    })


def seed(root: Path) -> dict[str, bytes]:
    """Tables as they are before the stage: one row in each, and a table it removes."""
    folder = root / ".dev" / "t"
    folder.mkdir(parents=True)
    before = {}
    for name in ("all", "mapped", "doomed"):
        (folder / f"{name}.jsonl").write_text('{"stage":"before","i":-1}\n')
        before[name] = (folder / f"{name}.jsonl").read_bytes()
    # what the stage's query reads: written before the run (a query may not read what its
    # own stage wrote: the query tracker runs outside the stage's transaction)
    (folder / "src_flaky.jsonl").write_text(
        "".join(json.dumps({"stage": "flaky", "i": i}) + "\n" for i in range(100)))
    before["src_flaky"] = (folder / "src_flaky.jsonl").read_bytes()
    # YQL appends only to a table YQL wrote (it has a schema), as on a cluster
    from yt_pipeline_dev.client import DevClient

    DevClient(root / ".dev").run_yql(
        # Just: a literal's column would be required (not Optional), as would a CAST of one
        # that never fails, and the stages' appends of a schemaless table's optional column
        # into it refused, as YQL refuses them
        "INSERT INTO `//t/yql` WITH TRUNCATE SELECT Just('before') AS stage, "
        "Just(CAST(-1 AS Int64)) AS i")
    before["yql"] = (folder / "yql.jsonl").read_bytes()
    return before


def test_a_retried_append_gives_the_rows_of_one_attempt(tmp_path):
    root = flaky_pipeline(tmp_path / "p", fail_times=2, max_attempts=3)
    seed(root)
    done = run(root)
    assert done.returncode == 0, done.stderr
    assert (root / "attempts").read_text() == "3"
    before = Counter(['{"stage":"before","i":-1}'])
    assert table(root, "all") == before + expected(["flaky"], 100)
    assert rows_of(table(root, "mapped")) == rows_of(before + expected(["flaky"], 100,
                                                                       mapped=True))
    assert rows_of(table(root, "yql")) == rows_of(before + expected(["flaky"], 100))
    assert not (root / ".dev/t/doomed.jsonl").exists()


def test_a_failed_stage_leaves_every_table_as_it_was(tmp_path):
    root = flaky_pipeline(tmp_path / "p", fail_times=5, max_attempts=2)
    before = seed(root)
    done = run(root)
    assert done.returncode == 1
    assert "attempt 2 failed" in done.stderr
    assert {name: (root / f".dev/t/{name}.jsonl").read_bytes() for name in before} == before
    assert sorted(p.name for p in (root / ".dev/t").iterdir()) == sorted(
        f"{name}.jsonl" for name in before)  # no staged table leaked into the folder
    assert list((root / ".dev/.txn").iterdir()) == []


ISOLATED = """
from pathlib import Path
from yt_pipeline import BaseStage
from yt_pipeline.errors import QueryFailed


def refused(yt, query):
    try:
        return yt.run_yql(query)
    except QueryFailed as error:
        return "refused" if "which this stage wrote before it" in str(error) else str(error)


class Isolated(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        live = Path(self.context.pipeline_dir) / ".dev/t"
        yt.write_table("//t/new", [{"x": 1}, {"x": 2}])
        yt.write_table("//t/old", [{"x": 3}], append=True)
        yt.remove("//t/gone")
        seen = {
            "new": [r["x"] for r in yt.read_table("//t/new")],
            "old": yt.row_count("//t/old"),
            "gone": yt.exists("//t/gone"),
            "list": yt.list("//t"),
            # a query cannot see the stage's transaction on a cluster: refused in both modes
            "yql": refused(yt, "SELECT COUNT(*) AS n FROM `//t/old`"),
            # what everybody else sees until the stage commits
            "live": sorted(p.name for p in live.iterdir()),
            "live_old": (live / "old.jsonl").read_text().count("\\n"),
        }
        debug["seen"] = seen
        return debug
"""


def test_a_stage_reads_its_own_writes_which_nobody_else_sees_before_the_commit(tmp_path):
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [isolated]}\n",
        "stages/isolated/stage.py": ISOLATED,
    })
    (root / ".dev/t").mkdir(parents=True)
    (root / ".dev/t/old.jsonl").write_text('{"x":0}\n')
    (root / ".dev/t/gone.jsonl").write_text('{"x":0}\n')
    done = run(root)
    assert done.returncode == 0, done.stderr
    seen = json.loads((root / ".runs/stages.dev.json").read_text())["isolated"]["debug"]["seen"]
    assert seen == {"new": [1, 2], "old": 2, "gone": False, "list": ["new", "old"],
                    "yql": "refused",
                    "live": ["gone.jsonl", "old.jsonl"], "live_old": 1}
    assert sorted(p.name for p in (root / ".dev/t").iterdir()) == ["new.jsonl", "old.jsonl"]
    assert (root / ".dev/t/old.jsonl").read_text() == '{"x":0}\n{"x":3}\n'


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_appends_outside_a_run_are_serialised_too(tmp_path):
    """A script writing with the client directly (no stage, no transaction) still appends
    under the table's lock."""
    from yt_pipeline_dev.client import DevClient

    client = DevClient(tmp_path / ".dev")
    children = []
    for worker in range(4):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                for batch in range(10):
                    rows = ({"w": worker, "b": batch, "i": i} for i in range(200))
                    client.write_table("//t/direct", rows, append=True)
            finally:
                os._exit(0)
        children.append(pid)
    for pid in children:
        assert os.waitpid(pid, 0)[1] == 0
    assert client.row_count("//t/direct") == 4 * 10 * 200


SAME_TABLES = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Same(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        return debug
"""


def test_parallel_operations_with_the_same_tables_keep_apart(tmp_path):
    # they once shared one sandbox folder (named by the tables alone), and one deleted it
    # from under the other
    names = [f"m{i}" for i in range(4)]
    files = {"configs/config.yaml": json.dumps({
        "pipeline": {"mode": "dev", "workers": 4},
        "stages": {"graph": {"load": [], **{name: ["load"] for name in names}}}}),
        "stages/load/stage.py": ("from yt_pipeline import BaseStage\n\nclass Load(BaseStage):\n"
                                 "    def run(self, debug):\n        self.deps.yt_client."
                                 "write_table('//t/in', [{'i': i} for i in range(2000)])\n"
                                 "        return debug\n")}
    for name in names:
        files[f"stages/{name}/stage.py"] = SAME_TABLES
        files[f"stages/{name}/src/mapper.py"] = MAPPER
        files[f"stages/{name}/config.yaml"] = json.dumps({"client": {"operations": {"map": {
            "input_table": "//t/in", "output_table": "//t/out", "append": True,
            "resources": {"job_count": 2}}}}})
    root = write_pipeline(tmp_path / "p", files)
    done = run(root)
    assert done.returncode == 0, done.stderr
    out = rows_of(table(root, "out"))
    assert out == rows_of(Counter(json.dumps({"i": i, "mapped": True}) for i in range(2000)
                                  for _ in names))
