"""A folder removed outside any transaction goes in one step, as on a cluster.

On a cluster, `remove` of a map_node (recursive) is one Cypress operation: a reader sees
the whole subtree or none of it. Deleted file by file here, a listing racing the removal
showed some of the folder's tables gone and the others still there, and `exists` answered
false for one table and then true for the next.

So the folder is first moved, with one rename, to `.dev/.removed/<time>-<pid>-<number>`,
where no reader looks (a listing skips `.`-named files), and deleted there. Killed before
the rename, the folder is whole; after it, gone: what is left in `.removed` is garbage the
next run's sweep (recovery.py) deletes. A listing that opened the
folder before the rename reads on in the moved folder while its files are deleted: the
removal counts itself in the listing counters (listing_counters.py) after the rename and
before any deletion, so that listing lists again, and finds the folder gone.
"""

from __future__ import annotations

import itertools
import os
import shutil
import time
from pathlib import Path

from yt_pipeline.crashpoints import crash_point
from yt_pipeline_dev import listing_counters

REMOVED_DIR = ".removed"
_numbers = itertools.count()


def remove_folder(root: Path, where: Path) -> None:
    """Remove the folder at `where` (under `root`), readers seeing it whole or gone.
    FileNotFoundError when it is gone already."""
    aside = root / REMOVED_DIR / f"{time.time_ns()}-{os.getpid()}-{next(_numbers)}"
    aside.parent.mkdir(exist_ok=True)
    os.rename(where, aside)
    crash_point("dev: folder moved aside")
    listing_counters.removed_aside(root)
    shutil.rmtree(aside, ignore_errors=True)


def clean(root: Path) -> int:
    """Delete what removals killed after their rename left in `.removed`; how many."""
    try:
        left = os.listdir(root / REMOVED_DIR)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    if left:
        listing_counters.removed_aside(root)
    for name in left:
        shutil.rmtree(root / REMOVED_DIR / name, ignore_errors=True)
    return len(left)
