"""A dev run started from Python (`pipeline.run()`, a notebook's cell), not by the command
line, and interrupted by Ctrl-C or SIGTERM while its map's jobs run: the run's end stops
those jobs (DevClient.end_run, run_operations.py), as a prod run aborts its operations.

Before, the process went on after the interrupt and so did the jobs, to their end: the
next call resuming the run (in the same process, at once) ran its own jobs beside the old
ones, whose output was never committed. From the command line the process exits, and its
jobs are killed with it (processes._kill_leftovers): that is tested elsewhere.
"""

from __future__ import annotations

import _thread
import copy
import importlib.util
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from yt_pipeline import DefaultPipeline
from yt_pipeline.errors import BackendError
from yt_pipeline.runner import RunOptions
from yt_pipeline.testing import write_pipeline

pytestmark = pytest.mark.usefixtures("sigint_reaches_the_runs")

ROWS = [{"i": i} for i in range(20)]

WRITE = """
from yt_pipeline import BaseStage


class Write(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//home/api/in", [{"i": i} for i in range(20)])
        return debug
"""

COPY = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Copy(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        return debug
"""

# Each job writes its pid into the folder PIDS names, then holds until the file HOLD names
# is gone (the test removes it before resuming), or at most 30 s.
MAPPER = """
import os
import time

from ytjobs import read_rows, write_rows

rows = list(read_rows())
with open(os.path.join(os.environ["PIDS"], str(os.getpid())), "w"):
    pass
deadline = time.monotonic() + 30
while os.path.exists(os.environ["HOLD"]) and time.monotonic() < deadline:
    time.sleep(0.05)
write_rows(dict(row, copied=True) for row in rows)
"""

# retried at once: the attempt whose jobs the run's end stopped fails, and must not start
# another attempt, with jobs of its own, beside the next run
MAP_CONFIG = """
retry:
  max_attempts: 3
  backoff_s: 0
client:
  operations:
    map:
      input_table: //home/api/in
      output_table: //home/api/out
      append: true
      resources:
        job_count: 2
      env:
        HOLD: {hold}
        PIDS: {pids}
"""


def api_pipeline(root: Path, hold: Path, pids: Path) -> Path:
    return write_pipeline(root, {
        "stages/copy/stage.py": COPY,
        "stages/copy/config.yaml": MAP_CONFIG.format(hold=hold, pids=pids),
        "stages/copy/src/mapper.py": MAPPER,
        "stages/write/stage.py": WRITE,
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["write", "copy"]}})


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def interrupt_once_running(how: str, pids: Path, jobs: int) -> threading.Thread:
    """Ctrl-C (SIGINT, as `_thread.interrupt_main` sends it) or SIGTERM to the main thread,
    once `jobs` jobs run."""

    def watch() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(list(pids.iterdir())) < jobs:
            time.sleep(0.02)
        if how == "sigterm":
            signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)
        else:
            _thread.interrupt_main(signal.SIGINT)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def rows_of(root: Path, table: str) -> list[dict]:
    pipeline = DefaultPipeline(pipeline_dir=root)
    try:
        return sorted(pipeline.yt.read_table(table), key=lambda row: row["i"])
    finally:
        pipeline.close()


@pytest.mark.parametrize("how", ["sigint", "sigterm"])
def test_an_interrupted_run_from_python_stops_its_jobs(tmp_path, how):
    if how == "sigterm" and signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        pytest.skip("SIGTERM has a handler of the test runner's: the run sets none")
    hold, pids = tmp_path / "hold", tmp_path / "pids"
    hold.write_text("")
    pids.mkdir()
    root = api_pipeline(tmp_path / "p", hold, pids)
    pipeline = DefaultPipeline(pipeline_dir=root)
    try:
        interrupt_once_running(how, pids, jobs=2)
        with pytest.raises(KeyboardInterrupt):
            pipeline.run()
        # right after run() returned, the hold file still there: both jobs are gone
        started = [int(path.name) for path in pids.iterdir()]
        assert len(started) == 2
        assert [pid for pid in started if alive(pid)] == []
        for path in pids.iterdir():
            path.unlink()
        hold.unlink()
        # the next call resumes the run in the same process, on the same pipeline object;
        # no job of the interrupted run starts beside its jobs (a retry of its attempt)
        pipeline.run(RunOptions(resume=True))
        assert len(list(pids.iterdir())) == 2
    finally:
        hold.unlink(missing_ok=True)
        pipeline.close()
    assert rows_of(root, "//home/api/out") == [dict(row, copied=True) for row in ROWS]


def test_an_operation_of_a_run_that_ended_is_refused(tmp_path):
    # a stage thread going on after its run ended (its stage code runs until it next calls
    # the client) is refused its operation; the client's next run launches as usual
    from yt_pipeline.operations import OperationSpec
    from yt_pipeline_dev.client import DevClient
    from yt_pipeline_dev.launcher import launch

    client = DevClient(tmp_path / ".dev")
    stage_client = copy.copy(client)  # as a stage's client is made (in_transaction)
    client.end_run()
    spec = OperationSpec(kind="sort", stage_name="late", name="sort", stage_dir=tmp_path,
                         pipeline_dir=tmp_path, input_tables=["//t"], output_tables=["//t"],
                         sort_by=["i"])
    client.write_table("//t", [{"i": 2}, {"i": 1}])
    with pytest.raises(BackendError) as refused:
        launch(stage_client, spec)
    assert str(refused.value) == ("the run has ended: the sort operation sort of stage late "
                                  "was not started")
    launch(client, spec)  # the next run's books
    assert list(client.read_table("//t")) == [{"i": 1}, {"i": 2}]


#: a join of 27 billion row triples (tests/yt_dev/test_yql_timeout.py): minutes of DuckDB's
#: time
SLOW_YQL = ("INSERT INTO `//home/api/out` WITH TRUNCATE SELECT COUNT(*) AS c FROM "
            "`//home/api/n` AS a CROSS JOIN `//home/api/n` AS b CROSS JOIN `//home/api/n` AS c "
            "WHERE a.k + b.k + c.k = 7")

SLOW_STAGE = f"""
from yt_pipeline import BaseStage


class Slow(BaseStage):
    def run(self, debug):
        self.deps.yt_client.run_yql({SLOW_YQL!r})
        return debug
"""


def test_an_interrupted_run_from_python_stops_its_yql_query(tmp_path):
    # as prod aborts the run's queries (yql._abort, entered in ProdClient.running): left
    # running in DuckDB, the query held the stage's transaction, and its lock of the table
    # it writes, for minutes beside the next run
    root = write_pipeline(tmp_path / "p", {"stages/slow/stage.py": SLOW_STAGE},
                          config={"pipeline": {"mode": "dev", "yql_timeout_s": 600},
                                  "stages": {"enabled_stages": ["slow"]}})
    pipeline = DefaultPipeline(pipeline_dir=root)

    def watch() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
                t.name == "ytp-yql-deadline" for t in threading.enumerate()):
            time.sleep(0.02)
        time.sleep(0.3)  # the statement runs in DuckDB
        _thread.interrupt_main(signal.SIGINT)

    try:
        pipeline.yt.write_table("//home/api/n", [{"k": i} for i in range(3000)])
        threading.Thread(target=watch, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            pipeline.run()
        # the query was stopped as the run ended: the table is free for the next run
        started = time.monotonic()
        pipeline.yt.write_table("//home/api/out", [{"c": 0}])
        assert time.monotonic() - started < 5
        assert not [t for t in threading.enumerate() if t.name == "ytp-yql-deadline"]
    finally:
        pipeline.close()


def test_a_yql_query_of_a_run_that_ended_is_refused(tmp_path):
    # as prod refuses it (yql._run): the stage thread of an interrupted run goes on
    from yt_pipeline_dev.client import DevClient

    pytest.importorskip("duckdb", reason="dev runs YQL on DuckDB")
    client = DevClient(tmp_path / ".dev")
    client.write_table("//t", [{"i": 1}])
    stage_client = copy.copy(client)
    client.end_run()
    with pytest.raises(BackendError, match="^the run has ended: the YQL query was not started$"):
        stage_client.run_yql("SELECT i FROM `//t`")
    assert client.run_yql("SELECT i FROM `//t`") == [{"i": 1}]  # the next run's books


def test_runs_one_after_another_in_a_process_launch_as_usual(tmp_path):
    # each run's end closes its books (DevClient.end_run): the next run, on the same
    # pipeline object and client, and the client's use between runs, start their
    # operations and queries as usual
    hold, pids = tmp_path / "hold", tmp_path / "pids"
    pids.mkdir()
    root = api_pipeline(tmp_path / "p", hold, pids)
    pipeline = DefaultPipeline(pipeline_dir=root)
    try:
        pipeline.run()
        pipeline.run(RunOptions(force=True))
        assert len(list(pids.iterdir())) == 4
        rows = [dict(row, copied=True) for row in ROWS]
        assert sorted(pipeline.yt.read_table("//home/api/out"), key=lambda r: r["i"]) == \
            sorted(rows + rows, key=lambda r: r["i"])
        if importlib.util.find_spec("duckdb") is not None:
            assert pipeline.yt.run_yql("SELECT COUNT(*) AS c FROM `//home/api/out`") == \
                [{"c": 40}]
    finally:
        pipeline.close()


SORT = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_sort


class Sort(BaseStage):
    def run(self, debug):
        run_sort(self, self.config.client.operations.sort)
        return debug
"""

SORT_CONFIG = """
client:
  operations:
    sort:
      input_table: //home/api/big
      output_table: //home/api/sorted
      sort_by: [k]
"""


def test_an_interrupted_run_from_python_stops_its_sort(tmp_path, monkeypatch):
    # a sort runs no job: it is the stage thread's own work, which went on to its end after
    # the run's end had waited for it (RunOperations.STOP_WAIT_S), the sorted table's lock
    # held by the stage's transaction beside the next run; it stops as jobs do
    from yt_pipeline_dev.run_operations import RunOperations

    monkeypatch.setattr(RunOperations, "STOP_WAIT_S", 3.0)
    root = write_pipeline(tmp_path / "p", {"stages/sort/stage.py": SORT,
                                           "stages/sort/config.yaml": SORT_CONFIG},
                          config={"pipeline": {"mode": "dev"},
                                  "stages": {"enabled_stages": ["sort"]}})
    pipeline = DefaultPipeline(pipeline_dir=root)
    sorts = root / ".dev" / ".sort"

    def watch() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (sorts.is_dir() and any(sorts.iterdir())):
            time.sleep(0.01)
        _thread.interrupt_main(signal.SIGINT)

    try:
        # some seconds of sorting, far more than the wait
        pipeline.yt.write_table("//home/api/big", ({"k": (i * 7919) % 1000003, "v": "x" * 20}
                                                   for i in range(3_000_000)))
        threading.Thread(target=watch, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            pipeline.run()
        assert not any(sorts.iterdir())  # the sort's work folder is gone: it ended
        # at once: the stage's transaction has ended, its lock of the table let go
        pipeline.yt.write_table("//home/api/sorted", [{"k": 1}])
    finally:
        pipeline.close()


def test_the_run_end_waits_only_for_the_transactions_of_what_it_stopped(tmp_path):
    from yt_pipeline_dev.client import DevClient

    client = DevClient(tmp_path / ".dev")
    busy = client.begin_transaction("a stage busy in its own code")  # no operation
    stopped = client.begin_transaction("a stage whose operation the end stops")
    run_ended = client.operations.start("an operation", stopped)

    def stage_thread() -> None:  # the operation raises, and its stage aborts the attempt
        run_ended.wait()
        time.sleep(0.3)
        client.operations.finish(run_ended)
        time.sleep(0.3)
        stopped.abort()

    thread = threading.Thread(target=stage_thread)
    thread.start()
    started = time.monotonic()
    client.end_run()
    took = time.monotonic() - started
    thread.join()
    assert 0.5 < took < 5  # the stopped stage's transaction, not the busy one's
    busy.abort()


def test_jobs_of_a_phase_begun_after_the_run_ended_never_start(tmp_path):
    # a map_reduce's reduce, or an operation that was still preparing when the run ended:
    # its jobs were started and watched a tenth of a second; one that short ended well
    import sys

    from yt_pipeline_dev.processes import Job, JobFailure, run_jobs

    ran = tmp_path / "ran"
    ended = threading.Event()
    ended.set()
    job = Job(argv=[sys.executable, "-c", f"open({str(ran)!r}, 'w').close()"],
              env=dict(os.environ), cwd=tmp_path, stderr=tmp_path / "job.stderr")
    with pytest.raises(JobFailure) as stopped:
        run_jobs([job], run_ended=ended)
    assert stopped.value.reason == "stopped"
    assert not ran.exists()


REDUCE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_reduce


class Reduce(BaseStage):
    def run(self, debug):
        run_reduce(self, self.config.client.operations.reduce)
        return debug
"""

REDUCE_CONFIG = """
client:
  operations:
    reduce:
      input_tables: [//home/api/left, //home/api/right]
      output_table: //home/api/reduced
      reduce_by: [k]
"""

REDUCER = """
from ytjobs import groups, read_rows, write_rows

write_rows({"k": k, "n": len(list(rows))} for k, rows in groups(read_rows(), "k"))
"""


def _reduce_pipeline(tmp_path: Path, config: str) -> DefaultPipeline:
    root = write_pipeline(tmp_path / "p", {"stages/reduce/stage.py": REDUCE,
                                           "stages/reduce/config.yaml": config,
                                           "stages/reduce/src/reducer.py": REDUCER},
                          config={"pipeline": {"mode": "dev"},
                                  "stages": {"enabled_stages": ["reduce"]}})
    return DefaultPipeline(pipeline_dir=root)


def _slowed(key_of):
    """`key_of`, a tenth of a millisecond a line: the work of big inputs, 20 s or more for
    the rows of these tests, far more than the run's end waits (RunOperations.STOP_WAIT_S)"""
    def slow(line):
        time.sleep(0.0001)
        return key_of(line)
    return slow


def _interrupted_during(pipeline: DefaultPipeline, monkeypatch, patches: list[tuple],
                        began: threading.Event, ended: threading.Event,
                        inputs: dict[str, int], leftovers: Callable[[Path], list[str]]
                        ) -> None:
    """Fill `inputs` ({table: rows}, keys 0-999), run the reduce stage with `patches`
    (monkeypatch.setattr's arguments) and interrupt it from Python once `began` is set:
    the slowed work must have ended (`ended`) before run() raised, nothing be committed and
    `leftovers` of the folder be none; resumed at once, the reduce sees every row once."""
    def watch() -> None:
        began.wait(60)
        _thread.interrupt_main(signal.SIGINT)

    try:
        for table, count in inputs.items():
            pipeline.yt.write_table(table, [{"k": i % 1000, "v": "x" * 20}
                                            for i in range(count)])
        for target, name, value in patches:
            monkeypatch.setattr(target, name, value)
        threading.Thread(target=watch, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            pipeline.run()
        # the work ended before the run did: its stage's transaction has ended with it
        assert ended.is_set()
        assert not pipeline.yt.exists("//home/api/reduced")
        assert leftovers(pipeline.pipeline_dir / ".dev") == []
        monkeypatch.undo()
        pipeline.run()
        per_key = sum(inputs.values()) // 1000
        assert sorted(pipeline.yt.read_table("//home/api/reduced"),
                      key=lambda row: row["k"]) == [{"k": k, "n": per_key} for k in range(1000)]
    finally:
        pipeline.close()


def test_an_interrupted_run_from_python_stops_its_reduce_s_merge(tmp_path, monkeypatch):
    # a reduce of several inputs sorts each, then merges them (table_ops._sorted_shards):
    # the merge is the stage thread's own work too, and went on to its end after the run's
    # end had waited for it (RunOperations.STOP_WAIT_S, 10 s), the stage's transaction
    # open beside the next run; it stops as a sort does
    from yt_pipeline_dev import sorting, table_ops

    merging, merged = threading.Event(), threading.Event()
    line_key, merge_sorted = sorting.line_key, sorting.merge_sorted

    def slow_line_key(*args, **kwargs):
        key = line_key(*args, **kwargs)
        merging.set()
        return _slowed(key)

    def watched_merge(*args, **kwargs):
        try:
            return merge_sorted(*args, **kwargs)
        finally:
            merged.set()

    def leftovers(dev: Path) -> list[str]:
        sorts = dev / ".sort"
        return ([path.name for path in (dev / ".sandboxes").rglob("sorted*.jsonl")]
                + (sorted(os.listdir(sorts)) if sorts.is_dir() else []))

    _interrupted_during(_reduce_pipeline(tmp_path, REDUCE_CONFIG), monkeypatch,
                        [(sorting, "line_key", slow_line_key),
                         (table_ops, "merge_sorted", watched_merge)],
                        merging, merged, {"//home/api/left": 100_000,
                                          "//home/api/right": 100_000}, leftovers)


BUSY = """
import os
import time

from yt_pipeline import BaseStage


class Busy(BaseStage):
    def run(self, debug):
        client = self.deps.yt_client
        client.write_table("//home/api/busy", [{{"i": 1}}])
        if os.path.exists({mark!r}):
            return debug  # the resumed run
        open({mark!r}, "w").close()
        deadline = time.monotonic() + 30  # busy in its own code until the test lets go
        while os.path.exists({hold!r}) and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            client.write_table("//home/api/busy", [{{"i": 2}}])
            late = "written"
        except Exception as error:
            late = str(error)
        with open({late!r} + ".tmp", "w") as out:
            out.write(late)
        os.replace({late!r} + ".tmp", {late!r})  # whole when the test sees it
        return debug
"""


def test_a_run_resumed_at_once_is_not_held_by_a_busy_stage_of_the_ended_run(tmp_path):
    # a stage busy in its own code when the run ends is not waited for: its transaction,
    # holding the lock of the table it wrote, outlived the run's end, and the resumed run's
    # stage failed on it ("Cannot take lock ... locked by concurrent transaction"); prod's
    # run end aborts it (ProdClient.end_run)
    hold, mark, late = tmp_path / "hold", tmp_path / "mark", tmp_path / "late"
    hold.write_text("")
    root = write_pipeline(tmp_path / "p", {
        "stages/busy/stage.py": BUSY.format(mark=str(mark), hold=str(hold), late=str(late))},
        config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["busy"]}})
    pipeline = DefaultPipeline(pipeline_dir=root)

    def watch() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not mark.exists():
            time.sleep(0.02)
        _thread.interrupt_main(signal.SIGINT)

    try:
        threading.Thread(target=watch, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            pipeline.run()
        pipeline.run(RunOptions(resume=True))  # the old stage still busy
        assert list(pipeline.yt.read_table("//home/api/busy")) == [{"i": 1}]
        hold.unlink()  # the old stage goes on: its transaction has ended
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not late.exists():
            time.sleep(0.02)
        assert "no such transaction" in late.read_text()
        assert list(pipeline.yt.read_table("//home/api/busy")) == [{"i": 1}]
        assert list((root / ".dev" / ".txn").iterdir()) == []
    finally:
        hold.unlink(missing_ok=True)
        pipeline.close()


JOIN_CONFIG = """
client:
  operations:
    reduce:
      input_tables: [//home/api/left, <foreign=%true>//home/api/right]
      output_table: //home/api/reduced
      reduce_by: [k]
      join_by: [k]
"""


def test_an_interrupted_run_from_python_stops_its_join_reduce_s_join(tmp_path, monkeypatch):
    # a reduce with a foreign table writes each job's input, its primary rows with their
    # keys' foreign rows (join_reduce.write_joined), after the merge: as long for big
    # inputs, and it went on to its end after the run's, as the merge did
    from yt_pipeline_dev import table_ops

    joining, joined = threading.Event(), threading.Event()
    write_joined = table_ops.write_joined

    def slow_join(primary, foreign, key_of, target, *args, **kwargs):
        joining.set()
        try:
            return write_joined(primary, foreign, _slowed(key_of), target, *args, **kwargs)
        finally:
            joined.set()

    def leftovers(dev: Path) -> list[str]:
        return [path.name for path in (dev / ".sandboxes").rglob("*.jsonl")
                if path.name.startswith(("sorted", "foreign", "joined"))]

    _interrupted_during(_reduce_pipeline(tmp_path, JOIN_CONFIG), monkeypatch,
                        [(table_ops, "write_joined", slow_join)], joining, joined,
                        {"//home/api/left": 100_000, "//home/api/right": 100_000},
                        leftovers)


SWITCH_CONFIG = """
client:
  operations:
    reduce:
      input_table: //home/api/left
      output_table: //home/api/reduced
      reduce_by: [k]
      spec:
        job_io:
          control_attributes:
            enable_key_switch: true
"""


def test_an_interrupted_run_from_python_stops_its_key_switches(tmp_path, monkeypatch):
    # the key switches a reducer asks for are found by a look at every input line
    # (job_controls.with_controls), as long for big inputs as a merge, and it went on to
    # its end after the run's, as the merge did
    from yt_pipeline_dev import table_ops

    switching, switched = threading.Event(), threading.Event()
    with_controls = table_ops.with_controls

    def slow_switches(shards, control, with_index, trailer, places, key_of, *args, **kwargs):
        switching.set()
        try:
            return with_controls(shards, control, with_index, trailer, places,
                                 _slowed(key_of), *args, **kwargs)
        finally:
            switched.set()

    _interrupted_during(_reduce_pipeline(tmp_path, SWITCH_CONFIG), monkeypatch,
                        [(table_ops, "with_controls", slow_switches)], switching, switched,
                        {"//home/api/left": 200_000}, lambda dev: [])
