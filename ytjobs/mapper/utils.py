"""What the mappers are made of, under the module path yt-framework's jobs import it from
(`ytjobs.mapper.utils`): the input rows from stdin, whatever stdin is; rows written to stdout
while print() goes to stderr; a bad line or a failure reported as a JSON line on stderr.

Stdin is read as bytes, in blocks, by the row codec of ytjobs (`ytjobs.codec`). A text stream
with no bytes beneath it (an `io.StringIO` put in place of stdin, as tests do) is read line by
line instead; both give the same rows. Likewise for stdout.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Dict

from ytjobs.codec import is_control, iter_rows, write_lines
from ytjobs.logging.silencer import redirect_stdout_to_stderr
from ytjobs.rows import write_rows

# typing.Dict: evaluated at import, and jobs may run Python 3.8
Row = Dict[str, Any]


def log_error(error: Mapping[str, Any]) -> None:
    """Write `error` to stderr as one JSON line, at once (stderr is flushed)."""
    sys.stderr.write(json.dumps(error, default=str) + "\n")
    sys.stderr.flush()


def parse_json_line(line: str) -> Any:
    """The value of one JSON line; for a line that is not JSON, None, and the error on
    stderr (`{"error": "Failed to parse row: ...", "row": line}`)."""
    try:
        return json.loads(line)
    except (ValueError, RecursionError) as exc:
        log_error({"error": f"Failed to parse row: {exc}", "row": line})
        return None


def _skip_bad_line(line: bytes, error: Exception) -> None:
    log_error({"error": f"Failed to parse row: {error}",
               "row": line.decode("utf-8", "replace").strip()})
    return None  # skip the line, read on


def _text_rows(stream: Iterable[Any]) -> Iterator[Row]:
    for raw_line in stream:
        line = raw_line.strip()
        if not line:
            continue
        if isinstance(line, bytes):
            line = line.decode("utf-8", "replace")
        row = parse_json_line(line)
        if row is not None and not is_control(row):
            yield row


def input_rows(stream: Any = None) -> Iterator[Row]:
    """The rows of `stream` (default: stdin), YT's control rows left out. Blank lines are
    skipped; so is a line that is not JSON, reported on stderr as parse_json_line does.
    (`ytjobs.read_rows()` raises on such a line instead.)"""
    source = sys.stdin if stream is None else stream
    raw = getattr(source, "buffer", None)
    if raw is None and isinstance(source, (io.BufferedIOBase, io.RawIOBase)):
        raw = source
    if raw is not None:
        return iter_rows(raw, bad_line=_skip_bad_line, drop_control=True)
    return _text_rows(source)


def read_input_rows() -> Iterator[Row]:
    """The job's input rows from stdin: blank lines and lines that are not JSON skipped (the
    latter reported on stderr), control rows left out."""
    return input_rows()


def row_text(row: Any) -> str:
    """A row as JSON text, for an error message."""
    return json.dumps(row, ensure_ascii=False, default=str)


def write_results(rows: Iterable[Row], stream: Any = None) -> int:
    """Write rows as JSON lines to `stream` (default: stdout), through the bytes beneath it
    when it has them; returns how many. Rows go to output table 0."""
    out = sys.stdout if stream is None else stream
    raw = getattr(out, "buffer", None)
    if raw is not None:
        out.flush()  # what was printed there before comes first
        return write_rows(rows, raw)
    if isinstance(out, (io.BufferedIOBase, io.RawIOBase)):
        return write_rows(rows, typing.cast(typing.BinaryIO, out))
    # write_lines gives bytes or memoryviews (slices of one encoded batch)
    count = write_lines(rows, lambda data: out.write(bytes(data).decode("utf-8")))
    out.flush()
    return count


def emit(results: Callable[[], Iterable[Row]], redirect_output: bool = True) -> int:
    """Write the rows `results()` gives to stdout; returns how many. With `redirect_output`,
    print() goes to stderr meanwhile, so it cannot corrupt the rows."""
    out = sys.stdout  # taken before any redirection: the rows always go here
    guard = redirect_stdout_to_stderr() if redirect_output else contextlib.nullcontext()
    with guard:
        return write_results(results(), out)


def process_and_write_results(processing_func: Callable[..., Iterable[Row]], data: Any, *,
                              redirect_output: bool = True, **kwargs: Any) -> int:
    """Write each row `processing_func(data, **kwargs)` yields to stdout, as it comes;
    returns how many. With `redirect_output`, what the function prints goes to stderr."""
    return emit(lambda: processing_func(data, **kwargs), redirect_output)
