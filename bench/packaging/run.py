"""Packaging a large pipeline: 2,000 source files of about 10 KiB each (~20 MiB).

Measures the uploader's `package_code` cold (a fresh interpreter: the first build, with
its imports) and warm (further builds in the same process), and the whole
`yt-pipeline package` command; prints wall time, archive size and files per second, beside
`tar -czf` of the same folder (the plain alternative, measured in the same run).

    python bench/packaging/run.py [--files 2000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGES = 4
FILE_SIZE = 10 * 1024

MEASURE = r"""
import json, sys, time
started = time.perf_counter()
from yt_pipeline.config import load_config
from yt_pipeline.pipeline import DefaultPipeline
pipeline = DefaultPipeline(config=load_config(sys.argv[1]))
loaded = time.perf_counter()
times = []
for _ in range(int(sys.argv[2]) + 1):
    begun = time.perf_counter()
    package = pipeline.package_code()
    times.append(time.perf_counter() - begun)
print(json.dumps({"load": loaded - started, "times": times, "size": package.size,
                  "files": package.file_count, "hash": package.content_hash}))
"""


def source_text(rng: random.Random, vocabulary: list[str]) -> str:
    lines, size = [], 0
    while size < FILE_SIZE:
        line = rng.choice(vocabulary)
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines) + "\n"


def make_vocabulary(rng: random.Random) -> list[str]:
    words = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz_", k=rng.randint(3, 12)))
             for _ in range(3000)]
    templates = [
        "    {0} = {1}({2}, {3})",
        "def {0}({1}, {2}=None):",
        "        if {0} is not None and {1} > {2}:",
        "    return [{0} for {1} in {2} if {3}]",
        "# {0} {1} {2} {3}",
        "from {0}.{1} import {2}",
        "        {0}[{1!r}] = {2}.{3}()",
    ]
    return [rng.choice(templates).format(*rng.sample(words, 4)) for _ in range(20000)]


def generate(root: Path, total_files: int) -> int:
    """A pipeline whose files are split between stage code, an uploaded package and an
    uploaded data folder; returns the bytes written."""
    rng = random.Random(20240607)
    vocabulary = make_vocabulary(rng)
    per_stage = total_files // (2 * STAGES)
    in_package = total_files // 4
    in_data = total_files - per_stage * STAGES - in_package
    written = 0

    def write(path: Path, text: str | None = None) -> None:
        nonlocal written
        text = source_text(rng, vocabulary) if text is None else text
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written += len(text)

    names = [f"stage{i}" for i in range(STAGES)]
    for name in names:
        stage = root / "stages" / name
        write(stage / "stage.py", "from yt_pipeline import BaseStage\n\n\n"
              f"class S{name}(BaseStage):\n    def run(self, debug):\n        return debug\n")
        write(stage / "config.yaml", "client: {}\n")
        write(stage / "src" / "mapper.py")
        for index in range(per_stage - 1):
            write(stage / "src" / f"part{index // 50}" / f"mod{index}.py")
    for index in range(in_package):
        write(root / "biglib" / f"sub{index // 100}" / f"mod{index}.py")
    write(root / "biglib" / "__init__.py", "")
    for index in range(in_data):
        write(root / "data" / f"chunk{index // 100}" / f"rows{index}.txt")
    config = {
        "pipeline": {"mode": "dev", "upload_modules": ["biglib"], "upload_paths": ["data"]},
        "stages": {"enabled_stages": names},
    }
    (root / "configs").mkdir()
    (root / "configs" / "config.yaml").write_text(json.dumps(config))  # JSON is valid YAML
    return written


def timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5, help="warm builds to take the median of")
    args = parser.parse_args()
    exe = shutil.which("yt-pipeline") or str(Path(sys.executable).parent / "yt-pipeline")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "big_pipeline"
        written = generate(root, args.files)
        done = subprocess.run([sys.executable, "-c", MEASURE, str(root), str(args.runs)],
                              check=True, capture_output=True, text=True)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        command = statistics.median(timed([exe, "package", str(root)]) for _ in range(3))
        tar_time = statistics.median(
            timed(["tar", "-czf", str(Path(tmp) / "plain.tar.gz"), "-C", str(root),
                   "stages", "biglib", "data"])
            for _ in range(3)
        )
        tar_size = (Path(tmp) / "plain.tar.gz").stat().st_size

    cold, warm = figures["times"][0], statistics.median(figures["times"][1:])
    files, size = figures["files"], figures["size"]
    print(f"pipeline: {args.files} source files, {written / 2**20:.1f} MiB "
          f"(archive holds {files} files with ytjobs and wrappers)")
    print(f"{'':28}{'wall':>9}{'files/s':>10}{'archive':>11}")
    print(f"{'package_code, cold':28}{cold:>8.2f}s{files / cold:>10.0f}{size / 2**20:>8.2f} MiB")
    print(f"{'package_code, warm (median)':28}{warm:>8.2f}s{files / warm:>10.0f}"
          f"{size / 2**20:>8.2f} MiB")
    print(f"{'yt-pipeline package':28}{command:>8.2f}s{files / command:>10.0f}"
          f"{size / 2**20:>8.2f} MiB")
    print(f"{'tar -czf (alternative)':28}{tar_time:>8.2f}s{args.files / tar_time:>10.0f}"
          f"{tar_size / 2**20:>8.2f} MiB")
    print(f"pipeline load before the first build: {figures['load']:.2f}s; "
          f"archive sha256 {figures['hash'][:16]}")


if __name__ == "__main__":
    main()
