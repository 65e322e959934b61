"""Whole-process wall time of `yt-pipeline --help` and of running examples/01_hello_world.

Prints the median of several runs beside `python -c pass` (the interpreter's own start-up,
measured in the same run) and checks that ytsaurus-client, DuckDB, rich, libcst and
importlib.metadata are not imported.
Then, for each command, the modules that took longest to import (`python -X importtime`,
median of --profile-runs runs): the profile a start-up change is judged by.

    python bench/startup/run.py [--runs 15] [--top 25] [--profile-runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from importprofile import profile, top_rows

REPO = Path(__file__).resolve().parents[2]
TARGETS = {"--help": 0.2, "hello world": 0.4}
#: modules a dev run of hello world has no use for (tests/host/test_startup_imports.py
#: checks more, without timings)
HEAVY = ("yt.wrapper", "duckdb", "rich", "libcst", "importlib.metadata")


# Measure as a user's machine runs: with bytecode caching (some sandboxes turn it off).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str], cwd: Path | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - started


def median_of(cmd: list[str], runs: int, cwd: Path | None = None) -> float:
    timed(cmd, cwd)  # warm the file cache
    return statistics.median(timed(cmd, cwd) for _ in range(runs))


def heavy_imports(pipeline: Path) -> list[str]:
    code = (
        f"import sys; HEAVY = {HEAVY!r}; from yt_pipeline.cli import invoke; "
        "invoke(['run', sys.argv[1]]); "
        "print('MODULES:' + ','.join(m for m in HEAVY if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code, str(pipeline)], capture_output=True,
                          text=True, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("MODULES:"))
    return [m for m in line[len("MODULES:"):].split(",") if m]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--top", type=int, default=25,
                        help="modules listed per command in the import profile (0: none)")
    parser.add_argument("--profile-runs", type=int, default=7)
    args = parser.parse_args()
    exe = shutil.which("yt-pipeline") or str(Path(sys.executable).parent / "yt-pipeline")
    with tempfile.TemporaryDirectory() as tmp:
        hello = Path(tmp) / "hello"
        shutil.copytree(REPO / "examples/01_hello_world", hello)
        results = {
            "python -c pass": median_of([sys.executable, "-c", "pass"], args.runs),
            "--help": median_of([exe, "--help"], args.runs),
            "hello world": median_of([exe, "run", str(hello)], args.runs),
        }
        loaded = heavy_imports(hello)
        profiles = {} if args.top <= 0 else {
            name: top_rows(profile([sys.executable, exe, *argv], args.profile_runs, ENV),
                           args.top)
            for name, argv in (("--help", ["--help"]), ("hello world", ["run", str(hello)]))
        }
    print(f"start-up, median of {args.runs} runs on {os.cpu_count()} cores")
    base = results["python -c pass"]
    for name, seconds in results.items():
        target = TARGETS.get(name)
        verdict = "" if target is None else (
            f"  target {target:.1f}s: {'met' if seconds <= target else 'MISSED'}"
        )
        print(f"  {name:<16} {seconds * 1000:7.1f} ms  ({seconds / base:4.1f}x interpreter){verdict}")
    print(f"  heavy modules imported by a dev run: {', '.join(loaded) or 'none'}")
    for name, lines in profiles.items():
        print(f"\nslowest imports of {name} (median of {args.profile_runs} runs; "
              "* imported by the command or inside a function)")
        for line in lines:
            print(f"  {line}")


if __name__ == "__main__":
    main()
