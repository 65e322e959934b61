"""A 10,000,000-row dev pipeline, run by the real command line: driver memory at scale.

The pipeline has three stages: `load` writes the rows from a generator, `double` maps them
with job_count 2 (score doubled), `check` streams the output back and verifies every row.
The driver (`yt-pipeline run`, in a process of its own) reports its peak resident memory and
that of its largest job; the same pipeline at 1,000,000 rows beside it shows whether the
driver's memory stays flat as the table grows ten times.

    python bench/dev_scale/run.py [--rows 10000000] [--small 1000000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_DRIVER_MIB = 150
#: the time a row may take at 10M rows over its time at 1M rows
TIME_PER_ROW_SLACK = 0.15

CONFIG = """
pipeline:
  mode: dev
  cache: false
stages:
  enabled_stages: [load, double, check]
"""
LOAD = '''
from yt_pipeline import BaseStage

NAMES = ["ada", "grace", "linus", "guido", "barbara", "ken", "dennis", "margaret"]


class Load(BaseStage):
    def run(self, debug):
        rows = ({"id": i, "name": NAMES[i % 8], "score": (i * 7919) % 1000}
                for i in range(self.config.rows))
        self.deps.yt_client.write_table("//bench/scale/rows", rows)
        return debug
'''
DOUBLE = '''
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Double(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        return debug
'''
DOUBLE_CONFIG = """
client:
  operations:
    map:
      input_table: //bench/scale/rows
      output_table: //bench/scale/doubled
      mapper: src/mapper.py
      resources:
        job_count: 2
"""
MAPPER = """
from ytjobs import read_rows, write_rows

write_rows({**row, "score": row["score"] * 2} for row in read_rows())
"""
CHECK = '''
from yt_pipeline import BaseStage


class Check(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        count = 0
        for row in yt.read_table("//bench/scale/doubled"):
            if row["id"] != count or row["score"] != (count * 7919) % 1000 * 2:
                raise AssertionError(f"row {count} differs: {row}")
            count += 1
        if count != self.config.rows or yt.row_count("//bench/scale/doubled") != count:
            raise AssertionError(f"{count} rows read, {self.config.rows} written")
        self.logger.info("verified %d rows", count)
        return debug
'''
# Runs the command line in this process, then records this process's peak memory (the
# driver's) and the largest of its children's (the jobs').
DRIVER = """
import json, resource, sys
from yt_pipeline.cli import invoke
code = invoke(sys.argv[2:])
usage = {"code": code,
         "driver_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
         "jobs_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}
open(sys.argv[1], "w").write(json.dumps(usage))
"""


def make_pipeline(root: Path, rows: int) -> None:
    files = {
        "configs/config.yaml": CONFIG,
        "stages/load/stage.py": LOAD,
        "stages/load/config.yaml": f"rows: {rows}\n",
        "stages/double/stage.py": DOUBLE,
        "stages/double/config.yaml": DOUBLE_CONFIG,
        "stages/double/src/mapper.py": MAPPER,
        "stages/check/stage.py": CHECK,
        "stages/check/config.yaml": f"rows: {rows}\n",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip())


def stage_seconds(root: Path) -> dict[str, float]:
    """Each stage's duration, from the run record the driver wrote."""
    from yt_pipeline.records import read_records

    record = read_records(root, limit=1)[0]
    return {name: stage["duration_s"] for name, stage in record["stages"].items()}


def measure(rows: int) -> dict:
    root = Path(tempfile.mkdtemp(prefix="ytp-scale-"))
    try:
        make_pipeline(root, rows)
        usage_file = root / "usage.json"
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", DRIVER, str(usage_file), "run", str(root)],
                              capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0 or not usage_file.is_file():
            raise SystemExit(f"the {rows:,}-row run failed:\n{done.stdout}\n{done.stderr}")
        usage = json.loads(usage_file.read_text())
        table = root / ".dev/bench/scale/rows.jsonl"
        return {"rows": rows, "wall": wall, "table_mib": table.stat().st_size / 2**20,
                "stages": stage_seconds(root), **usage}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--small", type=int, default=1_000_000)
    parser.add_argument("--smallest", type=int, default=100_000)
    args = parser.parse_args()
    results = [measure(count) for count in (args.smallest, args.small, args.rows)]
    for result in results:
        stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result["stages"].items())
        print(f"{result['rows']:>11,} rows ({result['table_mib']:.0f} MiB): whole run "
              f"{result['wall']:.1f} s, {result['wall'] / result['rows'] * 1e6:.2f} us a row "
              f"({stages})")
        print(f"{'':>12} driver peak {result['driver_mib']:.1f} MiB, largest job "
              f"{result['jobs_mib']:.1f} MiB")
    smallest, small, big = results
    largest = max(max(r["driver_mib"], r["jobs_mib"]) for r in results)
    verdict = "within" if largest <= TARGET_DRIVER_MIB else "OVER"
    print(f"largest process from {smallest['rows']:,} to {big['rows']:,} rows: "
          f"{min(r['driver_mib'] for r in results):.0f}-{largest:.0f} MiB; {verdict} the "
          f"{TARGET_DRIVER_MIB} MiB bound")
    per_row = (big["wall"] / big["rows"]) / (small["wall"] / small["rows"])
    verdict = "within" if per_row <= 1 + TIME_PER_ROW_SLACK else "OVER"
    print(f"time a row at {big['rows']:,} rows: {per_row:.2f}x that at {small['rows']:,}; "
          f"{verdict} the {TIME_PER_ROW_SLACK:.0%} bound")


if __name__ == "__main__":
    main()
