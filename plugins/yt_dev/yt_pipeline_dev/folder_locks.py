"""A write outside any transaction and the removal of a folder above its table take turns.

On a cluster the client writes a table in a transaction of its own, which holds a lock on
the table's folders while it writes (creating a node locks its parent); a `remove` of one
of those folders meanwhile cannot take the folder whole. Here a write makes its rows in a
temporary file beside the table and renames it over the table at the end: a removal of the
folder meanwhile (folder_removal.py) took the temporary file with it and the write failed,
and an append that had copied the table's rows before the removal put them back after it.

So such a write holds a shared flock on the lock file of each folder above its table, from
the first row to the rename, and a removal of a folder outside any transaction holds an
exclusive one on that folder's while it looks for the folder's tables and moves it aside:
the removal waits for the writes going on in the folder, and the writes that come after it
make the folder again (as a cluster's create of a table with `recursive`).
Locks are taken folder by folder from the top, always before a table's lock, so two holders
never wait for each other.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from yt_pipeline.lock import close_lock_fd, open_lock
from yt_pipeline_dev.tablelock import lock_file

SUFFIX = ".folder"


def _folders_above(table: str) -> list[str]:
    """`//a/b/t` -> [`//a`, `//a/b`] (`table` normal)."""
    parts = table[2:].split("/")[:-1]
    return ["//" + "/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]


@contextmanager
def _flocked(root: Path, folders: list[str], mode: int) -> Iterator[None]:
    fds: list[int] = []
    try:
        for folder in folders:
            name = lock_file(root, folder, SUFFIX)
            try:
                fd = open_lock(name)  # not held by a child the stage's code forks
            except FileNotFoundError:  # the first lock of this dev root
                name.parent.mkdir(parents=True, exist_ok=True)
                fd = open_lock(name)
            fds.append(fd)
            fcntl.flock(fd, mode)
        yield
    finally:
        for fd in fds:
            close_lock_fd(fd)  # closing the file releases its flock


def writing_in(root: Path, table: str) -> AbstractContextManager[None]:
    """Held by a write of `table` (normal) outside any transaction."""
    return _flocked(root, _folders_above(table), fcntl.LOCK_SH)


def removing(root: Path, folder: str) -> AbstractContextManager[None]:
    """Held by the removal of `folder` (normal) outside any transaction."""
    return _flocked(root, [folder], fcntl.LOCK_EX)
