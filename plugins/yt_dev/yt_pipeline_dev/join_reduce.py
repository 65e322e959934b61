"""A reduce's foreign tables in dev: each job's input written to a file of its own, joined
as a cluster's joining reader joins it (yt_pipeline.join_rows, which the fake YT proxy
shares), with the table switches of its runs of one table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from yt_pipeline.join_rows import join_items
from yt_pipeline_dev.shards import Segment
from yt_pipeline_dev.sorting import MERGE_CHECK_LINES, SortStopped

_BLOCK = 1 << 20


def segment_lines(segments: Sequence[Segment]) -> Iterator[tuple[int, bytes]]:
    """(table index, line) of each line in the segments, in order."""
    for segment in segments:
        with segment.path.open("rb") as handle:
            handle.seek(segment.start)
            left, tail = segment.end - segment.start, b""
            while left > 0:
                block = handle.read(min(_BLOCK, left))
                if not block:
                    break
                left -= len(block)
                *lines, tail = (tail + block).split(b"\n")
                for line in lines:
                    yield segment.table_index, line
            if tail:
                yield segment.table_index, tail


def file_lines(path: Path) -> Iterator[bytes]:
    yield from (line for _, line in segment_lines([Segment(path, 0, path.stat().st_size)]))


def write_joined(primary: Iterator[tuple[int, bytes]], foreign: Sequence[tuple[int, Path]],
                 key_of: Callable[[bytes], Any], target: Path,
                 stopped: Callable[[], bool] | None = None) -> list[tuple[int, int]]:
    """Write one job's input to `target`: its primary lines (sorted by sort_by, which starts
    with join_by), each join_by key's with that key's foreign lines (join_rows.join_items).
    `foreign` holds each foreign table's index and its file sorted by join_by. Returns
    (offset, table index) where each stretch of one table's lines starts (the runs
    table_switches reads). `stopped()` is asked every MERGE_CHECK_LINES lines: once true,
    SortStopped is raised, as a merge raises it."""
    tables = [(index, file_lines(path)) for index, path in foreign]
    runs: list[tuple[int, int]] = []
    offset = 0
    with target.open("wb") as out:
        for number, (table_index, line) in enumerate(join_items(primary, tables, key_of)):
            if stopped is not None and number % MERGE_CHECK_LINES == 0 and stopped():
                raise SortStopped
            if not runs or runs[-1][1] != table_index:
                runs.append((offset, table_index))
            out.write(line + b"\n")
            offset += len(line) + 1
    return runs
