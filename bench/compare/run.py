"""yt-pipeline side by side with yt-framework, the closest existing framework.

    python bench/compare/run.py            # 1,000,000 rows, 3 alternating repetitions
    python bench/compare/run.py --quick    # 20,000 rows, one repetition (a smoke run)

Creates bench/compare/.venv-ytf with yt-framework from PyPI (needs the network the first
time), then runs the same work written as each framework's users write it, alternating
the two, and prints medians, the ratio of each phase, and the peak memory of the data
phase (resident memory of the whole process tree, jobs included). Run it from the
environment where yt-pipeline and its dev plugin are installed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import pipelines  # noqa: E402
from measure import RunResult, run_measured  # noqa: E402

YTF_REQUIREMENT = "yt-framework>=1.4,<1.5"
NAMES = {"ytf": "yt-framework", "ours": "yt-pipeline"}


def ytf_python(venv_dir: Path) -> Path | None:
    """The interpreter of a venv with yt-framework, created on first use; None if impossible."""
    python = venv_dir / "bin" / "python"
    probe = [str(python), "-c", "import yt_framework"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(f"creating {venv_dir} with {YTF_REQUIREMENT} (network needed) ...", flush=True)
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", YTF_REQUIREMENT],
            check=True, capture_output=True, timeout=600,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        last = detail.decode(errors="replace").strip().splitlines()[-1:] or [str(exc)]
        print(f"yt-framework could not be installed: {last[0]}")
        return None
    return python


def _env_for(bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(bin_dir.parent)
    return env


class Framework:
    def __init__(self, key: str, python: Path, work: Path):
        self.key, self.python, self.work = key, python, work
        self.env = _env_for(python.parent)

    def materialise(self, name: str, files: dict[str, str]) -> Path:
        root = self.work / self.key / name
        shutil.rmtree(root, ignore_errors=True)
        for relative, text in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return root

    def command(self, extra: list[str]) -> list[str]:
        if self.key == "ytf":
            return [str(self.python), "pipeline.py"]
        script = self.python.parent / "yt-pipeline"
        base = [str(script)] if script.exists() else [
            str(self.python), "-c", "from yt_pipeline.cli import main; main()"]
        return [*base, "run", ".", *extra]

    def run(self, root: Path, extra: list[str] | None = None) -> RunResult:
        return run_measured(self.command(extra or []), root, self.env, root / "timings.jsonl")


def _files(key: str, phase: str, rows: int) -> dict[str, str]:
    makers = {
        "data": (pipelines.ytf_data, pipelines.ours_data),
        "hello": (pipelines.ytf_hello, pipelines.ours_hello),
        "parallel": (pipelines.ytf_sleepers, pipelines.ours_sleepers),
    }
    maker = makers[phase][0 if key == "ytf" else 1]
    return maker(rows) if phase == "data" else maker()


def one_round(fw: Framework, rows: int, cache_rows: int) -> dict[str, RunResult]:
    out: dict[str, RunResult] = {}
    out["data"] = fw.run(fw.materialise("data", _files(fw.key, "data", rows)))
    out["hello"] = fw.run(fw.materialise("hello", _files(fw.key, "hello", 0)))
    out["parallel"] = fw.run(fw.materialise("parallel", _files(fw.key, "parallel", 0)))
    # (4) an unchanged pipeline run twice with caching on; the second run is timed.
    root = fw.materialise("cached", _files(fw.key, "data", cache_rows))
    cache_on = [] if fw.key == "ytf" else ["--set", "pipeline.cache=true"]
    first = fw.run(root, cache_on)
    out["cached"] = fw.run(root, cache_on) if first.ok else first
    return out


ROWS = [
    ("data", "total", "(1) data: whole process"),
    ("data", "write", "    write rows"),
    ("data", "map", "    map doubling a field"),
    ("data", "yql", "    YQL group-by"),
    ("data", "read", "    read back"),
    ("hello", "total", "(2) hello world, whole process"),
    ("parallel", "total", "(3) 8 independent 1 s stages"),
    ("cached", "total", "(4) second run, cache on"),
]


def _value(result: RunResult, part: str) -> float | None:
    if part == "total":
        return result.seconds if result.ok else None
    return result.phases.get(part)


def _failure(results: list[RunResult]) -> str:
    for result in results:
        if not result.ok:
            lines = [ln for ln in result.output.strip().splitlines() if ln.strip()]
            return (lines[-1] if lines else f"exit code {result.returncode}")[:110]
    return ""


def report(runs: dict[str, list[dict[str, RunResult]]], rows: int, cache_rows: int) -> None:
    print(f"\nmedians over {len(runs['ours'])} run(s); rows: {rows:,} "
          f"(cache phase: {cache_rows:,}); ratio = yt-framework / yt-pipeline (>1: we are faster)")
    print(f"{'phase':<36}{'yt-framework':>14}{'yt-pipeline':>14}{'ratio':>9}")
    failures: dict[str, str] = {}
    for phase, part, label in ROWS:
        cells = []
        for key in ("ytf", "ours"):
            values = [_value(r[phase], part) for r in runs.get(key, [])]
            values = [v for v in values if v is not None]
            cells.append(statistics.median(values) if values else None)
            if not values and runs.get(key):
                why = _failure([r[phase] for r in runs[key]])
                failures.setdefault(f"{NAMES[key]} {phase}", why)
        shown = [f"{c:>13.2f}s" if c is not None else f"{'n/a':>14}" for c in cells]
        ratio = f"{cells[0] / cells[1]:>8.2f}x" if None not in cells and cells[1] else f"{'-':>9}"
        print(f"{label:<36}{shown[0]}{shown[1]}{ratio}")
    for key in ("ytf", "ours"):
        peaks = [r["data"].peak_rss for r in runs.get(key, []) if r["data"].ok]
        if peaks:
            print(f"peak memory (1), {NAMES[key]:<13} {max(peaks) / 2**20:8.0f} MiB (process tree)")
    ours_cached = [r["cached"] for r in runs.get("ours", []) if r["cached"].ok]
    if ours_cached:
        hits = ours_cached[-1].output.count(" CACHED ")
        print(f"(4) yt-pipeline second run: {hits} of {len(pipelines.DATA_STAGES)} stages "
              "served from the cache")
    print("notes: yt-framework has no cache and no parallel stages, so (3) and (4) rerun "
          "everything one after another; its dev map runs one job whatever job_count says.")
    for what, why in failures.items():
        print(f"not measured: {what}: {why}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 rows, one repetition")
    parser.add_argument("--rows", type=int, help="rows for the data phase (default 1,000,000)")
    parser.add_argument("--repeat", type=int, help="alternating repetitions (default 3)")
    parser.add_argument("--venv", type=Path, default=HERE / ".venv-ytf")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    args = parser.parse_args(argv)
    rows = args.rows or (20_000 if args.quick else 1_000_000)
    repeat = args.repeat or (1 if args.quick else 3)
    cache_rows = max(1_000, rows // 10)

    frameworks = {"ours": Framework("ours", Path(sys.executable), args.work)}
    python = ytf_python(args.venv)
    if python is not None:
        frameworks["ytf"] = Framework("ytf", python, args.work)
    runs: dict[str, list[dict[str, RunResult]]] = {key: [] for key in frameworks}
    for index in range(repeat):
        order = sorted(frameworks, reverse=index % 2 == 0)  # alternate who goes first
        for key in order:
            print(f"round {index + 1}/{repeat}: {NAMES[key]} ...", flush=True)
            runs[key].append(one_round(frameworks[key], rows, cache_rows))
    report(runs, rows, cache_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
