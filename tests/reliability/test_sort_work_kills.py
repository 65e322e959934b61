"""A sort killed (SIGKILL) while it writes its sorted runs leaves its work folder, with the
runs (as large as the table), and nothing removed it: it was made in the operation's kept
sandbox, or beside the table in the dev folder of its YT folder (a YQL append to a sorted
table, merged in by a sort). The work folders are now made in the dev folder's `.sort/`,
claimed by a flock while the sort runs, and the next run (or client) removes those whose
owner is dead (sort_work.py); a live sort's, of another process or of another thread of
this one, stays. Every sorted table's rows are checked, in order."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from adversarial_helpers import crash_points, finish, start

from yt_pipeline.lock import pid_alive, process_start_ticks
from yt_pipeline.testing import write_pipeline

#: rows held before a sorted run is written, in the runs below: a run per chunk read
#: (ytjobs.codec.CHUNK, 256 KiB), so a table of a few of them writes a few runs
RUN_BYTES = 4096
KEYS = 50


def run_command(root: Path, *extra: str) -> list[str]:
    """`yt_pipeline run` with sorts writing runs of RUN_BYTES (sorting.RUN_BYTES is read
    when a sort starts), so that a small table's sort passes its crash points."""
    code = ("import sys, runpy, yt_pipeline_dev.sorting as s; "
            f"s.RUN_BYTES = {RUN_BYTES}; sys.argv = ['yt_pipeline', *sys.argv[1:]]; "
            "runpy.run_module('yt_pipeline', run_name='__main__')")
    return [sys.executable, "-c", code, "run", str(root), *extra]


def run_files(dev: Path) -> list[str]:
    """Every sorted run (`run<n>`), work folder and merge file a sort left under `dev`."""
    return sorted(str(p.relative_to(dev)) for p in dev.rglob("*")
                  if re.fullmatch(r"run[0-9]+", p.name) or p.name.startswith(".sort-")
                  or p.name.endswith((".new-sorted", ".merged"))
                  or (p.parent.name == ".sort" and p.parent.parent == dev))


SORTS = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_sort


class Sorts(BaseStage):
    def run(self, debug):
        run_sort(self, self.config.client.operations.sort)
        return debug
"""
WRITES = """
from yt_pipeline import BaseStage


class Writes(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//b/t", [{"x": 1}])
        return debug
"""


def make(root: Path, stage: str, code: str, operations: dict | None = None) -> Path:
    return write_pipeline(root, {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"},
                                           "stages": {"graph": {stage: []}}}),
        f"stages/{stage}/stage.py": code,
        f"stages/{stage}/config.yaml": json.dumps({"client": {"operations": operations or {}}}),
    })


def pipelines(folder: Path, rows: list[dict]) -> tuple[Path, Path, Path]:
    """Pipeline `a` sorting //r/in into //r/s, and `b` writing another table, their `.dev`
    one shared folder holding //r/in."""
    shared = folder / "shared"
    (shared / "r").mkdir(parents=True)
    (shared / "r/in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    a = make(folder / "a", "sorts", SORTS, {"sort": {
        "input_table": "//r/in", "output_table": "//r/s", "sort_by": ["k", "i"]}})
    b = make(folder / "b", "writes", WRITES)
    for root in (a, b):
        (root / ".dev").symlink_to(shared)
    return shared, a, b


def sorted_rows(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["k"], r["i"]))


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_sort_operation_killed_writing_its_runs_leaves_nothing_after_the_next_run(
        tmp_path):
    rng = random.Random(20261206)
    rows = [{"k": rng.randrange(KEYS), "i": i, "pad": "p" * rng.randrange(40)}
            for i in range(25000)]
    reference = pipelines(tmp_path / "reference", rows)[1]
    count = tmp_path / "points"
    code, out = finish(start(run_command(reference), env={"YTP_CRASH_COUNT": str(count)}))
    assert code == 0, out[-3000:]
    points = crash_points(count)
    written = [n for n, name in enumerate(points, 1) if name == "dev: sort run written"]
    assert len(written) >= 3, points
    for trial, point in enumerate([written[0], rng.choice(written[1:])]):
        shared, a, b = pipelines(tmp_path / f"t{trial}", rows)
        label = f"trial {trial} (killed at crash point {point})"
        code, out = finish(start(run_command(a), env={"YTP_CRASH_AT": str(point)}))
        assert code == -signal.SIGKILL, f"{label}: {out[-3000:]}"
        assert any(re.fullmatch(r"run[0-9]+", Path(p).name) for p in run_files(shared)), label
        assert not (shared / "r/s.jsonl").exists(), label
        # the next run, of another pipeline sharing the folder, never sorts: it removes the
        # killed sort's folder (its owner is dead) at its start
        code, out = finish(start(run_command(b)))
        assert code == 0, f"{label}: {out[-3000:]}"
        assert run_files(shared) == [], label
        assert read(shared / "b/t.jsonl") == [{"x": 1}], label
        code, out = finish(start(run_command(a)))
        assert code == 0, f"{label}: {out[-3000:]}"
        assert read(shared / "r/s.jsonl") == sorted_rows(rows), label
        assert run_files(shared) == [], label


APPEND = """
import sys
from pathlib import Path
import yt_pipeline_dev.sorting as sorting
from yt_pipeline_dev.client import DevClient

sorting.RUN_BYTES = {run_bytes}
client = DevClient(Path(sys.argv[1]))
client.run_yql("INSERT INTO `//t/s` SELECT * FROM `//t/src`")
"""


def sorted_table(dev: Path, base: list[dict]) -> None:
    """//t/s of strict schema sorted by k, i holding `base` (in order)."""
    from yt_pipeline.operations import OperationSpec
    from yt_pipeline_dev import later_removal
    from yt_pipeline_dev.client import DevClient
    from yt_pipeline_dev.launcher import launch

    client = DevClient(dev)
    values = ", ".join(f"({r['k']}, {r['i']})" for r in base)
    client.run_yql("INSERT INTO `//t/s` WITH TRUNCATE SELECT CAST(k AS Int64) AS k, "
                   f"CAST(i AS Int64) AS i FROM (VALUES {values}) AS t(k, i)")
    stage_dir = dev.parent / "stages" / "s"
    stage_dir.mkdir(parents=True, exist_ok=True)
    launch(client, OperationSpec(kind="sort", stage_name="s", name="sort",
                                 stage_dir=stage_dir, pipeline_dir=dev.parent,
                                 input_tables=["//t/s"], output_tables=["//t/s"],
                                 sort_by=["k", "i"]))
    # the sort's sandbox is removed in a thread (later_removal): wait for it, or a copy of
    # the dev folder made now may list a file the thread removes before it is copied
    later_removal.wait()
    assert client.sort_order("//t/s") == ["k", "i"]


def test_a_yql_append_to_a_sorted_table_killed_in_its_sort_leaves_nothing_beside_it(
        tmp_path):
    """Outside a transaction, a YQL append to a table of sorted schema merges its rows in
    by a sort (sorted_schema.merge_in), whose runs were made in the table's own folder."""
    pytest.importorskip("duckdb", reason="YQL runs on DuckDB in dev")
    from yt_pipeline_dev.client import DevClient

    rng = random.Random(61)
    base = sorted_rows([{"k": rng.randrange(KEYS), "i": i} for i in range(300)])
    new = [{"k": rng.randrange(KEYS), "i": 1000 + i} for i in range(40000)]
    dev = tmp_path / "p" / ".dev"
    sorted_table(dev, base)
    DevClient(dev).write_table("//t/src", new)
    script = tmp_path / "append.py"
    script.write_text(APPEND.format(run_bytes=RUN_BYTES))
    reference = tmp_path / "reference" / ".dev"
    shutil.copytree(dev, reference, symlinks=True)
    count = tmp_path / "points"
    code, out = finish(start([sys.executable, str(script), str(reference)],
                             env={"YTP_CRASH_COUNT": str(count)}))
    assert code == 0, out[-3000:]
    written = [n for n, name in enumerate(crash_points(count), 1)
               if name == "dev: sort run written"]
    assert len(written) >= 2, crash_points(count)
    code, out = finish(start([sys.executable, str(script), str(dev)],
                             env={"YTP_CRASH_AT": str(written[1])}))
    assert code == -signal.SIGKILL, out[-3000:]
    assert any(re.fullmatch(r"run[0-9]+", Path(p).name) for p in run_files(dev))
    # a client's start removes the dead sort's folder; the write never happened
    client = DevClient(dev)
    assert run_files(dev) == []
    assert list(client.read_table("//t/s")) == base
    client.run_yql("INSERT INTO `//t/s` SELECT * FROM `//t/src`")
    # rows of equal keys: the table's first (YQL's sorted merge takes the table first)
    assert list(client.read_table("//t/s")) == sorted_rows(base + new)
    assert run_files(dev) == []


def test_a_live_sort_of_another_thread_keeps_its_folder(tmp_path, monkeypatch):
    """A client started, and a sweep run, while a sort of another thread of the process
    is between two runs: its folder and runs stay, and it ends with every row in order."""
    from yt_pipeline_dev import sort_work, sorting
    from yt_pipeline_dev.client import DevClient

    dev = tmp_path / ".dev"
    dev.mkdir()
    rng = random.Random(5)
    rows = [{"k": rng.randrange(KEYS), "i": i} for i in range(40000)]
    source = dev / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    paused, go = threading.Event(), threading.Event()
    write_run = sorting._write_run

    def pausing(path: Path, pending: list) -> Path:
        made = write_run(path, pending)
        if path.name == "run1":
            paused.set()
            assert go.wait(60)
        return made

    monkeypatch.setattr(sorting, "_write_run", pausing)
    target = dev / "sorted.jsonl"
    failed: list[BaseException] = []

    def sort() -> None:
        try:
            sorting.sort_files([source], target, ["k", "i"],
                               work_dir=sort_work.sort_area(dev), run_bytes=RUN_BYTES)
        except BaseException as exc:  # noqa: BLE001 - shown by the test
            failed.append(exc)

    thread = threading.Thread(target=sort)
    thread.start()
    try:
        assert paused.wait(60)
        live = run_files(dev)
        assert any(p.endswith("/run0") for p in live), live
        DevClient(dev)
        assert sort_work.sweep(dev) == 0
        assert run_files(dev) == live
    finally:
        go.set()
        thread.join(60)
    assert failed == []
    assert read(target) == sorted_rows(rows)
    assert run_files(dev) == []


PAUSED_SORT = """
import sys, time
from pathlib import Path
from yt_pipeline_dev import sort_work, sorting

dev, go = Path(sys.argv[1]), Path(sys.argv[2])
write_run = sorting._write_run


def pausing(path, pending):
    made = write_run(path, pending)
    if path.name == "run1":
        print("paused", flush=True)
        while not go.exists():
            time.sleep(0.05)
    return made


sorting._write_run = pausing
sorting.sort_files([dev / "r/in.jsonl"], dev / "sorted.jsonl", ["k", "i"],
                   work_dir=sort_work.sort_area(dev), run_bytes={run_bytes})
"""


def test_a_live_sort_of_another_process_keeps_its_folder_through_a_run(tmp_path):
    """A run of a pipeline sharing the dev folder starts while another process's sort is
    between two runs: the sort's folder stays, and it ends with every row in order."""
    rng = random.Random(9)
    rows = [{"k": rng.randrange(KEYS), "i": i} for i in range(40000)]
    shared, _, b = pipelines(tmp_path, rows)
    script = tmp_path / "paused.py"
    script.write_text(PAUSED_SORT.replace("{run_bytes}", str(RUN_BYTES)))
    go = tmp_path / "go"
    sorter = subprocess.Popen([sys.executable, str(script), str(shared), str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert sorter.stdout is not None
        assert sorter.stdout.readline().strip() == "paused", sorter.stderr.read()
        live = run_files(shared)
        assert any(p.endswith("/run0") for p in live), live
        code, out = finish(start(run_command(b)))
        assert code == 0, out[-3000:]
        assert run_files(shared) == live
    finally:
        go.touch()
        out, err = sorter.communicate(timeout=120)
    assert sorter.returncode == 0, err
    assert read(shared / "sorted.jsonl") == sorted_rows(rows)
    assert run_files(shared) == []


UNLOCKED = """
import os, signal, sys
from pathlib import Path
from yt_pipeline_dev import sort_work

def killed(*args):  # killed after making its folder, before its lock took its name
    os.kill(os.getpid(), signal.SIGKILL)

sort_work.os.rename = killed
with sort_work.work_folder(sort_work.sort_area(Path(sys.argv[1]))):
    pass
"""


def test_a_sort_killed_before_its_lock_whose_pid_runs_again_loses_its_folder(
        tmp_path, monkeypatch):
    """A sort killed after making its folder and before its lock took its name leaves a
    folder without `owner.lock`, judged by its process: its pid, from the folder's name.
    Pids are reused: a later process with that pid kept the folder (with any runs) for as
    long as it ran, a pipeline's long-lived process for good. The folder's name now holds
    its process's start too (ticks since boot, /proc/<pid>/stat, as the run lock keeps it:
    yt_pipeline.lock), and another process of that pid is no owner."""
    from yt_pipeline_dev import sort_work

    dev = tmp_path / ".dev"
    dev.mkdir()
    code, out = finish(start([sys.executable, "-c", UNLOCKED, str(dev)]))
    assert code == -signal.SIGKILL, out[-3000:]
    [left] = list(sort_work.sort_area(dev).iterdir())
    assert [p.name for p in left.iterdir()] == [f".{sort_work.OWNER_LOCK}.making"]
    dead = int(left.name.split("-", 1)[0].split(".", 1)[0])
    # the dead process's pid now another live process's, started after the folder was made
    mine = process_start_ticks(os.getpid())
    assert mine is not None
    monkeypatch.setattr(sort_work, "pid_alive", lambda pid: pid == dead or pid_alive(pid))
    monkeypatch.setattr(sort_work, "process_start_ticks",
                        lambda pid: mine + 10 ** 9 if pid == dead else process_start_ticks(pid),
                        raising=False)
    # swept while a sort of this process has made its folder and not locked it yet: that
    # folder's name tells this process, which stays its owner
    swept: list[int] = []
    rename = os.rename

    def sweeping(source, target):
        swept.append(sort_work.sweep(dev))
        rename(source, target)

    monkeypatch.setattr(sort_work.os, "rename", sweeping)
    with sort_work.work_folder(sort_work.sort_area(dev)) as work:
        assert swept == [1]
        assert list(sort_work.sort_area(dev).iterdir()) == [work]
        assert [p.name for p in work.iterdir()] == [sort_work.OWNER_LOCK]
    assert list(sort_work.sort_area(dev).iterdir()) == []

