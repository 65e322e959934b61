"""Everything one fake proxy holds: Cypress, operations, queries, counters, faults."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from yt_pipeline_prod.fake.cypress import Cypress
from yt_pipeline_prod.fake.faults import Faults

log = logging.getLogger("yt_pipeline_prod.fake")


@dataclass
class FakeState:
    cypress: Cypress = field(default_factory=Cypress)
    faults: Faults = field(default_factory=Faults)
    #: requests per command name (`write_file`, `start_operation`, ...)
    calls: Counter[str] = field(default_factory=Counter)
    #: request body bytes received per command, after decompression
    bytes_in: Counter[str] = field(default_factory=Counter)
    #: every start_operation spec as received, for tests to inspect
    specs: list[dict[str, Any]] = field(default_factory=list)
    #: the token requests must carry (None: any token, or none, is accepted)
    token: str | None = None
    #: extra environment every job gets
    job_env: dict[str, str] = field(default_factory=dict)
    #: the interpreter jobs run as `python3` (None: the oldest one on this machine), always
    #: in an empty virtual environment of its own
    job_python: str | None = None
    #: how long one job may run before it is killed
    job_timeout_s: float = 120.0
    operations: dict[str, Any] = field(default_factory=dict)
    #: commands being handled right now (a slow answer counts until it is sent)
    in_flight: int = 0
    queries: dict[str, Any] = field(default_factory=dict)
    #: the name in //sys/@cluster_name, the one cluster the query tracker knows
    cluster_name: str | None = "primary"
    #: rows a query result keeps (the query tracker's default `row_count_limit`)
    result_row_limit: int = 10_000
    #: errors the next queries' last results get instead of rows, for tests
    result_errors: list[str] = field(default_factory=list)
    #: how long each query runs before its first statement: a query still running, for
    #: tests that stop a run while it waits on one
    query_delay_s: float = 0.0
    #: how long a query that has ended stays `completing` or `failing` before the tracker
    #: makes it `completed` or `failed` (queries.py), for tests that reach a limit then
    query_finishing_s: float = 0.0
    #: abort requests the fake query tracker refuses next, as a cluster's does while the
    #: query's state is being written (queries.py), for tests
    abort_conflicts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: answers of mutating commands by mutation id
    mutations: dict[str, Any] = field(default_factory=dict)
    mutation_lock: threading.Lock = field(default_factory=threading.Lock)
    #: exceptions the fake's operation and query threads did not expect (bugs of the fake),
    #: as one line each; `FakeYtProxy.stop` raises while any is left here
    internal_errors: list[str] = field(default_factory=list)

    def broke(self, what: str, error: BaseException) -> str:
        """Keep an unexpected exception of an operation's or a query's thread, with its
        traceback in the log, and give the line its error says."""
        line = f"the fake {what} broke: {error!r}"
        log.error("%s", line, exc_info=error)
        with self.lock:
            self.internal_errors.append(line)
        return line

    def python_bin(self) -> str:
        """The folder whose `python3` jobs run."""
        from yt_pipeline_prod.fake.interpreter import bare_python_bin, oldest_python

        return bare_python_bin(self.job_python or oldest_python())

    def count(self, command: str, body_bytes: int) -> None:
        with self.lock:
            self.calls[command] += 1
            self.bytes_in[command] += body_bytes

    def once(self, mutation_id: Any, action: Callable[[], Any]) -> Any:
        """Run a mutating command once per mutation id, as YT does: a request the client
        sends again after a lost or late answer gets the first answer instead of running
        twice (a second start_operation would otherwise start a second operation)."""
        if not mutation_id:
            return action()
        with self.mutation_lock:
            key = str(mutation_id)
            if key not in self.mutations:
                self.mutations[key] = action()
            return self.mutations[key]
