"""What ytjobs wrote to the job's stdout, told to the dev launcher at exit.

Every row ytjobs writes is held to YT's rules (row_rules) and encoded as one JSON line by a
JSON library, so output that ytjobs wrote whole is rows: dev need not parse it again to know
it (job_output.check_rows). The dev launcher names a file in YTP_STDOUT_TALLY; at exit ytjobs
writes there, as four integers: the bytes it wrote, the rows among them, the table switches
among them, and the longest piece written at once (every piece holds whole lines, so no line
is longer: dev need not look for a row over the weight limit when no piece was long
enough to weigh that much).
Anything else written to stdout (a print, a raw write, a child process) makes the output's
size differ from the count, and then it is parsed as before. Without the variable (prod,
where YT parses every job's output) nothing is counted.
"""

from __future__ import annotations

import atexit
import os
import weakref
from typing import Any, Callable, NamedTuple

ENV = "YTP_STDOUT_TALLY"

_path = os.environ.get(ENV) or None
_pid = os.getpid()  # a forked child inherits the count, and must not report it
_written = 0
_rows = 0
_switches = 0
_longest = 0
_is_stdout: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Told(NamedTuple):
    """What a job's tally file says (`read`)."""

    size: int
    rows: int
    switches: int
    longest: int


def _count(size: int, rows: int, switches: int) -> None:
    global _written, _rows, _switches, _longest
    _written += size
    _rows += rows
    _switches += switches
    if size > _longest:
        _longest = size


def add(stream: Any, size: int, *, rows: int = 0, switches: int = 0) -> None:
    """Count a piece of `size` bytes (whole lines: `rows` rows and `switches` table
    switches) written to `stream`, if it is the job's stdout."""
    if _path is not None and _to_stdout(stream):
        _count(size, rows, switches)


def counting(stream: Any) -> Callable[[Any], Any]:
    """`stream.write`, counting the bytes it writes when `stream` is the job's stdout (the
    rows are told apart, by `rows_counter`)."""
    write = stream.write
    if _path is None or not _to_stdout(stream):
        return write

    def write_counted(data: Any) -> Any:
        _count(len(data), 0, 0)
        return write(data)

    return write_counted


def rows_counter(stream: Any) -> Callable[[int], None] | None:
    """A function to call with the rows of each batch written whole to `stream` through
    `counting(stream)`; None when nothing is counted."""
    if _path is None or not _to_stdout(stream):
        return None
    return lambda rows: _count(0, rows, 0)


def _to_stdout(stream: Any) -> bool:
    known = _is_stdout.get(stream)
    if known is None:
        try:
            known = stream.fileno() == 1
        except (AttributeError, OSError, ValueError):
            known = False
        try:
            _is_stdout[stream] = known
        except TypeError:  # not weakly referable: asked again next time
            pass
    return known


def read(path: str | os.PathLike[str]) -> Told | None:
    """The tally a job left at `path`; None when it left none (it wrote nothing through
    ytjobs, or did not exit normally) or one that does not parse."""
    try:
        with open(path) as handle:
            return Told(*map(int, handle.read().split()))
    except (OSError, ValueError, TypeError):
        return None


def _report() -> None:
    if _path is not None and os.getpid() == _pid:
        with open(_path, "w") as out:
            out.write(f"{_written} {_rows} {_switches} {_longest}")


atexit.register(_report)
