"""The folders sorts keep their sorted runs in, claimed while the sort runs (and, alike,
the folder a YQL query copies its tables' first rows to: yql_duckdb.Executor._sample_of).

A sort of more rows than it holds in memory writes them out in sorted runs (sorting.py),
possibly as large as the table, in a folder of its own. The folder was made beside the
sort's output, in the dev folder of the table's YT folder or in the operation's sandbox: a
run killed in the middle of a sort left it there, and nothing removed it. So each sort's
folder is made in the dev folder's `.sort/` (its name begins with ".", as no YT name's file
does: paths.stored_name), named `<pid>.<start>-<random>`, and claimed by a flock on its
`owner.lock`, held until the sort has removed it. `sweep`, at a run's start and a client's,
removes the folders whose owner is gone: a lock no one holds, or (a process killed before
its lock was in place) no lock and a process that no longer runs. `<start>` is when the
process started, in ticks since boot (yt_pipeline.lock.process_start_ticks, as the run lock
tells its owner): pids are reused, and a later process of the same pid, which kept such a
folder for as long as it ran, is another start. A live sort's folder,
of another process or of another thread of this one, keeps its flock (flock belongs to the
open file, so it keeps threads apart too), as a live transaction's folder does
(recovery.sweep).

The lock file is locked before it takes its name (a rename keeps the open file and its
lock): `owner.lock` present is a held lock until its process ends, so a sweep never takes
the lock of a sort that has made its folder and not locked it yet.

The folder is under the dev folder, on the file system of the tables: what a sort merges
there is renamed over its output (sorted_schema.merge_in).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from yt_pipeline.lock import close_lock_fd, open_lock, pid_alive, process_start_ticks
from yt_pipeline_dev.atomic import make_folder
from yt_pipeline_dev.folder_changes import OWNER_LOCK
from yt_pipeline_dev.owner_gone import owner_gone

SORT_DIR = ".sort"


def sort_area(root: Path) -> Path:
    """Where the sorts of dev root `root` make their folders."""
    return root / SORT_DIR


@contextmanager
def work_folder(area: Path) -> Iterator[Path]:
    """A folder of this sort's own in `area`, claimed while the block runs and removed
    when it ends."""
    make_folder(area)
    pid = os.getpid()
    start = process_start_ticks(pid)
    owner = f"{pid}" if start is None else f"{pid}.{start}"
    folder = Path(tempfile.mkdtemp(prefix=f"{owner}-", dir=area))
    fd = None
    try:
        making = folder / f".{OWNER_LOCK}.making"
        fd = open_lock(making)  # not held by a forked child
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(making, folder / OWNER_LOCK)
        yield folder
    finally:
        # removed under the lock: a sweep meanwhile sees it held
        shutil.rmtree(folder, ignore_errors=True)
        if fd is not None:
            close_lock_fd(fd)


def sweep(root: Path) -> int:
    """Remove the sort folders in dev root `root` whose sort is gone; return how many."""
    area = sort_area(root)
    try:
        folders = list(area.iterdir())
    except OSError:  # no sort ever ran here
        return 0
    removed = 0
    for folder in folders:
        if folder.is_symlink() or not folder.is_dir():
            continue
        with owner_gone(folder, _owner_alive) as gone:
            if gone:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed


def _owner_alive(name: str) -> bool:
    """From the folder's name, `<pid>.<start>-<random>` (`<pid>-<random>` where /proc did
    not tell the start): whether its process still runs."""
    try:
        pid, _, start = name.split("-", 1)[0].partition(".")
        pid_number = int(pid)
        start_ticks = int(start) if start else None
    except ValueError:
        return False
    if not pid_alive(pid_number):
        return False
    if start_ticks is None:
        return True
    now = process_start_ticks(pid_number)
    return now is None or now == start_ticks  # another start: the pid was reused
