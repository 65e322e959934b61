"""bench/dev_tables runs end to end on a few rows, its stage-transaction variant too: a
change to what a stage may do (a query never reads its own stage's writes) once left the
benchmark failing, with nothing in the suite to say so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "dev_tables" / "run.py"

pytest.importorskip("duckdb", reason="the benchmark's query runs on DuckDB")


def test_the_benchmark_runs_every_phase_in_both_variants():
    run = subprocess.run([sys.executable, str(BENCH), "--rows", "3000", "--small", "200",
                          "--repeat", "1"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    for phase in ("write", "map (2 jobs)", "yql group by", "read + verify"):
        assert f"  {phase} " in run.stdout
    assert "dev tables, 3,000 rows" in run.stdout
    [line] = [line for line in run.stdout.splitlines() if "two stage transactions" in line]
    assert "the two commits" in line
