"""The DuckDB process of dev YQL (yql_engine starts it): runs what the driver sends on its
own connections and answers with the rows.

Run as `python -I -c <this file's text> <duckdb's folder> <settings as JSON> <control fd>`,
from the standard library and DuckDB alone, so it starts in the time DuckDB takes to import.
Requests come on stdin and answers go to stdout, each a 4-byte length and a pickle:

- ("connect", config) -> ("ok", id): a new in-memory database; the one made in advance
  (with the settings it was given, nothing run on it) when `config` is those;
- ("execute", id, sql) -> ("ok", description, rows): description as (name, type text) pairs
  or None, every row fetched;
- ("parse", id, sql) -> ("ok", the number of statements): parsed only, nothing run;
- ("close", id): no answer;
- any failure -> ("error", the names of its class and its bases, message).

A database takes DuckDB some 20 ms to make (2.0, 2 cores) and 10 ms to free once a statement
ran on it. The one made in advance is made as the process starts and, when a statement's
database is closed, the next one, then the closed one is freed, both in a thread: DuckDB lets
go of the interpreter's lock meanwhile, so the requests of a query that follows at once are
answered, and its 'connect' waits only for what is left of the making (done in the request
loop, both had it wait 15 ms). Not while a statement runs: on two cores the making took
from DuckDB's own threads the time it saved.

The control pipe carries 8-byte ids of connections to interrupt (DuckDB's interrupt is made
to be called from a thread other than the one running the statement). Its end of file means
the driver is gone or let this process go: it exits at once, even in the middle of a
statement, so no query outlives the run that started it.
"""

import json
import os
import pickle
import signal
import struct
import sys
import threading

_HEADER = struct.Struct(">I")


def _read_exact(stream, size):
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _receive(stream):
    header = _read_exact(stream, _HEADER.size)
    if header is None:
        return None
    body = _read_exact(stream, _HEADER.unpack(header)[0])
    return None if body is None else pickle.loads(body)


def _send(stream, message):
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(body)) + body)
    stream.flush()


def _failure(exc):
    names = [cls.__name__ for cls in type(exc).__mro__
             if cls not in (BaseException, Exception, object)]
    return ("error", names, str(exc))


def _watch_control(fd, connections):
    with os.fdopen(fd, "rb", buffering=0) as control:
        while True:
            data = _read_exact(control, 8)
            if data is None:
                os._exit(0)  # the driver is gone, or done with this process
            connection = connections.get(struct.unpack(">Q", data)[0])
            if connection is not None:
                try:
                    connection.interrupt()
                except Exception:  # closed meanwhile: nothing left to stop
                    pass


class _InAdvance:
    """The database the next 'connect' with the process's settings takes."""

    def __init__(self, duckdb, settings):
        self._duckdb, self._settings = duckdb, settings
        self._made = None
        self._failed = False
        #: set when no database is being made
        self._ready = threading.Event()
        self._ready.set()
        self.renew()

    def renew(self, closing=None):
        """In a thread: make the next database, unless one is made (or an older DuckDB
        cannot), then free `closing`, a database the driver is done with."""
        make = self._made is None and self._ready.is_set() and not self._failed
        if make:
            self._ready.clear()
        if make or closing is not None:
            threading.Thread(target=self._work, args=(make, closing), daemon=True).start()

    def _work(self, make, closing):
        if make:
            try:
                self._made = self._duckdb.connect(config=self._settings)
            except Exception:  # an older DuckDB: the driver's connect says why and retries
                self._failed = True
            finally:
                self._ready.set()
        if closing is not None:
            closing.close()

    def take(self):
        """The database made in advance (waiting for it to be made), or None."""
        self._ready.wait()
        made, self._made = self._made, None
        return made


def main():
    duckdb_dir, settings, control_fd = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
    # a terminal's Ctrl-C reaches the whole process group: the driver decides what it ends,
    # and this process ends with the driver (the control pipe)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.path.insert(0, duckdb_dir)
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    connections = {}
    threading.Thread(target=_watch_control, args=(control_fd, connections),
                     daemon=True).start()
    try:
        try:
            import _duckdb as duckdb
        except ImportError:
            import duckdb
    except ImportError as exc:
        _send(answers, ("missing", str(exc)))
        return
    _send(answers, ("hello", getattr(duckdb, "__version__", "?")))

    advance = _InAdvance(duckdb, settings)
    next_id = 1
    while True:
        request = _receive(requests)
        if request is None:
            # at once, as when the control pipe ends: an interpreter finishing while a
            # thread frees or makes a database in DuckDB aborts (SIGABRT)
            os._exit(0)
        kind = request[0]
        if kind == "close":
            connection = connections.pop(request[1], None)
            advance.renew(closing=connection)
            continue
        try:
            if kind == "connect":
                config = request[1]
                made = advance.take() if config == settings else None
                if made is not None:
                    connection = made
                else:
                    connection = duckdb.connect(config=config or {})
                connections[next_id] = connection
                answer = ("ok", next_id)
                next_id += 1
            elif kind == "execute":
                cursor = connections[request[1]].execute(request[2])
                description = cursor.description
                rows = cursor.fetchall() if description is not None else []
                answer = ("ok", [(str(column[0]), str(column[1])) for column in description]
                          if description is not None else None, rows)
            elif kind == "parse":
                answer = ("ok", len(connections[request[1]].extract_statements(request[2])))
            else:
                answer = ("error", ["Error"], "unknown request " + repr(kind))
            _send(answers, answer)
        except Exception as exc:
            _send(answers, _failure(exc))


if __name__ == "__main__":
    main()
