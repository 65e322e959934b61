"""JSON-lines encoding that round-trips rows exactly, fast with orjson, correct without it.

orjson reads an integer beyond 64 bits as a float, silently; a line that holds a run of 19 or
more digits is therefore decoded by the standard library, which keeps integers exact. Rows are
decoded a chunk at a time: the lines of a chunk are parsed as one JSON array, which saves a
Python call per row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

CHUNK = 1 << 20
_LONG_DIGITS = re.compile(rb"\d{19,}")

try:  # orjson is several times faster; everything works without it
    import orjson

    _orjson_loads = orjson.loads
    _DecodeError: type[Exception] = orjson.JSONDecodeError
except ImportError:  # pragma: no cover - exercised in jobs without orjson
    orjson = None  # type: ignore[assignment]
    _orjson_loads = json.loads
    _DecodeError = ValueError


def _std_dumps(row: Any) -> bytes:
    return (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


if orjson is not None:
    _NEWLINE = orjson.OPT_APPEND_NEWLINE

    def dumps_line(row: Any) -> bytes:
        """One row as a JSON line (with its newline)."""
        try:
            return orjson.dumps(row, option=_NEWLINE)
        except TypeError:
            # orjson refuses ints beyond 64 bits and non-string keys; json keeps them exact.
            return _std_dumps(row)

else:  # pragma: no cover
    dumps_line = _std_dumps


def loads_line(line: bytes) -> Any:
    """One JSON line as a value, integers kept exact."""
    if _LONG_DIGITS.search(line):
        return json.loads(line)
    return _orjson_loads(line)


def loads_lines(lines: list[bytes]) -> list[Any]:
    """Many non-empty JSON lines at once (one array parse when it is safe)."""
    if not lines:
        return []
    joined = b",".join(lines)
    if orjson is None or _LONG_DIGITS.search(joined):
        return [loads_line(line) for line in lines]
    try:
        values = _orjson_loads(b"[" + joined + b"]")
    except _DecodeError:
        values = None
    if values is None or len(values) != len(lines):
        # a bad line, or one holding two values: decode line by line to name it
        return [loads_line(line) for line in lines]
    return values


def iter_chunks(stream: BinaryIO, chunk: int = CHUNK) -> Iterator[list[bytes]]:
    """Complete non-empty lines of a stream, a list per chunk read."""
    rest = b""
    while True:
        block = stream.read(chunk)
        if not block:
            break
        if rest:
            block = rest + block
        cut = block.rfind(b"\n")
        if cut < 0:
            rest = block
            continue
        rest = block[cut + 1 :]
        lines = block[:cut].split(b"\n")
        yield [line for line in lines if line.strip()]
    if rest.strip():
        yield [rest]


def iter_rows(stream: BinaryIO, chunk: int = CHUNK) -> Iterator[Any]:
    """Every row of a JSON-lines stream, in constant memory."""
    for lines in iter_chunks(stream, chunk):
        yield from loads_lines(lines)
