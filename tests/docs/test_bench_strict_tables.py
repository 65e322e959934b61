"""bench/strict_tables runs on a few rows and prints each figure beside its floor and the
row-by-row check it replaces."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "strict_tables" / "run.py"


def test_the_benchmark_prints_every_figure_beside_its_floor():
    run = subprocess.run([sys.executable, str(BENCH), "--rows", "2000", "--repeat", "1"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert lines[0] == "strict tables, 2,000 rows, medians of 1 runs"
    for what in ("write into a strict table", "map into a strict table",
                 "write into a sorted table"):
        [line] = [line for line in lines if line.startswith(f"  {what}")]
        assert "no schema (the floor)" in line and "the check" in line
    for alternative in ("the check, row by row", "the key order, row by row"):
        assert any(line.startswith(f"  {alternative}") for line in lines)
