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

A database takes DuckDB some 20 ms to make (2.0, 2 cores), the driver's part of a statement
less, so the one made in advance is made as the process starts and, once taken, the next one
at once, in a thread: DuckDB lets go of the interpreter's lock while it makes one, and the
statement that took the last goes on meanwhile (made when that statement closed, the next
one was not ready for a query that followed at once: 'connect' waited 15 ms).

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
    """The database the next 'connect' with the process's settings takes, made in a thread
    from the start and again as soon as one is taken."""

    def __init__(self, duckdb, settings):
        self._duckdb, self._settings = duckdb, settings
        self._made = None
        self._thread = None
        self._start()

    def _start(self):
        self._thread = threading.Thread(target=self._make, daemon=True)
        self._thread.start()

    def _make(self):
        try:
            self._made = self._duckdb.connect(config=self._settings)
        except Exception:  # an older DuckDB: the driver's connect says why and retries
            self._made = None

    def take(self):
        """The database made in advance (waiting for it), or None when it could not be
        made; the next one is started either way."""
        self._thread.join()
        made, self._made = self._made, None
        if made is not None:
            self._start()
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
            if connection is not None:
                # freeing a database that ran a statement takes DuckDB some 10 ms, which
                # the next request (a 'connect', mostly) need not wait for
                threading.Thread(target=connection.close, daemon=True).start()
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
