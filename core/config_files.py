"""What is wrong with a configuration file that is there but is no file to read: a folder,
a link to nothing, a link that leads back to itself. Said in the error instead of taking the
file for missing (a stage would run with no settings; a pipeline would be told it is no
pipeline folder) or failing on the loop with a bare exception."""

from __future__ import annotations

import errno
import os
from pathlib import Path


def unreadable_reason(path: Path) -> str | None:
    """Why `path` cannot be read as a file though something is there; None when it is a
    file, and when nothing is there at all (each caller decides what a missing file means)."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a link that leads back to itself: point it at a file"
        if not path.is_symlink():
            return None  # nothing there
        target = os.readlink(path)
        return f"a link to {target}, which does not exist: point it at a file, or remove it"
    if path.is_dir():
        return "is a folder, not a file"
    if not path.is_file():
        return "is not a regular file"
    return None
