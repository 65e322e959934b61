"""YQL through the query tracker: `start_query(engine="yql")`, wait, read the rows.

Each query names its cluster in `settings` (`cluster`): the yql agent's default cluster is
deployment configuration, and without one a table without a cluster fails with "No cluster
name given and no default cluster is selected" (yt/yql/plugin/native/plugin.cpp takes
`settings["cluster"]` over the configured default). The name is `pipeline.prod.cluster` or,
read once, the cluster's own `//sys/@cluster_name`.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from yt_pipeline import yql_wait
from yt_pipeline.column_types import append_type_differs, widen_rows, widened_columns
from yt_pipeline.errors import BackendError, QueryFailed, TableNotFound
from yt_pipeline.yql_commit import warn_of_writes_outside_stage
from yt_pipeline.yql_required import optional_into_required
from yt_pipeline.yql_rules import (
    append_refused,
    hidden_key_columns,
    own_writes_read,
    own_writes_refused,
    read_through,
    row_type_differs,
    truncated,
)
from yt_pipeline.yql_type_v3 import append_v3_differs
from yt_pipeline_prod.client import create_folder_of, titled_write
from yt_pipeline_prod.failures import scrub, summary, translated
from yt_pipeline_prod.reduce_inputs import sort_order
from yt_pipeline_prod.stage_txn import outside_transaction, start_transaction
from yt_pipeline_prod.yql_issues import issues_line, tracker_cause
from yt_pipeline_prod.yql_text import StagedInsert, prepare, stage_inserts

if TYPE_CHECKING:
    from yt_pipeline_prod.client import ProdClient

FINISHED = ("completed", "failed", "aborted", "draft")
#: the only states `abort_query` takes: a query `completing` or `failing` has ended and waits
#: for the tracker to finish it, one `aborting` is being stopped already; the tracker refuses
#: to abort them ("Cannot abort query ... which is in state ...": TQueryTrackerProxy::
#: AbortQuery in yt/yt/server/query_tracker/query_tracker_proxy.cpp)
ABORTABLE = ("pending", "running")
#: abort requests made at the limit before the stage fails with the query left as it is
#: (the tracker refuses an abort while it changes the query's state: "please try again")
ABORT_ATTEMPTS = 3

log = logging.getLogger("yt_pipeline.prod.yql")


def query_cluster(client: ProdClient) -> str:
    """The cluster YQL queries run on: the setting, or the cluster's name, read once."""
    if client.settings.cluster:
        return client.settings.cluster
    if client.root.yql_cluster_name:
        return client.root.yql_cluster_name
    try:
        with translated(client, "get", "//sys/@cluster_name"):
            name = client.yt().get("//sys/@cluster_name")
    except TableNotFound:
        name = None
    if not name:
        raise BackendError("YQL needs the cluster's name and //sys/@cluster_name is not set "
                           "on this cluster: set pipeline.prod.cluster")
    client.root.yql_cluster_name = str(name)
    return str(name)


def _abort(client: ProdClient, query_id: str,
           message: str = "the yt-pipeline run waiting for it stopped") -> bool:
    """Stop a query the run no longer waits for. Left running, it would still write its
    tables after the run (or its stage) has ended: the query tracker runs a query to its
    end whoever waits, and only `abort_query` stops it (ytsaurus-client's own
    `Query.wait` aborts its query on KeyboardInterrupt: yt/wrapper/query_commands.py).
    False when the tracker refused it."""
    try:
        yt = client.yt()
        with outside_transaction(yt):
            yt.abort_query(query_id, message=message)
    except Exception as error:  # noqa: BLE001 - best effort on the way out
        log.warning("could not abort YQL query %s: %s", query_id, type(error).__name__)
        return False
    return True


class _TooLong(Exception):
    """The query outlived pipeline.yql_timeout_s, and was aborted."""


def _wait(client: ProdClient, query_id: str) -> dict[str, Any]:
    """The query's info once it has finished (FINISHED: the states ytsaurus-client's
    `QueryState.is_finished` takes for final, yt/wrapper/query_commands.py). A query not
    finished when pipeline.yql_timeout_s is up, pending or running (ABORTABLE), is aborted,
    and the stage fails naming it; one that has ended already and only waits for the
    tracker to finish it (`completing`, `failing`, `aborting`) is waited for to its final
    state, its results and errors read as those of any other. Meanwhile a line of the log
    says now and then that it is still waited for."""
    yt = client.yt()
    limit = client.settings.yql_timeout_s
    started = told = time.monotonic()
    refused = 0
    # a Ctrl-C reaches the main thread only: closing the client aborts the queries its
    # stage threads wait on, as it aborts their operations
    client.running[query_id] = lambda: _abort(client, query_id)
    try:
        while True:
            with translated(client, f"YQL query {query_id}"), outside_transaction(yt):
                info = dict(yt.get_query(query_id,
                                         attributes=["state", "error", "result_count"]))
            state = str(info.get("state"))
            if state in FINISHED:
                return info
            now = time.monotonic()
            if limit is not None and now - started >= limit and state in ABORTABLE:
                if _abort(client, query_id, f"it ran longer than {yql_wait.KEY} "
                                            f"({limit:g} s) allows"):
                    raise _TooLong(yql_wait.too_long(
                        f"YQL query {query_id} aborted, still {state}", now - started, limit))
                # refused: the query may have ended meanwhile, which the next look tells
                refused += 1
                if refused >= ABORT_ATTEMPTS:
                    raise _TooLong(yql_wait.too_long(
                        f"YQL query {query_id} still {state}, and the query tracker refused "
                        f"to abort it", now - started, limit))
            if now - told >= yql_wait.PROGRESS_EVERY_S:
                told = now
                log.info("YQL query %s still %s after %.0f s (%s: %s)", query_id, state,
                         now - started, yql_wait.KEY,
                         "no limit" if limit is None else f"{limit:g} s")
            pause = client.settings.poll_interval_s
            if limit is not None and now - started < limit:
                # the limit is kept to within a poll, not a poll late
                pause = max(0.0, min(pause, started + limit - now))
            time.sleep(pause)
    except _TooLong as too_long:
        raise _fail(client, str(too_long)) from None
    except BaseException:
        # Ctrl-C here, or a proxy that stopped answering: the query must not go on
        _abort(client, query_id)
        raise
    finally:
        client.running.pop(query_id, None)


def _fail(client: ProdClient, text: str) -> QueryFailed:
    return QueryFailed(scrub(" ".join(text.split()), client.secret_values()))


def _last_result(client: ProdClient, query_id: str, count: int) -> list[dict[str, Any]]:
    """The rows of the last result; an error in it, or rows the tracker cut, fail loudly."""
    from yt_pipeline_prod.client import json_format

    yt = client.yt()
    index = count - 1
    with translated(client, f"YQL query {query_id} result"), outside_transaction(yt):
        meta = dict(yt.get_query_result(query_id, result_index=index))
    if meta.get("error"):
        raise _fail(client, f"YQL query {query_id}: result {index} failed: "
                            f"{summary(meta['error'], client.secret_values())}")
    if meta.get("is_truncated"):
        raise _fail(client, f"YQL query {query_id}: result {index} is incomplete: "
                            f"{truncated()}")
    with translated(client, f"YQL query {query_id} result"), outside_transaction(yt):
        return [dict(row) for row in yt.read_query_result(query_id, result_index=index,
                                                          format=json_format())]


def _apply(client: ProdClient, staged: StagedInsert) -> bool:
    """Put a staged INSERT's rows on its table, in the stage's transaction: a copy for
    WITH TRUNCATE (or a new table), else an append that YQL itself would have allowed.
    True for a copy: the staging table then holds the table's rows as the stage sees them."""
    from yt.wrapper import TablePath

    yt = client.yt()
    target = staged.target
    with translated(client, "YQL INSERT INTO", target):
        if staged.truncate or not yt.exists(target):
            create_folder_of(yt, target)
            yt.copy(staged.staging, target, force=True)
            return True
        table_schema = yt.get(target + "/@schema")
        written_schema = yt.get(staged.staging + "/@schema")
        table, written = _schema_types(table_schema), _schema_types(written_schema)
        if not table:
            raise _fail(client, append_refused(target))
        # YQL's words name each column's full type (type_v3: Optional unless required)
        table_v3, written_v3 = _schema_v3(table_schema), _schema_v3(written_schema)
        refused = row_type_differs(target, table_v3, written_v3)
        if sorted(table) != sorted(written):
            raise _fail(client, refused)
        # YQL checks the types too when it appends itself; the staging table's rows would
        # otherwise be concatenated to a table of other types
        # and a List<String> and a Yson column, both `any`, by their type_v3
        if append_type_differs(table, written) or any(
                append_v3_differs(table_v3.get(name), written_v3.get(name)) for name in table):
            raise _fail(client, refused)
        # an Optional column into a required one: YQL's append check refuses it (no Optional
        # converts to a type that is not: yql_required.optional_into_required), and the
        # concatenate below would fail with the cluster's incompatible-schemas error
        if optional_into_required(_required(table_schema), _required(written_schema)):
            raise _fail(client, refused)
        doubles = widened_columns(table, written)
        key = sort_order(client, target)
        if doubles:
            # integers YQL would have made doubles: concatenate moves chunks as they are,
            # and a table of strict schema refuses them, so the rows are written converted
            from yt_pipeline_prod.client import json_format
            from yt_pipeline_prod.table_reads import read_whole

            # read whole before the write (a read left open is a transaction nested in the
            # stage's, which its commit refuses), in a transaction titled by us
            rows = widen_rows(read_whole(client.root, yt, staged.staging, json_format()),
                              doubles)
            if key:
                _merge_sorted(yt, target, key, rows)
            else:
                with titled_write(yt, target):
                    yt.write_table(TablePath(target, append=True, client=yt), rows,
                                   format=json_format())
        elif key:
            _merge_sorted(yt, target, key, staged.staging)
        else:
            yt.concatenate([staged.staging], TablePath(target, append=True, client=yt))
    return False


def _apply_all(client: ProdClient, staged: list[StagedInsert]) -> list[bool]:
    """Put every staged INSERT on its table (`_apply`, whose answer each gives): all of
    them or, when one fails (an append YQL would refuse), none. On a cluster a whole query
    is one transaction ("By default, the entire YQL query is executed within a single
    transaction": ydb/docs/en/core/yql/reference/syntax/commit.md in ydb-platform/ydb), so
    several INSERTs are put on in a transaction nested in the stage's, which a failure
    aborts, dropping those put on before it; one INSERT needs none."""
    if len(staged) < 2:
        return [_apply(client, each) for each in staged]
    with start_transaction(client.yt(), "yt-pipeline: the INSERTs of one YQL query"):
        return [_apply(client, each) for each in staged]


def _merge_sorted(yt: Any, target: str, key: list[str], rows: Any) -> None:
    """Append to a sorted table as YQL does, keeping it sorted ("In the case of a sorted
    table, YQL tries to preserve sorting by running a sorted merge": YQL docs, INSERT
    INTO). Rows appended as they come would be refused: the table's strong schema is
    sorted, and a write or a `concatenate` of rows out of its key order fails (the fake's
    sorted_tables.py says where). YQL's publish step merges the table and its new rows,
    sorted, into the table with a merge of mode sorted (ExecPublish in yt/yql/providers/
    yt/gateway/native/yql_yt_native.cpp: inputs the table then the new rows, output the
    table, `MM_SORTED` by its key): the new rows alone are sorted (a table, or rows) into
    a temporary table of the table's columns, and the table is not sorted again."""
    from yt_pipeline_prod.client import json_format

    # of the table's schema, unsorted: a sort into a table of strict schema takes inputs of
    # that schema only, and gives it the sort's key
    schema = [{name: value for name, value in dict(column).items() if name != "sort_order"}
              for column in yt.get(target + "/@schema")]
    temporary = str(yt.create_temp_table(prefix="ytp-yql-append-",
                                         attributes={"schema": schema}))
    try:
        source = rows
        if not isinstance(rows, str):
            with titled_write(yt, temporary):
                yt.write_table(temporary, rows, format=json_format())
            source = temporary
        yt.run_sort(source, temporary, sort_by=key)
        yt.run_merge([target, temporary], target, mode="sorted", spec={"merge_by": key})
    finally:
        yt.remove(temporary, force=True)


def _result_columns(yt: Any, table: str) -> list[str] | None:
    """The columns of a final SELECT's result table that are the query's own, when the
    table has others: its schema without the hidden sort columns a SELECT ordered by a DESC
    key or an expression leaves in it (yql_rules.hidden_sort: `_yql_column_N`, holding
    presort bytes a cluster's JSON read refuses as not UTF-8). Those are the aux columns of
    the row spec's SortedBy, left out of the row type (TYqlRowSpecInfo::ParsePatched in
    yt/yql/providers/yt/lib/row_spec/yql_row_spec.cpp), so not the result's. None: read
    every column."""
    schema = list(yt.get(table + "/@schema") or [])
    names = [str(column["name"]) for column in schema]
    hidden = set(hidden_key_columns([str(column["name"]) for column in schema
                                     if column.get("sort_order")]))
    if not hidden:
        return None
    return [name for name in names if name not in hidden]


def _schema_v3(schema: Any) -> dict[str, Any]:
    """name: type_v3 of each column of a table's schema (a master gives every column one)."""
    return {str(c["name"]): c.get("type_v3") for c in schema or []}


def _required(schema: Any) -> frozenset[str]:
    """The required columns of a table's schema."""
    return frozenset(str(c["name"]) for c in schema or [] if c.get("required"))


def _schema_types(schema: Any) -> dict[str, str]:
    """name: YT type of each column of a table's strict schema; none for a table without one.
    A schema that is not strict is none for YQL either: what a sort leaves on a table
    write_table wrote is its key columns alone (`<strict=%false>[{name=k; type=any;
    sort_order=ascending}]`), and YQL appends to it no more than to a table of no schema."""
    if not schema or not getattr(schema, "attributes", {}).get("strict", True):
        return {}
    return {str(c["name"]): str(c.get("type", "any")) for c in schema}


def _remove_staging(client: ProdClient, staged: list[StagedInsert]) -> None:
    yt = client.yt()
    for each in staged:
        try:
            with outside_transaction(yt):
                yt.remove(each.staging, force=True)
        except Exception as error:  # noqa: BLE001 - it expires within a day anyway
            log.debug("could not remove %s: %s", each.staging, type(error).__name__)


def run_yql(client: ProdClient, query: str, pool: str | None = None,
            max_row_weight: str | None = None) -> list[dict[str, Any]]:
    """Run a query and wait; return the rows of its last result (none for INSERT).

    In a stage, each INSERT writes a staging table of its own, and the stage's transaction
    then puts the rows on the table named: the query tracker runs queries outside
    transactions, and a failed or killed stage must not leave its INSERTs behind."""
    cluster = query_cluster(client)
    folder = client.settings.yql_result_folder
    staged: list[StagedInsert] = []
    kept: list[StagedInsert] = []
    if client.stages_writes:
        warn_of_writes_outside_stage(query)
        query, staged = stage_inserts(query, cluster, lambda: f"{folder}/{uuid.uuid4().hex}")
        # A table an earlier INSERT of the stage filled whole is read from its staging
        # table, which holds the same rows; anything else the stage wrote the query tracker
        # cannot see, and the query is refused rather than answered with older rows. (The
        # INSERT targets are staging tables now: what is left is what the query reads.)
        query = read_through(query, client.yql_views())
        stale = own_writes_read(query, client.written_paths())
        if stale:
            raise own_writes_refused(stale)
    # known to the run's client until they are removed or kept by the stage's transaction:
    # a run cut short while the stage's thread is here removes them (ProdClient.close)
    client.yql_staging.update(each.staging for each in staged)
    try:
        rows = _run(client, query, cluster, pool, max_row_weight, bool(staged))
        for each, whole in zip(staged, _apply_all(client, staged), strict=True):
            client.wrote(each.target)
            if whole:
                client.keep_view(each.target, each.staging)
                kept.append(each)
    finally:
        _remove_staging(client, [each for each in staged if each not in kept])
        client.yql_staging.difference_update(each.staging for each in staged)
    return rows


def _run(client: ProdClient, query: str, cluster: str, pool: str | None,
         max_row_weight: str | None, needs_folder: bool) -> list[dict[str, Any]]:
    table = f"{client.settings.yql_result_folder}/{uuid.uuid4().hex}"
    prepared = prepare(query, cluster, table, max_row_weight=max_row_weight)
    if prepared.result_table or needs_folder:  # written only by a final SELECT or staging
        client.ensure_folder(client.settings.yql_result_folder)
    settings: dict[str, Any] = {"cluster": cluster}
    if pool:
        settings["pool"] = pool
    yt = client.yt()
    with client.starting:
        if client.closed.is_set():
            # the run ended (Ctrl-C) while its stage threads go on: a query started now
            # would run outside the stage's aborted transaction, and nobody would abort it
            # or remove its staging tables
            raise BackendError("the run has ended: the YQL query was not started")
        with translated(client, "YQL query"), outside_transaction(yt):
            # the query tracker runs queries outside transactions
            query_id = str(yt.start_query("yql", prepared.text, settings=settings))
        client.running[query_id] = lambda: _abort(client, query_id)
    info = _wait(client, query_id)
    state = str(info.get("state"))
    if state != "completed":
        # the cause, without the tracker's "Query <id> failed" the line says already
        error = tracker_cause(info.get("error"), query_id)
        # YQL's issues, each placed in the query as written rather than the text sent
        reason = ((issues_line(error, prepared)
                   or prepared.in_query(summary(error, client.secret_values())))
                  if error else f"the query was {state}")
        raise _fail(client, f"YQL query {query_id} {state}: {reason}")
    if prepared.result_table:
        try:
            with translated(client, "read_table", prepared.result_table):
                columns = _result_columns(yt, prepared.result_table)
            return list(client.read_columns(prepared.result_table, columns))
        finally:
            # outside the stage's transaction: gone now, whatever the stage does next
            with translated(client, "remove", prepared.result_table), outside_transaction(yt):
                yt.remove(prepared.result_table, force=True)
    count = int(info.get("result_count") or 0)
    return _last_result(client, query_id, count) if count else []
