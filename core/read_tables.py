"""The tables a stage's code reads through its client, by whatever name it made them.

A table read by a name built as the stage runs (`read_table("//raw/day_" + day)`) cannot be
in the fingerprint before it runs, so it is recorded as it is read, as a data file is
(opened_files.py): each table the stage's thread reads (`read_table`, `read_columns`, the
input tables of an operation it launches: modes.launch_operation, also one started without
waiting: `carried`) is kept with its fingerprint at the first read, and the next cache check
compares the table's fingerprint then (cache.py). The fingerprint is taken outside the
stage's transaction: it is of the rows as others see them, which the stage read unless it
wrote the table itself (such a table is its own output and is left out).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from yt_pipeline.table_paths import plain

T = TypeVar("T")

#: per recording thread: (how a table's fingerprint is had, {table: fingerprint})
_recording: dict[int, tuple[Callable[[str], str | None], dict[str, str | None]]] = {}


@contextmanager
def recording(fingerprint: Callable[[str], str | None]) -> Iterator[dict[str, str | None]]:
    """Record the tables this thread reads within the block, each with `fingerprint(table)`
    as it was at its first read."""
    found: dict[str, str | None] = {}
    ident = threading.get_ident()
    _recording[ident] = (fingerprint, found)
    try:
        yield found
    finally:
        _recording.pop(ident, None)


def carried(run: Callable[[], T]) -> Callable[[], T]:
    """`run`, its reads recorded with this thread's, in whatever thread it runs: an
    operation started without waiting runs in a thread of its own (submitted.py), and the
    tables it read were left out of the stage's record."""
    entry = _recording.get(threading.get_ident())
    if entry is None:
        return run

    def recorded() -> T:
        ident = threading.get_ident()
        _recording[ident] = entry
        try:
            return run()
        finally:
            _recording.pop(ident, None)

    return recorded


def note(path: str) -> None:
    """A read of `path` (a table path, selectors allowed) begins in this thread."""
    if not _recording:
        return
    entry = _recording.get(threading.get_ident())
    if entry is None:
        return
    fingerprint, found = entry
    table = plain(path)
    if table in found:
        return
    found[table] = None  # a read the fingerprint makes itself is not recorded again
    try:
        # None: no table for others, one the stage made itself
        found[table] = fingerprint(table)
    except Exception:  # noqa: BLE001 - unknown, which no fingerprint equals: the next
        found[table] = UNKNOWN  # cache check runs the stage again


#: kept for a table whose fingerprint could not be had as it was read
UNKNOWN = "unknown"
