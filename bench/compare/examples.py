"""yt-framework's own examples, converted by `yt-pipeline migrate`, against yt-framework.

    python bench/compare/examples.py PATH_TO_YT_FRAMEWORK_CHECKOUT

For each example that runs without a cluster (01-05, 08 with its three configs, 09, 10,
environment_log): run it with yt-framework 1.4 (the venv of run.py), copy it, convert the
copy with `yt-pipeline migrate` (no hand edit), run the copy with `yt-pipeline run .` and
with `python pipeline.py`, and compare the tables each wrote as multisets of rows
(yt-framework keeps a table in `.dev/<last part of its path>.jsonl`, yt-pipeline in
`.dev/<whole path>.jsonl`: each of our tables is matched, by its whole path, with the file
yt-framework kept it in; two of ours with one last part, which yt-framework would have
written to one file, are a difference, as is a table on one side only, or empty on one side
only). 06, 07 and video_gpu need
S3 or a cluster: they are only converted, and what `migrate` reports is shown.

The examples are not on PyPI (the release holds the package only), so this needs a
checkout of the yt-framework repository; it prints the table of the closing note:
example | converted lines | runs | tables equal.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import ytf_python  # noqa: E402

RUNNABLE = [("01_hello_world", []), ("02_multi_stage_pipeline", []),
            ("03_yql_operations", []), ("04_map_operation", []),
            ("05_vanilla_operation", []), ("08_multiple_configs", []),
            ("08_multiple_configs", ["--config", "configs/config_large.yaml"]),
            ("08_multiple_configs", ["--config", "configs/config_custom.yaml"]),
            ("09_multiple_operations", []), ("10_custom_upload", []),
            ("environment_log", [])]
CONVERT_ONLY = ["06_s3_integration", "07_custom_docker", "video_gpu"]


def tables(root: Path) -> dict[str, Counter]:
    """The tables under root/.dev by their YT path (`//tmp/a/b`; yt-framework's by
    `//<last part>`, all it keeps), each as the multiset of its rows."""
    from yt_pipeline_dev.paths import folder_name

    found: dict[str, Counter] = {}
    dev = root / ".dev"
    for path in dev.rglob("*.jsonl") if dev.is_dir() else ():
        parts = path.relative_to(dev).parts
        if any(part.startswith(("sandbox", ".")) for part in parts):
            continue  # job sandboxes and staged writes are not tables
        lines = path.read_text().splitlines()
        yt_path = "//" + "/".join([*map(folder_name, parts[:-1]), path.stem])
        found[yt_path] = Counter(json.dumps(json.loads(x), sort_keys=True) for x in lines if x)
    return found


def last_part(yt_path: str) -> str:
    """Where yt-framework's dev client keeps the table (client_dev._table_basename)."""
    return "//" + yt_path.rstrip("/").split("/")[-1]


def differences(reference: dict[str, Counter], ours: dict[str, Counter]) -> list[str]:
    """What differs between yt-framework's tables and ours, one line each; [] when every
    table has the same rows on both sides (an empty table counts only if empty on both)."""
    by_file: dict[str, list[str]] = {}
    for path in ours:
        by_file.setdefault(last_part(path), []).append(path)
    found = []
    for file, paths in sorted(by_file.items()):
        if len(paths) > 1:
            found.append(f"{', '.join(sorted(paths))}: yt-framework keeps them all in "
                         f"{file[2:]}.jsonl, so they cannot be compared")
            continue
        path = paths[0]
        if file not in reference:
            found.append(f"{path}: only yt-pipeline wrote it ({sum(ours[path].values())} rows)")
        elif reference[file] != ours[path]:
            theirs, mine = sum(reference[file].values()), sum(ours[path].values())
            found.append(f"{path}: rows differ (yt-framework {theirs}, yt-pipeline {mine}"
                         + (", one side empty)" if not (theirs and mine) else ")"))
    for file in sorted(set(reference) - set(by_file)):
        found.append(f"{file}: only yt-framework wrote it "
                     f"({sum(reference[file].values())} rows)")
    return found


def failure_line(stderr: str) -> str:
    """Why a run failed, in one line: yt-pipeline's `error:` line, and the last line of the
    job's stderr it quotes (the job's exception). The last line of all is the resume hint,
    which tells nothing of the cause."""
    lines = stderr.strip().splitlines()
    error = next((line for line in lines if line.startswith("error:")), None)
    if error is None:
        return lines[-1] if lines else ""
    marker = "--- stderr (last lines) ---"
    quoted = lines[lines.index(marker) + 1:] if marker in lines else []
    quoted = [line for line in quoted if line.strip() and not line.startswith("to resume:")]
    return error + (f" | job: {quoted[-1].strip()}" if quoted else "")


def run(command: list[str], cwd: Path) -> tuple[int, str]:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    return done.returncode, failure_line(done.stderr) if done.returncode else ""


def migrate(folder: Path) -> tuple[int, int, str]:
    """(lines changed, exit code, what it reported)."""
    before = {p: p.read_text() for p in folder.rglob("*.py")}
    done = subprocess.run([sys.executable, "-m", "yt_pipeline", "migrate", str(folder)],
                          capture_output=True, text=True)
    changed = 0
    for path, text in before.items():
        old, new = text.splitlines(), path.read_text().splitlines()
        changed += sum(1 for a, b in zip(old, new) if a != b) + abs(len(old) - len(new))
    return changed, done.returncode, done.stderr.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="a clone of GregoryKogan/yt-framework")
    parser.add_argument("--venv", type=Path, default=HERE / ".venv-ytf")
    args = parser.parse_args(argv)
    examples = args.checkout / "examples"
    python = ytf_python(args.venv)
    if python is None or not examples.is_dir():
        print("needs yt-framework installed and its examples/ folder")
        return 2
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for slug, extra in RUNNABLE:
            tag = slug + (" " + " ".join(extra) if extra else "")
            theirs = work / f"ytf-{len(rows)}"
            shutil.copytree(examples / slug, theirs)
            code, last = run([str(python), "pipeline.py", *extra], theirs)
            if code:
                print(f"{tag}: yt-framework itself failed: {last}")
            reference = tables(theirs)
            ours = work / f"ours-{len(rows)}"
            shutil.copytree(examples / slug, ours)
            converted, migrate_code, report = migrate(ours)
            for note in report.splitlines():
                if note.startswith("note:"):  # e.g. job code importing what this Python lacks
                    print(f"{tag} (migrate): {note}")
            outcomes = []
            for how, command in (("run", [sys.executable, "-m", "yt_pipeline", "run", ".",
                                          *extra]),
                                 ("pipeline.py", [sys.executable, "pipeline.py", *extra])):
                shutil.rmtree(ours / ".dev", ignore_errors=True)
                shutil.rmtree(ours / ".runs", ignore_errors=True)
                code, last = run(command, ours)
                differing = differences(reference, tables(ours))
                # a failed run's own error first: its tables are missing for that reason
                outcomes.append((how, code == 0, not differing,
                                 "; ".join(filter(None, [last, *differing]))))
            runs = all(ok for _, ok, _, _ in outcomes)
            equal = all(same for _, _, same, _ in outcomes)
            rows.append((tag, converted, migrate_code, runs, equal, len(reference)))
            for how, ok, same, last in outcomes:
                if not (ok and same):
                    print(f"{tag} ({how}): exit ok={ok} tables equal={same}: {last}")
        for slug in CONVERT_ONLY:
            if not (examples / slug).is_dir():
                continue
            ours = work / slug
            shutil.copytree(examples / slug, ours)
            converted, migrate_code, report = migrate(ours)
            left = [line for line in report.splitlines() if line.startswith("cannot convert")]
            rows.append((slug, converted, migrate_code, None, None, len(left)))
    print("| example | converted lines | migrate exit | runs (run, pipeline.py) | tables equal |")
    print("|---|---|---|---|---|")
    for tag, converted, code, runs, equal, count in rows:
        if runs is None:
            print(f"| {tag} | {converted} | {code} ({count} lines reported) | not run | - |")
        else:
            print(f"| {tag} | {converted} | {code} | {'yes' if runs else 'NO'} | "
                  f"{'yes' if equal else 'NO'} ({count} tables) |")
    return 0 if all(r[3] is not False and r[4] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
