"""A reduce's foreign tables in dev: each job's input, as a cluster's joining reader makes it.

A cluster's reduce job with foreign tables reads the primary tables as one stream, merged by
sort_by and then by table index, and each foreign table as a stream of its own; it merges
those streams by the join_by key alone, the streams of one key in table index order (the
primary stream at its tables' place), and drops every foreign row whose join_by key no
primary row of the job has (TSchemalessJoiningReader::Read in yt/yt/ytlib/table_client/
schemaless_sorted_merging_reader.cpp). So, for each join_by key of the job's primary rows,
the job gets the key's foreign rows table by table, before its primary rows when the foreign
tables are listed first, after them otherwise (the expected rows of test_reduce_with_
foreign_join_one_job, test_reduce_with_foreign_skip_joining_rows in yt/yt/tests/
integration/tests/controller/test_reduce_operation.py, and test_join_reduce_control_
attributes_yson in test_scheduler_join_reduce.py). A foreign key shared by two jobs' primary
rows (join_by shorter than reduce_by) reaches both jobs.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from yt_pipeline_dev.shards import Segment

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


class _ForeignStream:
    """One foreign table's lines, sorted by join_by, taken key by key in ascending order."""

    def __init__(self, table_index: int, path: Path, key_of: Callable[[bytes], Any]) -> None:
        self.table_index = table_index
        self._lines = file_lines(path)
        self._key_of = key_of
        self._next: tuple[Any, bytes] | None = None
        self._advance()

    def _advance(self) -> None:
        line = next(self._lines, None)
        self._next = None if line is None else (self._key_of(line), line)

    def take(self, key: Any) -> list[bytes]:
        """The lines of `key`; the lines of smaller keys (no primary row has them) are
        dropped."""
        while self._next is not None and self._next[0] < key:
            self._advance()
        taken = []
        while self._next is not None and self._next[0] == key:
            taken.append(self._next[1])
            self._advance()
        return taken


def write_joined(primary: Iterator[tuple[int, bytes]], foreign: Sequence[tuple[int, Path]],
                 key_of: Callable[[bytes], Any], foreign_first: bool, target: Path
                 ) -> list[tuple[int, int]]:
    """Write one job's input to `target`: its primary lines (sorted by sort_by, which starts
    with join_by), each join_by key's with that key's foreign lines. `foreign` holds each
    foreign table's index and its file sorted by join_by. Returns (offset, table index)
    where each stretch of one table's lines starts (the runs table_switches reads)."""
    streams = [_ForeignStream(index, path, key_of) for index, path in foreign]
    runs: list[tuple[int, int]] = []
    offset = 0
    with target.open("wb") as out:

        def emit(table_index: int, line: bytes) -> None:
            nonlocal offset
            if not runs or runs[-1][1] != table_index:
                runs.append((offset, table_index))
            out.write(line + b"\n")
            offset += len(line) + 1

        for key, group in itertools.groupby(primary, key=lambda item: key_of(item[1])):
            joined = [(stream.table_index, line) for stream in streams
                      for line in stream.take(key)]
            if foreign_first:
                for item in joined:
                    emit(*item)
            for item in group:
                emit(*item)
            if not foreign_first:
                for item in joined:
                    emit(*item)
    return runs
