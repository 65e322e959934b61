"""Shared pieces of the adversarial kill tests (test_adversarial_*.py): running a pipeline as
its own process group, killing it, and reading every table of `.dev` as multisets of rows."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from warm_bytecode import bytecode_env


def seeded(seed: int | str) -> random.Random:
    """The random draws of a trial series seeded `seed`. `YTP_ADV_SEED=<text>` mixes in
    other text, so a campaign can draw trials no run has drawn yet; unset, the series are
    those every run so far has drawn (a failure names the series and its trial)."""
    extra = os.environ.get("YTP_ADV_SEED")
    return random.Random(f"{seed}/{extra}" if extra else seed)


def command(root: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "yt_pipeline", "run", str(root), *extra]


def start(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
          ) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, **bytecode_env(), **(env or {})},
                            cwd=cwd)


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


def interrupt(root: Path, env: dict[str, str], rng: random.Random, how: str,
              reference: dict, *extra: str, jobs: Callable[[int], list[int]]) -> str:
    """Run `root` (with `extra` options) and interrupt it `how` (the kill campaigns' ways:
    a crash point, SIGKILL early or at any time, Ctrl-C, SIGTERM, or a job killed, one of
    `jobs(pid)` of the run); what was done. `reference` gives the run's crash points and
    its uninterrupted duration."""
    if how == "point":  # a resume passes its first points as it finishes the killed commits
        at = rng.randint(1, 12 if extra == ("--resume",) and rng.random() < 0.5
                         else reference["points"])
        code, _ = finish(start(command(root, *extra), env={**env, "YTP_CRASH_AT": str(at)}))
        return f"crash point {at} -> exit {code}"
    process = start(command(root, *extra), env=env)
    delay = rng.uniform(0.3, 1.2 if how == "early" else reference["elapsed"])
    if how == "jobkill":  # the first job seen running after `delay` is killed, as by OOM
        deadline, killed = time.monotonic() + delay, False
        while process.poll() is None and not killed:
            running = jobs(process.pid)
            if running and time.monotonic() > deadline:
                try:
                    os.kill(rng.choice(running), signal.SIGKILL)
                    killed = True
                except ProcessLookupError:
                    pass
            time.sleep(0.01)
        code, _ = finish(process)
        return f"a job killed after {delay:.2f}s ({killed}) -> exit {code}"
    time.sleep(delay)
    try:
        if how in ("kill", "early"):
            os.killpg(process.pid, signal.SIGKILL)
        elif how == "int":  # a terminal sends Ctrl-C to its foreground group
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGTERM)
    except ProcessLookupError:
        pass
    code, _ = finish(process)
    return f"{how} after {delay:.2f}s -> exit {code}"
