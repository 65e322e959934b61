"""How many bytes of the job's stdout ytjobs wrote, told to the dev launcher at exit.

Every row ytjobs writes is held to YT's rules (row_rules) and encoded as one JSON line by a
JSON library, so output that ytjobs wrote whole is rows: dev need not parse it again to know
it (job_output.check_rows). The dev launcher names a file in YTP_STDOUT_TALLY; at exit the
count is written there. Anything else written to stdout (a print, a raw write, a child
process) makes the output's size differ from the count, and then it is parsed as before.
Without the variable (prod, where YT parses every job's output) nothing is counted.
"""

from __future__ import annotations

import atexit
import os
import weakref
from typing import Any, Callable

ENV = "YTP_STDOUT_TALLY"

_path = os.environ.get(ENV) or None
_pid = os.getpid()  # a forked child inherits the count, and must not report it
_written = 0
_is_stdout: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def add(stream: Any, size: int) -> None:
    """Count `size` bytes written to `stream`, if it is the job's stdout."""
    global _written
    if _path is not None and _to_stdout(stream):
        _written += size


def counting(stream: Any) -> Callable[[Any], Any]:
    """`stream.write`, counting what it writes when `stream` is the job's stdout."""
    write = stream.write
    if _path is None or not _to_stdout(stream):
        return write

    def write_counted(data: Any) -> Any:
        global _written
        _written += len(data)
        return write(data)

    return write_counted


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


def _report() -> None:
    if _path is not None and os.getpid() == _pid:
        with open(_path, "w") as out:
            out.write(str(_written))


atexit.register(_report)
