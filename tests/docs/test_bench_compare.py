"""bench/compare: the yt-pipeline side of the comparison runs and checks its own output.

The whole comparison (`python bench/compare/run.py --quick`) needs the network the first
time (it installs yt-framework into its own venv) and takes about half a minute, so it runs
here only when YTP_BENCH_SMOKE=1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "compare"
sys.path.insert(0, str(BENCH))

import measure  # noqa: E402
import pipelines  # noqa: E402


def _write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _operations_available() -> bool:
    from yt_pipeline.modes import installed_modes
    from yt_pipeline.plugins import create_plugin_manager

    return "dev" in installed_modes(create_plugin_manager())


def test_every_generated_file_is_valid_python():
    makers = [pipelines.ytf_data(10), pipelines.ours_data(10), pipelines.ytf_hello(),
              pipelines.ours_hello(), pipelines.ytf_sleepers(), pipelines.ours_sleepers()]
    for files in makers:
        for path, text in files.items():
            if path.endswith(".py"):
                compile(text, path, "exec")


def test_hello_runs_and_writes_its_table(tmp_path, run_cli):
    root = _write(tmp_path / "hello", pipelines.ours_hello())
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    table = root / ".dev/tmp/bench/compare/hello.jsonl"
    assert table.read_text() == '{"greeting":"Hello, world!"}\n'


def test_data_pipeline_records_its_phases(tmp_path, monkeypatch, run_cli):
    root = _write(tmp_path / "data", pipelines.ours_data(200))
    monkeypatch.setenv("BENCH_TIMINGS", str(tmp_path / "timings.jsonl"))
    result = run_cli("run", root)
    phases = (tmp_path / "timings.jsonl").read_text()
    assert '"phase": "write"' in phases
    assert (root / ".dev/tmp/bench/compare/rows.jsonl").read_text().count("\n") == 200
    if _operations_available():
        assert result.exit_code == 0, result.output
        assert '"phase": "read"' in phases  # the read-back stage verified sums and counts
    else:
        assert "no plugin provides mode 'dev'" in result.output


def test_tree_rss_counts_a_child_process():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        own, own_largest = measure.tree_rss(os.getpid())
        child_total, child_largest = measure.tree_rss(child.pid)
        assert own > child_total > 0
        assert child_largest == child_total  # the child is one process
        assert own_largest >= child_largest and own > own_largest
    finally:
        child.kill()
        child.wait()


def test_a_run_is_timed_to_its_exit_not_to_the_next_memory_sample(tmp_path):
    """The memory samples are 20 ms apart; a process that ends in a few ms is timed at its
    exit. Timed at the next sample, the quickest of five 3 ms sleeps took 20 ms or more."""
    runs = [measure.run_measured(["sleep", "0.003"], tmp_path, dict(os.environ), tmp_path / "t.jsonl")
            for _ in range(5)]
    assert all(run.ok for run in runs)
    assert min(run.seconds for run in runs) < 0.015


def test_a_run_still_has_its_peak_memory_sampled(tmp_path):
    grow = ("import time; block = bytearray(96 * 2**20); block[::4096] = b'x' * len(block[::4096]);"
            " time.sleep(0.4)")
    run = measure.run_measured([sys.executable, "-c", grow], tmp_path, dict(os.environ),
                               tmp_path / "t.jsonl")
    assert run.ok
    assert run.peak_process_rss >= 96 * 2**20 and run.peak_rss >= run.peak_process_rss
    assert 0.4 <= run.seconds < 5


GRANDPARENT = """
import subprocess, sys, threading, time
ready = sys.argv[1]
sleeper = [sys.executable, "-c",
           "import pathlib, sys, time; pathlib.Path(sys.argv[1]).write_text('up'); time.sleep(10)",
           ready]
thread = threading.Thread(target=lambda: subprocess.Popen(sleeper))  # not the main thread
thread.start()
thread.join()
time.sleep(10)
"""


def test_tree_rss_finds_a_grandchild_a_thread_started(monkeypatch, tmp_path):
    import time

    ready = tmp_path / "ready"
    child = subprocess.Popen([sys.executable, "-c", GRANDPARENT, str(ready)])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # both asleep: their memory no longer grows
        listed = measure.tree_rss(child.pid)
        monkeypatch.setattr(measure, "_listed_children", lambda pid: None)  # the full scan
        scanned = measure.tree_rss(child.pid)
        assert listed[0] > listed[1] > 0  # two processes counted
        assert scanned[0] > scanned[1] > 0
        assert abs(listed[0] - scanned[0]) < 0.1 * scanned[0]
    finally:
        for pid in measure._children().get(child.pid, []):
            os.kill(pid, 9)
        child.kill()
        child.wait()


@pytest.mark.skipif(os.environ.get("YTP_BENCH_SMOKE") != "1", reason="set YTP_BENCH_SMOKE=1")
def test_quick_comparison_prints_every_phase(tmp_path):
    run = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--work", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    for label in ("(1) data", "(2) hello world", "(3) 8 independent", "(4) second run"):
        assert label in run.stdout


def test_limits_do_the_phases_work_and_check_it(tmp_path):
    """The physical limits printed beside our figures do the same work (and check it)."""
    import limits

    written, doubled = tmp_path / "rows.jsonl", tmp_path / "doubled.jsonl"
    limits._write(written, 25_000, 1_000)
    # a block size that cuts rows in two: each block is still read as whole lines
    limits._map(written, doubled, 4_099)
    limits._read(doubled, 25_000, 1 << 16)  # raises if a row or the sum is wrong
    assert doubled.read_text().count("\n") == 25_000
    with pytest.raises(AssertionError):
        limits._read(written, 25_000, 1 << 16)  # not doubled: the check fails
    buckets = limits._group_by(doubled)()
    scores = [2 * (i % 1000) for i in range(25_000)]
    expected = {(b, sum(1 for s in scores if s % 10 == b), sum(s for s in scores if s % 10 == b))
                for b in range(0, 10, 2)}
    assert set(buckets) == expected


def test_the_readme_table_is_written_from_the_figures_between_its_markers(tmp_path):
    import run

    def result(seconds, phases, peak, probe=0.03, steal=0.0):
        return measure.RunResult(seconds, peak * 2**20, peak * 2**20, 0, " CACHED ", phases,
                                 probe, steal, pair=probe * 1.5, memory=0.02)

    def round_of(total, yql, peak, probe=0.03, steal=0.0):
        data = result(total, {"write": 1.0, "map": 2.0, "yql": yql, "read": 0.5}, peak, probe,
                      steal)
        return {"data": data, "hello": result(0.3, {}, 10), "parallel": result(1.2, {}, 10),
                "cached": result(0.4, {}, 10)}

    runs = {"ytf": [round_of(18.0, 0.2, 500)] * 3,
            "ours": [round_of(2.0, 0.1, 120), round_of(1.9, 0.3, 140, 0.0185),
                     round_of(2.1, 0.2, 130, steal=0.25)]}
    limits = [{"total": 1.0, "write": 0.5, "map_2_jobs": 0.4, "yql": 0.1, "read": 0.45,
               "hello": 0.05}]
    lines = run.summarise(runs, limits)
    table = run.readme_table(lines, runs, 1_000_000)
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{run.README_START}\nold figures\n{run.README_END}\nafter\n")
    run.write_readme(readme, table)
    text = readme.read_text()
    assert "old figures" not in text and text.startswith("intro\n") and text.endswith("after\n")
    assert "| (1) data: whole process | 18.00 s | 2.00 s | 9.00x | 1.00 s | met (>= 9x) |" in text
    assert "| YQL group-by | 0.20 s | 0.20 s | 1.00x | 0.10 s | met (<= yt-framework) |" in text
    assert "| read back | 0.50 s | 0.50 s | 1.00x | 0.45 s | met (<= 1.3x limit) |" in text
    assert "| largest process of (1) | 500 MiB | 140 MiB | | | met (<= 150 MiB) |" in text
    # how far any framework could go on the machine: yt-framework's time over the limit's
    assert ("The physical limit, as a ratio to yt-framework (no framework can be faster here): "
            "(1) data: whole process: 18.00x (goal 9x); map doubling a field (2 jobs): 5.00x "
            "(goal 13x); (2) hello world, whole process: 6.00x (goal 3x).") in text
    # the spread the medians hide: each round's own ratio, in the order the rounds ran
    assert ("Each round's ratio: (1) data: whole process: 9.00x 9.47x 8.57x; map doubling a "
            "field (2 jobs): 1.00x 1.00x 1.00x; (2) hello world, whole process: 1.00x 1.00x "
            "1.00x.") in text
    # and how fast the machine was just before each data run, and what the hypervisor took
    # from it during the run, round by round
    assert ("The machine's speed before each data run (ms for a fixed loop, round by round): "
            "yt-framework 30 30 30; yt-pipeline 30 18 30; the same loop in two processes at "
            "once (ms, the slower): yt-framework 45 45 45; yt-pipeline 45 28 45; a copy of 64 "
            "MiB in memory (ms): yt-framework 20 20 20; yt-pipeline 20 20 20; CPU time the "
            "hypervisor took during each data run (ms, both CPUs): yt-framework 0 0 0; "
            "yt-pipeline 0 0 250.") in text


def test_the_steal_of_a_run_is_read_from_proc_stat(tmp_path, monkeypatch):
    """The hypervisor's steal is the eighth number of /proc/stat's `cpu` line, in clock
    ticks (proc(5)); a run records what was stolen between its start and its end."""
    ticks = os.sysconf("SC_CLK_TCK")
    lines = iter([f"cpu  10 0 5 100 0 0 0 {3 * ticks} 0 0\n",
                  f"cpu  20 0 9 150 0 0 0 {5 * ticks} 0 0\n"])
    real_open = open

    def fake_open(path, *args, **kwargs):
        if path == "/proc/stat":
            import io
            return io.StringIO(next(lines))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", fake_open)
    run = measure.run_measured([sys.executable, "-c", "pass"], tmp_path, dict(os.environ),
                               tmp_path / "t.jsonl")
    assert run.ok and run.steal == 2.0


def test_the_speed_probes_are_taken_before_each_run(tmp_path):
    run = measure.run_measured([sys.executable, "-c", "pass"], tmp_path, dict(os.environ),
                               tmp_path / "t.jsonl")
    assert run.ok and 0 < run.probe < 5 and 0 < run.pair < 5 and 0 < run.memory < 5
    # the same loop in the test's process, its best of a few: the machine's speed when a
    # core is free (one probe taken while the other tests of a parallel suite load the
    # machine took twice the pair's, taken a moment before in a quieter spell)
    best = min(measure.speed_probe() for _ in range(5))
    assert 0.2 < run.probe / best < 5
    # two loops at once take at least about as long as one (each has a core at best)
    assert run.pair > 0.5 * best


def test_the_memory_probe_times_a_copy_of_its_size():
    """The probe times the copy of MEMORY_PROBE_BYTES, nothing fixed around it: a copy 16
    times as large takes longer (at least 4 times, whatever the spell)."""
    small = measure.MEMORY_PROBE_BYTES
    try:
        measure.MEMORY_PROBE_BYTES = small // 16
        quick = min(measure.memory_probe() for _ in range(3))
    finally:
        measure.MEMORY_PROBE_BYTES = small
    whole = min(measure.memory_probe() for _ in range(3))
    assert whole > 4 * quick
