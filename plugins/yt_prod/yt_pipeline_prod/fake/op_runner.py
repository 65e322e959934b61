"""Fake operations that really run, one background thread each.

Input rows and the jobs' files are read when the operation starts, as the scheduler takes
snapshot locks on its inputs; the output tables are locked then too, in an output
transaction nested in the operation's transaction: exclusively when a table is overwritten
and shared when `<append=%true>` (a conflict fails the operation, as a cluster fails it
while preparing). Jobs run one after another as local processes (see jobs.py); a failed job
is run again until the operation's max_failed_job_count is reached. The outputs are written
in the output transaction, committed only when every job has succeeded, so an append lands
on the table as it is then, next to rows other transactions appended meanwhile. What jobs
read, and what a reduce refuses, is in inputs.py.

Each job has a cookie, its index within its task, kept when the job is run again: a task's
jobs are its chunk pool's cookies, and a vanilla task's pool holds exactly job_count of them
(TVanillaChunkPool in yt/yt/server/lib/chunk_pools/vanilla_chunk_pool.cpp). The job sees it
as YT_JOB_COOKIE. YT_JOB_INDEX counts the jobs the operation started and YT_TASK_JOB_INDEX
those its task started, a job run again taking the next of each (TTask::ScheduleAllocation
in yt/yt/server/controller_agent/controllers/task.cpp draws both for every joblet:
TaskHost_->NextJobIndex() and TaskJobIndexGenerator_, which "increments each time a new job
in this task is scheduled"). A vanilla job also sees its task's name as YT_TASK_NAME
(TVanillaTask::BuildJobEnvironment in controllers/vanilla_controller.cpp).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from yt_pipeline.column_types import HeavyKey, IncomparableKey
from yt_pipeline_prod.fake import stderr_table
from yt_pipeline_prod.fake.branches import REMOVED, set_attribute, write_rows
from yt_pipeline_prod.fake.control_attributes import ControlAttributes, asked, job_io_key
from yt_pipeline_prod.fake.created_outputs import create_if_asked
from yt_pipeline_prod.fake.cypress import SCHEDULER_PINGED, new_id, split_path
from yt_pipeline_prod.fake.foreign import (
    check_foreign_tables,
    check_join,
    check_key_column_types,
    joined,
    primary,
    primary_items,
)
from yt_pipeline_prod.fake.inputs import (
    InputTable,
    Item,
    check_map_reduce_keys,
    check_sorted_inputs,
    items_of,
    job_stdin,
    read_inputs,
    rich_path,
    table_index_enabled,
)
from yt_pipeline_prod.fake.job_plans import key_switch_key, plan_jobs, sort_rows
from yt_pipeline_prod.fake.jobs import (
    BY_OPERATION_TIME_LIMIT,
    JobResult,
    job_environment,
    run_job,
)
from yt_pipeline_prod.fake.json_rows import stringifies
from yt_pipeline_prod.fake.merge import (
    WEAK,
    check_sorted_merge_output,
    merge_key,
    merge_output_schema,
    merged_rows,
)
from yt_pipeline_prod.fake.output_schema_check import refused_inputs
from yt_pipeline_prod.fake.protocol import YtFakeError, path_attributes, plain
from yt_pipeline_prod.fake.row_count_limit import RowCountLimit, limit_of
from yt_pipeline_prod.fake.row_weight import (
    ROW_WEIGHT_LIMIT_EXCEEDED,
    check_key_weight,
    too_heavy,
)
from yt_pipeline_prod.fake.sort_append import check_sort_append
from yt_pipeline_prod.fake.sorted_tables import (
    ordered_job_outputs,
    path_schema,
    sort_column_names,
    sort_keeps_unique,
    sort_output_schema,
    strong_key,
    unique_keys,
    unique_keys_of,
    unsorted_rows,
    upload_key,
    with_schema,
    without_unique_keys,
)
from yt_pipeline_prod.fake.spec_postprocessors import nontrivial, reduce_columns
from yt_pipeline_prod.fake.user_files import check_user_file_type
from yt_pipeline_prod.fake.vanilla_limits import check_vanilla_limits
from yt_pipeline_prod.fake.yql_tables import schema_violation, writer_columns

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.state import FakeState

TYPES = ("map", "reduce", "map_reduce", "sort", "merge", "vanilla")
DEFAULT_MAX_FAILED_JOBS = 10
#: EErrorCode::IncomparableType (yt/yt/client/table_client/public.h)
INCOMPARABLE_TYPE = 303


@dataclass
class FakeOperation:
    id: str
    type: str
    spec: Any
    tx: str | None
    state: str = "pending"
    error: dict[str, Any] | None = None
    jobs: list[JobResult] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    finished: float | None = None
    aborted: bool = False
    #: the jobs planned so far (the total of its brief_progress), failed retries aside
    planned: int = 0


class OperationError(Exception):
    def __init__(self, message: str, inner: list[dict[str, Any]] | None = None,
                 attributes: dict[str, Any] | None = None):
        super().__init__(message)
        self.error = {"code": 1, "message": message, "attributes": attributes or {},
                      "inner_errors": inner or []}


#: what the controller says when an operation passes its spec's time_limit (ms), failing it
#: (TOperationControllerBase::CheckTimeLimit in yt/yt/server/controller_agent/
#: operation_controller_detail.cpp)
TIME_LIMIT_TEXT = "Operation is running for too long, aborted"


def _paths(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


class OperationRunner:
    def __init__(self, state: FakeState, op: FakeOperation):
        self.state = state
        self.op = op
        self.cypress = state.cypress
        limit = op.spec.get("max_failed_job_count")
        self.max_failed = int(limit) if limit is not None else DEFAULT_MAX_FAILED_JOBS
        time_limit = op.spec.get("time_limit")
        #: the operation's time_limit in seconds (the spec gives ms), None: no limit
        self.time_limit_s = int(time_limit) / 1000 if time_limit is not None else None
        self.tables: list[InputTable] = []
        #: the files of each user job (by id of its spec), read when the operation starts
        self.files: dict[int, dict[str, bytes]] = {}
        #: the names among them that are executable in the sandbox (by id of its spec)
        self.executables: dict[int, set[str]] = {}
        self.out_tx: str | None = None
        #: the columns (name: type) of each output table's schema, strict or not (a
        #: SchemaColumns; None: no schema, any row), by index
        self.output_columns: list[dict[str, str] | None] = []
        #: each output table's `schema` attribute (its columns' type_v3 with them), by index
        self.output_schemas: list[Any] = []
        #: the key of each output table of strong sorted schema (None: any order), by index
        self.output_keys: list[list[str] | None] = []
        #: whether each output's strong sorted schema says unique_keys (sorted_tables.py)
        self.output_unique: list[bool] = []
        #: the schema an output's path gives its table (sorted_tables.path_schema), by index
        self.path_schemas: dict[int, Any] = {}
        #: what each job wrote to each output table, in job order, by table index
        self.job_outputs: dict[int, list[list[dict[str, Any]]]] = {}
        #: how many jobs each task started so far (YT_TASK_JOB_INDEX), by task
        self.task_jobs_started: dict[str, int] = {}
        #: the schema a sort gives its output of weak schema (sort_output_schema), if any
        self.sort_schema: Any = None
        #: the spec's stderr_table_path, once found to be a table (stderr_table.py)
        self.stderr_table: str | None = None
        #: the output paths' row_count_limit, if one has it (row_count_limit.py)
        self.row_count_limit: RowCountLimit | None = None

    def run(self) -> None:
        op = self.op
        op.state = "running"
        state = "failed"
        error: dict[str, Any] | None = {"code": 1, "message": "the fake operation broke",
                                        "attributes": {}, "inner_errors": []}
        try:
            outputs = self._prepare()
            produced = self._execute()
            if op.aborted:
                raise OperationError("Operation aborted")
            self._commit(outputs, produced)
            state, error = "completed", None
        except OperationError as failure:
            state, error = ("aborted" if op.aborted else "failed"), failure.error
        except YtFakeError as failure:
            error = {"code": 1, "message": "Operation has failed to prepare",
                     "attributes": {}, "inner_errors": [failure.to_dict()]}
        except HeavyKey as failure:
            # the sort's writer refuses the row: EErrorCode::RowWeightLimitExceeded
            error = {"code": 1, "message": "Operation has failed", "attributes": {},
                     "inner_errors": [{"code": ROW_WEIGHT_LIMIT_EXCEEDED,
                                       "message": str(failure), "attributes": {},
                                       "inner_errors": []}]}
        except IncomparableKey as failure:
            # a sort comparing a list or a map in a key column: its jobs fail with
            # EErrorCode::IncomparableType (yt/yt/client/table_client/public.h)
            error = {"code": 1, "message": "Operation has failed", "attributes": {},
                     "inner_errors": [{"code": INCOMPARABLE_TYPE, "message": str(failure),
                                       "attributes": {}, "inner_errors": []}]}
        except Exception as failure:  # noqa: BLE001 - a bug of the fake: the test must see it
            # a cluster reports a fault of its own as the operation's error, and the fake
            # keeps it for FakeYtProxy.stop to raise, instead of its thread dying silently
            error = {"code": 1, "message": self.state.broke("operation", failure),
                     "attributes": {}, "inner_errors": []}
        finally:
            self._end_output_transaction()
            self._write_stderr_table()
            op.error, op.state = error, state
            op.finished = time.time()

    # -- inputs, files and outputs, when the operation starts ---------------------------
    def _files(self, user_job: dict[str, Any]) -> dict[str, bytes]:
        key = id(user_job)
        if key not in self.files:
            files = {}
            executables = set()
            for item in _paths(user_job.get("file_paths")):
                text, attributes = path_attributes(item)
                path = self.cypress.resolve(split_path(text)[0], self.op.tx)
                node = self.cypress.get_node(path, self.op.tx)
                check_user_file_type(path, node.type)
                name = str(attributes.get("file_name") or path.rsplit("/", 1)[-1])
                if name in files:
                    # the controller refuses two user files of one name while preparing
                    # (TOperationControllerBase's user file checks in yt/yt/server/
                    # controller_agent/controllers/operation_controller_detail.cpp)
                    raise YtFakeError(f'Duplicate user file name "{name}" for {path}')
                files[name] = node.data
                # a file is executable in the sandbox only when its path or its node says so
                # (`executable`, which ytsaurus-client's own upload sets from the local file's
                # mode: upload_file_to_cache / smart_upload_file in yt/wrapper/file_commands.py)
                flag = attributes.get("executable", node.attributes.get("executable"))
                if flag:
                    executables.add(name)
            self.files[key] = files
            self.executables[key] = executables
        return self.files[key]

    def _prepare(self) -> list[tuple[str, dict[str, Any]]]:
        spec = self.op.spec
        # the controller reads the output paths' row_count_limit when it registers its
        # output tables, before it looks at any table (row_count_limit.py)
        self.row_count_limit = limit_of(
            [path_attributes(rich_path(item))[1] for item in
             _paths(spec.get("output_table_paths")) + _paths(spec.get("output_table_path"))])
        if self.row_count_limit is not None and self.op.type == "map_reduce":
            raise YtFakeError("the fake proxy does not model row_count_limit in a map_reduce")
        if self.op.type == "map_reduce":
            # a cluster runs a forced reduce combiner over every partition, and sends the
            # mapper's streams past the first to the first output tables; the fake does
            # neither, so it refuses rather than give other rows
            if spec.get("force_reduce_combiners"):
                raise YtFakeError("the fake proxy does not model reduce combiners "
                                  "(force_reduce_combiners)")
            if int(spec.get("mapper_output_table_count") or 0):
                raise YtFakeError("the fake proxy does not model mapper_output_table_count")
        if self.op.type == "vanilla":
            check_vanilla_limits(spec.get("tasks") or {})
        self.stderr_part = stderr_table.part_size(spec)
        self.stderr_table = stderr_table.table_of(self.cypress, spec)
        jobs = [spec.get(name) for name in ("mapper", "reducer")]
        jobs.extend((spec.get("tasks") or {}).values())
        for user_job in jobs:
            if user_job is not None:
                self._files(user_job)
        if self.op.type != "vanilla":
            self.tables = read_inputs(self.cypress, self.op.tx,
                                      _paths(spec.get("input_table_paths")),
                                      self._reader_control().sourced)
        found: list[tuple[str, dict[str, Any]]] = []
        with self.cypress.lock:
            # the scheduler pings its output transaction for as long as the operation
            # runs (TOperationControllerBase::StartTransaction in yt/yt/server/
            # controller_agent/controllers/operation_controller_detail.cpp): it ends with
            # the operation or with the user's transaction, never by its lease
            self.out_tx = self.cypress.start(self.op.tx, {"title": f"output of {self.op.id}"},
                                             timeout_s=SCHEDULER_PINGED)
            for item in (_paths(spec.get("output_table_paths"))
                         + _paths(spec.get("output_table_path"))):
                text, attributes = path_attributes(rich_path(item))
                path = self.cypress.resolve(split_path(text)[0], self.out_tx)
                create_if_asked(self.cypress, path, attributes, self.out_tx)
                node = self.cypress.get_node(path, self.out_tx)
                if node.type != "table":
                    raise YtFakeError(f"{path} is a {node.type}, not a table")
                # a path's own schema: the table is written as one of that schema
                given = path_schema(attributes)
                if given is not None:
                    self.path_schemas[len(found)] = given
                    node = with_schema(node, given)
                # an append takes a shared lock, but an exclusive one on a table of strong
                # sorted schema (sorted_tables.py); a path's `sorted_by` makes the table's
                # writers sorted ones, under an exclusive lock (upload_key)
                key = upload_key(node, attributes)
                self.cypress.take_lock(path, self.out_tx,
                                       "shared" if attributes.get("append") and not key
                                       else "exclusive")
                found.append((path, attributes))
                self.output_columns.append(writer_columns(node))
                self.output_schemas.append(node.attributes.get("schema"))
                self.output_keys.append(key)
                self.output_unique.append(bool(key) and unique_keys(node))
                sorted_by = [str(c) for c in spec.get("sort_by") or []] \
                    if self.op.type == "sort" else \
                    merge_key(self.tables, spec) if self.op.type == "merge" else None
                if sorted_by is not None and self.op.type == "merge":
                    check_sorted_merge_output(node, self.tables, spec)
                if sorted_by is not None and self.op.type == "sort":
                    check_sort_append(node, path, attributes, sorted_by)
                if sorted_by is None and self.op.type == "merge":
                    self._unsorted_merge_schema(node, bool(attributes.get("append")))
                elif sorted_by is not None:
                    # an output of weak schema takes its schema from the inputs, sorted by
                    # the sort's (the sorted merge's) columns: unique keys with them too
                    self.sort_schema = sort_output_schema(
                        node, self.tables, sorted_by,
                        str(spec.get("schema_inference_mode") or "auto"))
                    if self.sort_schema is WEAK:
                        # weak inputs `from_input`: the output is weak, sorted by the key
                        self.output_columns[-1], self.output_schemas[-1] = None, None
                        self.output_keys[-1], self.output_unique[-1] = sorted_by, False
                    elif self.sort_schema is not None:
                        self.output_columns[-1] = writer_columns(
                            with_schema(node, self.sort_schema))
                        self.output_keys[-1] = sorted_by
                        self.output_unique[-1] = unique_keys_of(self.sort_schema)
        if self.op.type in ("sort", "merge") and self.sort_schema is None:
            # an output of strong schema: inputs of strong schema are compared with it
            # before any row is read (output_schema_check.py)
            refused = refused_inputs(spec, self.tables, self.output_columns[0],
                                     self.output_schemas[0])
            if refused is not None:
                raise OperationError(refused["message"], refused["inner_errors"])
        return found

    def _reader_control(self) -> ControlAttributes:
        """The control attributes asked of the user job that reads the input tables: the
        map_reduce spec has one job_io per stage (map_job_io, reduce_job_io)."""
        spec, kind = self.op.spec, self.op.type
        if kind not in ("map", "reduce", "map_reduce"):
            return ControlAttributes()
        # a map_reduce's reducer reads the input when it has no mapper; its row and range
        # indexes were refused when it started (spec_postprocessors)
        reads = "map" if kind == "map" or nontrivial(spec.get("mapper")) else "reduce"
        return asked(spec, job_io_key(kind, reads))

    def _unsorted_merge_schema(self, node: Any, append: bool) -> None:
        """An unordered or ordered merge's output: the schema the controller gives it, or
        its refusal (merge.merge_output_schema)."""
        schema, key = merge_output_schema(node, self.tables, self.op.spec, append)
        if schema is None:
            return
        # an append too: the controller ends the upload with the schema and schema mode it
        # inferred (EndUploadOutputTables in operation_controller_detail.cpp), which the
        # master sets on the table (TTableNode::EndUpload in yt/yt/server/master/
        # table_server/table_node.cpp); the rows already there stay, the new ones after them
        self.sort_schema = schema
        if schema is WEAK:
            # weak, sorted by `key` when the one input of an ordered merge is
            self.output_columns[-1], self.output_schemas[-1] = None, None
            self.output_keys[-1], self.output_unique[-1] = key or None, False
            return
        self.output_columns[-1] = writer_columns(with_schema(node, schema))
        self.output_schemas[-1] = schema
        self.output_keys[-1] = key or None
        self.output_unique[-1] = bool(key) and unique_keys_of(schema)

    def _check_appended_after_last(self, path: str, rows: list[dict[str, Any]],
                                   index: int) -> None:
        """A merge appending to a table of strong sorted schema: its output must begin at
        or after the table's last key, as the controller checks it for any sorted output
        (VerifySortedOutput in operation_controller_detail.cpp: "job outputs overlap with
        original table"); OperationError in its words."""
        node = self.cypress.get_node(path, self.out_tx)
        key = self.output_keys[index]
        if not key or strong_key(node) is None:
            return
        try:
            ordered_job_outputs(node, path, [rows], True, key, self.output_unique[index])
        except ValueError as refused:
            raise OperationError(str(refused)) from None

    def _write_stderr_table(self) -> None:
        if self.stderr_table is None:
            return
        try:
            stderr_table.write(self.cypress, self.stderr_table, self.op.jobs, self.stderr_part)
        except YtFakeError:
            # the controller logs a debug output transaction it cannot commit and goes on
            # (TOperationControllerBase::DoAbort)
            pass

    def _end_output_transaction(self) -> None:
        if self.out_tx is not None and self.out_tx in self.cypress.transactions:
            self.cypress.abort(self.out_tx)
        self.out_tx = None

    # -- jobs ---------------------------------------------------------------------------
    def _execute(self) -> dict[int, list[dict[str, Any]]]:
        spec, kind = self.op.spec, self.op.type
        if kind == "vanilla":
            self._vanilla()
            return {}
        tables = self.tables
        check_foreign_tables(kind, tables, spec)
        if kind == "sort":
            rows = [row for table in tables for row in table.rows]
            # into a table of strict schema, the sort keeps that schema (sorted) and its
            # writer refuses what the schema does not take, as every writer does (the sort
            # controller's PrepareOutputTables: ToSorted, then
            # ValidateOutputSchemaCompatibility, in sort_controller.cpp)
            refused = schema_violation(self.output_columns[0], rows)
            if refused:
                raise OperationError(refused)
            sort_by = [str(c) for c in spec.get("sort_by") or []]
            for row in rows:  # the sorted writer's key weight limit (HeavyKey)
                check_key_weight(row, sort_by)
            ordered = sort_rows(rows, sort_by)
            if self.output_unique[0] and sort_keeps_unique(self.output_keys[0], sort_by):
                # the output's schema, sorted by sort_by, still says unique_keys: its
                # writer refuses two rows of one key ("Duplicate key %v", which does not
                # explode the job as a sort order violation does: ValidateSortOrderAndUniqueness
                # in schemaless_chunk_writer.cpp)
                refused = unsorted_rows(ordered, sort_by, True)
                if refused:
                    raise OperationError(refused)
            return {0: ordered}
        if kind == "merge":
            rows = merged_rows(tables, spec)
            refused = schema_violation(self.output_columns[0], rows)
            key = self.output_keys[0]
            merged_by = merge_key(tables, spec)
            if not refused and key and merged_by is None:
                # an ordered merge into a table of strong sorted schema: its writer is a
                # sorted one, as every writer of such a table (sorted_tables.py)
                refused = unsorted_rows(rows, key, self.output_unique[0])
            elif not refused and key and merged_by == key and self.output_unique[0]:
                # a sorted merge keeps the output's strong sorted schema (TSortedMerge
                # Controller::PrepareOutputTables in sorted_controller.cpp), whose writer
                # refuses two rows of one key when it says unique_keys
                refused = unsorted_rows(rows, key, True)
            if refused:
                raise OperationError(refused)
            return {0: rows}
        outputs = len(_paths(spec.get("output_table_paths")))
        items = items_of(tables)
        if kind == "reduce":
            # the sort order asked of the primary tables; foreign ones are sorted by join_by
            check_sorted_inputs(primary(tables), spec)
            check_join(tables, spec)
            check_key_column_types(tables, spec)
            if spec.get("join_by"):
                # jobs are planned over the primary rows; each gets the foreign rows of its
                # join_by keys (foreign.joined)
                items = primary_items(tables)
        if kind == "map_reduce":
            check_map_reduce_keys(spec)
            # reduce_by defaults to sort_by's columns: the reducer's key groups and switches
            spec = {**spec, "reduce_by": reduce_columns(spec)}
            reducer = spec["reducer"]
            # a mapper without a command is none (spec_postprocessors.nontrivial): rows go
            # straight on, as without a mapper
            if nontrivial(spec.get("mapper")):
                mapper = spec["mapper"]
                with_index = table_index_enabled(mapper, len(tables))
                intermediate: list[dict[str, Any]] = []
                chunks = plan_jobs("map", items, spec, spec.get("map_job_count"))
                self.op.planned += len(chunks)
                for cookie, chunk in enumerate(chunks):
                    out = self._job("map", mapper, chunk, with_index, cookie, outputs=1,
                                    intermediate=True, control=asked(spec, "map_job_io"))
                    intermediate.extend(out.get(0, []))
                items = [(0, row) for row in intermediate]
            # One intermediate stream: the reducer sees table indexes only when asked for
            # them (the map_reduce spec postprocessor in yt/yt/ytlib/scheduler/config.cpp;
            # "When no mapper is specified for a MapReduce type operation, there will be no
            # data about which input tables entries came from": docs, Switching between
            # tables).
            with_index = bool(reducer.get("enable_input_table_index"))
            kind, job_spec = "reduce", reducer
            count = spec.get("partition_count") or spec.get("reduce_job_count")
            control = asked(spec, "reduce_job_io")
        else:
            job_spec = spec["mapper" if kind == "map" else "reducer"]
            with_index = table_index_enabled(job_spec, len(tables))
            count = spec.get("job_count")
            control = asked(spec, "job_io")
        produced: dict[int, list[dict[str, Any]]] = {}
        planned = plan_jobs(kind, items, spec, count)
        if self.op.type == "reduce" and spec.get("join_by"):
            join_by = [str(c) for c in spec["join_by"]]
            planned = [joined(chunk, tables, join_by) for chunk in planned]
        self.op.planned += len(planned)
        key_of = key_switch_key(spec) if kind == "reduce" else None
        for cookie, chunk in enumerate(planned):
            written = self._job(kind, job_spec, chunk, with_index, cookie, outputs,
                                control=control, key_of=key_of)
            for index, table_rows in written.items():
                produced.setdefault(index, []).extend(table_rows)
            if self.row_count_limit is not None and self.row_count_limit.add(written):
                break  # the operation completes with the jobs run so far
        return produced

    def _vanilla(self) -> None:
        for task_name, task in (self.op.spec.get("tasks") or {}).items():
            if task.get("output_table_paths"):
                raise YtFakeError("the fake proxy does not run vanilla tasks with output tables")
            self.op.planned += int(task.get("job_count") or 1)
            for cookie in range(int(task.get("job_count") or 1)):
                self._job("vanilla", task, None, False, cookie, outputs=0, task=str(task_name))

    def _job(self, job_type: str, user_job: dict[str, Any], items: list[Item] | None,
             with_index: bool, cookie: int, outputs: int, task: str = "",
             intermediate: bool = False, control: ControlAttributes = ControlAttributes(),
             key_of: Callable[[dict[str, Any]], Any] | None = None
             ) -> dict[int, list[dict[str, Any]]]:
        files = self._files(user_job)
        vault = plain(self.op.spec.get("secure_vault")) or {}
        stringify = stringifies(user_job.get("format") or user_job.get("input_format"))
        try:
            stdin = (job_stdin(items, with_index, stringify, control, key_of)
                     if items is not None else None)
        except YtFakeError as unwritable:
            # the job proxy writes the job's input with the same JSON writer as read_table
            # (json_rows: a NaN, or a string not UTF-8 by shape); the job fails on it each
            # time it runs, so the operation fails once its jobs have
            job_error = {"code": 1, "message": str(unwritable), "attributes": {},
                         "inner_errors": []}
            raise OperationError("Failed jobs limit exceeded", [job_error]) from None
        while True:
            if self.op.aborted:
                raise OperationError("Operation aborted")
            if self.op.tx and self.op.tx not in self.cypress.transactions:
                # YT aborts the operations of a transaction that ends
                self.op.aborted = True
                raise OperationError(f"Transaction {self.op.tx} of the operation has ended")
            left = self._time_left()
            job_id = new_id()
            ids = {"YT_OPERATION_ID": self.op.id, "YT_JOB_ID": job_id,
                   "YT_JOB_INDEX": str(len(self.op.jobs)), "YT_JOB_COOKIE": str(cookie),
                   "YT_TASK_JOB_INDEX": str(self._next_task_job_index(task or job_type))}
            if task:
                ids["YT_TASK_NAME"] = task
            env = job_environment(self.state.python_bin(), self.state.job_env, user_job, vault,
                                  ids)
            started = time.time()
            result = run_job(job_id, job_type, user_job, files, stdin, env,
                             self.state.job_timeout_s, output_tables=outputs,
                             executables=self.executables[id(user_job)],
                             operation_left_s=left, aborted=self._aborted)
            result.cookie, result.task = cookie, task
            result.started, result.finished = started, time.time()
            if result.aborted:
                self.op.jobs.append(result)
                continue  # the loop's start ends the operation, as aborted
            if result.stopped_by == BY_OPERATION_TIME_LIMIT:
                self.op.jobs.append(result)
                raise self._out_of_time()
            if not result.failed and not intermediate:
                # the job's table writer checks each row against its output table's schema,
                # and a refused row fails the job (yql_tables.schema_violation)
                for index, rows in result.outputs.items():
                    refused = schema_violation(self.output_columns[index], rows)
                    # and a table of strong sorted schema takes rows in its key order only
                    key = self.output_keys[index] if index < len(self.output_keys) else None
                    # (repeating no key when its schema says unique_keys)
                    refused = refused or (unsorted_rows(rows, key, self.output_unique[index])
                                          if key else None)
                    # and weighs each row, a sorted writer its key first (row_weight)
                    refused = refused or too_heavy(rows, key=key)
                    if refused:
                        result.error = refused
                        break
            self.op.jobs.append(result)
            if not result.failed:
                if not intermediate:
                    for index, rows in result.outputs.items():
                        self.job_outputs.setdefault(index, []).append(rows)
                return result.outputs
            failed = sum(1 for job in self.op.jobs if job.failed)
            if failed >= self.max_failed:
                job_error = {"code": result.error_code, "message": result.error,
                             "attributes": dict(result.error_attributes), "inner_errors": []}
                raise OperationError("Failed jobs limit exceeded", [job_error])

    def _aborted(self) -> bool:
        """Whether the operation was aborted, or its transaction ended (which aborts it):
        its running job is then aborted too (jobs.MemoryWatch), and the loop above ends the
        operation."""
        return self.op.aborted or bool(self.op.tx and self.op.tx not in self.cypress.transactions)

    def _next_task_job_index(self, task: str) -> int:
        index = self.task_jobs_started.get(task, 0)
        self.task_jobs_started[task] = index + 1
        return index

    def _time_left(self) -> float | None:
        """Seconds left to the operation's time_limit (None: it has none); past it, the
        operation fails, as the controller fails it."""
        if self.time_limit_s is None:
            return None
        left = self.op.started + self.time_limit_s - time.time()
        if left <= 0:
            raise self._out_of_time()
        return left

    def _out_of_time(self) -> OperationError:
        limit = int((self.time_limit_s or 0) * 1000)
        return OperationError(TIME_LIMIT_TEXT, attributes={"time_limit": limit})

    def _commit(self, outputs: list[tuple[str, dict[str, Any]]],
                produced: dict[int, list[dict[str, Any]]]) -> None:
        cypress, out_tx = self.cypress, self.out_tx
        with cypress.lock:
            if out_tx is None or out_tx not in cypress.transactions:
                raise OperationError(f"Transaction {self.op.tx} of the operation has ended")
            sort_by = [str(c) for c in self.op.spec.get("sort_by") or []]
            for index, (path, attributes) in enumerate(outputs):
                append = bool(attributes.get("append"))
                rows = produced.get(index, [])
                key = self.output_keys[index] \
                    if self.op.type not in ("sort", "merge") else None
                if key:
                    try:
                        rows = ordered_job_outputs(cypress.get_node(path, out_tx), path,
                                                   self.job_outputs.get(index, []), append,
                                                   key, self.output_unique[index])
                    except ValueError as refused:
                        raise OperationError(str(refused)) from None
                elif self.op.type == "merge" and append:
                    self._check_appended_after_last(path, rows, index)
                write_rows(cypress, path, rows, append, out_tx, lock="exclusive" if key else None)
                if index in self.path_schemas:
                    set_attribute(cypress, path, "schema", self.path_schemas[index], out_tx,
                                  locked=True)
                merged_by = merge_key(self.tables, self.op.spec) \
                    if self.op.type == "merge" else None
                if self.op.type == "sort":
                    sorted_by: Any = sort_by
                elif merged_by:
                    sorted_by = merged_by
                elif attributes.get("sorted_by"):
                    sorted_by = sort_column_names(attributes["sorted_by"])
                elif key or (self.op.type == "merge" and self.output_keys[index]):
                    # a strong sorted schema stays (sorted_tables.py)
                    sorted_by = key or self.output_keys[index]
                else:
                    sorted_by = REMOVED
                set_attribute(cypress, path, "sorted_by", sorted_by, out_tx, locked=True)
                if self.sort_schema is not None:
                    set_attribute(cypress, path, "schema", self.sort_schema, out_tx,
                                  locked=True)
                elif self.op.type == "sort" and self.output_unique[index] and \
                        not sort_keeps_unique(self.output_keys[index], sort_by):
                    # sorted by columns that leave out a key column: no unique keys more
                    schema = cypress.get_node(path, out_tx).attributes["schema"]
                    set_attribute(cypress, path, "schema", without_unique_keys(schema),
                                  out_tx, locked=True)
            cypress.commit(out_tx)
            self.out_tx = None
