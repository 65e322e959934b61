"""DuckDB made ready on a background thread while a stage before a query waits for its jobs.

Before a YQL statement reads a row, dev pays for DuckDB itself: importing its engine
(0.02-0.05 s) and creating the in-memory database the statement runs on (0.03-0.05 s). When
a stage of the run calls `run_yql` (the dev plugin looks for the name in the stages' Python
files as the run starts: `expect`), both are done on a background thread once an operation's
jobs are running (`start_if_expected`, from the driver's wait for them), and the first
statement takes that database (`take_fresh`) instead of making one. A run with no operation
before its first query makes the database in the statement, as without a warm-up.

Not from the start of the run: much of the import holds the GIL, and beside the start-up and
a stage's own Python code (a write from a generator) it cost those 0.06-0.1 s of a 0.5 s
stretch and itself took 0.6 s to finish; a driver waiting for its jobs holds no GIL. The
database is handed over as `new_connection` made it, with nothing run on it, and yql_sandbox
restricts it to the statement's files before the statement's SQL, as it does a new one. A
run that starts the work and never queries closes that database as it ends (`end_run`), as
a statement's database is closed, in the background (`close_later`).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

#: what a stage's code calls to run YQL (the client's method)
QUERY_CALL = "run_yql"

_lock = threading.Lock()
_pending: _Warmup | None = None
#: set as a run starts when one of its stages queries: the next wait for jobs warms up
_expected = threading.Event()


def _make() -> Any:
    # imported here: a run that never queries (hello world) does not load them
    from yt_pipeline_dev.yql_sandbox import import_duckdb, new_connection

    return new_connection(import_duckdb())


class _Warmup(threading.Thread):
    def __init__(self) -> None:
        super().__init__(name="ytp-duckdb-warmup", daemon=False)  # see _close
        self.connection: Any = None

    def run(self) -> None:
        try:
            self.connection = _make()
        except Exception:  # no DuckDB, or it cannot start: the statement says why itself
            self.connection = None


def start() -> None:
    """Begin making a database for the next statement, unless one is under way or made."""
    global _pending
    with _lock:
        if _pending is None:
            _pending = _Warmup()
            _pending.start()


def expect(queries: bool = True) -> None:
    """Whether a stage of this run queries: if so, warm up at the next wait for jobs
    (`start_if_expected`)."""
    if queries:
        _expected.set()
    else:
        _expected.clear()


def start_if_expected() -> None:
    """Called while a driver waits for an operation's jobs: start the warm-up once, when a
    query is expected; otherwise nothing."""
    if _expected.is_set():
        _expected.clear()
        start()


def take_fresh() -> Any:
    """The database made in the background (waiting for it if still in the making), once;
    None when none was started or it could not be made."""
    global _pending
    _expected.clear()  # the query is here: a later wait for jobs needs no warm-up
    with _lock:
        warmup, _pending = _pending, None
    if warmup is None:
        return None
    warmup.join()
    return warmup.connection


def end_run() -> None:
    """As a run ends: no later wait for jobs warms up for it, and a database no statement
    took is closed (once made), not handed to a statement of the next run in this process
    (tests and notebooks run several) nor kept until the process ends."""
    global _pending
    _expected.clear()
    with _lock:
        warmup, _pending = _pending, None
    if warmup is not None:
        threading.Thread(target=_close_when_made, args=(warmup,), name="ytp-duckdb-close",
                         daemon=False).start()


def _close_when_made(warmup: _Warmup) -> None:
    warmup.join()
    if warmup.connection is not None:
        _close(warmup.connection)


def close_later(connection: Any) -> None:
    """Close a statement's database on a background thread: freeing it takes 0.01-0.02 s,
    mostly outside the GIL, and the files it read or wrote are closed already."""
    threading.Thread(target=_close, args=(connection,), name="ytp-duckdb-close",
                     daemon=False).start()


def _close(connection: Any) -> None:
    # Neither thread is a daemon: the interpreter waits for both before it tears down. A
    # daemon thread still inside DuckDB then (a run that ended before its warm-up did) is
    # ended by CPython as it takes the GIL back, unwinding through DuckDB's C++ frames, and
    # the process aborts ("FATAL: exception not rethrown").
    try:
        connection.close()
    except Exception:  # nothing is left to lose: the statement is over
        pass


def stages_query(pipeline_dir: Path, stages: list[str]) -> bool:
    """True when the Python files of one of these stages (stages/<name>/*.py) name the
    client's YQL call."""
    for name in stages:
        for source in sorted((Path(pipeline_dir) / "stages" / name).glob("*.py")):
            try:
                if QUERY_CALL in source.read_text(errors="replace"):
                    return True
            except OSError:
                continue
    return False
