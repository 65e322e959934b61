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

from yt_pipeline.job_runtime import newer_at_run_time
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
    """Why Python 3.8 could not parse the file (`line N: ...`, each problem), or None."""
    found = [f"line {line}: {what}" for line, what, error in cluster_problems(path)
             if error == SYNTAX_ERROR]
    return "; ".join(found) or None


#: how a problem fails on Python 3.8: the whole file, or the line as it runs
SYNTAX_ERROR = "SyntaxError"
RUN_TIME_ERROR = "an error as the line runs"
#: the most syntax problems looked for in one file (each costs a parse)
_MOST_SYNTAX_PROBLEMS = 50


def cluster_problems(path: Path) -> list[tuple[int, str, str]]:
    """(line, what, how it fails) for each use in the file that Python 3.8 cannot parse or
    run, in line order: all of them, so that fixing one does not reveal the next."""
    try:
        source = path.read_bytes().decode("utf-8")
        tree = ast.parse(source, filename=str(path))
    except (OSError, ValueError, SyntaxError):
        return []  # unreadable, or wrong in any Python: the job itself says what is wrong
    found = [(line, what, SYNTAX_ERROR) for line, what in _syntax_problems(source, tree, path)]
    found += [(line, what, RUN_TIME_ERROR) for line, what in newer_at_run_time(tree)]
    return sorted(found)


def _syntax_problems(source: str, tree: ast.Module, path: Path) -> list[tuple[int, str]]:
    """(line, message) of each statement Python 3.8 cannot parse. Its parser stops at the
    first, so each one found is replaced by `pass` (the line count kept, so the lines of
    the tree still hold) and the file parsed again."""
    lines = source.splitlines(keepends=True)
    found: list[tuple[int, str]] = []
    for _ in range(_MOST_SYNTAX_PROBLEMS):
        try:
            ast.parse("".join(lines), filename=str(path), feature_version=CLUSTER_PYTHON)
            break
        except SyntaxError as error:
            node = _statement_at(tree, error.lineno or 0, error.msg)
            # a match statement is reported at its end; its first line is the one to change
            line = _first_line(node) if node is not None else error.lineno or 0
            if (line, error.msg) in found or node is None:
                found.append((line, error.msg))
                break
            found.append((line, error.msg))
            start, end = _first_line(node), node.end_lineno or node.lineno
            indent = " " * node.col_offset
            lines[start - 1:end] = [f"{indent}pass\n"] + ["\n"] * (end - start)
    return sorted(set(found))


#: statements newer than 3.8 by the start of the parser's message about them, which it
#: gives at the line after their end, or their last line at the end of the file
_REPORTED_AFTER = {"Pattern matching": "Match", "Exception groups": "TryStar",
                   "Parenthesized context managers": "With"}


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno] + [d.lineno for d in decorators])


def _statement_at(tree: ast.Module, line: int, message: str) -> ast.stmt | None:
    """The statement to blank for an error at `line`: the match, try/except* or with
    statement the error is about (the last to end before it), else the innermost
    statement holding the line."""
    for start, name in _REPORTED_AFTER.items():
        kind = getattr(ast, name, None)
        if message.startswith(start) and kind is not None:
            ended = [node for node in ast.walk(tree) if isinstance(node, kind)
                     and (node.end_lineno or 0) <= line]
            if ended:
                return max(ended, key=lambda node: (node.end_lineno or 0, -_first_line(node)))
    holding = [node for node in ast.walk(tree) if isinstance(node, ast.stmt)
               and _first_line(node) <= line <= (node.end_lineno or node.lineno)]
    if not holding:
        return None
    return max(holding, key=lambda node: (_first_line(node), -(node.end_lineno or 0)))


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
        problems = cluster_problems(path)
        if problems:
            pipeline_dir = Path(spec.pipeline_dir)
            shown = path.relative_to(pipeline_dir) if path.is_relative_to(pipeline_dir) else path
            each = "; ".join(f"{shown}:{line}: {what}" for line, what, _ in problems)
            errors = " or ".join(sorted({error for _, _, error in problems}))
            log.warning("%s; jobs on a cluster run python3 %d.%d (the stock image's), where a "
                        "job that runs this code fails with %s", each, *CLUSTER_PYTHON, errors)
