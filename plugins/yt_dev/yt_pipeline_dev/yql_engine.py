"""DuckDB for dev YQL, in processes of its own (yql_engine_main), one per statement running.

Why not in the driver: before its first row, a statement pays for DuckDB itself, importing
its engine (0.04 s) and creating a database (0.03 s), all of it holding the interpreter's
lock. Done in the driver ahead of time, beside the jobs of a map, it stalled the threads
that feed the jobs their input and the map took as long longer as the query saved (map
0.54 -> 0.60 s, query 0.23 -> 0.19 s on the 1M-row bench, 2 cores). A process of its own
starts as the run does, when a stage's code calls run_yql (`prepare`), on the core the
single-threaded driver leaves idle while it starts and writes, and is ready long before the
query: the statement finds DuckDB imported and its database made, and the driver never
imports DuckDB at all (its memory stays that of the rows it handles).

`engine()` gives what yql_duckdb, yql_sandbox and yql_semantics use as the `duckdb` module:
`connect(config=...)` returning a connection whose `execute(sql)` gives `fetchall()` and
`description`, with `extract_statements(sql)` and `close()` (yql_deadline interrupts the
request a thread waits on: `interrupt_thread`); the errors as classes of the names DuckDB
raised (`Error`, `ParserException`, ...), so the code that catches and tells them apart
reads as it did with DuckDB in the process. Each connection holds its process until
closed; a process is then kept for the next statement (with a database made in advance:
yql_engine_main), at most `KEEP_IDLE` of them; not one whose statement was
abandoned (Ctrl-C while it ran): it would still be running it, and its answer would be
read as the next request's.
A statement interrupted for `KILL_AFTER_S` without stopping ends with its process killed.

The processes hold no secret (their environment is only PATH, HOME, the locale and TMPDIR)
and end with the driver: they read the end of a pipe only the driver holds open.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pickle
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_engine_settings import DUCKDB_SETTINGS

#: settings that would reach outside the allowed files: extensions are neither fetched nor
#: loaded (JSON, which the tables need, is built in). YQL's own settings (integer division,
#: NULL's place in an order) are added by yql_semantics.connect.
CLOSED = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
#: what a statement's database is made with (yql_sandbox.new_connection through
#: yql_semantics.connect): the database made in advance has it
STATEMENT_SETTINGS = {**CLOSED, **DUCKDB_SETTINGS}
MISSING = "YQL in dev mode needs DuckDB: pip install 'yt-pipeline-dev[yql]'"
#: idle processes kept for later statements (each holds DuckDB: some 60 MiB)
KEEP_IDLE = 2
#: what the driver's environment gives the engine: nothing else (YT_TOKEN, secrets)
_ENV_KEPT = ("PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "LC_CTYPE")
#: seconds a statement is interrupted for (yql_deadline repeats the interrupt) before its
#: process is killed: one that no longer reads its control pipe (stopped by SIGSTOP, or
#: DuckDB busy where it never looks at the interrupt) would hold the query past its limit
KILL_AFTER_S = 5.0
#: seconds a process let go is given to exit before it is killed
END_WAIT_S = 2.0
_HEADER = struct.Struct(">I")
_MAIN = Path(__file__).with_name("yql_engine_main.py")


class Error(Exception):
    """DuckDB's `Error`: the base of every error the engine raises."""


_classes: dict[str, type[Exception]] = {"Error": Error}
_classes_lock = threading.Lock()


def error_class(name: str, bases: list[str] | None = None) -> type[Exception]:
    """The class of DuckDB's error `name` (made once, below the first of `bases`, the names
    of its bases from the nearest, that is known, else below Error)."""
    with _classes_lock:
        if name not in _classes:
            parent = next((_classes[base] for base in bases or [] if base in _classes), Error)
            _classes[name] = type(name, (parent,), {"__module__": __name__})
        return _classes[name]


def _raised(names: list[str], message: str) -> Exception:
    if "Error" not in names:  # not DuckDB's: a failure of the engine process itself
        return RuntimeError(f"DuckDB's process: {names[0] if names else 'error'}: {message}")
    for index in range(len(names) - 1, -1, -1):  # bases first, so each finds its parent
        error_class(names[index], names[index + 1:])
    return _classes[names[0]](message)


def duckdb_folder() -> str | None:
    """The folder DuckDB's module is imported from (found without importing it)."""
    for name in ("_duckdb", "duckdb"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is not None and spec.origin:
            origin = Path(spec.origin)
            return str(origin.parent.parent if origin.name == "__init__.py" else origin.parent)
    return None


class _Process:
    """One engine process: a request at a time, from the connection that holds it."""

    #: DuckDB's version, once a process has said it
    known_version: str | None = None

    def __init__(self, folder: str):
        control_read, self._control = os.pipe()
        env = {key: os.environ[key] for key in _ENV_KEPT if key in os.environ}
        try:
            self.popen = subprocess.Popen(
                [sys.executable, "-I", "-c", _MAIN.read_text(), folder,
                 json.dumps(STATEMENT_SETTINGS), str(control_read)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                pass_fds=[control_read], env=env)
        except BaseException:
            os.close(self._control)
            raise
        finally:
            os.close(control_read)
        # an interrupt that does not fit is one of many the process has not read yet
        os.set_blocking(self._control, False)
        self._requests: IO[bytes] = self.popen.stdin  # type: ignore[assignment]
        self._answers: IO[bytes] = self.popen.stdout  # type: ignore[assignment]
        self._version: str | None = None
        #: a request was sent and its answer not read: the caller gave up on it (an
        #: exception such as Ctrl-C's between the two), and the answer, when it comes, would
        #: be read as the next request's
        self.pending = False
        #: when the pending request was first interrupted
        self._interrupted_at: float | None = None
        self._asked: int | None = None

    def version(self) -> str:
        """DuckDB's version, once the process has imported it (waiting for that)."""
        if self._version is None:
            hello = self._receive()
            if hello[0] == "missing":
                raise QueryFailed(MISSING)
            self._version = _Process.known_version = str(hello[1])
        return self._version

    def call(self, *request: Any) -> Any:
        thread = threading.get_ident()
        _waiting[thread] = self
        # the connection a request runs on: what an interrupt of it stops
        self._asked = request[1] if request[0] in ("execute", "parse") else None
        self.pending, self._interrupted_at = True, None
        try:
            self.version()
            self._send(request)
            answer = self._receive()
            self.pending = False
        finally:
            _waiting.pop(thread, None)
        if answer[0] == "error":
            raise _raised(answer[1], answer[2])
        return answer[1:]

    def tell(self, *request: Any) -> None:
        self._send(request)

    def interrupt(self) -> None:
        """Stop the pending request's statement, and kill the process when it has not
        answered KILL_AFTER_S after the first time."""
        if self._control < 0:
            return  # let go: its number may be another file's by now
        if self.pending:
            now = time.monotonic()
            if self._interrupted_at is None:
                self._interrupted_at = now
            elif now - self._interrupted_at >= KILL_AFTER_S:
                self.popen.kill()  # the statement fails as the process ends (_gone)
                return
        connection_id = self._asked if self.pending else None
        if connection_id is None:
            return  # a new database or DuckDB's import: nothing DuckDB can stop
        try:
            os.write(self._control, struct.pack(">Q", connection_id))
        except BlockingIOError:
            pass

    def alive(self) -> bool:
        return self.popen.poll() is None

    def end(self) -> None:
        for stream in (self._requests, self._answers):
            try:
                stream.close()
            except OSError:
                pass
        control, self._control = self._control, -1
        if control >= 0:
            os.close(control)
        # it exits as it reads the end of the control pipe (at once, even mid-statement);
        # waited for, or a notebook's process would keep it as a zombie
        try:
            self.popen.wait(timeout=END_WAIT_S)
        except subprocess.TimeoutExpired:  # stopped: it reads nothing
            self.popen.kill()
            self.popen.wait()

    def _send(self, request: tuple[Any, ...]) -> None:
        body = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._requests.write(_HEADER.pack(len(body)) + body)
            self._requests.flush()
        except (BrokenPipeError, ValueError):
            raise self._gone() from None

    def _receive(self) -> Any:
        header = self._answers.read(_HEADER.size)
        size = _HEADER.unpack(header)[0] if len(header) == _HEADER.size else 0
        body = self._answers.read(size) if size else b""
        if not body or len(body) < size:  # ended, maybe in the middle of an answer
            raise self._gone()
        return pickle.loads(body)

    def _gone(self) -> Exception:
        code = self.popen.wait()
        how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        return Error(f"DuckDB's process ended ({how})")


#: the process each thread waits on for an answer (interrupt_thread)
_waiting: dict[int, _Process] = {}


def interrupt_thread(thread: int) -> None:
    """Interrupt what thread `thread` waits for an engine process to answer, whatever the
    request (a statement, or the making of its database): yql_deadline's watch of a
    statement from its connection's making to its end."""
    process = _waiting.get(thread)
    if process is not None:
        process.interrupt()


class _Result:
    def __init__(self, description: list[tuple[str, str]] | None, rows: list[Any]):
        self.description = description
        self._rows = rows

    def fetchall(self) -> list[Any]:
        return self._rows


class Connection:
    """A database in an engine process, used as a DuckDB connection."""

    def __init__(self, pool: _Pool, process: _Process, config: dict[str, Any] | None):
        self._pool, self._process = pool, process
        try:
            (self._id,) = process.call("connect", config)
        except BaseException:
            pool.give_back(process)
            raise
        self._closed = False

    def execute(self, sql: str) -> _Result:
        if self._closed:
            raise error_class("ConnectionException")("Connection already closed!")
        return _Result(*self._process.call("execute", self._id, sql))

    def extract_statements(self, sql: str) -> list[None]:
        """Parse `sql` only (its parser error raised); one item a statement."""
        (count,) = self._process.call("parse", self._id, sql)
        return [None] * count

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._process.tell("close", self._id)
        except Error:
            pass  # the process is gone: its database with it
        self._pool.give_back(self._process)


class _Pool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Process] = []
        self._folder: str | None = None

    def folder(self) -> str:
        if self._folder is None:
            self._folder = duckdb_folder()
            if self._folder is None:
                raise QueryFailed(MISSING)
        return self._folder

    def prepare(self) -> None:
        """An idle process, started now unless one is there already."""
        with self._lock:
            if any(process.alive() for process in self._idle):
                return
        process = _Process(self.folder())
        with self._lock:
            self._idle.append(process)

    def take(self) -> _Process:
        with self._lock:
            while self._idle:
                process = self._idle.pop(0)
                if process.alive():
                    return process
                process.end()
        return _Process(self.folder())

    def give_back(self, process: _Process) -> None:
        # one whose answer is pending is still running the abandoned statement: let it go
        with self._lock:
            if process.alive() and not process.pending and len(self._idle) < KEEP_IDLE:
                self._idle.append(process)
                return
        process.end()

    def version(self) -> str:
        """DuckDB's version: as the first process to start said (all run the same one)."""
        if _Process.known_version is None:
            process = self.take()
            try:
                process.version()
            finally:
                self.give_back(process)
        assert _Process.known_version is not None
        return _Process.known_version

    def end_all(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for process in idle:
            process.end()


_pool = _Pool()


class Engine:
    """What the YQL code uses as the `duckdb` module, backed by engine processes."""

    Error = Error

    def __getattr__(self, name: str) -> Any:
        if name.endswith(("Exception", "Error")):
            return error_class(name)
        if name == "__version__":
            return _pool.version()
        raise AttributeError(name)

    def connect(self, database: str = ":memory:", read_only: bool = False,
                config: dict[str, Any] | None = None) -> Connection:
        if database != ":memory:" or read_only:
            raise ValueError("dev YQL's databases are in memory")
        return Connection(_pool, _pool.take(), config)


def engine() -> Engine:
    """DuckDB for a query (QueryFailed when it is not installed)."""
    _pool.folder()
    return Engine()


def prepare() -> None:
    """Start a process now for a statement to come (nothing when DuckDB is missing: the
    statement says so itself)."""
    try:
        _pool.prepare()
    except (QueryFailed, OSError):
        pass


def end_all() -> None:
    """Let every idle process go (they exit as they read the end of their pipes)."""
    _pool.end_all()

