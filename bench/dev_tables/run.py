"""The dev backend end to end on 1,000,000 rows, beside plain Python with orjson.

Phases: write the table from a generator; a map that doubles `score` with job_count 2; YQL
`GROUP BY score % 10` on DuckDB; read the mapped table back and verify every row. Each size
runs in a fresh process, so the driver's peak memory (and the jobs') is that size's alone;
100k beside 1M shows whether memory stays flat in N.

    python bench/dev_tables/run.py [--rows 1000000] [--small 100000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 4.0
TARGET_DRIVER_MIB = 150

MAPPER = """
from ytjobs import read_rows, write_rows

write_rows({**row, "score": row["score"] * 2} for row in read_rows())
"""
NAMES = ["ada", "grace", "linus", "guido", "barbara", "ken", "dennis", "margaret"]


def rows(n: int):
    for i in range(n):
        yield {"id": i, "name": NAMES[i % len(NAMES)], "score": (i * 7919) % 1000}


def peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def cpu_seconds() -> float:
    """CPU time of this process and its finished children: unlike wall time, it does not
    grow when other work shares the machine."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def baseline(n: int, work: Path) -> dict[str, float]:
    """Plain Python: orjson writing the same rows to a file, reading and verifying them."""
    import orjson

    path = work / "baseline.jsonl"
    started = time.perf_counter()
    with path.open("wb", buffering=1 << 20) as out:
        for row in rows(n):
            out.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE))
    wrote = time.perf_counter()
    count = 0
    with path.open("rb") as handle:
        for line in handle:
            row = orjson.loads(line)
            if row["id"] != count or row["score"] != (count * 7919) % 1000:
                raise AssertionError(f"row {count} differs: {row}")
            count += 1
    assert count == n
    return {"write": wrote - started, "read": time.perf_counter() - wrote}


def measure(n: int, transactional: bool = False) -> dict:
    """The phases on a plain client, or (`transactional`) as two stages run them, each in a
    transaction of its own: the first writes and maps, the second queries and reads back
    what the first committed (a query never reads what its own stage wrote, as on a
    cluster, whose query tracker cannot see the stage's transaction); the two commits are
    one more phase."""
    from yt_pipeline.journal import Journal
    from yt_pipeline.operations import OperationSpec, Resources
    from yt_pipeline.txn import commit_stage
    from yt_pipeline_dev.client import DevClient
    from yt_pipeline_dev.launcher import launch

    work = Path(tempfile.mkdtemp(prefix="ytp-bench-"))
    stage_dir = work / "stages" / "double"
    (stage_dir / "src").mkdir(parents=True)
    (stage_dir / "src" / "mapper.py").write_text(MAPPER)
    (stage_dir / "config.yaml").write_text("{}\n")
    root_client = DevClient(work / ".dev")
    txn = root_client.begin_transaction("bench") if transactional else None
    client = txn.client if txn is not None else root_client
    phases: dict[str, float] = {}
    memory: dict[str, float] = {}
    cpu: dict[str, float] = {}
    cpu_mark = [cpu_seconds()]

    def phase(name: str, started: float) -> None:
        phases[name] = time.perf_counter() - started
        memory[name] = peak_mib(resource.RUSAGE_SELF)
        now = cpu_seconds()
        cpu[name], cpu_mark[0] = now - cpu_mark[0], now

    started = time.perf_counter()
    client.write_table("//bench/rows", rows(n))
    phase("write", started)

    started = time.perf_counter()
    spec = OperationSpec(
        kind="map", stage_name="double", name="map", stage_dir=stage_dir, pipeline_dir=work,
        input_tables=["//bench/rows"], output_tables=["//bench/doubled"],
        mapper="src/mapper.py", resources=Resources(job_count=2),
    )
    launch(client, spec)
    phase("map (2 jobs)", started)
    commits = 0.0
    if txn is not None:
        started = time.perf_counter()
        commit_stage(Journal(work, "bench"), txn, "double", {"status": "SUCCESS"})
        commits += time.perf_counter() - started
        txn = root_client.begin_transaction("bench")
        client = txn.client

    started = time.perf_counter()
    client.run_yql(
        "INSERT INTO `//bench/buckets` WITH TRUNCATE "
        "SELECT score % 10 AS bucket, COUNT(*) AS n, SUM(score) AS total "
        "FROM `//bench/doubled` GROUP BY score % 10 ORDER BY bucket"
    )
    phase("yql group by", started)

    started = time.perf_counter()
    count = total = 0
    for row in client.read_table("//bench/doubled"):
        if row["id"] != count or row["score"] != (count * 7919) % 1000 * 2:
            raise AssertionError(f"row {count} differs: {row}")
        count += 1
        total += row["score"]
    buckets = list(client.read_table("//bench/buckets"))
    assert count == n and sum(b["total"] for b in buckets) == total
    assert sum(b["n"] for b in buckets) == n
    phase("read + verify", started)

    if txn is not None:
        started = time.perf_counter()
        commit_stage(Journal(work, "bench"), txn, "count", {"status": "SUCCESS"})
        assert root_client.row_count("//bench/buckets") == len(buckets)  # now visible
        phase("commit", started)
        phases["commit"] += commits

    result = {
        "rows": n,
        "phases": phases,
        "total": sum(phases.values()),
        "driver_peak_mib": peak_mib(resource.RUSAGE_SELF),
        "driver_peak_by_phase": memory,
        "cpu": cpu,
        "jobs_peak_mib": peak_mib(resource.RUSAGE_CHILDREN),
        "table_mib": root_client.table_path("//bench/rows").stat().st_size / 2**20,
    }
    import shutil

    shutil.rmtree(work)
    return result


def run_child(n: int, *extra: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", str(n), *extra], check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(results: list[dict], repeats: list[dict]) -> None:
    """The run with the median total is shown phase by phase; every total is listed."""
    big = sorted(repeats, key=lambda r: r["total"])[len(repeats) // 2]
    print(f"dev tables, {big['rows']:,} rows ({big['table_mib']:.0f} MiB of JSON lines), "
          f"the median of {len(repeats)} runs")
    for name, seconds in big["phases"].items():
        print(f"  {name:<16} {seconds:6.2f} s  (CPU {big['cpu'][name]:5.2f} s)   driver peak "
              f"so far {big['driver_peak_by_phase'][name]:6.1f} MiB")
    verdict = "within" if big["total"] <= TARGET_SECONDS else "OVER"
    print(f"  {'total':<16} {big['total']:6.2f} s  (CPU {sum(big['cpu'].values()):5.2f} s)   "
          f"{verdict} the {TARGET_SECONDS:g} s target")
    print(f"  {'every run':<16} " + ", ".join(f"{r['total']:.2f} s" for r in repeats))
    base = big["baseline"]
    print(f"  baseline, plain Python + orjson: write {base['write']:.2f} s, "
          f"read + verify {base['read']:.2f} s, together {base['write'] + base['read']:.2f} s "
          f"(our write + read + verify: "
          f"{big['phases']['write'] + big['phases']['read + verify']:.2f} s)")
    print("memory (peak RSS):")
    for result in [*results, max(repeats, key=lambda r: r["driver_peak_mib"])]:
        print(f"  {result['rows']:>9,} rows: driver {result['driver_peak_mib']:6.1f} MiB, "
              f"largest job {result['jobs_peak_mib']:6.1f} MiB")
    verdict = "within" if max(r["driver_peak_mib"] for r in repeats) <= TARGET_DRIVER_MIB \
        else "OVER"
    print(f"  driver target {TARGET_DRIVER_MIB} MiB: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the large size")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--transaction", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child and args.baseline:
        work = Path(tempfile.mkdtemp(prefix="ytp-bench-"))
        print(json.dumps(baseline(args.child, work)))
        (work / "baseline.jsonl").unlink()
        work.rmdir()
        return
    if args.child:
        print(json.dumps(measure(args.child, args.transaction)))
        return
    results = [run_child(args.small)]
    repeats, staged = [], []
    for number in range(max(1, args.repeat)):
        # alternating which goes first, so neither always meets a warmer machine
        pair = [(False, []), (True, ["--transaction"])]
        for transactional, extra in pair if number % 2 == 0 else pair[::-1]:
            (staged if transactional else repeats).append(run_child(args.rows, *extra))
        # in a fresh process of its own, like each measured size: no heap warmed up by
        # earlier work; right after our run, so both see the machine in the same state
        repeats[-1]["baseline"] = run_child(args.rows, "--baseline")
    report(results, repeats)
    report_transaction(repeats, staged)


def report_transaction(plain: list[dict], staged: list[dict]) -> None:
    """What running the same work as two stage transactions (staged writes, a commit each)
    costs, medians of the alternating runs."""
    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    before = median([r["total"] for r in plain])
    after = median([r["total"] for r in staged])
    commit = median([r["phases"]["commit"] for r in staged])
    print(f"the same work as two stage transactions: {after:.2f} s against {before:.2f} s "
          f"without ({(after / before - 1) * 100:+.1f}%; the two commits {commit:.3f} s); "
          "every run: " + ", ".join(f"{r['total']:.2f}" for r in staged))


if __name__ == "__main__":
    main()
