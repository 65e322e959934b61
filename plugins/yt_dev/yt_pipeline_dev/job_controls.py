"""The control rows an operation's `job_io` asks for (`spec: {job_io: {control_attributes:
{enable_row_index: true}}}`), in dev's job input, as yt_pipeline.control_rows says a
cluster's format writer puts them.

A job's input stays byte ranges of the table files: a segment is cut wherever control rows
go before a row, and they ride along as its header, so a map's rows are still read as
ranges (one cut where its ranges or its tables change) and only a key switch costs a look
at each row's key.

What dev cannot give as a cluster does is refused before any job runs: the row and range
index of a reducer's rows. Prod reads a reduce's unsorted inputs through tables it sorted
first (reduce_inputs.py in the prod plugin), whose row indexes are not those of the
configuration's tables, and a cluster refuses them in a map_reduce's reducer itself
("control attribute is not supported by reduce jobs in map-reduce operation":
TMapReduceOperationSpec's postprocessor in yt/yt/ytlib/scheduler/config.cpp).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from yt_pipeline.control_rows import ControlAttributes, InputWriter, asked, job_io_key
from yt_pipeline.errors import ConfigError
from yt_pipeline.operations import OperationSpec
from yt_pipeline_dev.shards import Segment
from yt_pipeline_dev.sorting import MERGE_CHECK_LINES, SortStopped

#: (row index, range index) of each line of an input file, by its line number
Places = Callable[[int], tuple[int, int]]


def control_of(spec: OperationSpec, phase: str) -> ControlAttributes:
    return asked(spec.extra_spec, job_io_key(spec.kind, phase))


def refuse_unmodelled(spec: OperationSpec) -> None:
    """Refuse, before any job runs, a reducer's row or range index (see the docstring)."""
    if spec.kind not in ("reduce", "map_reduce"):
        return
    key = job_io_key(spec.kind, "reduce")
    control = control_of(spec, "reduce")
    for name, on in (("enable_row_index", control.row_index),
                     ("enable_range_index", control.range_index)):
        if on:
            raise ConfigError(
                f"stage {spec.stage_name}: operation {spec.name}: spec.{key}.control_attributes."
                f"{name}: dev does not give a reducer's rows their row or range index (a "
                f"reduce reads its inputs sorted, a map_reduce's reducer has none on a "
                f"cluster either); leave it out")


def plain_places(line: int) -> tuple[int, int]:
    return line, 0


def selection_places(ranges: Sequence[tuple[int, int | None]], total: int) -> Places:
    """Where each row of a path's row ranges (`//t[#1:#3,#7:#8]`) sits in a table of `total`
    rows: the rows of each range in the order given (selected_rows.py), each with its row
    index and the range's place."""
    places = [(row, number) for number, (first, end) in enumerate(ranges)
              for row in range(first, min(total, total if end is None else end))]
    return places.__getitem__


def _lines(segment: Segment, first_line: int) -> Iterator[tuple[int, int, bytes]]:
    """(offset, line number, line) of each non-empty line of the segment."""
    number = first_line
    with segment.path.open("rb") as handle:
        handle.seek(segment.start)
        offset = segment.start
        while offset < segment.end:
            line = handle.readline(segment.end - offset)
            if not line:
                break
            end = offset + len(line)
            if line.strip():
                yield offset, number, line
                number += 1
            offset = end


def _lines_before(path: Path, offset: int) -> int:
    """The non-empty lines of `path` before byte `offset` (a line start)."""
    count = 0
    with path.open("rb") as handle:
        while handle.tell() < offset:
            line = handle.readline(offset - handle.tell())
            if not line:
                break
            count += bool(line.strip())
    return count


def with_controls(shards: list[list[Segment]], control: ControlAttributes,
                  with_table_index: bool, trailer: Path,
                  places: Callable[[int], Places] | None = None,
                  key_of: Callable[[bytes], Any] | None = None,
                  stopped: Callable[[], bool] | None = None) -> list[list[Segment]]:
    """Each shard, one job's input, with the control rows `control` asks for as segment
    headers, the table switches among them (the shards' own headers are dropped: they were
    switches only). `places`: for a table index, the row and range index of its file's lines
    (needed for those control rows); `key_of`: a line's key, for key switches; `trailer`: an
    empty file, the range of the end_of_stream segment. `stopped()` is asked every
    MERGE_CHECK_LINES lines looked at: once true, SortStopped is raised, as a merge raises
    it (a look at every line of a big input takes as long)."""
    if not control.any:
        return shards
    if not control.sourced and not control.key_switch:  # end_of_stream alone: no row moves
        return [[*shard, Segment(trailer, 0, 0, header=b"".join(InputWriter(
            False, control, None).after()))] for shard in shards]
    return [_one_job(shard, control, with_table_index, trailer, places, key_of, stopped)
            for shard in shards]


def _one_job(shard: list[Segment], control: ControlAttributes, with_table_index: bool,
             trailer: Path, places: Callable[[int], Places] | None,
             key_of: Callable[[bytes], Any] | None,
             stopped: Callable[[], bool] | None = None) -> list[Segment]:
    writer = InputWriter(with_table_index, control, key_of)
    out: list[Segment] = []
    looked_at = 0
    for segment in shard:
        place = places(segment.table_index) if places is not None and control.sourced else None
        first = _lines_before(segment.path, segment.start) if place is not None else 0
        start, header = segment.start, b""
        for offset, number, line in _lines(segment, first):
            if stopped is not None and looked_at % MERGE_CHECK_LINES == 0 and stopped():
                raise SortStopped
            looked_at += 1
            row_index, range_index = place(number) if place is not None else (None, None)
            controls = writer.before(segment.table_index, line, row_index, range_index)
            if controls:
                if offset > start or header:
                    out.append(Segment(segment.path, start, offset, segment.table_index, header))
                start, header = offset, b"".join(controls)
        if start < segment.end or header:
            out.append(Segment(segment.path, start, segment.end, segment.table_index, header))
    ending = writer.after()
    if ending:
        out.append(Segment(trailer, 0, 0, header=b"".join(ending)))
    return out
