"""Table files known to hold one JSON row a line, so that they are read without the check.

Reading a block of a table checks that its newlines and its values match (ytjobs.codec),
which is a tenth of the cost of reading it: the check is there for a file no writer of dev
vouches for (edited by hand, copied in). A writer that made every line of a table file
itself (write_table, an operation whose every job's output was checked, the rows of a
table that was vouched for and more of them) vouches for the file it wrote: an empty file
named by the file's identity (device, inode, size, modification time in ns) under
.dev/.cache/whole_lines. Every write to a table replaces its file or appends to it, so a
file changed since (by dev or anything else) has another identity and is checked again. (The
kernel stamps a file's time from a clock that moves every few milliseconds: a rewrite in
place at the same size within that time of the write would go unseen, as it would by the
other caches keyed by a file's identity, yql_schema's.)

Marks older than a week are removed now and then; a table they vouched for is then only
read as any other, with the check.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

MARKS_DIR = Path(".cache") / "whole_lines"
#: marks older than this are removed (a table read after that is checked again)
MAX_AGE_S = 7 * 24 * 3600
#: one mark in this many looks for old ones to remove
PRUNE_EVERY = 64


def _name(status: os.stat_result) -> str:
    return f"{status.st_dev}-{status.st_ino}-{status.st_size}-{status.st_mtime_ns}"


def vouch(root: Path, table_file: Path) -> None:
    """Record that `table_file`, as it is now, holds one JSON row a line and no blank line.
    Called once the file is written whole and closed; a mark that cannot be written only
    costs the next read its check."""
    folder = root / MARKS_DIR
    try:
        status = table_file.stat()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / _name(status)).touch()
    except OSError:
        return
    if status.st_ino % PRUNE_EVERY == 0:
        _prune(folder)


def vouched(root: Path, status: os.stat_result) -> bool:
    """True when a file of this identity (an os.stat or os.fstat of it) was vouched for."""
    return (root / MARKS_DIR / _name(status)).exists()


def vouched_file(root: Path, table_file: Path | None) -> bool:
    try:
        return table_file is not None and vouched(root, table_file.stat())
    except OSError:
        return False


def _prune(folder: Path) -> None:
    oldest = time.time() - MAX_AGE_S
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.stat().st_mtime < oldest:
                os.unlink(entry.path)
        except OSError:
            continue  # removed by another run meanwhile
