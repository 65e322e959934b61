"""A small query tracker: YQL `INSERT INTO `//t` SELECT ...` and `SELECT ...` on DuckDB.

Tables named in backticks (`//home/x`, `cluster.`//home/x``) are loaded from the fake
Cypress into DuckDB with the columns a cluster's YQL would see (yql_tables); USE selects
the cluster, PRAGMA statements other than yt.InferSchema / yt.ForceInferSchema are skipped.
Anything DuckDB cannot run fails the query with its message, which is what a test of error
handling needs.

As on a cluster, each result keeps at most `row_count_limit` rows (10,000 by default,
yt/yt/server/query_tracker/config.cpp) and says so in `is_truncated`, which
`get_query_result` returns with the result's error, if any (the fields of
yt/yt/client/api/query_tracker_client.cpp, `Serialize(TQueryResult)`).
"""

from __future__ import annotations

import datetime
import decimal
import json
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yt.yson as yt_yson

from yt_pipeline.column_types import as_stored_text, narrowed_select, widen_rows
from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_clauses import UngroupedColumn, place
from yt_pipeline.yql_functions import UNWRAP_FAILED
from yt_pipeline.yql_in import ANSI_IN, pragma_sets_ansi_in
from yt_pipeline.yql_join_shape import join_shape_error
from yt_pipeline.yql_join_using import using_error_line
from yt_pipeline.yql_macros import Macros
from yt_pipeline.yql_members import member_error_line
from yt_pipeline.yql_named import expand_named
from yt_pipeline.yql_positions import TABLE, syntax_error_line
from yt_pipeline.yql_presort import (
    bytes_columns,
    encode_hidden,
    hidden_select,
    presort_supported,
)
from yt_pipeline.yql_required import required_columns
from yt_pipeline.yql_rules import (
    HiddenColumn,
    duplicate_columns,
    hidden_key_columns,
    hidden_sort,
    insert_distinct_by,
    insert_sort_items,
    sort_key_of,
    sorted_unique,
)
from yt_pipeline.yql_semantics import connect, failure_meaning, with_candidates
from yt_pipeline.yql_statements import split_statements
from yt_pipeline.yql_sums import sums_as_yql
from yt_pipeline.yql_times import counted_rows, timed_select
from yt_pipeline.yql_type_v3 import composite_duckdb_type
from yt_pipeline.yql_union_types import refuse_mixed_union
from yt_pipeline.yql_unions import POSITIONAL_UNION, pragma_sets_positional_union
from yt_pipeline.yql_unique_source import plain_read, source_unique_key
from yt_pipeline.yql_utf8 import string_literals, utf8_columns
from yt_pipeline.yql_yson import known, node_in_result, yson_columns, yson_select, yson_values
from yt_pipeline_prod.fake.branches import write_rows
from yt_pipeline_prod.fake.cypress import Node, new_id, normalize
from yt_pipeline_prod.fake.job_plans import sort_rows
from yt_pipeline_prod.fake.json_rows import dump_rows, stringifies
from yt_pipeline_prod.fake.json_text import wire_bytes
from yt_pipeline_prod.fake.protocol import Request, YtFakeError
from yt_pipeline_prod.fake.query_writes import KeptNodes
from yt_pipeline_prod.fake.sorted_tables import strong_key, unique_keys, without_unique_keys
from yt_pipeline_prod.fake.tables import require_json
from yt_pipeline_prod.fake.yql_errors import issue_of_line, query_error
from yt_pipeline_prod.fake.yql_tables import (
    check_append,
    columns_for_read,
    converted_rows,
    declared_v3,
    declared_yson,
    projected,
    yql_schema,
)
from yt_pipeline_prod.fake.yql_text import (
    FAKE_TRACKER,
    duckdb_strings,
    infer_rows,
    parse_insert,
    refuse_forms,
    replace_tables,
    table_cluster,
    used_cluster,
    yql_meaning,
)

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.state import FakeState

#: the states of a query stopped by `abort_query`: first one, then the other
ABORTED = ("aborting", "aborted")
#: the state a query's engine leaves it in when it ends, and the one the tracker then gives
#: it: the handler writes `completing` or `failing` (TQueryHandlerBase::OnQueryCompleted and
#: OnQueryFailed in yt/yt/server/query_tracker/handler_base.cpp), and the tracker's ping of
#: the query finishes it, `completed` or `failed` (query_tracker.cpp, FinishQueryLoop).
#: Neither is a state `abort_query` takes (IsPreFinishedState, yt/yt/ytlib/
#: query_tracker_client/helpers.cpp)
FINISHED_AS = {"completing": "completed", "failing": "failed", "aborting": "aborted"}
#: the user the fake runs everything as (an operation's `authenticated_user` too)
FAKE_USER = "root"
#: the query tracker's own error codes (YT_DEFINE_ERROR_ENUM in yt/yt/client/
#: query_tracker_client/public.h): a query, or a result of one, that is not there
QUERY_NOT_FOUND = 3901
QUERY_RESULT_NOT_FOUND = 3902
#: the query tracker stages the fake's cluster has: the one a test cluster configures
#: (`stages: {production: {}}`, the query_tracker_environment fixture of yt/yt/tests/
#: integration/queries/environment), which every command's `stage` defaults to
STAGES = ("production",)

@dataclass
class FakeResult:
    rows: list[dict[str, Any]]
    is_truncated: bool = False
    error: dict[str, Any] | None = None
    #: the result's table schema, which get_query_result gives with it (the `schema`
    #: column of finished_query_results: TQueryTrackerProxy::GetQueryResult)
    schema: Any = None


@dataclass
class FakeQuery:
    id: str
    engine: str
    text: str
    state: str = "pending"
    error: dict[str, Any] | None = None
    results: list[FakeResult] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    finished: float | None = None
    #: the query's settings as sent (the cluster and the pool, for instance)
    settings: dict[str, Any] = field(default_factory=dict)
    #: the error `abort_query` gave, kept apart from `error` until the tracker finishes
    #: the query (AbortQuery writes the active record's `abort_request` column only:
    #: TQueryTrackerProxy::AbortQuery, yt/yt/server/query_tracker/query_tracker_proxy.cpp)
    abort_request: dict[str, Any] | None = None


def _iso(seconds: float) -> str:
    """A time as YT writes it, microseconds included (the client parses them)."""
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _error(message: str) -> dict[str, Any]:
    return {"code": 1, "message": message, "attributes": {}, "inner_errors": []}


def _finished_error(query_id: str, final_state: str,
                   error: dict[str, Any] | None) -> dict[str, Any] | None:
    """The error a finished query keeps: a failed or aborted one's is "Query <id> failed"
    ("aborted"), attribute query_id, around the engine's error (a failure) or the abort's
    (abort_request); a completed one has none. The tracker wraps it when it finishes the
    query (TQueryTracker::FinishQueryLoop, yt/yt/server/query_tracker/query_tracker.cpp),
    so a query still `failing` or `aborting` shows no wrapper."""
    if final_state not in ("failed", "aborted"):
        return error
    return {"code": 1, "message": f"Query {query_id} {final_state}",
            "attributes": {"query_id": query_id},
            "inner_errors": [error] if error is not None else []}


def _plain_value(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if isinstance(value, uuid.UUID):  # a Uuid's canonical text, as dev gives it (yql_results)
        return str(value)
    return value


def _stored_bytes(row: dict[str, Any], columns: set[str]) -> dict[str, Any]:
    """The row with the presort bytes of each of `columns` (text of one character a byte,
    yql_presort) as the fake keeps a YT string: the text its bytes decode to with
    errors="surrogateescape" (json_text), so read_table gives a cluster's bytes, or the
    refusal a cluster's JSON writer gives them (json_rows)."""
    for name in columns:
        value = row.get(name)
        if isinstance(value, str):
            row[name] = value.encode("latin-1").decode("utf-8", "surrogateescape")
    return row


def _duckdb_lines(rows: list[dict[str, Any]]) -> bytes:
    """Rows for DuckDB to load: its JSON reader takes the bare NaN and Infinity Python's json
    writes, so a NaN double stays one."""
    return b"".join(_duckdb_line(row) + b"\n" for row in rows)


def _duckdb_line(row: dict[str, Any]) -> bytes:
    """A row's JSON line for DuckDB. A string of bytes that are no UTF-8 (kept as U+DC80..
    U+DCFF, json_text), such as the presort bytes of a hidden column a sort by other
    columns left an ordinary one, goes in as dev keeps it: text of one character a byte
    (yql_presort), which DuckDB takes, where the bytes themselves are no JSON it reads."""
    line = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
    try:
        return line.encode()
    except UnicodeEncodeError:
        pass
    row = {name: wire_bytes(value).decode("latin-1")
           if isinstance(value, str) and not _utf8_text(value) else value
           for name, value in row.items()}
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode()


def _utf8_text(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


class QueryRunner:
    def __init__(self, state: FakeState, query: FakeQuery):
        self.state = state
        self.query = query
        self.loaded: dict[str, str] = {}
        #: the FROM item each table loaded is read through
        self.reads: dict[str, str] = {}
        #: the SQL of each statement given to DuckDB so far, each table as yql_positions.TABLE
        #: (which places a syntax error in the query with it, as dev does)
        self.ran: list[str] = []
        #: the SQL last given to DuckDB, its tables read as they are: DuckDB's caret in an
        #: error points into it
        self.executed = ""
        #: the tables an INSERT of this query made or replaced (WITH TRUNCATE): YQL checks a
        #: later append to one against that write's row type, and says "appended" of it
        self.made: set[str] = set()
        self.known = {state.cluster_name} if state.cluster_name else set()
        #: the cluster a table without one named is in: settings, then each USE
        self.cluster: str | None = query.settings.get("cluster")
        self.infer_rows: int | None = None
        self.ansi_in = False  # under PRAGMA AnsiInForEmptyOrNullableItemsCollections
        self.positional_union = False  # under PRAGMA PositionalUnionAll
        #: the macros the query's database was given, each as a statement first calls it
        self.macros: Macros | None = None
        #: the tables its INSERTs wrote, as they were before (None: one statement, whose
        #: INSERT fails before it writes)
        self.kept: KeptNodes | None = None

    def aborted(self) -> bool:
        return self.query.state in ABORTED

    def run(self) -> None:
        query = self.query
        with self.state.lock:
            if query.state == "pending":
                query.state = "running"
        try:
            import duckdb
        except ImportError:
            self._fail("the fake query tracker needs duckdb (pip install duckdb)")
            return
        deadline = time.monotonic() + self.state.query_delay_s
        while time.monotonic() < deadline and not self.aborted():
            time.sleep(0.01)
        try:
            # a JOIN on a condition YQL refuses (dev mode refuses it alike)
            refused = join_shape_error(query.text)
            if refused is not None:
                raise QueryFailed(refused)
            # named expressions put in where they are used, as dev mode does
            statements = split_statements(expand_named(query.text, FAKE_TRACKER))
            if self.cluster is not None:
                table_cluster(str(self.cluster), None, self.known)
            # static pragmas hold for the whole query, wherever they stand
            self.infer_rows = infer_rows(statements)
            self.ansi_in = False
            self.positional_union = False
            # what a query of several statements writes is put back if it fails
            self.kept = KeptNodes(self.state.cypress) if len(statements) > 1 else None
            with tempfile.TemporaryDirectory(prefix="fake-yql-") as scratch:
                # YQL's integer division and NULL order, as in dev mode
                connection = connect(duckdb, macros=False)
                self.macros = Macros(duckdb, connection)
                try:
                    for statement in statements:
                        # an aborted query runs no further statement (the YQL plugin's
                        # Abort stops the program: yt/yql/plugin/native/plugin.cpp)
                        if self.aborted():
                            break
                        self._statement(connection, statement, Path(scratch))
                finally:
                    connection.close()
            if self.aborted():
                self._put_back()  # its transaction aborted: nothing it wrote stays
                return
            self._finish_results()
            self._end("completed")
        except (duckdb.Error, YtFakeError, QueryFailed) as error:
            self._put_back()
            # the query's error, as a cluster reports a YQL error: the query ends "failed"
            text = str(error).strip()
            line = text.splitlines()[0] if text else repr(error)
            if UNWRAP_FAILED in line:
                # YQL's Unwrap puts its message in the error whole, line breaks and all
                # (TUnwrapWrapper::Throw, yql/essentials/minikql/comp_nodes/mkql_unwrap.cpp):
                # its first line alone could be the first line of a secret
                line = text
            if isinstance(error, duckdb.Error):
                placed = (syntax_error_line(duckdb, query.text, self.ran)
                          if isinstance(error, duckdb.ParserException) else
                          # a column the table does not have: YQL's issue, where the
                          # query names it, as a cluster's type annotation gives it
                          (member_error_line(query.text, self.ran, self.executed, text,
                                             self._columns_of)
                           or using_error_line(query.text, self.ran, text))
                          if isinstance(error, duckdb.BinderException) else None)
                line = with_candidates(line, text)
                line = placed or failure_meaning(line, FAKE_TRACKER, query.text) or line
            elif isinstance(error, UngroupedColumn):
                line = place(error, query.text)
            self._end("failed", query_error(query.id, [issue_of_line(line)]))
        except Exception as error:  # noqa: BLE001 - a bug of the fake: the test must see it
            self._put_back()
            # the query fails as on a cluster's internal error, and FakeYtProxy.stop raises
            self._fail(self.state.broke("query", error))
        finally:
            query.finished = query.finished or time.time()
            # the tracker finishes a query once its engine has stopped, at its next ping
            time.sleep(max(0.0, self.state.query_finishing_s))
            with self.state.lock:
                if query.state in FINISHED_AS:
                    # the tracker's ping finds the query `failing` or `aborting` and ends it
                    # with the engine's error, or the abort's (TQueryTracker::TryPingQuery,
                    # query_tracker.cpp), wrapped as FinishQueryLoop wraps it
                    final = FINISHED_AS[query.state]
                    cause = query.abort_request if final == "aborted" else query.error
                    query.error = _finished_error(query.id, final, cause)
                    query.abort_request = None  # not a column of a finished query
                    query.state = final

    def _put_back(self) -> None:
        """The tables the query wrote, as they were before it (query_writes.py)."""
        if self.kept is not None:
            self.kept.put_back()

    def _end(self, state: str, error: dict[str, Any] | None = None) -> None:
        """The state the engine's end gives the query (`completed` or `failed`), first as
        the tracker shows it until it is finished (`completing`, `failing`), unless it was
        aborted meanwhile: aborted it stays."""
        pending = {final: before for before, final in FINISHED_AS.items()}
        with self.state.lock:
            if not self.aborted():
                self.query.state = pending.get(state, state)
                if error is not None:
                    self.query.error = error

    def _fail(self, message: str) -> None:
        self._end("failed", _error(message))

    def _finish_results(self) -> None:
        """Cut each result at the row limit; an error planned by a test replaces the last."""
        limit = self.state.result_row_limit
        for result in self.query.results:
            if len(result.rows) > limit:
                result.rows, result.is_truncated = result.rows[:limit], True
        if self.query.results and self.state.result_errors:
            self.query.results[-1] = FakeResult([], error=_error(self.state.result_errors.pop(0)))

    def _table(self, connection: Any, path: str, scratch: Path) -> str:
        path = normalize(path)
        if path in self.reads:
            return self.reads[path]
        cypress = self.state.cypress
        node = cypress.lookup(cypress.resolve(path, None), None)
        if node is None or node.type != "table":
            raise YtFakeError(f"Table {path} does not exist")
        columns = columns_for_read(_yql_view(node), path, self.infer_rows)
        yson = self._yson_columns(node)
        # a List (Struct, Dict) column of the schema a YQL write gave is read as one,
        # whatever its rows hold (all empty lists, all nulls)
        composite = {column: kind for column, kind in (
            (column, composite_duckdb_type(v3)) for column, v3 in declared_v3(node).items())
            if kind is not None}
        name = f"ytp_input_{len(self.loaded)}"
        if node.rows:
            source = scratch / f"{name}.jsonl"
            source.write_bytes(_duckdb_lines(projected(node.rows, columns)))
            learned = connection.execute(
                f"DESCRIBE SELECT * FROM read_json('{source}', format='newline_delimited', "
                "sample_size=-1)").fetchall()
            # a string is a String whatever its text looks like (as_stored_text)
            # a Yson column is read as the JSON it holds (yql_yson)
            typed = ", ".join("'" + str(row[0]).replace("'", "''") + "': '"
                              + ("JSON" if str(row[0]) in yson
                                 else composite.get(str(row[0]))
                                 or as_stored_text(str(row[1]))).replace("'", "''") + "'"
                              for row in learned)
            connection.execute(
                f"CREATE TABLE {name} AS SELECT * FROM read_json('{source}', "
                f"format='newline_delimited', columns={{{typed}}})"
            )
        else:
            # no rows to learn types from: a column of the schema has its own, as on a
            # cluster (a SUM of an empty uint64 column is a Uint64 NULL, not DuckDB's
            # refusal to sum JSON)
            schema = {str(c["name"]): str(c.get("type"))
                      for c in node.attributes.get("schema") or []}
            typed = ", ".join('"' + c.replace('"', '""') + '" ' + (
                composite.get(c) or _EMPTY_COLUMN_TYPES.get(schema.get(c, ""), "JSON"))
                for c in columns)
            connection.execute(f"CREATE TABLE {name} ({typed})")
        self.loaded[path] = name
        # a YQL table's dates and times are stored counts, read by their column's type
        types = {str(c["name"]): str(c.get("type")) for c in node.attributes.get("schema") or []}

        def quote(column: str) -> str:
            return '"' + column.replace('"', '""') + '"'
        # and an int32 column as an Int32, which the JSON reader takes as a 64-bit integer
        read = narrowed_select(types, timed_select(types, name, quote), quote)
        self.reads[path] = yson_select(read, yson)
        return self.reads[path]

    def _columns_of(self, path: str) -> list[str] | None:
        """The columns YQL reads in table `path` (None when it has none to read): what a
        JOIN's row is made of, when an error names its members."""
        cypress = self.state.cypress
        node = cypress.lookup(cypress.resolve(normalize(path), None), None)
        if node is None or node.type != "table":
            return None
        try:
            return columns_for_read(_yql_view(node), path, self.infer_rows)
        except YtFakeError:
            return None

    def _yson_columns(self, node: Node) -> set[str]:
        """The columns of a table YQL reads as Yson (yql_yson): those its schema types
        `any` (a YQL write's Yson column), or of a schemaless one, those inferred so."""
        if node.attributes.get("schema"):
            return declared_yson(node)
        if self.infer_rows is None:
            return set()
        return yson_columns(node.rows, self.infer_rows)

    def _yson_read(self, sql: str) -> set[str]:
        """The Yson columns of the tables statement `sql` reads."""
        names: set[str] = set()

        def collect(path: str) -> str:
            cypress = self.state.cypress
            node = cypress.lookup(cypress.resolve(normalize(path), None), None)
            if node is not None and node.type == "table":
                names.update(self._yson_columns(node))
            return TABLE
        replace_tables(sql, self.cluster, self.known, collect)
        return names

    def _statement(self, connection: Any, statement: str, scratch: Path) -> None:
        use = used_cluster(statement)
        if use is not None:
            self.cluster = table_cluster(use, None, self.known)
            return
        pragma = pragma_sets_ansi_in(statement)
        if pragma is not None:  # YQL's IN or SQL's, for the statements after it (yql_in)
            self.ansi_in = pragma
        pragma = pragma_sets_positional_union(statement)
        if pragma is not None:  # UNION by name or by position (yql_unions)
            self.positional_union = pragma
        if statement.split(None, 1)[0].upper() in ("PRAGMA", "COMMIT"):
            # COMMIT is a barrier: what the statements before it wrote is there for the
            # ones after it (ydb docs, yql/reference/syntax/commit.md). The fake writes each
            # statement's table as it runs, so the barrier holds already; DuckDB, with no
            # transaction open, would refuse the word
            return
        refuse_forms(duckdb_strings(statement))
        # as YQL types the query, before a row is read (as dev does)
        if not self.positional_union:
            refuse_mixed_union(statement, self._source_types, self._source_required)
        insert = parse_insert(statement)
        select = insert.select if insert else statement
        # YQL's meaning of forms DuckDB reads otherwise, as dev mode gives it
        ansi_in = ANSI_IN.set(self.ansi_in)
        positional = POSITIONAL_UNION.set(self.positional_union)
        try:
            with known(self._yson_read(duckdb_strings(select))):
                meant = yql_meaning(duckdb_strings(select))
        finally:
            ANSI_IN.reset(ansi_in)
            POSITIONAL_UNION.reset(positional)
        self.ran.append(replace_tables(meant, self.cluster, self.known, lambda path: TABLE))
        sql = replace_tables(meant, self.cluster, self.known,
                             lambda path: self._table(connection, path, scratch))
        # a sum of an integer column has YQL's type and value, as in dev (yql_sums)
        sql = sums_as_yql(sql, statement, self._source_types, _quoted)
        assert self.macros is not None
        self.macros.define_for(sql)
        self.executed = sql
        cursor = connection.execute(sql)
        described = [(str(item[0]), str(item[1])) for item in cursor.description or []]
        node = node_in_result(described)
        if node:
            raise QueryFailed(node)
        key, hidden = self._sort_plan(statement, described) if insert else (None, [])
        if hidden:
            # the hidden sort columns a cluster's table keeps (yql_rules.hidden_sort)
            try:
                cursor = connection.execute(hidden_select(sql, hidden))
            except Exception:  # an expression not over the written columns: no sort
                cursor, key, hidden = connection.execute(sql), None, []
            described = [(str(item[0]), str(item[1])) for item in cursor.description or []]
            if hidden and not presort_supported(hidden, dict(described)):
                described = described[:len(described) - len(hidden)]
                cursor, key, hidden = connection.execute(sql), None, []
        columns = [name for name, _ in described]
        # a cluster knows columns by their names and refuses two of one name, as dev does;
        # a dict of the rows would keep the last of them
        repeated = duplicate_columns(columns)
        if repeated:
            raise QueryFailed(f"YQL: {repeated}")
        # dates and times as the counts a cluster keeps and gives (yql_times)
        rows = [{c: _plain_value(v) for c, v in row.items()} for row in yson_values(
            described, counted_rows(described, [dict(zip(columns, values, strict=True))
                                                for values in cursor.fetchall()]))]
        required = required_columns(statement, self._source_required, self._source_types)
        if insert is None:
            self.query.results.append(FakeResult(rows, schema=yql_schema(described, required)))
            return
        table_cluster(insert.cluster, self.cluster, self.known)
        written = described[:len(described) - len(hidden)]
        target = self._output_path(insert.path)
        if hidden and (insert.truncate or self.state.cypress.lookup(target, None) is None):
            kinds = dict(described)
            presorted_bytes = bytes_columns(hidden, kinds)
            rows = [_stored_bytes(encode_hidden(row, hidden, kinds, required), presorted_bytes)
                    for row in rows]
            written = [(name, "VARCHAR" if name in presorted_bytes else kind)
                       for name, kind in described]
            required = required | presorted_bytes
        elif hidden:  # an append: its rows go in without the hidden columns
            names = {h.name for h in hidden}
            rows = [{c: v for c, v in row.items() if c not in names} for row in rows]
        # a text column YQL types Utf8 is written `utf8` (yql_utf8)
        utf8 = utf8_columns(statement, self._source_types, self._source_required) & {
            name for name, kind in described if kind == "VARCHAR"}
        self._write(target, written, rows, truncate=insert.truncate,
                    required=required, ordered=key, utf8=utf8,
                    literals=string_literals(statement),
                    unique=sorted_unique(self._distinct_by(statement), key, described))

    def _output_path(self, path: str) -> str:
        """The table an INSERT writes: its path resolved as any write's is, links
        followed (a write_table to a link writes its target: Cypress resolves the path
        for every verb), and refused when a node other than a table is there, as a
        write_table of rows into it is (tables.cmd_write_table's words)."""
        cypress = self.state.cypress
        with cypress.lock:
            target = cypress.resolve(normalize(path), None)
            node = cypress.lookup(target, None)
            if node is not None and node.type != "table":
                raise YtFakeError(f"{target} is a {node.type}, not a table")
            return target

    def _source_schema(self, path: str) -> list[dict[str, Any]]:
        """The schema's columns of the table at `path` as YQL reads it (_yql_view); none for
        a table of no schema or no table."""
        cypress = self.state.cypress
        try:
            node = cypress.lookup(cypress.resolve(normalize(path), None), None)
        except YtFakeError:  # a path the fake does not read as one table: nothing known
            return []
        if node is None or node.type != "table" or not node.attributes.get("schema"):
            return []
        return list(_yql_view(node).attributes["schema"])

    def _source_types(self, path: str) -> dict[str, str]:
        """The columns' types of the table at `path` as YQL reads it."""
        return {str(column["name"]): str(column.get("type", "any"))
                for column in self._source_schema(path)}

    def _source_required(self, path: str) -> frozenset[str]:
        """The required columns of the table at `path` as YQL reads it."""
        return frozenset(str(column["name"]) for column in self._source_schema(path)
                         if column.get("required"))

    def _distinct_by(self, statement: str) -> list[str] | None:
        """The columns an INSERT's rows are distinct by: a GROUP BY's or a SELECT
        DISTINCT's (yql_rules.insert_distinct_by), else the unique key of the one table a
        plain SELECT reads, as written (yql_unique_source), the table as it is before the
        write."""
        distinct_by = insert_distinct_by(statement)
        read = plain_read(statement) if distinct_by is None else None
        if read is None:
            return distinct_by
        cypress = self.state.cypress
        try:
            # links followed, as every read of the table is (_source_schema, _yql_tables)
            node = cypress.lookup(cypress.resolve(normalize(read.path), None), None)
        except YtFakeError:
            return None
        if node is None or node.type != "table":
            return None
        return read.distinct_by(source_unique_key(strong_key(node), unique_keys(node)))

    def _sort_plan(self, statement: str, described: list[tuple[str, str]]
                   ) -> tuple[list[str] | None, list[HiddenColumn]]:
        """What a replacing INSERT's table is sorted by on a cluster, and the hidden sort
        columns it keeps (yql_rules.hidden_sort)."""
        items = insert_sort_items(statement)
        if not items:
            return None, []
        key, hidden = hidden_sort(items, described)
        if not hidden:
            return sort_key_of(key, described), []
        return key, hidden

    def _write(self, path: str, described: list[tuple[str, str]], rows: list[dict[str, Any]],
               truncate: bool, required: frozenset[str], ordered: list[str] | None = None,
               unique: bool = False, utf8: frozenset[str] = frozenset(),
               literals: frozenset[str] = frozenset()) -> None:
        """Write an INSERT's rows; `ordered`: the key of its top-level ORDER BY, which
        sorts a table the write replaces (yql_rules.hidden_sort); `unique`: the rows
        are distinct by that key, and the table's schema says unique_keys
        (yql_rules.sorted_unique: never for a key with a hidden column)."""
        cypress = self.state.cypress
        with cypress.lock:
            if self.aborted():
                return  # an aborted query writes nothing more
            if self.kept is not None:
                self.kept.keep(path)
            existing = cypress.lookup(path, None)
            if existing is None or truncate:
                self.made.add(path)
            if existing is not None and not truncate:
                hidden = hidden_key_columns(existing.attributes.get("sorted_by"))
                doubles = check_append(_yql_view(existing), path, described, required,
                                       appended=path in self.made, utf8=utf8,
                                       literals=literals)
                if hidden:
                    # the table's sortness made common with the unsorted rows' is none, and
                    # the publish merges the table and the rows in order with only the row
                    # type's columns (yql_hidden_sort.drop_hidden in dev): the hidden
                    # columns are gone, the table unsorted
                    view = _yql_view(existing)
                    kept = [{c: v for c, v in row.items() if c not in hidden}
                            for row in existing.rows]
                    node = write_rows(cypress, path, kept + converted_rows(
                        view, described, widen_rows(rows, doubles)), False, None)
                    node.attributes["schema"] = view.attributes["schema"]
                    node.attributes.pop("sorted_by", None)
                    return
                rows = converted_rows(existing, described, widen_rows(rows, doubles))
                key = strong_key(existing)
                if key:
                    # "For a sorted table, YQL tries to preserve sorting by starting a
                    # sorted merge" (YQL docs, INSERT INTO): the table stays sorted
                    unique = unique_keys(existing)
                    node = write_rows(cypress, path,
                                      sort_rows(list(existing.rows) + rows, key), False, None)
                    if unique:
                        # YQL makes the table's sortness common with the rows' and drops
                        # unique keys ("Merge of two and more tables cannot have unique
                        # keys": TYqlRowSpecInfo::MakeCommonSortness in yt/yql/providers/
                        # yt/lib/row_spec/yql_row_spec.cpp, warning "Result table content
                        # will have non unique keys"): a repeated key is taken
                        node.attributes["schema"] = without_unique_keys(
                            node.attributes["schema"])
                    return
                write_rows(cypress, path, rows, True, None)
                return
            if ordered:
                rows = sort_rows(rows, ordered)
            if existing is None:
                cypress.ensure_parents(path, None, recursive=True)
                node = cypress.create(path, Node("table", rows=rows), None)
            else:
                node = write_rows(cypress, path, rows, False, None)
            node.attributes["schema"] = yql_schema(described, required,
                                                   unique_keys=bool(ordered) and unique,
                                                   utf8=utf8)
            if ordered:
                node.attributes["sorted_by"] = list(ordered)
            else:
                node.attributes.pop("sorted_by", None)


def _yql_view(node: Node) -> Node:
    """The table as YQL's row spec shows it: without its hidden sort columns
    (yql_rules.hidden_key_columns), unsorted when it had any."""
    hidden = hidden_key_columns(node.attributes.get("sorted_by"))
    schema = node.attributes.get("schema")
    if not hidden or schema is None:
        return node
    attributes = {name: value for name, value in node.attributes.items() if name != "sorted_by"}
    attributes["schema"] = yt_yson.to_yson_type(
        [{name: value for name, value in column.items() if name != "sort_order"}
         for column in schema if str(column["name"]) not in hidden],
        attributes=dict(getattr(schema, "attributes", None) or {}, unique_keys=False))
    return Node("table", attributes=attributes,
                rows=[{c: v for c, v in row.items() if c not in hidden} for row in node.rows])


def _check_stage(request: Request) -> None:
    """Refuse a stage the cluster has not, as the native connection does before any
    command reaches a query tracker (TConnection::GetQueryTrackerStage, yt/yt/ytlib/api/
    native/connection.cpp)."""
    stage = str(request.param("stage") or "production")
    if stage not in STAGES:
        raise YtFakeError(f'Query tracker stage "{stage}" is not found in cluster directory')


#: the DuckDB type of a schema's column in an empty table, as its stored values would be
#: read: an integer of its sign in 64 bits (narrowed_select narrows it), a date or time its
#: stored count (timed_select reads it)
_EMPTY_COLUMN_TYPES = {
    **{f"int{bits}": "BIGINT" for bits in (8, 16, 32, 64)},
    **{f"uint{bits}": "UBIGINT" for bits in (8, 16, 32, 64)},
    "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN", "string": "VARCHAR",
    "utf8": "VARCHAR", "date": "BIGINT", "datetime": "BIGINT", "timestamp": "BIGINT",
    "interval": "BIGINT"}


def _quoted(column: str) -> str:
    """A column's name in DuckDB's SQL."""
    return '"' + column.replace('"', '""') + '"'


def _query(state: FakeState, request: Request) -> FakeQuery:
    """The query asked for; an unknown one is refused as LookupQuery refuses it
    (yt/yt/server/query_tracker/query_tracker_proxy.cpp), for every command."""
    _check_stage(request)
    query_id = str(request.param("query_id"))
    query = state.queries.get(query_id)
    if query is None:
        raise YtFakeError(f"Query {query_id} is not found neither in active nor in finished "
                          "query tables", code=QUERY_NOT_FOUND)
    return query


def _result(state: FakeState, request: Request) -> tuple[FakeQuery, int, FakeResult]:
    """A result of a query: only a completed query has its results written (a failed or
    aborted one has none), and any other index, or a query still running, is refused with
    QueryResultNotFound (TQueryTrackerProxy::GetQueryResult and ReadQueryResult look the
    result up in finished_query_results)."""
    query = _query(state, request)
    index = int(request.param("result_index") or 0)
    if query.state != "completed" or not 0 <= index < len(query.results):
        raise YtFakeError(f"Query {query.id} result {index} not found or is expired",
                          code=QUERY_RESULT_NOT_FOUND)
    return query, index, query.results[index]


def _raised(error: dict[str, Any]) -> YtFakeError:
    """A YT error as kept (code, message, attributes, inner errors), to answer with whole."""
    return YtFakeError(str(error.get("message", "")), code=int(error.get("code", 1)),
                       inner_errors=[_raised(inner) for inner in error.get("inner_errors") or []],
                       **dict(error.get("attributes") or {}))


def cmd_start_query(state: FakeState, request: Request) -> Any:
    _check_stage(request)
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
        # a query's results are counted when it completes; a failed query has none, even
        # if statements before the failing one gave some (TQueryHandlerBase::
        # TryWriteQueryState in yt/yt/server/query_tracker/handler_base.cpp counts the
        # results given: OnQueryFailed gives none)
        "result_count": len(query.results) if query.state == "completed" else 0,
        "start_time": _iso(query.started),
    }
    if query.error:
        info["error"] = query.error
    if query.abort_request:
        # an aborting query's abort is its own key, `error` is not set until the tracker
        # finishes the query (PartialRecordToQuery in yt/yt/server/query_tracker/helpers.cpp
        # puts the active record's abort_request among the query's other attributes, which
        # Serialize(TQuery), yt/yt/client/api/query_tracker_client.cpp, writes at top level)
        info["abort_request"] = query.abort_request
    if query.finished:
        info["finish_time"] = _iso(query.finished)
    wanted = request.param("attributes")
    if wanted:
        info = {k: v for k, v in info.items() if k in {str(a) for a in wanted}}
    return info


def cmd_get_query_result(state: FakeState, request: Request) -> Any:
    query, index, result = _result(state, request)
    meta: dict[str, Any] = {
        "id": query.id, "result_index": index, "is_truncated": result.is_truncated,
        "data_statistics": {"row_count": len(result.rows),
                            "data_weight": len(_duckdb_lines(result.rows))},
    }
    if result.error:
        meta["error"] = result.error
    if result.schema is not None:
        meta["schema"] = result.schema
    return meta


def cmd_read_query_result(state: FakeState, request: Request) -> tuple[bytes, dict[str, Any]]:
    require_json(request.param("output_format"), "read_query_result")
    _, _, result = _result(state, request)
    if result.error:
        # the result's own error, code and all (`THROW_ERROR record.Error` in
        # TQueryTrackerProxy::ReadQueryResult)
        raise _raised(result.error)
    rows = _rows_asked(result, request.param("lower_row_index"),
                       request.param("upper_row_index"), request.param("columns"))
    return dump_rows(rows, stringifies(request.param("output_format"))), {}


def _rows_asked(result: FakeResult, lower: Any, upper: Any,
                columns: Any) -> list[dict[str, Any]]:
    """The rows a read asks for: those from lower_row_index up to upper_row_index, each
    clamped to the rows there are, with only the named columns that the result has, in
    the order named, each once (TQueryTrackerProxy::ReadQueryResult and
    FilterRowsetColumns in yt/yt/server/query_tracker/query_tracker_proxy.cpp; the
    driver's options of read_query_result). ytsaurus-client's read_query_result sends
    none of them, a raw request may."""
    rows = result.rows
    start = min(max(int(lower), 0), len(rows)) if lower is not None else 0
    end = min(max(int(upper), start), len(rows)) if upper is not None else len(rows)
    rows = rows[start:end]
    if columns is None:
        return rows
    known = ([str(column["name"]) for column in result.schema] if result.schema is not None
             else list(dict.fromkeys(name for row in result.rows for name in row)))
    wanted = [name for name in dict.fromkeys(str(c) for c in columns) if name in known]
    return [{name: row.get(name) for name in wanted} for row in rows]


def cmd_abort_query(state: FakeState, request: Request) -> None:
    """Stop a query that is pending or running: it is `aborting`, with the abort's error,
    runs nothing more, and ends `aborted` once its runner has stopped. A query `completing`,
    `failing` or `aborting` is refused ("Cannot abort query %v which is in state %Qlv"), a
    finished one is no longer among the active queries AbortQuery looks it up in ("not
    found or is not running", QueryNotFound). The state, the error's
    text and the order are TQueryTrackerProxy::AbortQuery's (yt/yt/server/query_tracker/
    query_tracker_proxy.cpp), which writes `aborting` and leaves `aborted` to the tracker."""
    query = _query(state, request)
    with state.lock:
        if query.state not in FINISHED_AS and query.state not in ("pending", "running"):
            raise YtFakeError(f"Query {query.id} not found or is not running",
                              code=QUERY_NOT_FOUND)
        if query.state not in ("pending", "running"):
            raise YtFakeError(f'Cannot abort query {query.id} which is in state "{query.state}"')
        if state.abort_conflicts > 0:
            # the abort's write met the tracker's own write of the query's state: the proxy
            # refuses it and asks for another try (the TransactionLockConflict branch of
            # TQueryTrackerProxy::AbortQuery)
            state.abort_conflicts -= 1
            raise YtFakeError("Cannot abort query because its state is being changed at the "
                              "moment; please try again")
        query.state = "aborting"
        message = request.param("message")
        query.abort_request = _error(f'Query was aborted by user "{FAKE_USER}"'
                                     + (f' with message "{message}"' if message else ""))
        query.finished = time.time()


HANDLERS = {
    "start_query": cmd_start_query, "get_query": cmd_get_query,
    "get_query_result": cmd_get_query_result, "read_query_result": cmd_read_query_result,
    "abort_query": cmd_abort_query,
}
