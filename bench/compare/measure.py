"""Run one command, timing it and sampling the resident memory of its whole process tree."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                # the command name may hold spaces; the parent pid follows its closing paren
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def tree_rss(root: int) -> int:
    """Bytes resident in `root` and all its descendants, now."""
    tree = _children()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            pass
    return total


@dataclass
class RunResult:
    seconds: float
    peak_rss: int
    returncode: int
    output: str
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run_measured(cmd: list[str], cwd: Path, env: dict[str, str], timings: Path) -> RunResult:
    timings.unlink(missing_ok=True)
    env = {**env, "BENCH_TIMINGS": str(timings)}
    peak = 0
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()), daemon=True)
    reader.start()
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    reader.join()
    phases: dict[str, float] = {}
    if timings.exists():
        for line in timings.read_text().splitlines():
            record = json.loads(line)
            phases[record["phase"]] = record["seconds"]
    output = b"".join(chunks).decode(errors="replace")
    return RunResult(seconds, peak, proc.returncode, output, phases)
