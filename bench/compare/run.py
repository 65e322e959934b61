"""yt-pipeline side by side with yt-framework, the closest existing framework.

    python bench/compare/run.py            # 1,000,000 rows, 3 alternating repetitions
    python bench/compare/run.py --quick    # 20,000 rows, one repetition (a smoke run)

Creates bench/compare/.venv-ytf with yt-framework from PyPI (needs the network the first
time) and installs this checkout from wheels into bench/compare/.venv-ours (as a user
installs it, not editable), then runs the same work written as each framework's users
write it, alternating
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

import limits  # noqa: E402
import pipelines  # noqa: E402
from measure import RunResult, run_measured  # noqa: E402

YTF_REQUIREMENT = "yt-framework>=1.4,<1.5"
NAMES = {"ytf": "yt-framework", "ours": "yt-pipeline"}


def _pip_into(venv_dir: Path, installs: list[list[str]], name: str, *,
              clear: bool) -> Path | None:
    """The interpreter of `venv_dir` (made anew with `clear`, else when missing) after each
    `pip install` of `installs`, run from the repository; None, saying why, if one fails."""
    python = venv_dir / "bin" / "python"
    try:
        if clear or not python.exists():
            venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
        for arguments in installs:
            subprocess.run([str(python), "-m", "pip", "install", "-q", *arguments],
                           cwd=HERE.parents[1], check=True, capture_output=True, timeout=900)
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        last = detail.decode(errors="replace").strip().splitlines()[-1:] or [str(exc)]
        print(f"{name} could not be installed: {last[0]}")
        return None
    return python


def ytf_python(venv_dir: Path) -> Path | None:
    """The interpreter of a venv with yt-framework, created on first use; None if impossible."""
    python = venv_dir / "bin" / "python"
    probe = [str(python), "-c", "import yt_framework"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(f"creating {venv_dir} with {YTF_REQUIREMENT} (network needed) ...", flush=True)
    return _pip_into(venv_dir, [[YTF_REQUIREMENT]], "yt-framework", clear=True)


#: the distributions of this repository, installed in the bench's own venv as a user
#: installs them: wheels, not the editable install of a checkout (whose import hooks cost
#: every process, jobs included, some 15-20 ms)
OUR_PACKAGES = [".[progress,compat]", "plugins/yt_dev[yql]", "plugins/uploader",
                "plugins/yt_prod"]


def ours_python(venv_dir: Path) -> Path | None:
    """The interpreter of a venv with this checkout's code installed from wheels, built
    afresh each run so it holds the code as it is now; None if that is impossible."""
    print(f"installing this checkout into {venv_dir} (wheels) ...", flush=True)
    # the code as it is now, then its dependencies (already there after the first run)
    installs = [["--force-reinstall", "--no-deps", *OUR_PACKAGES], OUR_PACKAGES]
    return _pip_into(venv_dir, installs, "yt-pipeline (from wheels)", clear=False)


def _env_for(bin_dir: Path) -> dict[str, str]:
    # as a user's machine runs: bytecode cached (some sandboxes set PYTHONDONTWRITEBYTECODE,
    # which makes every process, jobs included, compile its modules again)
    dropped = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
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


#: (phase, part, label, the limit of limits.py for it, the goal: (kind, value))
#: goal kinds: "ratio" — yt-framework / ours at least value; "limit" — ours / limit at most
#: value; "max" — ours at most value times yt-framework's
ROWS = [
    ("data", "total", "(1) data: whole process", "total", ("ratio", 9.0)),
    ("data", "write", "    write rows", "write", None),
    ("data", "map", "    map doubling a field (2 jobs)", "map_2_jobs", ("ratio", 13.0)),
    ("data", "yql", "    YQL group-by", "yql", ("max", 1.0)),
    ("data", "read", "    read back", "read", ("limit", 1.3)),
    ("hello", "total", "(2) hello world, whole process", "hello", ("ratio", 3.0)),
    ("parallel", "total", "(3) 8 independent 1 s stages", "sleep", None),
    ("cached", "total", "(4) second run, cache on", None, None),
]
#: the largest single process of the 1M-row run
MEMORY_GOAL_MIB = 150


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


def _goal_met(goal: tuple[str, float] | None, ytf: float | None, ours: float | None,
              limit: float | None) -> str:
    if goal is None or ours is None:
        return ""
    kind, value = goal
    if kind == "ratio" and ytf:
        return f"{'met' if ytf / ours >= value else 'NOT met'} (>= {value:g}x)"
    if kind == "max" and ytf:
        return f"{'met' if ours <= value * ytf else 'NOT met'} (<= yt-framework)"
    if kind == "limit" and limit:
        return f"{'met' if ours <= value * limit else 'NOT met'} (<= {value:g}x limit)"
    return ""


def summarise(runs: dict[str, list[dict[str, RunResult]]],
              limits: list[dict[str, float]]) -> list[dict[str, object]]:
    """One line per row of ROWS: medians, ratio, limit (best of the rounds), goal."""
    lines = []
    for phase, part, label, limit_key, goal in ROWS:
        cells: dict[str, float | None] = {}
        failure = ""
        for key in ("ytf", "ours"):
            values = [_value(r[phase], part) for r in runs.get(key, [])]
            values = [v for v in values if v is not None]
            cells[key] = statistics.median(values) if values else None
            if not values and runs.get(key):
                failure = failure or f"{NAMES[key]}: {_failure([r[phase] for r in runs[key]])}"
        limit = None
        if limit_key == "sleep":
            limit = 1.0  # eight 1 s sleeps with eight workers
        elif limit_key and limits:
            limit = min(each[limit_key] for each in limits)
        lines.append({"label": label, "ytf": cells["ytf"], "ours": cells["ours"],
                      "limit": limit, "goal": _goal_met(goal, cells["ytf"], cells["ours"], limit),
                      "failure": failure})
    return lines


def _peaks(runs: dict[str, list[dict[str, RunResult]]], key: str) -> tuple[float, float] | None:
    done = [r["data"] for r in runs.get(key, []) if r["data"].ok]
    if not done:
        return None
    return (max(r.peak_rss for r in done) / 2**20, max(r.peak_process_rss for r in done) / 2**20)


def ceiling_note(lines: list[dict[str, object]]) -> str:
    """How many times faster than yt-framework the bare work of each goal with a ratio is
    (the most any framework could reach on this machine), or "" when not measured."""
    notes = []
    for line, (*_, goal) in zip(lines, ROWS, strict=True):
        ytf, limit = line["ytf"], line["limit"]
        if goal and goal[0] == "ratio" and isinstance(ytf, float) and isinstance(limit, float):
            notes.append(f"{str(line['label']).strip()}: {ytf / limit:.2f}x (goal {goal[1]:g}x)")
    if not notes:
        return ""
    return ("the physical limit, as a ratio to yt-framework (no framework can be faster "
            "here): " + "; ".join(notes))


def round_ratios(runs: dict[str, list[dict[str, RunResult]]]) -> str:
    """The ratio of each goal with one, round by round: the two frameworks of a round ran
    one after the other, so a drift of the machine's speed across the run shows here as a
    spread, where the medians above hide it."""
    parts = []
    for phase, part, label, _, goal in ROWS:
        if not goal or goal[0] != "ratio":
            continue
        pairs = zip(runs.get("ytf", []), runs.get("ours", []))
        ratios = [f"{ytf / ours:.2f}x" for ytf, ours in
                  ((_value(a[phase], part), _value(b[phase], part)) for a, b in pairs)
                  if ytf and ours]
        if ratios:
            parts.append(f"{label.strip()}: {' '.join(ratios)}")
    return "each round's ratio: " + "; ".join(parts) if parts else ""


def probes(runs: dict[str, list[dict[str, RunResult]]]) -> str:
    """The machine's speed just before each data run (measure.speed_probe; pair_probe, the
    two cores at once; memory_probe), and the CPU time the hypervisor took from the VM during
    it (measure.stolen_seconds), round by round: a run whose probes are much slower than the
    others, or that lost much to the hypervisor, ran in a slow spell of the machine."""
    parts = [f"{NAMES[key]} " + " ".join(f"{r['data'].probe * 1000:.0f}" for r in runs[key])
             for key in ("ytf", "ours") if runs.get(key)]
    if not parts:
        return ""
    stolen = [f"{NAMES[key]} " + " ".join(f"{r['data'].steal * 1000:.0f}" for r in runs[key])
              for key in ("ytf", "ours") if runs.get(key)]
    pairs = [f"{NAMES[key]} " + " ".join(f"{r['data'].pair * 1000:.0f}" for r in runs[key])
             for key in ("ytf", "ours") if runs.get(key)]
    memory = [f"{NAMES[key]} " + " ".join(f"{r['data'].memory * 1000:.0f}" for r in runs[key])
              for key in ("ytf", "ours") if runs.get(key)]
    return ("the machine's speed before each data run (ms for a fixed loop, round by round): "
            + "; ".join(parts) + "; the same loop in two processes at once (ms, the slower): "
            + "; ".join(pairs) + "; a copy of 64 MiB in memory (ms): " + "; ".join(memory)
            + "; CPU time the hypervisor took during each data run (ms, both CPUs): "
            + "; ".join(stolen))


def _seconds(value: object) -> str:
    return f"{value:.2f} s" if isinstance(value, float) else "n/a"


def report(runs: dict[str, list[dict[str, RunResult]]], limits: list[dict[str, float]],
           rows: int, cache_rows: int) -> list[dict[str, object]]:
    lines = summarise(runs, limits)
    print(f"\nmedians over {len(runs['ours'])} run(s); rows: {rows:,} "
          f"(cache phase: {cache_rows:,}); ratio = yt-framework / yt-pipeline (>1: we are "
          "faster); limit = the bare work on this machine in the same run (limits.py)")
    print(f"{'phase':<36}{'yt-framework':>13}{'yt-pipeline':>13}{'ratio':>8}{'limit':>10}"
          f"{'x limit':>9}  goal")
    for line in lines:
        ytf, ours, limit = line["ytf"], line["ours"], line["limit"]
        ratio = f"{ytf / ours:.2f}x" if isinstance(ytf, float) and isinstance(ours, float) else "-"
        over = (f"{ours / limit:.2f}" if isinstance(ours, float) and isinstance(limit, float)
                else "-")
        print(f"{line['label']:<36}{_seconds(ytf):>13}{_seconds(ours):>13}{ratio:>8}"
              f"{_seconds(limit) if limit else '-':>10}{over:>9}  {line['goal']}")
    if ceiling := ceiling_note(lines):
        print(ceiling)
    if spread := round_ratios(runs):
        print(spread)
    if speeds := probes(runs):
        print(speeds)
    for key in ("ytf", "ours"):
        peaks = _peaks(runs, key)
        if peaks:
            goal = ""
            if key == "ours":
                goal = f"  goal <= {MEMORY_GOAL_MIB} MiB: " + (
                    "met" if peaks[1] <= MEMORY_GOAL_MIB else "NOT met")
            print(f"peak memory (1), {NAMES[key]:<13} {peaks[0]:6.0f} MiB process tree, "
                  f"{peaks[1]:6.0f} MiB largest process{goal}")
    ours_cached = [r["cached"] for r in runs.get("ours", []) if r["cached"].ok]
    if ours_cached:
        hits = ours_cached[-1].output.count(" CACHED ")
        print(f"(4) yt-pipeline second run: {hits} of {len(pipelines.DATA_STAGES)} stages "
              "served from the cache")
    print("notes: yt-framework has no cache and no parallel stages, so (3) and (4) rerun "
          "everything one after another; its dev map runs one job whatever job_count says.")
    for line in lines:
        if line["failure"]:
            print(f"not measured: {line['label'].strip()}: {line['failure']}")
    return lines


README_START = "<!-- bench/compare: start -->"
README_END = "<!-- bench/compare: end -->"


def readme_table(lines: list[dict[str, object]], runs: dict[str, list[dict[str, RunResult]]],
                 rows: int) -> str:
    """The README's performance table, from this run's figures."""
    out = [README_START,
           f"Medians of {len(runs['ours'])} alternating runs, {rows:,} rows, written by "
           "`python bench/compare/run.py --readme`:", "",
           "| phase | yt-framework | yt-pipeline | ratio | physical limit | goal |",
           "|---|---|---|---|---|---|"]
    for line in lines:
        ytf, ours, limit = line["ytf"], line["ours"], line["limit"]
        ratio = f"{ytf / ours:.2f}x" if isinstance(ytf, float) and isinstance(ours, float) else ""
        label = str(line["label"]).strip()
        out.append(f"| {label} | {_seconds(ytf)} | {_seconds(ours)} | {ratio} | "
                   f"{_seconds(limit) if limit else ''} | {line['goal']} |")
    mib = {key: _peaks(runs, key) for key in ("ytf", "ours")}
    cells = [f"{p[1]:.0f} MiB" if p else "n/a" for p in (mib["ytf"], mib["ours"])]
    met = ("met" if mib["ours"] and mib["ours"][1] <= MEMORY_GOAL_MIB else "NOT met")
    out.append(f"| largest process of (1) | {cells[0]} | {cells[1]} | | | {met} "
               f"(<= {MEMORY_GOAL_MIB} MiB) |")
    if ceiling := ceiling_note(lines):
        out += ["", ceiling[0].upper() + ceiling[1:] + "."]
    if spread := round_ratios(runs):
        out += ["", spread[0].upper() + spread[1:] + "."]
    if speeds := probes(runs):
        out += ["", speeds[0].upper() + speeds[1:] + "."]
    out.append(README_END)
    return "\n".join(out)


def write_readme(readme: Path, table: str) -> None:
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        raise SystemExit(f"{readme}: no {README_START} ... {README_END} markers")
    head, rest = text.split(README_START, 1)
    tail = rest.split(README_END, 1)[1]
    readme.write_text(head + table + tail, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 rows, one repetition")
    parser.add_argument("--rows", type=int, help="rows for the data phase (default 1,000,000)")
    parser.add_argument("--repeat", type=int, help="alternating repetitions (default 3)")
    parser.add_argument("--venv", type=Path, default=HERE / ".venv-ytf")
    parser.add_argument("--ours-venv", type=Path, default=HERE / ".venv-ours",
                        help="where yt-pipeline is installed from wheels for the comparison")
    parser.add_argument("--installed-here", action="store_true",
                        help="measure yt-pipeline as installed in this interpreter instead "
                             "(an editable install pays for its import hooks)")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--readme", action="store_true",
                        help="write the table into README.md (between its bench markers)")
    args = parser.parse_args(argv)
    rows = args.rows or (20_000 if args.quick else 1_000_000)
    repeat = args.repeat or (1 if args.quick else 3)
    cache_rows = max(1_000, rows // 10)

    ours = None if args.installed_here else ours_python(args.ours_venv)
    if ours is None:
        print(f"yt-pipeline as installed for {sys.executable}")
    frameworks = {"ours": Framework("ours", ours or Path(sys.executable), args.work)}
    python = ytf_python(args.venv)
    if python is not None:
        frameworks["ytf"] = Framework("ytf", python, args.work)
    runs: dict[str, list[dict[str, RunResult]]] = {key: [] for key in frameworks}
    measured_limits: list[dict[str, float]] = []
    for index in range(repeat):
        order = sorted(frameworks, reverse=index % 2 == 0)  # alternate who goes first
        for key in order:
            print(f"round {index + 1}/{repeat}: {NAMES[key]} ...", flush=True)
            runs[key].append(one_round(frameworks[key], rows, cache_rows))
        print(f"round {index + 1}/{repeat}: physical limits ...", flush=True)
        measured_limits.append(limits.measure(rows, repeat=1,
                                              python=frameworks["ours"].python))
    lines = report(runs, measured_limits, rows, cache_rows)
    if args.readme:
        write_readme(HERE.parents[1] / "README.md", readme_table(lines, runs, rows))
        print("README.md: performance table written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
