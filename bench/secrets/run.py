"""What secrets in configs/secrets.env cost a run: the hello-world pipeline run whole, with
no secrets, with two ordinary ones (a 42-character token and a password) and with a 2.2 KB
PEM key, and the masking of a failed job's error (a 16 KB stderr tail) beside it.

Prints the median wall time and the largest resident memory of each, beside the run without
secrets measured in the same run (the floor: a run that masks nothing). Masking used to
compile a line-break pattern for every form of every secret before looking for the form:
with the PEM key a hello-world run took 17.4 s and 491 MB, with the two ordinary secrets
0.43 s against 0.16 s now.

    python bench/secrets/run.py [--runs 7]
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PEM = ("-----BEGIN PRIVATE KEY-----\n"
       + "\n".join(textwrap.wrap(base64.b64encode(bytes(range(256)) * 6).decode(), 64))
       + "\n-----END PRIVATE KEY-----")
SECRETS = {
    "no secrets": "",
    "two ordinary secrets": ('API_TOKEN=sk-live-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\n'
                             'DB_PASSWORD="p@ss w0rd-9876"\n'),
    "a 2.2 KB PEM key": 'SIGNING_KEY="' + PEM.replace("\n", "\\n") + '"\n',
}
# as a user's machine runs: with bytecode caching
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
#: a failed job's error, masked as the dev launcher masks it (masked_tails.read_masked_end)
TAIL = """
import sys, time
from yt_pipeline.masked_tails import masked_end
from yt_pipeline.config import load_config
from yt_pipeline.secret_forms import all_forms
config = load_config(sys.argv[1])
forms = all_forms(config.secret_values())
data = (b"a log line of a job that went on for a while, number 0123456789\\n" * 300)
started = time.perf_counter()
masked_end(data, 16 * 1024, forms, whole=True)
print(time.perf_counter() - started)
"""


def pipeline(root: Path, secrets: str) -> Path:
    (root / "configs").mkdir(parents=True)
    (root / "stages/hello").mkdir(parents=True)
    (root / "configs/config.yaml").write_text(
        "stages:\n  enabled_stages: [hello]\npipeline:\n  mode: dev\n")
    if secrets:
        (root / "configs/secrets.env").write_text(secrets)
        (root / "configs/secrets.env").chmod(0o600)
    (root / "stages/hello/stage.py").write_text(
        "from yt_pipeline import BaseStage\n\n\nclass Hello(BaseStage):\n"
        "    def run(self, debug):\n"
        "        self.deps.yt_client.write_table('//tmp/hello', [{'greeting': 'hi'}])\n"
        "        self.logger.info('wrote the greeting')\n        return debug\n")
    return root


def one_run(root: Path) -> float:
    """Seconds of one run of `root`, from a folder without what the last run left."""
    for left in (".dev", ".runs", ".build"):
        shutil.rmtree(root / left, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root)], env=ENV,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ytp-bench-secrets-") as scratch:
        roots = {name: pipeline(Path(scratch, f"p{index}"), text)
                 for index, (name, text) in enumerate(SECRETS.items())}
        times: dict[str, list[float]] = {name: [] for name in roots}
        for _ in range(args.runs):  # the cases in turn, so a drift of the machine hits all
            for name, root in roots.items():
                times[name].append(one_run(root))
        floor = statistics.median(times["no secrets"])
        print(f"hello world, median of {args.runs} runs each, the cases in turn:")
        for name, root in roots.items():
            median = statistics.median(times[name])
            # ru_maxrss of the children is the largest of any so far: each case alone
            peak = subprocess.run(
                [sys.executable, "-c", "import resource, subprocess, sys; "
                 "subprocess.run([sys.executable, '-m', 'yt_pipeline', 'run', sys.argv[1]], "
                 "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True); "
                 "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)", str(root)],
                env=ENV, capture_output=True, text=True, check=True).stdout.strip()
            tail = subprocess.run([sys.executable, "-c", TAIL, str(root)],
                                  env=ENV, capture_output=True, text=True, check=True)
            print(f"  {name:<22} {median:6.3f} s ({median - floor:+.3f} s over no secrets), "
                  f"largest process {int(peak) / 1024:5.0f} MiB, a failed job's 16 KB tail "
                  f"masked in {float(tail.stdout) * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
