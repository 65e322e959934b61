"""JSON-lines encoding that round-trips rows exactly: fast with msgspec or orjson, correct
with neither.

Rows are read with the best engine importable (`READER`):

- msgspec decodes a whole block of lines in one call, and keeps integers of any size exact;
  per row it costs about half of what orjson does.
- orjson works a line at a time. It reads an integer beyond 64 bits as a float, silently, so
  a block holding a run of 19 or more digits is decoded by the standard library instead; the
  scan for such runs is one `translate` and one `find` over the block.
- the standard library's json: always correct, the slowest.

Rows are written under the rules of ytjobs.row_rules (what YT takes from Python), by every
engine alike, and preferably by orjson (`WRITER`): it refuses on its own what YT refuses (a
key that is not text, bytes, a set), so checking costs nothing per value. msgspec would
write those silently (a key as text, bytes as base64, a set as a list): with it each row
is checked first. A NaN or an infinity, which both write as null, is looked for only in a
batch whose text holds a null.

A job in prod runs with whatever its image has, so every path gives the same rows.
"""

from __future__ import annotations

import collections
import functools
import itertools
import json
import operator
import os
import typing
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, Tuple, Union, cast

from ytjobs.dollar_keys import MARK, KeyRefused, stored_row
from ytjobs.row_rules import (
    NotARow,
    RowRefused,
    all_finite,
    checked,
    surrogate_refusal,
    yt_value,
)
from ytjobs.shadowing import engine_usable

#: bytes read per block: 256 KiB decodes as fast as larger blocks and holds fewer rows at once
CHUNK = 1 << 18
#: rows encoded per call by msgspec at most, and the bytes a call aims at: large enough to
#: amortise the call, small in memory whatever the width of the rows
BATCH = 1024
BATCH_BYTES = 1 << 18
_DIGITS_ONLY = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_RUN = b"0" * 19
#: what a batch encoder gives: pieces of text written one after another
Chunks = Tuple[Union[bytes, memoryview], ...]
#: in every control row YT puts between the rows of a job's input (a table switch); a block
#: without it holds none, so the common case costs one `in` over the block
CONTROL_MARK = b'"$attributes"'
#: set to "1" in a job's environment when its stdin is known to hold one JSON value a line
#: and no blank line (dev sets it when every input table file is one its writer vouched for)
WHOLE_LINES_ENV = "YTP_WHOLE_LINES"


#: what to do with a line that is not JSON: the exception to raise, or None to skip the line
#: (typing's forms: evaluated at import, and jobs may run Python 3.8)
BadLine = typing.Callable[[bytes, Exception], typing.Optional[Exception]]


def std_dumps_line(row: Any) -> bytes:
    """One row by the standard library, under the rules: exact for integers of any size, and
    the one writer that names the column of a refused value."""
    given = checked(row)
    line = _std_line(given, row)
    if b"$" in line and MARK in line:
        try:
            stored = stored_row(given)
        except KeyRefused as refused:
            raise RowRefused(str(refused)) from None
        if stored is not given:  # a wrapped value: written as a cluster stores it
            line = _std_line(stored, row)
    return line


def _std_line(given: Any, row: Any) -> bytes:
    text = json.dumps(given, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False, default=yt_value) + "\n"
    try:
        return text.encode()
    except UnicodeEncodeError:
        raise surrogate_refusal(row) from None


def _dollar_keys_taken(text: bytes, rows: list[Any]) -> bool:
    """Whether YT's JSON parser takes the keys of `rows`, whose JSON is `text`, and stores
    the rows as written (no value wrapped in {"$value": ...}): looked at row by row only
    when the text holds `"$` (ytjobs.dollar_keys). When not, the rows are written one at a
    time by std_dumps_line, which refuses or rewrites them."""
    # "$" alone first: memchr finds a rare byte fast, where `"$` makes the search stop at
    # every quote of the text
    if b"$" not in text or MARK not in text:
        return True
    try:  # each row kept as it is: stored_row gave it back itself
        return all(map(operator.is_, map(stored_row, rows), rows))
    except KeyRefused:
        return False


def not_an_input_row(line: bytes, error: Exception) -> Exception:
    """The error for a line of a job's input that is not JSON: it shows the line, which the
    decoder's own message ("Input data was truncated") does not."""
    shown = line[:80].decode("utf-8", "replace")
    return ValueError(f"the job's input holds a line that is not a JSON row: {shown!r} "
                      f"({error})")


def is_control(row: Any) -> bool:
    """True for a control row such as `{"$attributes": {"table_index": 1}, "$value": null}`.

    YT writes a row's own `$`-keys escaped (`$$value`), so on a cluster a dict of exactly
    these two keys with a null value is never data."""
    return (type(row) is dict and len(row) == 2 and "$attributes" in row
            and "$value" in row and row["$value"] is None)


def holds_control_mark(data: bytes) -> bool:
    """Whether `data` holds CONTROL_MARK. "$" first: memchr finds a rare byte at memory
    speed, where a search for the mark, which begins with a quote, stops at every quote of
    the text (0.5 ms against 7.7 ms over 20 MB of rows)."""
    return b"$" in data and CONTROL_MARK in data


def whole_stdin() -> bool:
    """True when the job's stdin is known to hold whole lines (`WHOLE_LINES_ENV`)."""
    return os.environ.get(WHOLE_LINES_ENV) == "1"


def has_long_digit_run(data: bytes) -> bool:
    """True when `data` holds 19 or more digits in a row."""
    return data.translate(_DIGITS_ONLY).find(_LONG_RUN) >= 0


def _check_dicts(rows: list[Any]) -> None:
    if list(map(type, rows)).count(dict) != len(rows):  # C-level passes for the common case
        for row in rows:
            if not isinstance(row, dict):
                raise NotARow(f"rows must be dicts, got {type(row).__name__}")


def line_blocks(stream: BinaryIO, chunk: int) -> Iterator[bytes]:
    """Blocks of whole lines (without the last newline) read from a stream."""
    rest = b""
    # the reads of a line longer than a block, joined once its end is read: joined read by
    # read, a 16 MiB row read in 64 KiB blocks was copied 256 times (0.35 s, against 0.02)
    pending: list[bytes] = []
    while True:
        block = stream.read(chunk)
        if not block:
            break
        cut = block.rfind(b"\n")
        if cut < 0:
            pending.append(block)
            continue
        if rest or pending:
            cut += len(rest) + sum(map(len, pending))
            block = b"".join([rest, *pending, block])
            pending = []
        rest = block[cut + 1 :]
        yield block[:cut]
    rest = b"".join([rest, *pending])
    if rest.strip():
        yield rest


def _lines(body: bytes) -> list[bytes]:
    lines = body.split(b"\n")
    if not all(lines):  # blank lines are rare: drop them only when there are some
        lines = [line for line in lines if line.strip()]
    return lines


def _orjson_lines(dumps: Callable[..., bytes]) -> Callable[[list[Any]], Chunks | None]:
    """A batch encoder: the rows (all dicts) as one JSON array, cut into lines where one row
    ends and the next begins. orjson refuses what YT refuses, except NaN and infinity, which
    it writes as null.

    The rows are maps, so len(batch) - 1 of the "},{" are between two rows; there are more
    only when a row holds one (a list of maps, or text). The first len(batch) - 1 become
    newlines (an equal-length replace, on one copy). Had one of them been inside a row, a
    "},{" would be left after it: at the last boundary or in the last row, which is all that
    needs searching.
    """
    def encode(batch: list[Any]) -> Chunks | None:
        body = dumps(batch, default=yt_value).replace(b"},{", b"}\n{", len(batch) - 1)
        tail = len(body) - len(dumps(batch[-1], default=yt_value)) - 4  # "},{" and "]"
        if body.find(b"},{", max(0, tail)) >= 0:
            return None
        # rfind: CPython's backward search is the quicker one for a needle found nowhere
        if body.rfind(b"null") >= 0 and not all_finite(batch):
            return None
        if not _dollar_keys_taken(body, batch):
            return None
        return memoryview(body)[1:-1], b"\n"  # without the brackets: no copy

    return encode


def _finite_line(line: bytes, row: Any) -> bytes:
    if b"null" in line and not all_finite([row]):
        raise RowRefused("a row holds a NaN or an infinity")
    if not _dollar_keys_taken(line, [row]):
        raise RowRefused("a row holds a key YT's JSON format refuses or reads specially")
    return line


def _msgspec_lines(encoder: Any, rows: list[Any]) -> Chunks | None:
    given = list(map(checked, rows))
    body = encoder.encode_lines(given)
    return (body,) if _dollar_keys_taken(body, given) else None


def _taken_line(line: bytes, row: Any) -> bytes:
    if not _dollar_keys_taken(line, [row]):
        raise RowRefused("a row holds a key YT's JSON format refuses or reads specially")
    return line


def _value_error_for(decode: Callable[[bytes], Any], error: type[Exception]
                     ) -> Callable[[bytes], Any]:
    """`decode`, raising a ValueError (same message) where it raises `error`.

    msgspec.DecodeError is a ValueError from msgspec 0.21 on; 0.18 to 0.20, which setup.cfg
    admits, derive it from Exception alone, and the readers here and their callers take a
    line that is not JSON to raise a ValueError, as json and orjson do. Not used from 0.21
    on: the call costs a Python frame a line."""

    def decoded(data: bytes) -> Any:
        try:
            return decode(data)
        except error as exc:
            raise ValueError(str(exc)) from exc

    return decoded


class Codec:
    """Rows to JSON lines and back with one engine: "msgspec", "orjson" or "json"."""

    def __init__(self, engine: str):
        self.engine = engine
        self._encode_batch: Callable[[list[Any]], Chunks | None] | None = None
        self._decode_block: Callable[[bytes], list[Any]] | None = None
        self._dumps: Callable[[Any], bytes] = std_dumps_line
        self._loads: Callable[[bytes], Any] = json.loads
        if engine == "msgspec":
            import msgspec

            encoder, decoder = msgspec.json.Encoder(), msgspec.json.Decoder()
            self._encode_batch = lambda rows: _msgspec_lines(encoder, rows)
            self._decode_block = decoder.decode_lines
            self._dumps = lambda row: _taken_line(encoder.encode(checked(row)) + b"\n", row)
            self._loads = decoder.decode
            if not issubclass(msgspec.DecodeError, ValueError):
                self._decode_block = _value_error_for(decoder.decode_lines, msgspec.DecodeError)
                self._loads = _value_error_for(decoder.decode, msgspec.DecodeError)
        elif engine == "orjson":
            import orjson

            # datetimes and dataclasses go to yt_value (refused, as simplejson refuses
            # them) rather than being written as text or a map; orjson has no such switch
            # for a UUID (written as text)
            passthrough = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
            self._encode_batch = _orjson_lines(functools.partial(orjson.dumps,
                                                                 option=passthrough))
            self._dumps = lambda row: _finite_line(orjson.dumps(
                row, default=yt_value, option=orjson.OPT_APPEND_NEWLINE | passthrough), row)
            self._loads = orjson.loads
        elif engine != "json":
            raise ValueError(f"unknown JSON engine {engine!r}")

    # -- one row ----------------------------------------------------------------------
    def dumps_line(self, row: Any) -> bytes:
        """One row as a JSON line (with its newline); RowRefused for a value YT refuses."""
        if not isinstance(row, dict):
            raise NotARow(f"rows must be dicts, got {type(row).__name__}")
        try:
            return self._dumps(row)
        except (TypeError, RowRefused, UnicodeEncodeError):
            pass
        # the standard library writes integers beyond 64 bits exactly, and names the column
        # of a refused value; called outside the handler, so that its refusal is the one
        # error a job's stderr shows, not a second one chained to the engine's
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
    def write_lines(self, rows: Iterable[Any], write: Callable[[Any], Any],
                    on_rows: Callable[[int], None] | None = None) -> int:
        """Write each row as a JSON line through `write` (given bytes or memoryviews); return
        how many. `on_rows(n)` is told the rows of each batch once it is written whole.

        A row that is not a dict raises NotARow, and one holding a value YT refuses raises
        RowRefused (naming the row and the column), before anything of its batch is written.
        """
        count, size = 0, 1  # the first batch is one row: nothing is known of their width yet
        source = iter(rows)
        while batch := list(itertools.islice(source, size)):
            _check_dicts(batch)
            chunks = self._batch(batch)
            if chunks is None:  # one row at a time, to say which row it cannot write
                chunks = (b"".join(map(self._numbered_line, batch, itertools.count(count + 1))),)
            written = 0
            for chunk in chunks:
                write(chunk)
                written += len(chunk)
            count += len(batch)
            if on_rows is not None:
                on_rows(len(batch))
            # about BATCH_BYTES a call: many narrow rows at once, wide ones a few at a time
            size = max(1, min(BATCH, BATCH_BYTES * len(batch) // max(1, written)))
        return count

    def _batch(self, batch: list[Any]) -> Chunks | None:
        """The lines of a batch in one call (as pieces to write one after the other), or None
        when a row needs a closer look."""
        if self._encode_batch is None:
            return None
        try:
            return self._encode_batch(batch)
        except (TypeError, RowRefused, UnicodeEncodeError):
            return None

    def _numbered_line(self, row: Any, number: int) -> bytes:
        try:
            return self.dumps_line(row)
        except RowRefused as refused:
            raise RowRefused(f"row {number}: {refused}") from None

    def iter_chunks(self, stream: BinaryIO, chunk: int = CHUNK) -> Iterator[list[bytes]]:
        """The non-empty lines of a stream, a list per chunk read."""
        for body in line_blocks(stream, chunk):
            yield _lines(body)

    def iter_rows(self, stream: BinaryIO, chunk: int = CHUNK, *, close: bool = False,
                  bad_line: BadLine | None = None,
                  drop_control: bool = False, whole: bool = False) -> RowReader:
        """Every row of a JSON-lines stream, in constant memory.

        `close` closes the stream once read (or when the reader is closed); `bad_line(line,
        error)` gives the exception to raise for a line that is not JSON (default: the
        decoder's own ValueError). The rows before a bad line come out first; nothing after.
        When `bad_line` returns None instead, the line is skipped and reading goes on.
        `drop_control` leaves out control rows (`is_control`). `whole` says the stream is
        known to hold one JSON value a line and no blank line (a table file its writer
        vouched for, `WHOLE_LINES_ENV`): a block is then decoded without first checking
        that its lines and its values match, a tenth of the cost of reading it.
        """
        return RowReader.over(self.iter_blocks(stream, chunk, close=close, bad_line=bad_line,
                                               drop_control=drop_control, whole=whole))

    def iter_blocks(self, stream: BinaryIO, chunk: int = CHUNK, *, close: bool = False,
                    bad_line: BadLine | None = None, drop_control: bool = False,
                    whole: bool = False) -> Iterator[list[Any]]:
        """The rows of iter_rows a block (a list) at a time: a reader may look at the first
        block before handing the rows on (RowReader.over), at no cost a row."""
        return self._blocks(stream, chunk, close, bad_line, drop_control, whole)

    def _blocks(self, stream: BinaryIO, chunk: int, close: bool,
                bad_line: BadLine | None,
                drop_control: bool = False, whole: bool = False) -> Iterator[list[Any]]:
        try:
            for body in line_blocks(stream, chunk):
                rows = self._fast_block(body, whole)
                error = None
                if rows is None:
                    rows, error = self._slow_block(body, bad_line)
                if drop_control and holds_control_mark(body):
                    rows = [row for row in rows if not is_control(row)]
                if error is not None:
                    if rows:
                        yield rows
                    raise error  # ends this generator: the reader stops here
                yield rows
        finally:
            if close:
                stream.close()

    def _fast_block(self, body: bytes, whole: bool = False) -> list[Any] | None:
        """The rows of a block in one go, or None when it needs a line-by-line look (a bad,
        blank or doubled line, or a long integer orjson would round)."""
        try:
            if self._decode_block is not None and whole:
                return self._decode_block(body)  # a bad line still fails: looked at below
            if self._decode_block is not None:
                # Every newline between the end of one object and the start of the next,
                # and as many values as lines: then each line is exactly one row. (In valid
                # JSON a `{` never directly follows a `}` inside one value.)
                newlines = body.count(b"\n")  # a pass over the block: counted once
                if body[:1] != b"{" or body[-1:] != b"}" or body.count(b"}\n{") != newlines:
                    return None
                rows = self._decode_block(body)
                return rows if len(rows) == newlines + 1 else None
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


class BlockInHand:
    """The block a chain of blocks is handing out rows of, kept so that a close can end it
    half-way: a closed reader stops at its next row, as a closed generator does, where the
    chain went on to the block's last row (up to a whole read chunk of rows)."""

    __slots__ = ("_rows",)

    def __init__(self) -> None:
        self._rows: Iterator[Any] = iter(())

    def take(self, block: list[Any]) -> Iterator[Any]:
        """`block`'s rows, as the chain is to hand them out (map this over the blocks)."""
        self._rows = iter(block)
        return self._rows

    def drop_rest(self) -> None:
        # the chain holds this very iterator: emptied, it ends the block at its next row
        collections.deque(self._rows, maxlen=0)


class RowReader(itertools.chain):
    """The rows of a stream: handed out by itertools in C, a block at a time, yet closable
    like the generator a prod read gives."""

    _blocks: Iterator[list[Any]]
    _in_hand: BlockInHand

    @classmethod
    def over(cls, blocks: Iterator[list[Any]]) -> RowReader:
        in_hand = BlockInHand()
        reader = cast(RowReader, cls.from_iterable(map(in_hand.take, blocks)))
        reader._blocks, reader._in_hand = blocks, in_hand
        return reader

    def blocks(self) -> Iterator[list[Any]]:
        """The blocks of rows it reads, for a reader that takes them a block at a time
        instead (this reader is then not to be read itself)."""
        return self._blocks

    def close(self) -> None:
        """Stop reading and release the stream; the next row asked for ends the rows."""
        close = getattr(self._blocks, "close", None)
        try:
            if close is not None:
                close()
        finally:
            self._in_hand.drop_rest()


def _best_engine(*preferred: str) -> str:
    for name in preferred:
        if engine_usable(name):
            return name
    return "json"


READER = Codec(_best_engine("msgspec", "orjson"))
_writing = _best_engine("orjson", "msgspec")
WRITER = READER if _writing == READER.engine else Codec(_writing)
ENGINE = READER.engine
dumps_line = WRITER.dumps_line
write_lines = WRITER.write_lines
loads_line = READER.loads_line
loads_lines = READER.loads_lines
iter_chunks = READER.iter_chunks
iter_rows = READER.iter_rows
iter_blocks = READER.iter_blocks
