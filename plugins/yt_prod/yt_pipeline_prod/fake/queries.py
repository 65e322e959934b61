"""A small query tracker: YQL `INSERT INTO `//t` SELECT ...` and `SELECT ...` on DuckDB.

Tables named in backticks (`//home/x`) are loaded from the fake Cypress into DuckDB; USE and
PRAGMA statements are skipped. Anything DuckDB cannot run fails the query with its message,
which is what a test of error handling needs.
"""

from __future__ import annotations

import datetime
import decimal
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yt_pipeline_prod.fake.branches import write_rows
from yt_pipeline_prod.fake.cypress import Node, new_id, normalize
from yt_pipeline_prod.fake.protocol import Request, YtFakeError
from yt_pipeline_prod.fake.tables import dump_json_rows, require_json

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.state import FakeState

_BACKTICK = re.compile(r"`([^`]*)`")
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+`([^`]+)`\s*(WITH\s+TRUNCATE\s*)?(.*)$",
                     re.IGNORECASE | re.DOTALL)
_SKIPPED = re.compile(r"^\s*(USE|PRAGMA)\b", re.IGNORECASE)


@dataclass
class FakeQuery:
    id: str
    engine: str
    text: str
    state: str = "pending"
    error: dict[str, Any] | None = None
    results: list[list[dict[str, Any]]] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    finished: float | None = None
    #: the query's settings as sent (the pool, for one)
    settings: dict[str, Any] = field(default_factory=dict)


def split_statements(text: str) -> list[str]:
    """Statements separated by `;` outside quotes and backticks."""
    statements, current, quote = [], [], ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char == ";":
            statements.append("".join(current))
            current = []
            continue
        current.append(char)
    statements.append("".join(current))
    return [s.strip() for s in statements if s.strip()]


def _plain_value(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    return value


class QueryRunner:
    def __init__(self, state: FakeState, query: FakeQuery):
        self.state = state
        self.query = query
        self.loaded: dict[str, str] = {}

    def run(self) -> None:
        query = self.query
        query.state = "running"
        try:
            import duckdb
        except ImportError:
            self._fail("the fake query tracker needs duckdb (pip install duckdb)")
            return
        try:
            with tempfile.TemporaryDirectory(prefix="fake-yql-") as scratch:
                connection = duckdb.connect()
                try:
                    for statement in split_statements(query.text):
                        if not _SKIPPED.match(statement):
                            self._statement(connection, statement, Path(scratch))
                finally:
                    connection.close()
            query.state = "completed"
        except (duckdb.Error, YtFakeError) as error:
            self._fail(str(error).strip().splitlines()[0] if str(error).strip() else repr(error))
        finally:
            query.finished = time.time()

    def _fail(self, message: str) -> None:
        self.query.state = "failed"
        self.query.error = {"code": 1, "message": message, "attributes": {}, "inner_errors": []}

    def _table(self, connection: Any, path: str, scratch: Path) -> str:
        path = normalize(path)
        if path in self.loaded:
            return self.loaded[path]
        cypress = self.state.cypress
        node = cypress.lookup(cypress.resolve(path, None), None)
        if node is None or node.type != "table":
            raise YtFakeError(f"Table {path} does not exist")
        name = f"ytp_input_{len(self.loaded)}"
        if node.rows:
            source = scratch / f"{name}.jsonl"
            source.write_bytes(dump_json_rows(node.rows))
            connection.execute(
                f"CREATE TABLE {name} AS SELECT * FROM read_json_auto('{source}', "
                "format='newline_delimited')"
            )
        else:
            connection.execute(f"CREATE TABLE {name} (ytp_empty INTEGER)")
        self.loaded[path] = name
        return name

    def _rewrite(self, connection: Any, sql: str, scratch: Path) -> str:
        def replace(match: re.Match[str]) -> str:
            inner = match.group(1)
            if inner.startswith("//"):
                return self._table(connection, inner, scratch)
            return '"' + inner.replace('"', '""') + '"'

        return _BACKTICK.sub(replace, sql)

    def _statement(self, connection: Any, statement: str, scratch: Path) -> None:
        insert = _INSERT.match(statement)
        select = insert.group(3) if insert else statement
        cursor = connection.execute(self._rewrite(connection, select, scratch))
        columns = [item[0] for item in cursor.description or []]
        rows = [{c: _plain_value(v) for c, v in zip(columns, values, strict=True)}
                for values in cursor.fetchall()]
        if insert is None:
            self.query.results.append(rows)
            return
        self._write(normalize(insert.group(1)), rows, truncate=bool(insert.group(2)))

    def _write(self, path: str, rows: list[dict[str, Any]], truncate: bool) -> None:
        cypress = self.state.cypress
        with cypress.lock:
            existing = cypress.lookup(path, None)
            if existing is None:
                cypress.ensure_parents(path, None, recursive=True)
                cypress.create(path, Node("table", rows=rows), None)
                return
            write_rows(cypress, path, rows, not truncate, None)


def _query(state: FakeState, request: Request) -> FakeQuery:
    query = state.queries.get(str(request.param("query_id")))
    if query is None:
        raise YtFakeError(f"No such query {request.param('query_id')}", code=1)
    return query


def cmd_start_query(state: FakeState, request: Request) -> Any:
    engine = str(request.param("engine"))
    if engine != "yql":
        raise YtFakeError(f"the fake query tracker only runs yql, not {engine}")
    query = FakeQuery(new_id(), engine, str(request.param("query")),
                      settings=dict(request.param("settings") or {}))
    state.queries[query.id] = query
    threading.Thread(target=QueryRunner(state, query).run, daemon=True).start()
    return {"query_id": query.id}


def cmd_get_query(state: FakeState, request: Request) -> Any:
    query = _query(state, request)
    info: dict[str, Any] = {
        "id": query.id, "engine": query.engine, "query": query.text, "state": query.state,
        "result_count": len(query.results),
        "start_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(query.started)),
    }
    if query.error:
        info["error"] = query.error
    if query.finished:
        info["finish_time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(query.finished))
    wanted = request.param("attributes")
    if wanted:
        info = {k: v for k, v in info.items() if k in {str(a) for a in wanted}}
    return info


def cmd_read_query_result(state: FakeState, request: Request) -> tuple[bytes, dict[str, Any]]:
    require_json(request.param("output_format"), "read_query_result")
    query = _query(state, request)
    index = int(request.param("result_index") or 0)
    if query.state != "completed" or index >= len(query.results):
        raise YtFakeError(f"Query {query.id} has no result {index}")
    return dump_json_rows(query.results[index]), {}


def cmd_abort_query(state: FakeState, request: Request) -> None:
    query = _query(state, request)
    if query.state in ("pending", "running"):
        query.state = "aborted"


HANDLERS = {
    "start_query": cmd_start_query, "get_query": cmd_get_query,
    "read_query_result": cmd_read_query_result, "abort_query": cmd_abort_query,
}


