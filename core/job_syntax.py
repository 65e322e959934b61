"""Warn about job code a cluster's Python could not parse or run.

Dev runs jobs with the interpreter that runs the pipeline (3.10 or newer), while a stock
cluster image runs them with its bare `python3`, 3.8. A job script using newer syntax
(`match`, `except*`, parenthesised context managers) works here and fails every job of
the operation on the cluster with a SyntaxError. Both backends warn before an operation's
jobs start: dev, so that what works on the laptop is not found broken on the cluster;
prod, so that it is said before the operation waits its turn in the scheduler's queue.
`ast.parse` with `feature_version` finds most of it without running anything. What parses
but is only newer at run time (`str.removeprefix`, `list[int]` in a signature,
`functools.cache`) is found by `job_runtime`, from the same tree.
"""

from __future__ import annotations

import ast
import logging
import threading
from pathlib import Path

from yt_pipeline.job_runtime import describe, newer_at_run_time
from yt_pipeline.operations import OperationSpec

log = logging.getLogger("yt_pipeline.jobs")

#: the python3 of the stock ytsaurus image, which runs jobs on a cluster
CLUSTER_PYTHON = (3, 8)

#: (file, modification time) already checked in this process: each is parsed once
_checked: set[tuple[Path, int]] = set()
_checked_lock = threading.Lock()


def job_files(spec: OperationSpec) -> list[Path]:
    """The operation's job scripts and the Python files of its stage's src/."""
    stage_dir = Path(spec.stage_dir)
    scripts = {stage_dir / s for s in (spec.mapper, spec.reducer, spec.script) if s}
    source = stage_dir / "src"
    helpers = set(source.rglob("*.py")) if source.is_dir() else set()
    return sorted(p for p in scripts | helpers if p.is_file() and p.suffix == ".py")


def newer_syntax(path: Path) -> str | None:
    """Why Python 3.8 could not parse the file (`line N: ...`), or None."""
    problem = _cluster_problem(path)
    return problem[0] if problem is not None and problem[1] == "SyntaxError" else None


def _cluster_problem(path: Path) -> tuple[str, str] | None:
    """(what, the error it raises on Python 3.8) for a file that would fail there, or None."""
    try:
        source = path.read_bytes()
        tree = ast.parse(source, filename=str(path))
    except (OSError, ValueError, SyntaxError):
        return None  # unreadable, or wrong in any Python: the job itself says what is wrong
    try:
        ast.parse(source, filename=str(path), feature_version=CLUSTER_PYTHON)
    except SyntaxError as error:
        matches = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Match)]
        # a match statement is reported at its end; its first line is the one to change
        line = min(matches) if matches and "Pattern matching" in error.msg else error.lineno
        return f"line {line}: {error.msg}", "SyntaxError"
    found = newer_at_run_time(tree)
    if found:
        return "; ".join(describe(found)), "an error as the line runs"
    return None


def warn_newer_syntax(spec: OperationSpec) -> None:
    """Log one warning per job file that Python 3.8 cannot parse or run. An operation with its
    own `docker_image` may run a newer Python, so its files are not checked."""
    if spec.resources.docker_image:
        return
    for path in job_files(spec):
        try:
            seen = (path, path.stat().st_mtime_ns)
        except OSError:
            continue
        with _checked_lock:
            if seen in _checked:
                continue
            _checked.add(seen)
        problem = _cluster_problem(path)
        if problem:
            pipeline_dir = Path(spec.pipeline_dir)
            shown = path.relative_to(pipeline_dir) if path.is_relative_to(pipeline_dir) else path
            log.warning("%s: %s; jobs on a cluster run python3 %d.%d (the stock image's), "
                        "where a job that runs it fails with %s", shown,
                        problem[0], *CLUSTER_PYTHON, problem[1])
