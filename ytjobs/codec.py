"""JSON-lines encoding that round-trips rows exactly, fast with orjson, correct without it.

orjson reads an integer beyond 64 bits as a float, silently. A chunk of lines holding a run
of 19 or more digits is therefore decoded line by line, and a line with such a run by the
standard library, which keeps integers exact. The scan for such runs is one `translate` and
one `find` over the whole chunk, so the common case costs almost nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

CHUNK = 1 << 20
_DIGITS_ONLY = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_RUN = b"0" * 19

try:  # orjson is several times faster; everything works without it
    import orjson

    _fast_loads: Any = orjson.loads
    _fast_dumps: Any = orjson.dumps
    _NEWLINE = orjson.OPT_APPEND_NEWLINE
    _FastError: type[Exception] = orjson.JSONDecodeError
except ImportError:  # pragma: no cover - exercised in jobs without orjson
    _fast_loads = _fast_dumps = None
    _NEWLINE = 0
    _FastError = ValueError


def std_dumps_line(row: Any) -> bytes:
    return (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def dumps_line(row: Any) -> bytes:
    """One row as a JSON line (with its newline)."""
    if _fast_dumps is None:  # pragma: no cover
        return std_dumps_line(row)
    try:
        return _fast_dumps(row, option=_NEWLINE)
    except TypeError:
        # orjson refuses ints beyond 64 bits and non-string keys; json keeps them exact
        return std_dumps_line(row)


class NotARow(TypeError):
    """A value given as a row is not a dict."""


def write_lines(rows: Iterable[Any], write: Callable[[bytes], Any],
                dicts_only: bool = False) -> int:
    """Write each row as a JSON line through `write`; return how many.

    One write per row: the stream buffers, and each line's bytes are freed at once, which is
    faster than gathering large batches. With `dicts_only`, a row that is not a dict raises
    NotARow before anything of it is written.
    """
    count = 0
    dumps, option = _fast_dumps or _std_dumps, _NEWLINE
    for row in rows:
        if dicts_only and type(row) is not dict and not isinstance(row, dict):
            raise NotARow(f"rows must be dicts, got {type(row).__name__}")
        try:
            write(dumps(row, option=option))
        except TypeError:
            write(std_dumps_line(row))
        count += 1
    return count


def _std_dumps(row: Any, option: int = 0) -> bytes:  # pragma: no cover - without orjson
    return std_dumps_line(row)


def has_long_digit_run(data: bytes) -> bool:
    """True when `data` holds 19 or more digits in a row."""
    return data.translate(_DIGITS_ONLY).find(_LONG_RUN) >= 0


def loads_line(line: bytes) -> Any:
    """One JSON line as a value, integers kept exact."""
    if _fast_loads is None or has_long_digit_run(line):
        return json.loads(line)
    return _fast_loads(line)


def _bodies(stream: BinaryIO, chunk: int) -> Iterator[bytes]:
    """Blocks of whole lines (without the last newline) read from a stream."""
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
        yield block[:cut]
    if rest.strip():
        yield rest


def _lines(body: bytes) -> list[bytes]:
    lines = body.split(b"\n")
    if not all(lines):  # blank lines are rare: drop them only when there are some
        lines = [line for line in lines if line.strip()]
    return lines


def iter_chunks(stream: BinaryIO, chunk: int = CHUNK) -> Iterator[list[bytes]]:
    """The non-empty lines of a stream, a list per chunk read."""
    for body in _bodies(stream, chunk):
        yield _lines(body)


def loads_lines(body_lines: list[bytes]) -> list[Any]:
    """Many lines at once (used where a list is needed, e.g. to sort them)."""
    return list(map(loads_line, body_lines))


def iter_rows(stream: BinaryIO, chunk: int = CHUNK, *, close: bool = False,
              bad_line: Callable[[bytes, Exception], Exception] | None = None) -> Iterator[Any]:
    """Every row of a JSON-lines stream, in constant memory.

    `close` closes the stream once read; `bad_line(line, error)` gives the exception to
    raise for a line that is not JSON (default: the decoder's own ValueError).
    """
    try:
        for body in _bodies(stream, chunk):
            lines = _lines(body)
            if _fast_loads is not None and not has_long_digit_run(body):
                try:
                    yield from map(_fast_loads, lines)
                    continue
                except _FastError:
                    # a whitespace-only or a bad line: go on slowly from the failing line
                    lines = lines[_first_failing(lines):]
            for line in lines:
                if line.strip():
                    try:
                        row = loads_line(line)
                    except ValueError as exc:
                        raise (bad_line(line, exc) if bad_line else exc) from None
                    yield row
    finally:
        if close:
            stream.close()


def _first_failing(lines: list[bytes]) -> int:
    for index, line in enumerate(lines):
        try:
            _fast_loads(line)
        except _FastError:
            return index
    return len(lines)  # pragma: no cover - only called after a failure
