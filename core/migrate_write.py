"""Writing what `yt-pipeline migrate` changed, all or nothing.

A pipeline left with half its files converted runs neither on yt-framework nor here, and a
second `migrate` could not tell what the first one did; so each file's new text is first
written beside it in a temporary file, and only when all of them are written (and each
original is kept under ORIGINALS) are they renamed over the files. A failure before the
renames removes the temporary files and the copies this run made; a failure among the
renames (rare: the disk is already written) puts back the files already renamed, from the
text they had.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yt_pipeline.migrate import FileChange


def _keep_originals(changes: Sequence[FileChange], root: Path, originals: str) -> list[Path]:
    """Copy each file as it was under `root/originals` (a copy there from an earlier run
    is the older one and stays); the copies made now, for an undo."""
    made: list[Path] = []
    try:
        for change in changes:
            kept = root / originals / change.path.relative_to(root)
            if not kept.exists():
                kept.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(change.path, kept)
                made.append(kept)
    except BaseException:
        _remove(made)
        raise
    return made


def _staged(change: FileChange) -> Path:
    """The new text in a temporary file beside the file, with the file's permissions."""
    path = change.path
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".migrate", dir=path.parent)
    try:
        os.fchmod(fd, path.stat().st_mode & 0o7777)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(change.after)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException as error:
        os.unlink(name)
        if isinstance(error, OSError) and error.filename is None:
            error.filename = str(path)  # a full disk names no file by itself
        raise
    return Path(name)


def _remove(paths: Sequence[Path]) -> None:
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def write_all(changes: Sequence[FileChange], root: Path, originals: str) -> int:
    """Write every changed file or none; the number written."""
    changed = [c for c in changes if c.changed]
    made = _keep_originals(changed, root, originals)
    staged: list[Path] = []
    try:
        for change in changed:
            staged.append(_staged(change))
    except BaseException:
        _remove(staged)
        _remove(made)
        raise
    renamed: list[FileChange] = []
    try:
        for change, temporary in zip(changed, staged):
            os.replace(temporary, change.path)
            renamed.append(change)
    except BaseException:
        _remove(staged[len(renamed):])
        for change in renamed:
            from yt_pipeline.yamlio import write_file_atomic

            write_file_atomic(change.path, change.before, newline="",
                              mode=change.path.stat().st_mode & 0o7777)
        _remove(made)
        raise
    return len(changed)
