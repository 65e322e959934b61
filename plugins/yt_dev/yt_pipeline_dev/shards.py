"""Splitting JSON-lines files into contiguous shards by byte ranges, without parsing rows.

A shard is a list of segments (file, start, end), fed to a job in order; joining the jobs'
outputs in shard order keeps the order of the input. A segment knows the position of its
table among the operation's inputs, and may carry a header: bytes fed before its range (a
table switch, see table_switches.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import msgspec

_SCAN = 1 << 16


class Segment(msgspec.Struct, frozen=True):
    path: Path
    start: int
    end: int
    table_index: int = 0
    header: bytes = b""


def _next_line_start(path: Path, offset: int, size: int) -> int:
    """The first line start at or after `offset` (a line start is just past a newline)."""
    if offset <= 0:
        return 0
    with path.open("rb") as handle:
        handle.seek(offset - 1)
        position = offset - 1
        while position < size:
            block = handle.read(_SCAN)
            if not block:
                break
            found = block.find(b"\n")
            if found >= 0:
                return position + found + 1
            position += len(block)
    return size


def split_files(paths: Sequence[Path], parts: int,
                sizes: Sequence[int] | None = None) -> list[list[Segment]]:
    """At most `parts` contiguous shards of about equal size, each a whole number of lines,
    of the first `sizes` bytes of `paths` (all of each by default).

    Empty shards are dropped, and an empty input gives none: no job runs, as a cluster
    starts no job for an input without rows (a map's or a reduce's job count is at most the
    input's row count: TUserJobSizeConstraints in yt/yt/server/controller_agent/
    job_size_constraints.cpp).
    """
    if sizes is None:
        sizes = [p.stat().st_size for p in paths]
    shards: list[list[Segment]] = []
    total = sum(sizes)
    if total == 0:
        return []
    cuts = sorted({_align(paths, sizes, total * k // parts) for k in range(parts)} | {total})
    for start, end in zip(cuts, cuts[1:], strict=False):
        if end > start:
            shards.append(_segments(paths, sizes, start, end))
    return shards


def _align(paths: Sequence[Path], sizes: Sequence[int], position: int) -> int:
    base = 0
    for path, size in zip(paths, sizes, strict=True):
        if position < base + size:
            return base + _next_line_start(path, position - base, size)
        base += size
    return base


def _segments(paths: Sequence[Path], sizes: Sequence[int], start: int, end: int) -> list[Segment]:
    segments, base = [], 0
    for index, (path, size) in enumerate(zip(paths, sizes, strict=True)):
        low, high = max(start, base), min(end, base + size)
        if high > low:
            segments.append(Segment(path, low - base, high - base, table_index=index))
        base += size
    return segments


def split_by_groups(path: Path, parts: int, key_of_line: Callable[[bytes], Any]) -> list[Segment]:
    """Shards of a sorted file whose cuts never fall inside a group of equal keys; none for
    an empty file (no rows, no job: split_files)."""
    size = path.stat().st_size
    if size == 0:
        return []
    if parts <= 1:
        return [Segment(path, 0, size)]
    cuts = [0]
    with path.open("rb") as handle:
        for k in range(1, parts):
            cut = _next_line_start(path, max(size * k // parts, cuts[-1]), size)
            cut = _past_group(handle, cut, size, key_of_line)
            if cuts[-1] < cut < size:
                cuts.append(cut)
    cuts.append(size)
    return [Segment(path, a, b) for a, b in zip(cuts, cuts[1:], strict=False)]


def _line_at(handle: Any, offset: int) -> bytes:
    handle.seek(offset)
    return handle.readline()


def _line_before(handle: Any, offset: int) -> bytes:
    """The whole line that ends just before `offset` (a line start)."""
    start = max(0, offset - _SCAN)
    while True:
        handle.seek(start)
        block = handle.read(offset - start)
        found = block.rfind(b"\n", 0, len(block) - 1)
        if found >= 0 or start == 0:
            return block[found + 1 :]
        start = max(0, start - _SCAN)


def _past_group(handle: Any, cut: int, size: int, key_of_line: Callable[[bytes], Any]) -> int:
    if cut <= 0 or cut >= size:
        return cut
    key = key_of_line(_line_before(handle, cut))
    while cut < size:
        line = _line_at(handle, cut)
        if not line or key_of_line(line) != key:
            break
        cut += len(line)
    return cut
