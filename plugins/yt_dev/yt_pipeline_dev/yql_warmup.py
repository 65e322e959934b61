"""DuckDB made ready on a background thread while the stages before a query run.

Before a YQL statement reads a row, dev pays for DuckDB itself: importing its engine
(0.02-0.05 s) and creating the in-memory database the statement runs on (0.03-0.05 s),
and both run mostly outside the GIL. So when a stage of the run calls `run_yql` (the dev
plugin looks for the name in the stages' Python files as the run starts), they are done on
a background thread from the start of the run, and the first statement takes that database
(`take_fresh`) instead of making one. It is handed over as `new_connection` made it, with
nothing run on it, and yql_sandbox restricts it to the statement's files before the
statement's SQL, as it does a new one. A run that starts the work and never queries keeps
an idle in-memory database until it ends. A statement's database is closed in the
background too (`close_later`).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

#: what a stage's code calls to run YQL (the client's method)
QUERY_CALL = "run_yql"

_lock = threading.Lock()
_pending: _Warmup | None = None


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


def take_fresh() -> Any:
    """The database made in the background (waiting for it if still in the making), once;
    None when none was started or it could not be made."""
    global _pending
    with _lock:
        warmup, _pending = _pending, None
    if warmup is None:
        return None
    warmup.join()
    return warmup.connection


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
