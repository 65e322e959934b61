"""Which definition a function-step pipeline's state belongs to.

A function-step pipeline's state (`state.<name>.<mode>.yml`, `.runs/stages.<name>.<mode>.json`)
is keyed by its name only. Two scripts that make a `Pipeline` of one name in one folder
would read each other's SUCCESS entries: a `resume=True` run of the second skips its steps
of the same names and hands on the values the first one's steps returned. So each run keeps
beside the state the file that made the pipeline, and its steps
(`.runs/definition.<name>.<mode>.json`). A later run from another file, while that one still
exists and the state is there, is refused before anything runs. Editing the script (steps
added, removed, renamed) keeps the file, so it goes on with its state; a script moved or
renamed leaves no file behind and takes the state over.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from yt_pipeline.errors import ConfigError
from yt_pipeline.journal import RUNS_DIR
from yt_pipeline.yamlio import write_file_atomic


def record_path(folder: Path, state_name: str) -> Path:
    return folder / RUNS_DIR / f"definition.{state_name}.json"


def check_definition(folder: Path, state_name: str, definition: dict[str, Any],
                     *, write: bool) -> None:
    """Refuse the run when the state belongs to a pipeline another file defines; else
    (`write`) record this definition as the state's owner."""
    path = record_path(folder, state_name)
    state_file = folder / f"state.{state_name}.yml"
    recorded = _read(path) if state_file.exists() else None
    mine, theirs = definition.get("file"), (recorded or {}).get("file")
    if (isinstance(theirs, str) and mine and theirs != mine
            and (folder / theirs).is_file() and (folder / mine).is_file()):
        raise ConfigError(
            f"belongs to a pipeline of the same name made in {theirs} "
            f"({_steps(recorded)}), not this one made in {mine} ({_steps(definition)}): give "
            f"one of them another name (or delete {state_file.name} to start this one over)",
            file=state_file)
    if write and recorded != definition:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_file_atomic(path, json.dumps(definition, indent=1) + "\n")


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # no record (an older version, or a damaged one): nothing to compare
    return data if isinstance(data, dict) else None


def _steps(definition: dict[str, Any] | None) -> str:
    steps = (definition or {}).get("steps")
    names = [str(s) for s in steps] if isinstance(steps, list) else []
    return "steps " + ", ".join(names) if names else "no steps recorded"


def calling_file(folder: Path) -> str | None:
    """The file of the code that called into yt_pipeline (the script making a Pipeline),
    relative to the pipeline's folder when it is in it (a copy of the folder is a pipeline
    of its own script); None when it is no file on disk (an interactive session)."""
    package = Path(__file__).parent
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if not Path(name).is_relative_to(package):
            path = Path(name).resolve()
            if not path.is_file():
                return None
            return path.relative_to(folder).as_posix() if path.is_relative_to(folder) \
                else str(path)
        frame = frame.f_back
    return None
