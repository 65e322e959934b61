"""JSON-lines encoding that round-trips rows exactly: fast with msgspec or orjson, correct
with neither.

The best engine importable is chosen once (`ENGINE`):

- msgspec decodes and encodes a whole block of lines in one call, and keeps integers of any
  size exact; per row it costs about half of what orjson does.
- orjson works a line at a time. It reads an integer beyond 64 bits as a float, silently, so
  a block holding a run of 19 or more digits is decoded by the standard library instead; the
  scan for such runs is one `translate` and one `find` over the block.
- the standard library's json: always correct, the slowest.

Values JSON has no type for are written the same way by all three (`portable`).

A job in prod runs with whatever its image has, so every path gives the same rows.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import typing
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, cast

#: bytes read per block: 256 KiB decodes as fast as larger blocks and holds fewer rows at once
CHUNK = 1 << 18
#: rows encoded per call by msgspec at most, and the bytes a call aims at: large enough to
#: amortise the call, small in memory whatever the width of the rows
BATCH = 1024
BATCH_BYTES = 1 << 18
_DIGITS_ONLY = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_RUN = b"0" * 19
#: in every control row YT puts between the rows of a job's input (a table switch); a block
#: without it holds none, so the common case costs one `in` over the block
CONTROL_MARK = b'"$attributes"'


#: what to do with a line that is not JSON: the exception to raise, or None to skip the line
#: (typing's forms: evaluated at import, and jobs may run Python 3.8)
BadLine = typing.Callable[[bytes, Exception], typing.Optional[Exception]]


class NotARow(TypeError):
    """A value given as a row is not a dict."""


def portable(value: Any) -> Any:
    """A value JSON has no type for, written the way msgspec writes it, so every engine gives
    the same line: bytes as base64 text, a set as a list, a Decimal or UUID as text."""
    import decimal
    import uuid

    if isinstance(value, (bytes, bytearray, memoryview)):
        import base64

        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (set, frozenset)):
        return list(value)
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    raise TypeError(f"a row cannot hold a {type(value).__name__}")


def std_dumps_line(row: Any) -> bytes:
    return (json.dumps(row, ensure_ascii=False, separators=(",", ":"), default=portable)
            + "\n").encode()


def is_control(row: Any) -> bool:
    """True for a control row such as `{"$attributes": {"table_index": 1}, "$value": null}`.

    YT writes a row's own `$`-keys escaped (`$$value`), so on a cluster a dict of exactly
    these two keys with a null value is never data."""
    return (type(row) is dict and len(row) == 2 and "$attributes" in row
            and "$value" in row and row["$value"] is None)


def has_long_digit_run(data: bytes) -> bool:
    """True when `data` holds 19 or more digits in a row."""
    return data.translate(_DIGITS_ONLY).find(_LONG_RUN) >= 0


def _check_dicts(rows: list[Any]) -> None:
    if not set(map(type, rows)) <= {dict}:  # one C-level pass for the common case
        for row in rows:
            if not isinstance(row, dict):
                raise NotARow(f"rows must be dicts, got {type(row).__name__}")


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


class Codec:
    """Rows to JSON lines and back with one engine: "msgspec", "orjson" or "json"."""

    def __init__(self, engine: str):
        self.engine = engine
        self._encode_batch: Callable[[list[Any]], bytes] | None = None
        self._decode_block: Callable[[bytes], list[Any]] | None = None
        self._dumps: Callable[[Any], bytes] = std_dumps_line
        self._loads: Callable[[bytes], Any] = json.loads
        if engine == "msgspec":
            import msgspec

            encoder, decoder = msgspec.json.Encoder(), msgspec.json.Decoder()
            self._encode_batch = encoder.encode_lines
            self._decode_block = decoder.decode_lines
            self._dumps = lambda row: encoder.encode(row) + b"\n"
            self._loads = decoder.decode
        elif engine == "orjson":
            import orjson

            self._dumps = lambda row: orjson.dumps(row, default=portable,
                                                   option=orjson.OPT_APPEND_NEWLINE)
            self._loads = orjson.loads
        elif engine != "json":
            raise ValueError(f"unknown JSON engine {engine!r}")

    # -- one row ----------------------------------------------------------------------
    def dumps_line(self, row: Any) -> bytes:
        """One row as a JSON line (with its newline)."""
        try:
            return self._dumps(row)
        except TypeError:
            # engines refuse ints beyond 64 bits (orjson) or keys that are not strings;
            # json writes them exactly
            return std_dumps_line(row)

    def loads_line(self, line: bytes) -> Any:
        """One JSON line as a value, integers kept exact."""
        if self.engine == "orjson" and has_long_digit_run(line):
            return json.loads(line)
        return self._loads(line)

    def loads_lines(self, lines: list[bytes]) -> list[Any]:
        """Many lines at once (used where a list is needed, e.g. to sort them)."""
        return list(map(self.loads_line, lines))

    # -- streams ----------------------------------------------------------------------
    def write_lines(self, rows: Iterable[Any], write: Callable[[bytes], Any],
                    dicts_only: bool = False) -> int:
        """Write each row as a JSON line through `write`; return how many.

        With `dicts_only`, a row that is not a dict raises NotARow before anything of its
        batch is written.
        """
        if self._encode_batch is None:
            return self._write_one_by_one(rows, write, dicts_only)
        count, size = 0, 1  # the first batch is one row: nothing is known of their width yet
        source = iter(rows)
        while batch := list(itertools.islice(source, size)):
            if dicts_only:
                _check_dicts(batch)
            try:
                data = self._encode_batch(batch)
            except (TypeError, UnicodeEncodeError):
                data = b"".join(map(self.dumps_line, batch))  # names the row it cannot write
            write(data)
            count += len(batch)
            # about BATCH_BYTES a call: many narrow rows at once, wide ones a few at a time
            size = max(1, min(BATCH, BATCH_BYTES * len(batch) // max(1, len(data))))
        return count

    def _write_one_by_one(self, rows: Iterable[Any], write: Callable[[bytes], Any],
                          dicts_only: bool) -> int:
        # One write per row: the stream buffers, and each line's bytes are freed at once.
        count = 0
        dumps = self.dumps_line
        for row in rows:
            if dicts_only and type(row) is not dict and not isinstance(row, dict):
                raise NotARow(f"rows must be dicts, got {type(row).__name__}")
            write(dumps(row))
            count += 1
        return count

    def iter_chunks(self, stream: BinaryIO, chunk: int = CHUNK) -> Iterator[list[bytes]]:
        """The non-empty lines of a stream, a list per chunk read."""
        for body in _bodies(stream, chunk):
            yield _lines(body)

    def iter_rows(self, stream: BinaryIO, chunk: int = CHUNK, *, close: bool = False,
                  bad_line: BadLine | None = None,
                  drop_control: bool = False) -> RowReader:
        """Every row of a JSON-lines stream, in constant memory.

        `close` closes the stream once read (or when the reader is closed); `bad_line(line,
        error)` gives the exception to raise for a line that is not JSON (default: the
        decoder's own ValueError). The rows before a bad line come out first; nothing after.
        When `bad_line` returns None instead, the line is skipped and reading goes on.
        `drop_control` leaves out control rows (`is_control`).
        """
        return RowReader.over(self._blocks(stream, chunk, close, bad_line, drop_control))

    def _blocks(self, stream: BinaryIO, chunk: int, close: bool,
                bad_line: BadLine | None,
                drop_control: bool = False) -> Iterator[list[Any]]:
        try:
            for body in _bodies(stream, chunk):
                rows = self._fast_block(body)
                error = None
                if rows is None:
                    rows, error = self._slow_block(body, bad_line)
                if drop_control and CONTROL_MARK in body:
                    rows = [row for row in rows if not is_control(row)]
                if error is not None:
                    if rows:
                        yield rows
                    raise error  # ends this generator: the reader stops here
                yield rows
        finally:
            if close:
                stream.close()

    def _fast_block(self, body: bytes) -> list[Any] | None:
        """The rows of a block in one go, or None when it needs a line-by-line look (a bad,
        blank or doubled line, or a long integer orjson would round)."""
        try:
            if self._decode_block is not None:
                # Every newline between the end of one object and the start of the next,
                # and as many values as lines: then each line is exactly one row. (In valid
                # JSON a `{` never directly follows a `}` inside one value.)
                if (body[:1] != b"{" or body[-1:] != b"}"
                        or body.count(b"}\n{") != body.count(b"\n")):
                    return None
                rows = self._decode_block(body)
                return rows if len(rows) == body.count(b"\n") + 1 else None
            if self.engine == "orjson" and not has_long_digit_run(body):
                lines = _lines(body)
                return list(map(self._loads, lines))
        except (ValueError, RecursionError):
            pass
        return None

    def _slow_block(self, body: bytes, bad_line: BadLine | None
                    ) -> tuple[list[Any], Exception | None]:
        """Line by line: the rows before the first bad line, and its error (or None). Bad
        lines for which `bad_line` gives None are left out."""
        rows = []
        for line in _lines(body):
            if not line.strip():
                continue
            try:
                rows.append(self.loads_line(line))
            except (ValueError, RecursionError) as exc:
                if isinstance(exc, RecursionError):
                    exc = ValueError("nested too deeply")
                error = bad_line(line, exc) if bad_line else exc
                if error is None:
                    continue
                return rows, error
        return rows, None


class RowReader(itertools.chain):
    """The rows of a stream: handed out by itertools in C, a block at a time, yet closable
    like the generator a prod read gives."""

    _blocks: Iterator[list[Any]]

    @classmethod
    def over(cls, blocks: Iterator[list[Any]]) -> RowReader:
        reader = cast(RowReader, cls.from_iterable(blocks))
        reader._blocks = blocks
        return reader

    def close(self) -> None:
        """Stop reading and release the stream (rows of the current block may remain)."""
        close = getattr(self._blocks, "close", None)
        if close is not None:
            close()


def _best_engine() -> str:
    for name in ("msgspec", "orjson"):
        if importlib.util.find_spec(name) is not None:
            return name
    return "json"


DEFAULT = Codec(_best_engine())
ENGINE = DEFAULT.engine
dumps_line = DEFAULT.dumps_line
loads_line = DEFAULT.loads_line
loads_lines = DEFAULT.loads_lines
write_lines = DEFAULT.write_lines
iter_chunks = DEFAULT.iter_chunks
iter_rows = DEFAULT.iter_rows
