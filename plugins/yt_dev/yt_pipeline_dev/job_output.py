"""Checking what a job wrote before it becomes part of a table.

YT parses a job's output and fails the job on a line that is not a row (a JSON object) or a
row heavier than `max_row_weight` (16 MiB by default). Dev does the same, so a table never
holds a line that a later reader would choke on, and the error names the job and the line
instead of surfacing stages later in another operation.

The common case costs one parse of each block of lines as a single JSON array; only a block
that fails is looked at line by line, to name the culprit.
"""

from __future__ import annotations

from pathlib import Path

from ytjobs.codec import loads_line

try:
    from orjson import loads as _loads_many
except ImportError:  # pragma: no cover - orjson is a dependency, json is only a fallback
    from json import loads as _loads_many

#: YT's default limit on the weight of one row (the table writer's max_row_weight)
MAX_ROW_WEIGHT = 16 * 1024 * 1024
_CHUNK = 1 << 18  # small blocks: the parsed rows of one block are what memory holds
_SHOWN = 80


class BadOutput(ValueError):
    """A line of a job's output that cannot be a table row."""

    def __init__(self, line_number: int, problem: str):
        self.line_number = line_number
        super().__init__(f"line {line_number} of its output {problem}")


def check_rows(path: Path, start: int = 0, limit: int = MAX_ROW_WEIGHT) -> int:
    """Check the lines of `path` from byte `start`; return how many rows they hold.

    A line over `limit` bytes is refused as soon as it is seen, so a runaway line is never
    held in memory whole.
    """
    done = 0
    carry = bytearray()
    with path.open("rb") as handle:
        handle.seek(start)
        while block := handle.read(_CHUNK):
            cut = block.rfind(b"\n")
            if cut < 0:
                carry += block
                if len(carry) > limit:
                    raise BadOutput(done + 1, _too_heavy(len(carry), limit, at_least=True))
                continue
            body = bytes(carry) + block[:cut] if carry else block[:cut]
            carry = bytearray(block[cut + 1 :])
            done = _check_block(body, done, limit)
    if carry:  # a last line without its newline is still a row
        done = _check_block(bytes(carry), done, limit)
    return done


def _check_block(body: bytes, done: int, limit: int) -> int:
    """Check the lines of `body` (newline-separated, no final newline); return the new total."""
    count = body.count(b"\n") + 1
    if len(body) <= limit:
        try:
            rows = _loads_many(b"[" + body.replace(b"\n", b",") + b"]")
        except ValueError:
            rows = None
        # As many objects as lines: each line was one object. (Lines crafted so that one
        # holds two objects and two others make one between them would pass; no job
        # writes such output by mistake.)
        if rows is not None and len(rows) == count and all(type(r) is dict for r in rows):
            return done + count
    for number, line in enumerate(body.split(b"\n"), start=done + 1):
        _check_line(line, number, limit)
    return done + count


def _check_line(line: bytes, number: int, limit: int) -> None:
    if len(line) > limit:
        raise BadOutput(number, _too_heavy(len(line), limit))
    if not line.strip():
        raise BadOutput(number, "is empty (each line must be one row, a JSON object)")
    shown = line[:_SHOWN].decode("utf-8", "replace")
    try:
        row = loads_line(line)
    except ValueError as exc:
        raise BadOutput(number, f"is not JSON: {shown!r} ({exc})") from None
    if not isinstance(row, dict):
        raise BadOutput(number, f"is not a row (a JSON object): {shown!r}")


def _too_heavy(size: int, limit: int, at_least: bool = False) -> str:
    more = "more than " if at_least else ""
    return (f"is {more}{size} bytes, over the row weight limit of {limit} bytes "
            f"({limit // (1024 * 1024)} MiB, YT's max_row_weight)")
