"""A fake YT HTTP proxy for tests: the real ytsaurus-client talks to it on 127.0.0.1.

It keeps Cypress in memory (tables, files, documents, links, transactions and their locks,
expiration times), really runs operations as local processes and runs a small subset of YQL
on DuckDB, seeing tables as a cluster's YQL does (schemaless ones only through
yt.InferSchema). Writes take the locks a cluster takes and conflicting ones fail with its
error (402); a commit merges appends into the table as it is then. Rows are read and written
as a cluster's JSON format does, NaN, overflow and repeated keys included (json_rows).
Written rows are checked against a table's schema, a non-strict one's named columns too
(yql_tables.writer_columns), and, once it is a sorted one, against its key order
(sorted_tables). It does not check ACLs or quotas.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from yt_pipeline_prod.fake.cypress import POOL_TREES, Node, normalize
from yt_pipeline_prod.fake.state import FakeState


class FakeProxyBroke(AssertionError):
    """The fake itself failed while running an operation or a query: a bug of the fake."""


class FakeYtProxy:
    """Start with `start()` (or as a context manager); `url` is what YT_PROXY should be."""

    def __init__(self, token: str | None = None, job_env: dict[str, str] | None = None,
                 job_python: str | None = None, cluster_name: str | None = "primary"):
        """`job_python`: the interpreter jobs run as a bare `python3` (default: the oldest
        Python 3.8+ on this machine, as the stock cluster image has 3.8)."""
        self.state = FakeState(token=token, job_env=dict(job_env or {}), job_python=job_python,
                               cluster_name=cluster_name)
        sys_node = self.state.cypress.base["//sys"]
        if cluster_name and sys_node is not None:
            # where clients read the cluster's name (set by the operator's init job)
            sys_node.attributes["cluster_name"] = cluster_name
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------------
    def start(self) -> FakeYtProxy:
        from yt_pipeline_prod.fake.server import ProxyServer

        self._server = ProxyServer(("127.0.0.1", 0), self.state)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; then raise FakeProxyBroke if an operation's or a query's thread met
        an exception the fake did not expect (a test that provokes one clears
        `internal_errors`)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self.state.internal_errors:
            broken, self.state.internal_errors = self.state.internal_errors, []
            raise FakeProxyBroke("; ".join(broken))

    def __enter__(self) -> FakeYtProxy:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- what tests look at -------------------------------------------------------------
    @property
    def faults(self) -> Any:
        return self.state.faults

    @property
    def internal_errors(self) -> list[str]:
        """The unexpected exceptions of operation and query threads so far, one line each."""
        return self.state.internal_errors

    @property
    def calls(self) -> Any:
        """Requests per command name."""
        return self.state.calls

    @property
    def bytes_in(self) -> Any:
        return self.state.bytes_in

    @property
    def specs(self) -> list[dict[str, Any]]:
        return self.state.specs

    @property
    def jobs(self) -> list[Any]:
        """Every job run so far (command line, environment, stderr), operation by operation."""
        return [job for op in list(self.state.operations.values()) for job in op.jobs]

    def fail_next_result(self, message: str) -> None:
        """The last result of the next query that has results becomes this error."""
        self.state.result_errors.append(message)

    def reset_counters(self) -> None:
        self.state.calls.clear()
        self.state.bytes_in.clear()

    def rows(self, path: str) -> list[dict[str, Any]]:
        """The committed rows of a table."""
        node = self.state.cypress.lookup(normalize(path), None)
        if node is None or node.type != "table":
            raise KeyError(f"no table {path}")
        return [dict(row) for row in node.rows]

    def file_bytes(self, path: str) -> bytes:
        node = self.state.cypress.lookup(normalize(path), None)
        if node is None or node.type != "file":
            raise KeyError(f"no file {path}")
        return node.data

    def put_table(self, path: str, rows: list[dict[str, Any]]) -> None:
        """Seed a committed table (parents created)."""
        cypress = self.state.cypress
        with cypress.lock:
            path = normalize(path)
            cypress.ensure_parents(path, None, recursive=True)
            cypress.put(path, Node("table", rows=[dict(r) for r in rows]), None)

    def add_pool_tree(self, name: str) -> None:
        """A pool tree the scheduler has besides `default`, as an administrator creates one
        (//sys/pool_trees/<name>)."""
        cypress = self.state.cypress
        with cypress.lock:
            cypress.put(f"{POOL_TREES}/{name}", Node("map_node"), None)

    def wait_idle(self, timeout_s: float = 10.0) -> None:
        """Wait until no command is being answered and no operation is running: requests
        a client gave up on (slow answers) and operations it stopped watching are done."""
        deadline = time.monotonic() + timeout_s
        while self.state.in_flight or any(
                op.finished is None for op in list(self.state.operations.values())):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the fake proxy is still busy after {timeout_s}s")
            time.sleep(0.02)

    def transaction_count(self) -> int:
        return len(self.state.cypress.transactions)


__all__ = ["FakeProxyBroke", "FakeYtProxy"]
