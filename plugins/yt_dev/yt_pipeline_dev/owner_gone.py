"""Whether the process that claimed a dev work folder is gone: the one test of the sweeps
of transactions' folders (recovery.sweep) and of sorts' (sort_work.sweep).

Such a folder is claimed by a flock on its `owner.lock` (folder_changes.OWNER_LOCK), held
for as long as its owner uses it. Its owner is gone when the lock can be taken; a folder
without the lock file (its owner killed between making the folder and locking it, or in the
middle of removing it) has the owner its name tells, alive or not.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from yt_pipeline.lock import close_lock_fd, open_lock
from yt_pipeline_dev.folder_changes import OWNER_LOCK


@contextmanager
def owner_gone(folder: Path, alive_by_name: Callable[[str], bool]) -> Iterator[bool]:
    """True when `folder`'s owner is gone: its lock taken, or without a lock file, its
    process (`alive_by_name(folder.name)`) no longer running. The lock taken is held until
    the block ends, so no one claims the folder while the caller removes it."""
    try:
        fd = open_lock(folder / OWNER_LOCK, os.O_RDWR)  # not kept by a forked child
    except OSError:
        yield not alive_by_name(folder.name)
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False  # its owner runs now
            return
        yield True
    finally:
        close_lock_fd(fd)
