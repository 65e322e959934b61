"""Where start-up time goes: `python -X importtime` of a command, as a median over runs.

Each module's cumulative time (itself and what it imports first) is the median over the
runs, so one slow run on a busy machine does not decide the order. A module imported
inside a function is a top-level row of its own (importtime restarts its tree there).
A module loaded by `importlib.import_module` (the plugins pluggy registers) has no row:
importtime reports only `import` statements, so its own time is missing, while what it
imports shows as top-level rows.
"""

from __future__ import annotations

import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

PREFIX = "import time:"


@dataclass
class ImportRow:
    name: str
    self_us: float
    cumulative_us: float
    #: 0 for a module imported by the command itself or from inside a function
    depth: int


def parse_importtime(stderr: str) -> list[ImportRow]:
    rows = []
    for line in stderr.splitlines():
        if not line.startswith(PREFIX) or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line[len(PREFIX):].split("|", 2)
        # importtime indents a nested import by two spaces after the one separating space
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        rows.append(ImportRow(name.strip(), float(self_us), float(cumulative_us), depth))
    return rows


def profile(cmd: list[str], runs: int, env: dict[str, str], cwd: Path | None = None
            ) -> list[ImportRow]:
    """Median rows of `cmd` (a Python command line: -X importtime is added after the
    interpreter) over `runs` runs; a module missing from a run counts as absent there."""
    seen: dict[str, list[ImportRow]] = {}
    for _ in range(runs):
        done = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], cwd=cwd, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              check=True)
        for row in parse_importtime(done.stderr):
            seen.setdefault(row.name, []).append(row)
    return [
        ImportRow(name, statistics.median(r.self_us for r in rows),
                  statistics.median(r.cumulative_us for r in rows), rows[0].depth)
        for name, rows in seen.items() if len(rows) * 2 > runs
    ]


def top_rows(rows: list[ImportRow], count: int) -> list[str]:
    """The `count` slowest modules by cumulative time, one line each."""
    ranked = sorted(rows, key=lambda r: r.cumulative_us, reverse=True)[:count]
    return [
        f"{r.cumulative_us / 1000:7.1f} ms cumulative {r.self_us / 1000:6.1f} ms self  "
        f"{'*' if r.depth == 0 else ' '} {r.name}"
        for r in ranked
    ]
