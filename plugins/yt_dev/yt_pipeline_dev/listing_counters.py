"""Whether a dev commit began while a folder was listed.

A listing looks for the markers of the commits that change its folder, waits for those it
finds (tablelock.settle_before_listing, folder_changes.settle_before_using), then lists.
A commit that began after that look made its changes one at a time while the folder was
listed: the listing showed some of the tables the commit made without the others, or one
of the tables it removed gone and the next still there.

So a commit, once all its markers are written and before it changes anything, counts
itself in a counter per folder whose listing it changes, `.dev/.locks/<folder>.listing`, and,
if it removes a folder (and the folders inside it), in one counter of the root, `.gone`:
each counter is a file that grows a byte a commit, never shrinks, and is read with one
stat. A listing reads the counters of its folder before its look and after it has listed,
and lists again when one changed: a commit its look did not find wrote its markers after
the look, so counted itself after the first read and before its first change, which came
before the listing's end, so before the second read. A commit the look found was waited
for. No lock is taken: a lister waiting for one in turn with the table locks it may hold
(a generator of write_table listing a folder) could deadlock.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from pathlib import Path

from yt_pipeline_dev.paths import split_yt_path
from yt_pipeline_dev.tablelock import lock_file

LISTING, GONE = ".listing", ".gone"


def _folder(parts: Iterable[str]) -> str:
    return "//" + "/".join(parts)


def _changed(tables: Iterable[str], removed: Iterable[str],
             created: Iterable[str]) -> set[tuple[str, str]]:
    """The counters (folder, suffix) a commit of `tables` (written or removed) and of its
    folder changes counts itself in."""
    found = {(_folder(split_yt_path(path)[:-1]), LISTING) for path in tables}
    for path in removed:
        # one counter for every removal: a listing would read one per folder holding it
        found |= {("//", GONE), (_folder(split_yt_path(path)[:-1]), LISTING)}
    for path in created:
        # made with its parents (mkdir -p): any folder on its way may list a new one; and
        # itself, which a removal of the same commit may have emptied
        parts = split_yt_path(path)
        found |= {(_folder(parts[:depth]), LISTING) for depth in range(len(parts) + 1)}
    return found


def commit_begins(root: Path, tables: Iterable[str], removed: Iterable[str],
                  created: Iterable[str]) -> None:
    """Before a commit's first change, after its markers: count it in the counters of the
    folders it changes (a byte appended: two commits counting at once both count)."""
    for folder_path, suffix in sorted(_changed(tables, removed, created)):
        _count(root, folder_path, suffix)


def removed_aside(root: Path) -> None:
    """Before files moved aside by a folder's removal (folder_removal.py) are deleted: the
    listings of any folder list again, as after a commit that removes a folder."""
    _count(root, "//", GONE)


def _count(root: Path, folder_path: str, suffix: str) -> None:
    counter = lock_file(root, folder_path, suffix)
    try:
        fd = os.open(counter, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except FileNotFoundError:  # no `.locks` yet: no commit so far
        counter.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(counter, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, b"\n")
    except OSError as exc:
        exc.filename = str(counter)  # os.write names no file: a full disk would not say which
        raise
    finally:
        os.close(fd)


@functools.lru_cache(maxsize=1024)  # every listing reads them twice
def _counters(root: Path, folder_path: str) -> tuple[str, ...]:
    return str(lock_file(root, folder_path, LISTING)), str(lock_file(root, "//", GONE))


def counts(root: Path, folder_path: str) -> tuple[int, ...]:
    """How many commits have changed folder `folder_path` (normal: `//a/b`, `//`) or removed
    a folder so far, as the counters say (-1 for one no commit has made yet)."""
    sizes = []
    for name in _counters(root, folder_path):
        try:
            sizes.append(os.stat(name).st_size)
        except (FileNotFoundError, NotADirectoryError):
            sizes.append(-1)  # no commit changed it yet (or no .locks: no commit at all)
    return tuple(sizes)
