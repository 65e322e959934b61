"""Checking what a job wrote before it becomes part of a table.

YT parses a job's output and fails the job on a line that is not a row (a JSON object), a
row heavier than `max_row_weight` (16 MiB by default), or a number beyond a double's range:
its JSON parser (yajl) stops at `1e400` with "numeric (floating point) overflow" (and at an
integer beyond 64 bits with "integer overflow"), where
msgspec's scanner, which does not read numbers, would let it through and a later reader
would fail. Dev does the same, so a table never holds a line that a later reader would
choke on, and the error names the job and the line instead of surfacing stages later in
another operation.

The common case costs one pass of msgspec's validating JSON scanner over each block of lines,
which checks the syntax without building the rows (several times faster than parsing them),
a count of the lines that open an object, and a look for an exponent of three digits or a
run of 309 digits (no double beyond range is written without one); only a block that fails
is looked at line by line, to name the culprit.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from yt_pipeline import column_types
from yt_pipeline.masked_tails import masked_start
from yt_pipeline.yson_size import may_reach
from ytjobs.codec import loads_line
from ytjobs.dollar_keys import MARK, KeyRefused, stored_row
from ytjobs.row_rules import INT_MIN, UINT_MAX, all_finite

# Raw: each value's syntax is checked, but no Python object is built for its content
_SCANNER = msgspec.json.Decoder(msgspec.Raw)

#: YT's default limit on the weight of one row (the table writer's max_row_weight)
MAX_ROW_WEIGHT = 16 * 1024 * 1024
#: A row's JSON text is mostly longer than its weight (escapes, quotes, column names); a line
#: longer than this many times the limit is refused unread, so a runaway line is never held
#: whole.
TEXT_PER_WEIGHT = 4
_CHUNK = 1 << 18  # small blocks: the parsed rows of one block are what memory holds
#: digits as "0", exponent marks as "e" ("+" as a digit: `e+400` reads `e0400`), all else a
#: space: a number beyond a double's range shows as "0e000" or 309 zeros in a row
_NUMBER_SHAPES = bytes(48 if chr(b).isdigit() or b == 43 else 101 if b in b"eE" else 32
                       for b in range(256))
_LONG_MANTISSA = b"0" * 309
#: the fewest digits of an integer YT cannot hold (-9223372036854775809 has 19)
_INT_DIGITS = b"0" * 19
_SHOWN = 80


class BadOutput(ValueError):
    """A line of a job's output that cannot be a table row."""

    def __init__(self, line_number: int, problem: str):
        self.line_number = line_number
        super().__init__(f"line {line_number} of its output {problem}")


def check_rows(path: Path, start: int = 0, limit: int = MAX_ROW_WEIGHT,
               written_by_ytjobs: bool = False, masked_forms: Sequence[str] = ()) -> int:
    """Check the lines of `path` from byte `start`; return how many rows they hold.

    A line over TEXT_PER_WEIGHT times `limit` bytes is refused as soon as it is seen, so a
    runaway line is never held in memory whole. Output that ytjobs wrote whole was checked
    row by row as it was written (ytjobs/tally.py): only the weight of its rows is left to
    check, not its syntax. A bad line is quoted with `masked_forms` masked (a job that
    prints a secret on stdout while debugging).
    """
    done = 0
    carry = bytearray()
    stored: dict[int, bytes] = {}
    with path.open("rb") as handle:
        handle.seek(start)
        while block := handle.read(_CHUNK):
            cut = block.rfind(b"\n")
            if cut < 0:
                carry += block
                if len(carry) > limit * TEXT_PER_WEIGHT:
                    raise BadOutput(done + 1, _too_heavy(len(carry), limit, at_least=True))
                continue
            body = bytes(carry) + block[:cut] if carry else block[:cut]
            carry = bytearray(block[cut + 1 :])
            done = _check_block(body, done, limit, written_by_ytjobs, masked_forms, stored)
    if carry:  # a last line without its newline is still a row
        done = _check_block(bytes(carry), done, limit, written_by_ytjobs, masked_forms,
                            stored)
    if stored:
        _rewrite_lines(path, start, stored)
    return done


def _check_block(body: bytes, done: int, limit: int, rows: bool = False,
                 masked_forms: Sequence[str] = (), stored: dict[int, bytes] | None = None
                 ) -> int:
    """Check the lines of `body` (newline-separated, no final newline), known to be `rows`
    or not; return the new total. A line a cluster stores otherwise than written goes into
    `stored`, by its number, as the line to keep."""
    count = body.count(b"\n") + 1
    if not may_reach(len(body), limit) and (rows or _looks_whole(body, count)):
        return done + count
    for number, line in enumerate(body.split(b"\n"), start=done + 1):
        kept = _check_line(line, number, limit, masked_forms)
        if kept is not None and stored is not None:
            stored[number] = kept
    return done + count


def _rewrite_lines(path: Path, start: int, stored: dict[int, bytes]) -> None:
    """Replace the lines numbered in `stored` (counted from byte `start`) by their text:
    rows holding a value wrapped in {"$value": ...}, which a job printed itself (ytjobs
    writes them as stored), so rare enough to copy the file for."""
    scratch = path.with_name(path.name + ".stored")
    with path.open("rb") as source, scratch.open("wb") as out:
        out.write(source.read(start))
        for number, line in enumerate(source, start=1):
            if number in stored:
                line = stored[number] + (b"\n" if line.endswith(b"\n") else b"")
            out.write(line)
    os.replace(scratch, path)


def _looks_whole(body: bytes, count: int) -> bool:
    """Every newline separates the end of one object from the start of the next, the values
    are valid JSON in valid UTF-8, and there are as many as lines: so each line is one row.
    (In valid JSON a `{` never directly follows a `}` inside one value.)
    """
    if body[:1] != b"{" or body[-1:] != b"}" or body.count(b"}\n{") != count - 1:
        return False
    try:
        body.decode("utf-8")
        if len(_SCANNER.decode_lines(body)) != count:
            return False
    except (UnicodeDecodeError, msgspec.DecodeError, RecursionError):
        return False
    if not _dollar_keys_paired(body):
        return False
    shapes = body.translate(_NUMBER_SHAPES)
    # 19 digits in a row may be an integer beyond 64 bits (or text): looked at line by line
    return b"0e000" not in shapes and _INT_DIGITS not in shapes


def _dollar_keys_paired(body: bytes) -> bool:
    """Whether every `"$` of the block opens a "$attributes" or a "$value" key, one of each
    on each line that starts with one of them: table switches, which YT's JSON parser takes.
    Any other key starting with "$" (which it refuses: ytjobs.dollar_keys), a value wrapped
    in {"$value": ...} inside a row (which it unwraps), or text holding `"$`, sends the
    block to the line-by-line look."""
    if b"$" not in body:  # memchr: the common case costs one fast pass
        return True
    marks = body.count(MARK)
    attributes, values = body.count(b'"$attributes"'), body.count(b'"$value"')
    switches = (body.count(b'\n{"$attributes"') + body.count(b'\n{"$value"')
                + body.startswith((b'{"$attributes"', b'{"$value"')))
    return attributes == values == switches and marks == attributes + values


def _check_line(line: bytes, number: int, limit: int, masked_forms: Sequence[str]
                ) -> bytes | None:
    """Refuse a line no cluster takes (BadOutput); the line to keep instead when a cluster
    stores the row otherwise than written (a value wrapped in {"$value": ...}), else None."""
    if len(line) > limit * TEXT_PER_WEIGHT:
        raise BadOutput(number, _too_heavy(len(line), limit, at_least=True))
    if not line.strip():
        raise BadOutput(number, "is empty (each line must be one row, a JSON object)")
    # masked before it is cut: the cut would leave the start of a secret no mask finds
    shown = masked_start(line, _SHOWN, masked_forms).decode("utf-8", "replace")
    try:
        row = loads_line(line)
    except RecursionError:
        raise BadOutput(number, f"is nested too deeply: {shown!r}") from None
    except ValueError as exc:
        row = _overflowing(line)
        raise BadOutput(number, _OVERFLOW.format(shown) if row else
                        f"is not JSON: {shown!r} ({exc})") from None
    if not isinstance(row, dict):
        raise BadOutput(number, f"is not a row (a JSON object): {shown!r}")
    # a row holding "$value" is a table switch (table_switches.py); in others YT's JSON
    # parser refuses a key starting with a single "$", and unwraps a wrapped value
    kept = row
    if "$value" not in row and MARK in line:
        try:
            kept = stored_row(row)
        except KeyRefused as refused:
            raise BadOutput(number, f"holds a key YT refuses: {refused}") from None
    if not all_finite([row]):  # a reader other than msgspec takes 1e400 for infinity
        raise BadOutput(number, _OVERFLOW.format(shown))
    if _INT_DIGITS in line.translate(_NUMBER_SHAPES) and _beyond_64_bits(row):
        raise BadOutput(number, f"holds an integer beyond 64 bits: {shown!r} (YT refuses it: "
                                "integer overflow)")
    # a writer takes a row lighter than its limit only (ValidateRowWeight: `weight <
    # MaxRowWeight`, in yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp)
    if may_reach(len(line), limit) and (weight := row_weight(row)) >= limit:
        raise BadOutput(number, _too_heavy(weight, limit))
    if kept is row:
        return None
    try:
        return json.dumps(kept, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:  # a lone surrogate, as the job wrote it: kept escaped
        return json.dumps(kept, separators=(",", ":")).encode()


_OVERFLOW = ("holds a number beyond a double's range: {!r} (YT refuses it: numeric "
             "(floating point) overflow)")


def _beyond_64_bits(value: Any) -> bool:
    if type(value) is int:
        return not INT_MIN <= value <= UINT_MAX
    if isinstance(value, dict):
        return any(map(_beyond_64_bits, value.values()))
    if isinstance(value, list):
        return any(map(_beyond_64_bits, value))
    return False


def _overflowing(line: bytes) -> bool:
    """True for a line that is JSON but for a number beyond a double's range, which the
    standard library reads as an infinity (its bare NaN and Infinity stay refused)."""
    try:
        row = json.loads(line, parse_constant=_refused)
    except (ValueError, RecursionError):
        return False
    return isinstance(row, dict) and not all_finite([row])


def _refused(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def row_weight(row: dict[str, Any]) -> int:
    """A row's weight as YT counts it: 1 and the data of its values (a string's UTF-8
    bytes, 8 for a number, a list or a map its binary YSON's length: yt_pipeline.yson_size),
    column names not counted (GetDataWeight in yt/yt/client/table_client/unversioned_row.cpp,
    summed from 1 by the writer: column_types.row_weight). A row is refused once it reaches
    the limit. Only rows whose JSON text may weigh that much are weighed (yson_size.
    may_reach: a list of doubles weighs up to 2.5 times its text)."""
    return column_types.row_weight(row)


def _too_heavy(size: int, limit: int, at_least: bool = False) -> str:
    what = f"more than {size} bytes of text" if at_least else f"{size} bytes of data"
    return (f"is {what}, over the row weight limit of {limit} bytes "
            f"({limit // (1024 * 1024)} MiB, YT's max_row_weight)")
