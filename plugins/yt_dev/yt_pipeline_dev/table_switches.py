"""Table switches in dev, both ways, as YT puts and reads them.

In: with more than one input table, a job's input has a control row before the rows of each
table (`{"$attributes":{"table_index":1},"$value":null}`): at its start and wherever the
table changes ("By default, the attributes are only written if there is more than one input
table": YTsaurus docs, Operation options, `enable_input_table_index`). The rows stay byte
ranges of the table files; the control rows ride along as segment headers.

Out: a job's output rows go to output table 0 until a control row switches them to another
one (YTsaurus docs, Switching between tables); the switches are not rows. Rows a job writes
to fd 4, 7... start at output table 1, 2... instead (job_fds.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import msgspec

from yt_pipeline.output_switches import InvalidSwitch, switch_target
from yt_pipeline_dev.atomic import append_file
from yt_pipeline_dev.shards import Segment
from ytjobs.codec import CONTROL_MARK, holds_control_mark, is_control
from ytjobs.tables import table_switch

_BLOCK = 1 << 20


def with_switches(shard: Sequence[Segment]) -> list[Segment]:
    """The shard with a switch before its first segment and wherever the table changes."""
    out, current = [], None
    for segment in shard:
        if segment.table_index != current:
            segment = msgspec.structs.replace(segment, header=table_switch(segment.table_index))
            current = segment.table_index
        out.append(segment)
    return out


def split_by_runs(segment: Segment, runs: Sequence[tuple[int, int]]) -> list[Segment]:
    """A range of a merged file as segments of one table each; `runs` are (offset, table
    index) where each stretch of one table's rows starts, in file order."""
    pieces = []
    for number, (start, table) in enumerate(runs):
        end = runs[number + 1][0] if number + 1 < len(runs) else segment.end
        low, high = max(start, segment.start), min(end, segment.end)
        if high > low:
            pieces.append(Segment(segment.path, low, high, table_index=table))
    return pieces


class BadSwitch(ValueError):
    """A control row that names no output table of the operation, in the cluster's words
    (yt_pipeline.output_switches)."""


def _switch_target(line: bytes, count: int) -> int | None:
    """The table a control line switches to (None: not a control line)."""
    try:
        row = json.loads(line)
    except ValueError:
        return None  # not JSON: the output check reports it
    if not is_control(row):
        return None
    try:
        return switch_target(row["$attributes"], count)
    except InvalidSwitch as refused:
        raise BadSwitch(str(refused)) from None


def check_switches(path: Path, count: int) -> None:
    """Raise BadSwitch for a control row in a job's output stream `path` that names no table
    of the operation's `count` output tables. Run as the job ends, so that such a job fails
    and is run again like any failed job, as on a cluster, where the job proxy's table
    consumer refuses the switch while the job writes (TTableConsumer in
    yt/yt/client/table_client/table_consumer.cpp) and the fake proxy fails the job."""
    with path.open("rb") as handle:
        rest = b""
        while block := handle.read(_BLOCK):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            whole, rest = block[:cut], block[cut:]
            if holds_control_mark(whole):
                for line in whole.split(b"\n"):
                    if CONTROL_MARK in line:
                        _switch_target(line, count)
        if CONTROL_MARK in rest:  # a last line without its newline
            _switch_target(rest, count)


def take_output(source: Path, target: Path) -> int | None:
    """Make a job's output the (empty) file `target` by a rename, when it holds no control
    row: nothing is copied. Returns its rows, or None (the file is left as it was) when it
    holds a switch and must be routed row by row (`route_output`)."""
    rows, last, tail = 0, b"\n", b""
    with source.open("rb") as handle:
        while block := handle.read(_BLOCK):
            seen = tail + block  # with the end of the last read: a mark may span two
            if holds_control_mark(seen):
                return None
            rows += block.count(b"\n")
            last, tail = block[-1:], seen[1 - len(CONTROL_MARK):]
    if last != b"\n":  # a last line without its newline is still a row
        with source.open("ab") as out:
            out.write(b"\n")
        rows += 1
    _rename_into(source, target)
    return rows


def place_output(source: Path, target: Path) -> None:
    """Add a job's output, whole lines without a switch, to the end of `target`: a rename
    when `target` is empty, else an append (atomic.append_file). `source` is gone after."""
    if target.stat().st_size == 0:
        _rename_into(source, target)
        return
    append_file(target, source)
    source.unlink()


def _rename_into(source: Path, target: Path) -> None:
    os.chmod(source, 0o644)  # as every table file is made (atomic.replacing)
    os.replace(source, target)


def route_output(source: Path, targets: Sequence[Path], first: int = 0) -> list[int]:
    """Append the rows of one job's output stream to the output tables they are switched to
    (from table `first`: the stream of fd 3 * first + 1, job_fds.py); return
    how many went to each (counted in the blocks as they pass, so no table is read again to
    count them). A block without a control row is copied whole, so one output table costs a
    plain copy."""
    counts = [0] * len(targets)
    with ExitStack() as stack:
        outs = [stack.enter_context(target.open("ab")) for target in targets]
        current = first
        with source.open("rb") as handle:
            rest = b""
            while True:
                block = handle.read(_BLOCK)
                if not block:
                    break
                block = rest + block
                cut = block.rfind(b"\n") + 1
                whole, rest = block[:cut], block[cut:]
                if not holds_control_mark(whole):
                    outs[current].write(whole)
                    counts[current] += whole.count(b"\n")
                    continue
                for line in whole[:-1].split(b"\n"):
                    index = _switch_target(line, len(outs)) if CONTROL_MARK in line else None
                    if index is None:
                        outs[current].write(line + b"\n")
                        counts[current] += 1
                    else:
                        current = index
            if rest.strip():  # a last line without its newline is still a row
                index = _switch_target(rest, len(outs)) if CONTROL_MARK in rest else None
                if index is None:
                    outs[current].write(rest + b"\n")
                    counts[current] += 1
    return counts
