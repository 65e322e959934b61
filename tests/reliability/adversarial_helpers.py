"""Shared pieces of the adversarial kill tests (test_adversarial_*.py): running a pipeline as
its own process group, killing it, and reading every table of `.dev` as multisets of rows."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path


def command(root: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "yt_pipeline", "run", str(root), *extra]


def start(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
          ) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, **(env or {})}, cwd=cwd)


def finish(process: subprocess.Popen, timeout: float = 300) -> tuple[int, str]:
    out, err = process.communicate(timeout=timeout)
    try:
        os.killpg(process.pid, signal.SIGKILL)  # jobs a killed driver left running
    except ProcessLookupError:
        pass
    return process.returncode, (out or "") + (err or "")


def crash_points(count_file: Path) -> list[str]:
    if not count_file.exists():
        return []
    return [line.split(" ", 1)[1] for line in count_file.read_text().splitlines()]


def reference_points(root: Path) -> list[str]:
    """Run the pipeline at `root` to its end once, counting the crash points it passes
    (YTP_CRASH_COUNT, in a file beside the folder); the points, in order. The run must
    succeed: the caller then checks its rows as it checks a killed run's."""
    count = root.parent / "points"
    code, out = finish(start(command(root), env={"YTP_CRASH_COUNT": str(count)}))
    assert code == 0, out
    return crash_points(count)


def tables(dev: Path) -> dict[str, Counter]:
    """Every table under `dev` by its path, as a multiset of rows (keys sorted). A line that
    is not a whole JSON row is kept as `BROKEN:<text>` so a comparison shows it."""
    found: dict[str, Counter] = {}
    if not dev.is_dir():
        return found
    for path in dev.rglob("*.jsonl"):
        relative = path.relative_to(dev)
        if relative.parts[0].startswith(".") or "sandbox" in str(relative):
            continue
        rows: Counter = Counter()
        data = path.read_bytes()
        for line in data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n"):
            if not line and not data:
                continue
            try:
                rows[json.dumps(json.loads(line), sort_keys=True)] += 1
            except ValueError:
                rows["BROKEN:" + line.decode(errors="replace")] += 1
        if data and not data.endswith(b"\n"):
            rows["NO-FINAL-NEWLINE"] += 1
        found["//" + str(relative)[: -len(".jsonl")]] = rows
    return found


def differences(got: dict[str, Counter], want: dict[str, Counter]) -> list[str]:
    problems = []
    for name in sorted(set(got) | set(want)):
        have, expect = got.get(name, Counter()), want.get(name, Counter())
        if name not in got:
            problems.append(f"{name} missing")
        elif name not in want:
            problems.append(f"{name} unexpected ({sum(have.values())} rows)")
        elif have != expect:
            lost, extra = expect - have, have - expect
            problems.append(f"{name}: {sum(lost.values())} rows lost "
                            f"{list(lost)[:3]}, {sum(extra.values())} extra {list(extra)[:3]}")
    return problems


def row(**values) -> str:
    return json.dumps(values, sort_keys=True)
