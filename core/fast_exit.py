"""Leaving the `yt-pipeline` command without tearing the interpreter down.

A normal exit ends with CPython freeing every module and object one by one, which after a
run costs 20 to 60 ms (bench/compare: a tenth of a hello-world run) and leaves nothing on
disk. What a normal exit does that matters is done first: the atexit handlers (logging's
flush, jobs still running killed, temporary folders removed) and the standard streams
flushed, after waiting, as a normal exit does, for the threads that are not daemons.

The teardown is not only slow: a daemon thread (a stage's, after Ctrl-C) still inside
DuckDB's C++ code is ended by CPython as it takes the GIL back, unwinding through those
frames, and the process aborts ("terminate called ... FATAL: exception not rethrown",
exit code -6; in 3 of 8 runs interrupted during a query).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading


def _wait_for_others() -> None:
    """Join the threads that are not daemons, as CPython's exit does before its atexit
    handlers (one may start another)."""
    current = threading.current_thread()
    while True:
        waiting = [thread for thread in threading.enumerate()
                   if thread is not current and not thread.daemon and thread.is_alive()]
        if not waiting:
            return
        for thread in waiting:
            thread.join()


def leave(code: int) -> None:
    """Exit the process with `code`; never returns."""
    run_exit_functions = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_functions is None:
        sys.exit(code)
    _wait_for_others()
    run_exit_functions()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass  # closed, or not a file: nothing is left to write
    os._exit(code)
