"""YQL statements executed on DuckDB over the .dev tables, in the pipeline's process.

A table is read with the columns YQL on a cluster would give it (yql_schema): those a YQL
write declared, or those inferred from its first rows, as `PRAGMA yt.InferSchema` does (the
query's own pragma, else the 1000 rows the prod backend asks for). Their types are those of
a sample, checked on every row read (yql_checked), or learned from every row when a check
fails. An INSERT writes its
result through the client's `writing` (a temporary file renamed over the table, or staged in
the stage's transaction), so a failed query leaves the table as it was, and a 0-row result
leaves it empty; like a cluster, YQL appends only to a table YQL wrote, with the same
columns, and a NaN or an infinite double goes in as the text prod reads (yql_doubles). The
rows returned are those of the last SELECT; when other statements follow it, a cluster keeps
only the first 10,000 of them, so more fail.

DuckDB runs in processes of its own (yql_engine), used here as the `duckdb` module: the
pipeline's process never imports it. While a query runs, DuckDB's process holds about
100 MiB (bench/compare: 145 MiB at its peak for a million rows).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from yt_pipeline import column_types, yql_rules, yql_semantics, yql_times, yql_yson
from yt_pipeline.crashpoints import crash_point
from yt_pipeline.errors import InvalidTablePath, QueryFailed
from yt_pipeline.secret_forms import mask_text
from yt_pipeline.yql_join_shape import join_shape_error
from yt_pipeline.yql_macros import Macros
from yt_pipeline.yql_presort import bytes_columns, hidden_select, presort_supported
from yt_pipeline.yql_required import (
    optional_into_required,
    required_columns,
)
from yt_pipeline.yql_sums import sums_as_yql
from yt_pipeline.yql_type_v3 import (
    append_v3_differs,
    composite_duckdb_type,
    converted_composites,
    declared_kind_v3,
    declared_old_type,
    is_yson_v3,
    written_v3,
)
from yt_pipeline.yql_union_types import refuse_mixed_union
from yt_pipeline.yql_unique_source import source_unique_key
from yt_pipeline.yql_utf8 import string_literals, utf8_columns, utf8_refused
from yt_pipeline_dev.atomic import append_file, count_lines
from yt_pipeline_dev.client import NO_SPACE, DevClient
from yt_pipeline_dev.sort_work import sort_area, work_folder
from yt_pipeline_dev.sorted_schema import merge_in
from yt_pipeline_dev.unique_keys import keep_unique
from yt_pipeline_dev.yql_checked import (
    CHECK_FAILED,
    SAMPLE_ROWS,
    checkable,
    checked_read_sql,
    duckdb_types,
    proof_sql,
    scans_whole_table,
    signed,
    sql_identifier,
)
from yt_pipeline_dev.yql_deadline import Deadline
from yt_pipeline_dev.yql_doubles import stringify_file
from yt_pipeline_dev.yql_engine import engine, interrupt_thread
from yt_pipeline_dev.yql_hidden_sort import drop_hidden, encode_file
from yt_pipeline_dev.yql_results import as_returned
from yt_pipeline_dev.yql_sample_types import told_types
from yt_pipeline_dev.yql_sandbox import restricted_connection
from yt_pipeline_dev.yql_schema import (
    DeclaredColumns,
    FirstRows,
    SchemaCache,
    declare,
    declared_with_key,
    first_rows,
    required_of,
    sql_literal,
    utf8_of,
)
from yt_pipeline_dev.yql_translate import Statement, translate
from yt_pipeline_dev.yql_undo import QueryWrites

#: the most characters of a statement that .dev/operation.log shows
LOGGED_CHARS = 160


def logged_statement(statement: Statement, masked_forms: list[str]) -> str:
    """A statement on one line for .dev/operation.log, its tables as `//paths`, cut with
    an ellipsis when long. Masked before it is cut: the cut may fall inside a secret of
    its text, and the start of it it leaves is no form masking finds."""
    text = mask_text(" ".join(statement.render(lambda path: f"`{path}`").split()), masked_forms)
    return text if len(text) <= LOGGED_CHARS else text[:LOGGED_CHARS - 1] + "…"


def duckdb_failure(exc: Exception, query: str = "", masked_forms: list[str] | None = None
                   ) -> str:
    """The one line a DuckDB error is reported with: YQL's meaning where DuckDB's differs
    (`query`, the YQL text, names a function as it is written). The error may quote a value
    of a table (an Unwrap's message): masked whole before it is cut to its first line, or
    the first line of a secret of several lines would be left, in no form masking finds."""
    text = mask_text(str(exc).strip(), masked_forms or [])
    message = yql_semantics.with_candidates(
        text.splitlines()[0] if text else type(exc).__name__, text)
    return (yql_semantics.failure_meaning(message, query=query)
            or f"YQL failed in DuckDB: {message}")


def declared_yson(columns: list[tuple[str, str]]) -> set[str]:
    """The columns of a declared schema YQL reads as Yson: those of type_v3 yson (`any`),
    as the fake query tracker reads a strict schema's (yql_tables.declared_yson)."""
    return {name for name, kind in columns if is_yson_v3(declared_kind_v3(kind))}


class _ThreadsRequests:
    """What yql_deadline interrupts: the request a thread waits for DuckDB's process to
    answer, its connection's making included."""

    def __init__(self, thread: int):
        self.thread = thread

    def interrupt(self) -> None:
        interrupt_thread(self.thread)


class Executor:
    """Runs translated statements on DuckDB, each on a connection of its own that may open
    only the files of the tables it reads and the file it writes (yql_sandbox)."""

    def __init__(self, client: DevClient, run_ended: threading.Event | None = None):
        self.client = client
        self.duckdb = engine()
        self.schemas = SchemaCache(client.root)
        self.infer_rows = yql_rules.MAX_INFER_ROWS
        #: the connection of the statement being run, and the macros it was given
        self.connection: Any = None
        self.macros: Macros | None = None
        #: tables the statement reads with a sample's types, checked row by row as it runs
        self.checked: list[Path] = []
        #: True when the statement being rendered reads every row of its one table
        self.whole_scan = False
        #: tables whose sample's types failed a check: this query learns them from every row
        self.exact: set[Path] = set()
        #: where the first rows of each table read are copied for DuckDB to describe
        self.samples: dict[str, Path] = {}
        self._sample_dir: Path | None = None
        #: the claim on that folder, released (the folder removed) when the query ends
        self._sample_claim: ExitStack | None = None
        #: pipeline.yql_timeout_s, counted from the query's start; `run_ended` stops the
        #: query as its run ends (run_operations.py)
        self.deadline = Deadline(client.yql_timeout_s, run_ended)
        #: the first rows of each schemaless table read, by the file's identity (a statement
        #: may rewrite a table a later one reads): its Yson columns and its inferred ones
        #: are both learned from them, and the query reads them once
        self._first: dict[tuple[Path, int, int, int, int], FirstRows] = {}
        #: what each of those samples tells of its columns, by the sample's identity
        self._sampled_columns: dict[int, yql_yson.SampledColumns] = {}
        #: the SQL of the statement last given to DuckDB, its tables read as they are:
        #: DuckDB's caret in an error points into it
        self.executed = ""
        #: the tables an INSERT of this query made or replaced (WITH TRUNCATE): YQL checks a
        #: later append to one against that write's row type, and says "appended" of it
        self.made: set[str] = set()
        #: what the query's INSERTs wrote over, put back if it fails (None: nothing to
        #: keep, the query having one statement)
        self.undo: QueryWrites | None = None
        #: the rows of the last SELECT run, its place among the statements, and their count
        self.rows: list[dict[str, Any]] = []
        self.last_select = -1
        self.statements = 0

    def _sample_of(self, table_file: str) -> Path:
        """The file the sample of `table_file` is copied to (made when described): one of
        the files a statement's connection may open."""
        if table_file not in self.samples:
            if self._sample_dir is None:
                # a work folder claimed while the query runs (sort_work.py): one a killed
                # query left is removed by the next run or client, where a folder of its
                # own in .cache stayed for good, with the samples it held
                self._sample_claim = ExitStack()
                self._sample_dir = self._sample_claim.enter_context(
                    work_folder(sort_area(self.client.root)))
            self.samples[table_file] = self._sample_dir / f"{len(self.samples)}.jsonl"
        return self.samples[table_file]

    def table_sql(self, path: str) -> str:
        target = self.client.visible_file(path)
        if target is None:
            raise QueryFailed(f"YQL reads table {path}, which does not exist")
        columns = self._declared(target)
        if columns is not None:
            # dates and times are kept as counts, and YQL reads them by the column's type
            times = {name: column_types.yt_column_type(kind) for name, kind in columns}
            # a column the schema types `any` (type_v3 yson) is Yson, as on a cluster: one a
            # YQL write kept (its JSON is what it wrote), or one declared so
            yson = declared_yson(columns)
            stored = [(name, "BIGINT" if yql_times.time_type(kind)
                       else "JSON" if name in yson else kind) for name, kind in columns]
            return yql_yson.yson_select(
                yql_times.timed_select(times, self.schemas.read_sql(target, stored),
                                       sql_identifier), yson)
        names, first, yson = self._inferred_names(path, target)
        return yql_yson.yson_select(self._schemaless_sql(target, names, first, yson), yson)

    def _schemaless_sql(self, target: Path, names: list[str], first: dict[str, Any],
                        yson: set[str]) -> str:
        exact = self.schemas.cached(target)
        if exact is None and target not in self.exact:
            sampled = self._sampled(target, names, first, yson)
            if sampled is not None and self.whole_scan:
                self.checked.append(target)
                return checked_read_sql(str(target), sampled)
            if sampled is not None and self._proved(target, sampled):
                return self.schemas.read_sql(target, duckdb_types(sampled))
        types = dict(exact or self.schemas.columns(target, self.connection))
        return self.schemas.read_sql(target, [
            (name, "JSON" if name in yson else types.get(name, "JSON")) for name in names])

    def yson_names(self, query: str) -> set[str]:
        """The Yson columns of the tables `query` reads (yql_yson), which its `col[...]`
        and `col.name` look up in."""
        names: set[str] = set()
        for path in yql_rules.read_paths(query):
            target = self.client.visible_file(path)
            if target is None or not target.is_file() or target.stat().st_size == 0:
                continue
            columns = self._declared(target)
            if columns is not None:
                names.update(declared_yson(columns))
            else:
                names.update(self._yson_columns(target))
        return names

    def _yson_columns(self, target: Path) -> set[str]:
        """The Yson columns of a schemaless table (yql_yson): yson_names and the table's
        read both ask."""
        return self._columns_sampled(target).yson

    def _columns_sampled(self, target: Path) -> yql_yson.SampledColumns:
        """The columns of a schemaless table's first rows, learned once from them."""
        rows = self._first_rows(target)
        if id(rows) not in self._sampled_columns:
            self._sampled_columns[id(rows)] = yql_yson.sampled_columns(rows, self.infer_rows)
        return self._sampled_columns[id(rows)]

    def _first_rows(self, target: Path) -> FirstRows:
        """The first `infer_rows` rows of table file `target` (only read, never changed)."""
        status = target.stat()
        key = (target, status.st_ino, status.st_size, status.st_mtime_ns, self.infer_rows)
        if key not in self._first:
            self._first[key] = first_rows(target, self.infer_rows)
        return self._first[key]

    def _inferred_names(self, path: str, target: Path
                        ) -> tuple[list[str], dict[str, Any], set[str]]:
        """The columns of a table without a schema, as `PRAGMA yt.InferSchema` finds them,
        the first value (not null) of each in those rows, and those read as Yson."""
        if target.stat().st_size == 0:
            raise QueryFailed(f"YQL: {yql_rules.empty_table(path)}")
        sampled = self._columns_sampled(target)
        if not sampled.names:
            raise QueryFailed(
                f"YQL: {yql_rules.no_columns(path, len(self._first_rows(target)))}")
        if "" in sampled.names:
            raise QueryFailed(f"YQL: {yql_rules.empty_column_name(path)}")
        return sampled.names, sampled.first, sampled.yson

    def _columns_of(self, path: str) -> list[str] | None:
        """The columns YQL reads in table `path` (None when it has none to read): what a
        JOIN's row is made of, when an error names its members."""
        target = self.client.visible_file(path)
        if target is None or not target.is_file():
            return None
        columns = self._declared(target)
        if columns is not None:
            return [name for name, _ in columns]
        try:
            return self._inferred_names(path, target)[0]
        except QueryFailed:
            return None

    def _sampled(self, target: Path, names: list[str], first: dict[str, Any],
                 yson: set[str]) -> list[tuple[str, str]] | None:
        """The columns with their types in the first rows, if each can be checked (a Yson
        column, read as JSON, cannot)."""
        types = told_types(self._first_rows(target), self.infer_rows, SAMPLE_ROWS, names)
        if types is None:
            types = self.schemas.sampled(target, SAMPLE_ROWS, self.connection,
                                         self._sample_of(str(target)))
        columns = [(name, "JSON" if name in yson else signed(types.get(name, "NULL"),
                                                              first.get(name)))
                   for name in names]
        return columns if all(checkable(kind) for _, kind in columns) else None

    def _proved(self, target: Path, columns: list[tuple[str, str]]) -> bool:
        """True when every row of the table passes the checks of the columns' types."""
        try:
            self.connection.execute(proof_sql(str(target), columns)).fetchall()
            return True
        except self.duckdb.Error as exc:
            if CHECK_FAILED not in str(exc):
                raise
            self.exact.add(target)
            return False

    def run(self, query: str, translated: list[Statement] | None = None
            ) -> list[dict[str, Any]]:
        """Run every statement; return the rows of the last SELECT (none without one).
        `translated`: the query's statements as translated with no Yson column known, used
        as they are when the tables it reads have none (a translation costs some ms)."""
        self.infer_rows = yql_rules.infer_rows(query) or yql_rules.MAX_INFER_ROWS
        yson = self.yson_names(query)
        if yson or translated is None:
            with yql_yson.known(yson):
                translated = translate(query)
        statements = translated
        # a query that may fail after one of its INSERTs puts what they wrote back then,
        # as a cluster's transaction of the whole query is aborted (yql_undo)
        if len(statements) > 1 and any(s.target is not None for s in statements):
            self.undo = QueryWrites(self.client)
        try:
            self._run_all(query, statements)
            if self.undo is not None:
                self.undo.take_locks()
        except BaseException:
            if self.undo is not None:
                self.undo.undo()
            raise
        finally:
            if self.undo is not None:
                self.undo.close()
                self.undo = None
        if self.client.txn is None:
            # written: on a cluster the query has ended well, and only its result is
            # refused by prod's client, as it reads it
            self._refuse_cut_result()
        return self.rows

    def _refuse_cut_result(self) -> None:
        """A cluster keeps only the first 10,000 rows of a last SELECT other statements
        follow: more fail."""
        if self.last_select < self.statements - 1 \
                and len(self.rows) > yql_rules.RESULT_ROW_LIMIT:
            raise QueryFailed(f"YQL: the last SELECT gives {len(self.rows)} rows and other "
                              f"statements follow it: {yql_rules.truncated()}")

    def _run_all(self, query: str, statements: list[Statement]) -> None:
        """Run the statements one after another; the rows of the last SELECT and where it
        stands are left in `rows` and `last_select`."""
        rows: list[dict[str, Any]] = []
        last_select, index = -1, 0
        try:
            for index, statement in enumerate(statements):
                self.deadline.check()
                started = time.perf_counter()
                result = self._run_one(statement)
                if statement.target is None:
                    rows, last_select = result, index
                if statement.target is None:  # an INSERT logs its own line (_insert)
                    self.client.log("yql_select", logged_statement(statement, self.client.masked_forms()),
                                    rows=len(result), started=started)
        except self.duckdb.Error as exc:
            if self.deadline.reached:
                raise self.deadline.failure() from None
            # what places an error in the query's text: imported by a query that fails only
            from yt_pipeline.yql_join_using import using_error_line
            from yt_pipeline.yql_members import member_error_line
            from yt_pipeline.yql_positions import TABLE, syntax_error_line

            placed = None
            ran = [s.render(lambda path: TABLE) for s in statements[:index + 1]]
            if isinstance(exc, self.duckdb.ParserException):
                placed = syntax_error_line(self.duckdb, query, ran)
            elif isinstance(exc, self.duckdb.BinderException):
                # a column the table does not have: YQL's words, where the query names it
                placed = (member_error_line(query, ran, self.executed, str(exc),
                                            self._columns_of)
                          or using_error_line(query, ran, str(exc)))
                # one line with its runs of spaces as one, as prod prints a YQL issue
                # (yql_issues.issues_line): a column named " " reads alike in both
                placed = placed and mask_text(" ".join(placed.split()),
                                              self.client.masked_forms())
            raise QueryFailed(placed or duckdb_failure(exc, query, self.client.masked_forms())) from None
        finally:
            if self._sample_claim is not None:
                self._sample_claim.close()  # the folder removed, then its lock released
            self._sample_dir, self._sample_claim, self.samples = None, None, {}
        self.rows, self.last_select, self.statements = rows, last_select, len(statements)
        if self.client.txn is not None:
            # prod's stage puts no INSERT of such a query on its tables: it fails on
            # reading the result first (yt_pipeline_prod/yql.py)
            self._refuse_cut_result()

    def _run_one(self, statement: Statement) -> list[dict[str, Any]]:
        try:
            return self._attempt(statement)
        except self.duckdb.Error:
            if not self.checked or self.deadline.reached:
                raise
        # a value differs in type from its table's first rows, or the statement failed with
        # types from a sample: again, with the types learned from every row, so that it
        # fails or succeeds as it would have with them (a failed INSERT wrote nothing)
        self.exact.update(self.checked)
        return self._attempt(statement)

    def _attempt(self, statement: Statement) -> list[dict[str, Any]]:
        # as YQL types the query, before a row is read
        if not statement.positional_union:
            refuse_mixed_union(statement.text, self._source_types, self._source_required)
        self.checked = []
        self.whole_scan = scans_whole_table(statement.template)
        reads = [str(found) for found in map(self.client.visible_file, statement.reads())
                 if found is not None]
        allowed = [*reads, *(str(self._sample_of(read)) for read in reads)]
        if statement.target is not None:
            self._insert(statement, allowed)
            return []
        with self._connected(allowed, statement.template):
            self.executed = self._sums_as_yql(statement, statement.render(self.table_sql))
            cursor = self.connection.execute(self.executed)
            names = [column[0] for column in cursor.description or []]
            repeated = yql_rules.duplicate_columns(names)
            if repeated:
                raise QueryFailed(f"YQL: {repeated}")
            described = [(str(column[0]), str(column[1])) for column in cursor.description or []]
            node = yql_yson.node_in_result(described)
            if node:
                raise QueryFailed(node)
            rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
            # a result's dates and times are counts, as a cluster's JSON gives them
            return yql_yson.yson_values(described, yql_times.counted_rows(described, rows))

    @contextmanager
    def _connected(self, files: list[str], sql: str) -> Iterator[None]:
        # watched from the making of its database: DuckDB's process may stop answering
        # (stopped, or busy) at any request, and the query's limit holds for each
        with self.deadline.watching(_ThreadsRequests(threading.get_ident())):
            # the macros the statement calls, defined in the request restricting its
            # connection; what is wrapped around it later (an INSERT's Yson columns) is
            # given its own before it runs (self.macros.define_for)
            self.macros = Macros(self.duckdb, None)
            self.connection = restricted_connection(self.duckdb, files,
                                                    then=self.macros.definitions_for(sql))
            self.macros.connection = self.connection
            try:
                yield
            finally:
                connection, self.connection = self.connection, None
                connection.close()

    def _columns_written(self, statement: Statement, sql: str
                         ) -> tuple[list[tuple[str, str]], str]:
        """The columns the INSERT writes, and the query that writes them; an append must
        match the table's (a cluster refuses to append to a table YQL did not write, or
        with other columns), and its integers for a double column become doubles, as YQL
        converts them."""
        assert statement.target is not None
        # a column read from a required column of a table read stays required: the schemas
        # of the tables as they are now (an earlier statement of the query may have written
        # one)
        statement.required = required_columns(statement.text, self._source_required,
                                              self._source_types)
        # a Utf8 column is written `utf8` (yql_utf8), of the same DuckDB VARCHAR
        utf8 = utf8_columns(statement.text, self._source_types, self._source_required)
        self.executed = f"DESCRIBE {sql}"
        described = self.connection.execute(self.executed).fetchall()
        columns = [(str(row[0]), str(row[1])) for row in described]
        repeated = yql_rules.duplicate_columns(name for name, _ in columns)
        if repeated:
            raise QueryFailed(f"YQL: {repeated}")
        node = yql_yson.node_in_result(columns)
        if node:
            raise QueryFailed(node)
        target = self.client.visible_file(statement.target)
        if statement.truncate or target is None:
            self.made.add(statement.target)
            written_utf8 = utf8 & {name for name, kind in columns if kind == "VARCHAR"}
            return DeclaredColumns(columns, statement.required, utf8=written_utf8), sql
        existing = self._declared(target)
        if existing is None:
            raise QueryFailed(f"YQL: {yql_rules.append_refused(statement.target)}")
        table_required = required_of(existing)
        # each side's full YQL type (Optional unless required), for YQL's type diff
        table_utf8 = utf8_of(existing)
        table_row = {name: declared_kind_v3("utf8" if name in table_utf8 else kind,
                                            name in table_required)
                     for name, kind in existing}
        written_row = {name: declared_kind_v3("utf8" if name in utf8 and kind == "VARCHAR"
                                              else kind, name in statement.required)
                       for name, kind in columns}

        refused = QueryFailed("YQL: " + yql_rules.row_type_differs(
            statement.target, table_row, written_row, statement.target in self.made))
        if sorted(table_row) != sorted(written_row):
            raise refused
        table = {name: declared_old_type(kind) for name, kind in existing}
        written = {name: column_types.yt_column_type(kind) for name, kind in columns}
        # a List<String> and a Yson column are both `any`: their type_v3 tells them apart
        table_v3 = {name: declared_kind_v3(kind) for name, kind in existing}
        written_v3s = {name: written_v3(kind) for name, kind in columns}
        if column_types.append_type_differs(table, written) or any(
                append_v3_differs(table_v3[name], written_v3s.get(name)) for name in table):
            raise refused
        if optional_into_required(table_required, statement.required):
            raise refused
        text = frozenset(name for name, kind in columns if kind == "VARCHAR")
        if utf8_refused(table_utf8, utf8, text, string_literals(statement.text)):
            raise refused
        widened = {name: "DOUBLE" for name in column_types.widened_columns(table, written)}
        # List<Int64> values appended to a List<Double> column are made doubles, as YQL
        # converts a composite item by item (yql_type_v3.converted_composites)
        for name in converted_composites(table_v3, written_v3s):
            widened[name] = composite_duckdb_type(table_v3[name]) or "JSON"
        if widened:
            items = [f"CAST({sql_identifier(name)} AS {widened[name]}) AS {sql_identifier(name)}"
                     if name in widened else sql_identifier(name) for name, _ in columns]
            sql = f"SELECT {', '.join(items)} FROM ({sql}) AS appended"
        return existing, sql

    def _source_required(self, path: str) -> frozenset[str]:
        """The required columns of the table at `path` (none for one of no schema)."""
        try:
            table_file = self.client.visible_file(path)
        except InvalidTablePath:  # a path dev does not read as one table: nothing known
            return frozenset()
        return required_of(self._declared(table_file)) if table_file is not None \
            else frozenset()

    def _source_types(self, path: str) -> dict[str, str]:
        """The columns' types of the table at `path` (none for one of no schema)."""
        try:
            table_file = self.client.visible_file(path)
        except InvalidTablePath:
            return {}
        columns = self._declared(table_file) if table_file is not None else None
        # a Utf8 column by its YT name, which yql_cast_types reads as a Utf8
        utf8 = utf8_of(columns)
        return {name: "utf8" if name in utf8 else kind for name, kind in columns or []}

    def _sums_as_yql(self, statement: Statement, sql: str) -> str:
        """`sql` with its sums of integer columns of YQL's type and value (yql_sums)."""
        return sums_as_yql(sql, statement.text, self._source_types, sql_identifier)

    def _declared(self, target: Path) -> list[tuple[str, str]] | None:
        """The columns YQL sees in a table of declared schema (`declared`): its hidden
        sort columns left out (yql_rules.hidden_key_columns)."""
        columns, key = declared_with_key(self.client.root, target)
        hidden = yql_rules.hidden_key_columns(key)
        if columns is None or not hidden:
            return columns
        return DeclaredColumns([(name, kind) for name, kind in columns if name not in hidden],
                               required_of(columns) - set(hidden),
                               getattr(columns, "unique_keys", False),
                               utf8=utf8_of(columns) - set(hidden))

    def _hidden_sort(self, statement: Statement, sql: str, columns: list[tuple[str, str]],
                     key: list[str] | None) -> tuple[list[str] | None,
                                                      list[yql_rules.HiddenColumn], str, Any]:
        """The key a replacing INSERT's ORDER BY sorts its table by on a cluster, the
        hidden sort columns the table keeps (yql_rules.hidden_sort), the query giving
        them after the written columns, and the columns it writes. A key DuckDB cannot
        read over the written columns, or of a type not encoded (yql_presort), leaves the
        table unsorted."""
        assert statement.sort_items is not None
        plan, hidden = yql_rules.hidden_sort(statement.sort_items, columns)
        if not hidden:
            return yql_rules.sort_key_of(plan, columns), [], sql, columns
        wrapped = hidden_select(sql, hidden)
        try:
            self.executed = f"DESCRIBE {wrapped}"
            described = self.connection.execute(self.executed).fetchall()
        except self.duckdb.Error:
            return None, [], sql, columns
        added = [(str(row[0]), str(row[1])) for row in described[len(columns):]]
        if not presort_supported(hidden, dict(added)):
            return None, [], sql, columns
        return plan, hidden, wrapped, DeclaredColumns([*columns, *added],
                                                      required_of(columns),
                                                      utf8=utf8_of(columns))

    def _prove_checked(self) -> None:
        """An empty result may come from a scan that ended early (a join with nothing):
        the types it declares for the table hold only if every row passes the checks."""
        for target in self.checked:
            sampled = self._sampled(target, *self._inferred_names(str(target), target))
            if sampled is None or not self._proved(target, sampled):
                raise self.duckdb.Error(CHECK_FAILED)

    def _distinct_by(self, statement: Statement) -> list[str] | None:
        """The columns an INSERT's rows are distinct by: a GROUP BY's or a SELECT
        DISTINCT's (yql_rules.insert_distinct_by), else the unique key of the one table a
        plain SELECT reads, as written (yql_unique_source)."""
        read = statement.plain_read
        if statement.distinct_by is not None or read is None:
            return statement.distinct_by
        return read.distinct_by(source_unique_key(self.client.sort_order(read.path),
                                                  self.client.unique_keys(read.path)))

    def _insert(self, statement: Statement, allowed: list[str]) -> None:
        assert statement.target is not None
        try:
            self._insert_rows(statement, allowed)
        except OSError as exc:
            # a full disk: name the table the INSERT could not write, as write_table does,
            # not which of dev's files (its transaction's copy of the table, a lock marker)
            if exc.errno in NO_SPACE and (
                    exc.filename is None or str(exc.filename).startswith(str(self.client.root))):
                exc.filename = statement.target
            raise

    def _insert_rows(self, statement: Statement, allowed: list[str]) -> None:
        assert statement.target is not None
        started = time.perf_counter()
        # the columns the rows are distinct by, read before the write (the source may be the
        # table it replaces)
        distinct_by = self._distinct_by(statement)
        if self.undo is not None:
            self.undo.keep(statement.target)
        with self.client.writing(statement.target, append=not statement.truncate,
                                 schema_checked=False, action="YQL INSERT into") as tmp:
            if self.undo is not None:
                self.undo.keep_live(statement.target)
            # an append to a table of sorted schema merges its rows in by key, as YQL
            # does: into the table as it is once the write has locked it
            replaces = (statement.truncate
                        or self.client.visible_file(statement.target) is None)
            key = None if replaces else self.client.sort_order(statement.target)
            if yql_rules.hidden_key_columns(key):
                # YQL's append leaves a table sorted by hidden columns (a DESC key's) unsorted
                # and without them (yql_hidden_sort.drop_hidden)
                drop_hidden(tmp, yql_rules.hidden_key_columns(key))
                key = None
            # a write that replaces the table sorts it by a top-level ORDER BY of columns,
            # as YQL's YtSort does (yql_rules.insert_sort_key), once they are known
            ordered = statement.sort_key if replaces else None
            base = tmp.stat().st_size
            # named as a temporary file (.*.tmp): one a killed run left beside the table,
            # outside a transaction, is removed at the next run's start
            # (atomic.remove_leftovers)
            # (a replacing write's ORDER BY may sort the table: yql_rules.hidden_sort)
            sorts = bool(ordered or (replaces and statement.sort_items))
            part = tmp.with_name(tmp.name + ".part.tmp") if base or key or sorts else tmp
            try:
                with self._connected([*allowed, str(part)], statement.template):
                    sql = self._sums_as_yql(statement, statement.render(self.table_sql))
                    columns, sql = self._columns_written(statement, sql)
                    if ordered:
                        key = yql_rules.sort_key_of(ordered, columns)
                    hidden: list[yql_rules.HiddenColumn] = []
                    if replaces and statement.sort_items:
                        key, hidden, sql, columns = self._hidden_sort(statement, sql,
                                                                      columns, key)
                    # dates and times go in as the counts a cluster keeps (yql_times)
                    sql = yql_times.counted_select(columns, sql, sql_identifier)
                    # a Yson column goes in as the value it holds (yql_yson)
                    sql = yql_yson.raw_select(columns, sql)
                    assert self.macros is not None
                    self.macros.define_for(sql)
                    # the file is already a temporary one, and DuckDB's own temporary name
                    # (tmp_<name>) is not among the files the connection may open
                    self.connection.execute(f"COPY ({sql}) TO {sql_literal(str(part))} "
                                            "(FORMAT JSON, USE_TMP_FILE false)")
                    if not part.exists():  # some DuckDB versions write no file for 0 rows
                        part.write_bytes(b"")
                    crash_point("dev: YQL rows copied")
                    stringify_file(part)
                    if hidden:
                        kinds = dict(columns)
                        encode_file(part, hidden, kinds, statement.required)
                        presorted = bytes_columns(hidden, kinds)
                        columns = DeclaredColumns(
                            [(name, "VARCHAR" if name in presorted else kind)
                             for name, kind in columns],
                            required_of(columns) | presorted, presorted=presorted,
                            utf8=utf8_of(columns))
                    if key:
                        rows = count_lines(part)
                        # a non-finite double is a text by now, sorted as the double
                        doubles = column_types.double_columns(
                            {name: column_types.yt_column_type(kind) for name, kind in columns})
                        merge_in(tmp, part, key, sort_area(self.client.root), doubles)
                    else:
                        if part != tmp:
                            append_file(tmp, part)
                        rows = count_lines(tmp, base)
                    if rows == base == 0:
                        self._prove_checked()
            finally:
                if part != tmp:
                    part.unlink(missing_ok=True)
            if self.undo is not None:
                self.undo.wrote(statement.target, tmp)  # the file the write renames
        written = self.client.visible_file(statement.target)
        if written is not None:
            declare(self.client.root, written, columns, key)
            # sorted by columns its rows are distinct by: the schema says unique_keys
            # (yql_rules.sorted_unique)
            if ordered and yql_rules.sorted_unique(distinct_by, key, columns):
                keep_unique(self.client.root, written, True)
        action = "yql_insert" if statement.truncate else "yql_append"
        self.client.log(action, statement.target, rows=rows, started=started,
                        extra=logged_statement(statement, self.client.masked_forms()))

def run_query(client: DevClient, query: str,
              run_ended: threading.Event | None = None) -> list[dict[str, Any]]:
    """Run a YQL query over the client's tables; the rows of its last SELECT. Once
    `run_ended` is set (the run ended before the query), the query is interrupted."""
    # unsupported constructs are reported before DuckDB's process is asked anything
    translated = translate(query)
    # a JOIN DuckDB would run, on a condition YQL refuses
    refused = join_shape_error(query)
    if refused is not None:
        raise QueryFailed(refused)
    return as_returned(Executor(client, run_ended).run(query, translated))
