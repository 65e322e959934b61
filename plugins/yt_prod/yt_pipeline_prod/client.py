"""The prod table client: Cypress tables through ytsaurus-client, same methods as dev.

`yt.wrapper` is imported on first use, not when this module loads, so the command line
starts fast. Each thread gets its own `YtClient`: a client keeps the current transaction in
its own state, and stages running in parallel must not share one. A stage gets a
`StageClient`, whose calls all run in the stage's transaction (stage_txn.py).
"""

from __future__ import annotations

import builtins
import functools
import logging
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from yt_pipeline.client import table_path_keyword
from yt_pipeline.compat.yql_methods import YqlRequests
from yt_pipeline.errors import BackendError, InvalidTablePath, RefusedByCluster, TableNotFound
from yt_pipeline.table_rows import TableRows
from yt_pipeline.yajl_utf8 import INVALID_UTF8_IN_JSON
from yt_pipeline_prod.client_log import route_client_log
from yt_pipeline_prod.failures import translated
from yt_pipeline_prod.settings import ProdSettings
from yt_pipeline_prod.started_by import mask_started_by
from yt_pipeline_prod.write_count import check_rows_landed, rows_before
from ytjobs.dollar_keys import key_refusal
from ytjobs.row_rules import RowRefused, checked, surrogate_refusal

if TYPE_CHECKING:
    from yt_pipeline.lock import DeadRun
    from yt_pipeline_prod.run_lock import ClusterRunLock
    from yt_pipeline_prod.table_reads import TableRead

Row = dict[str, Any]


log = logging.getLogger("yt_pipeline.prod")


def check_path(path: str) -> str:
    if not isinstance(path, str) or not path.startswith("//") or not path.rstrip("/"):
        raise InvalidTablePath(f"not a YT table path (must start with //): {path!r}")
    return path.rstrip("/")


def json_format() -> Any:
    """JSON for table IO, real UTF-8 strings (as a job reading its stdin sees them).

    A NaN or infinite double (YQL may write one) is read as the text "nan", "inf" or "-inf":
    without `stringify_nan_and_infinity` YT's JSON writer refuses it and the whole read fails
    (yt/yt/core/json/json_writer.cpp). The option only concerns writing JSON: rows sent to
    YT are parsed as before.
    """
    import yt.wrapper as yt

    fmt = yt.JsonFormat(encode_utf8=False, attributes={"stringify_nan_and_infinity": True})
    fmt.json_module = _utf8_json(fmt.json_module)
    return fmt


def _utf8_json(module: Any) -> Any:
    """The JSON functions a format writes rows with, writing text as UTF-8 rather than as
    `\\u` escapes (simplejson's default, ensure_ascii).

    A lone surrogate ("\\ud800", as a bad decode with surrogateescape leaves) has no UTF-8
    form: escaped, it reached the cluster, whose parser stores "?" for a lone high half and
    a wrong character when another escape follows it, and for a lone low half three bytes no
    strict UTF-8 decoder reads back (yajl_string_decode in YT's yajl; see
    yt_pipeline_prod/fake/json_text.py). Written as UTF-8 it fails to encode instead, while
    the row is dumped, so write_table refuses the row as dev does, and rows that encode pay
    nothing. Other text is stored as the same bytes either way.
    """
    return SimpleNamespace(load=module.load, loads=module.loads,
                           dump=functools.partial(module.dump, ensure_ascii=False),
                           dumps=functools.partial(module.dumps, ensure_ascii=False))



@contextmanager
def writing_in(client: Any, transaction_id: str) -> Iterator[None]:
    """The client's write_table writes in our transaction, `transaction_id`, instead of one
    it starts titled "Python wrapper: write_table <path>" (write_heavy_request in
    yt/wrapper/heavy_commands.py, ytsaurus-client, given `write_retries.transaction_id`
    takes that one): a cluster shows a transaction's title to any user, and ours is masked
    (stage_txn.start_transaction), where the path in the client's may hold a secret."""
    retries = client.config["write_retries"]
    before = retries.get("transaction_id")
    retries["transaction_id"] = transaction_id
    try:
        yield
    finally:
        retries["transaction_id"] = before


@contextmanager
def titled_write(client: Any, path: str) -> Iterator[None]:
    """A write_table or write_file of the client in the block writes in a new transaction
    of ours, nested in the client's current one and titled "yt-pipeline write <path>" with
    secrets masked (stage_txn.start_transaction), rather than in the client's own, titled
    with the path as it is (`writing_in`); it commits when the block ends."""
    from yt_pipeline_prod.stage_txn import start_transaction

    with start_transaction(client, f"yt-pipeline write {path}") as written, \
            writing_in(client, written.transaction_id):
        yield


class _CountedRows:
    """Rows on their way to the proxy: counted, and checked to be dicts."""

    def __init__(self, rows: Iterable[Row], path: str):
        self._rows = iter(rows)
        self.path = path
        self.count = 0
        self.last: Row | None = None

    def __iter__(self) -> Iterator[Row]:
        for row in self._rows:
            if not isinstance(row, dict):
                raise BackendError(
                    f"write_table {self.path}: rows must be dicts, got {type(row).__name__}"
                )
            self.count += 1
            self.last = row
            yield row

    def refusal(self, error: BaseException) -> str | None:
        """What YT refuses in the last row handed over, said as dev says it; None when that
        row is fine. ytsaurus-client encodes each row as it is taken, so a row it could not
        write is the last one taken; checking only then costs nothing on the way. `error`:
        what the write raised (text that is not UTF-8 fails to encode, see _utf8_json)."""
        if self.last is None:
            return None
        try:
            given = checked(self.last)
        except RowRefused as refused:
            return f"row {self.count}: {refused}"
        # the cluster's JSON parser refused it (ytjobs.dollar_keys)
        refused_key = key_refusal(given)
        if refused_key is not None:
            return f"row {self.count}: {refused_key}"
        if isinstance(error, UnicodeEncodeError):
            return f"row {self.count}: {surrogate_refusal(self.last)}"
        return None


def create_folder_of(client: Any, path: str) -> None:
    """Create the folder `path` goes in, outside any transaction. Created inside one, every
    new folder on the way stays locked by name in its parent until the transaction ends, so
    two transactions creating it at once (parallel stages writing next to each other) fail
    with a lock conflict. Outside, each create is atomic and `ignore_existing` lets the
    second one through. (ytsaurus-client creates its own folders the same way, under the
    null transaction: `_append_default_path_with_user_level` in yt/wrapper/file_commands.py.)
    """
    import yt.wrapper as yt

    from yt_pipeline_prod.stage_txn import outside_transaction

    folder = yt.ypath_dirname(path)
    if folder in ("/", "//"):
        return
    with outside_transaction(client):
        client.create("map_node", folder, recursive=True, ignore_existing=True)


class ProdClient(YqlRequests):
    mode = "prod"
    #: whether calls run in a stage's transaction (StageClient)
    stages_writes = False

    def __init__(self, settings: ProdSettings):
        self.settings = settings
        self.proxy = settings.proxy
        self.build_folder = settings.build_folder
        self._local = threading.local()
        #: archives known to be in build_folder already (remote paths)
        self.uploaded: set[str] = set()
        #: checkpoint folder -> (its files' names, sizes and times, its uploaded tar), so the
        #: operations of one run pack an unchanged folder once
        self.packed_folders: dict[Path, tuple[tuple[Any, ...], str]] = {}
        self.upload_lock = threading.Lock()
        self._new_run_books()
        #: the cluster YQL queries name, once read from //sys/@cluster_name
        self.yql_cluster_name: str | None = None
        #: the cluster's pool trees, once listed (pool_trees.py)
        self.pool_trees: set[str] | None = None
        #: folders known to exist (for YQL result tables, commit markers)
        self.folders: set[str] = set()
        #: the run's lock on the cluster while the run holds it (run_lock.py)
        self.held_run_lock: ClusterRunLock | None = None
        #: the pipeline's folder, where a run notes its open stage transactions for the
        #: next run, should it be killed (attempt_files.py); None: no notes (a client made
        #: outside a run)
        self.pipeline_dir: Path | None = None
        #: clients of table reads that ended, for the next reads (table_reads.py)
        self.idle_readers: builtins.list[Any] = []
        #: the client whose state the stage clients share
        self.root: ProdClient = self

    def __repr__(self) -> str:
        return f"ProdClient(proxy={self.proxy!r})"

    def _new_run_books(self) -> None:
        """What one run has going on the cluster, ended with it (`end_run`, `close`). The
        stage clients and transactions of a run keep the books of their run: a stage
        thread still going after its run ended finds them closed, and starts nothing that
        the next run (a resume in the same process) would meet."""
        #: how to stop each operation still running, by id: used when the run is cut short
        self.running: dict[str, Callable[[], object]] = {}
        #: set once the run has ended, under `starting`, which an operation, a YQL query or
        #: a stage transaction is started and entered in these books under: nothing starts
        #: once the run has ended (launcher.start, yql._run, stage_txn)
        self.closed = threading.Event()
        self.starting = threading.Lock()
        #: stage transactions not finished yet, aborted as the run ends
        self.open_transactions: set[Any] = set()
        #: the transactions of uploads under way (upload.py), by id, aborted as the run ends
        self.open_uploads: set[str] = set()
        #: the staging tables of the stages' YQL INSERTs in flight (yql.run_yql), removed
        #: when the run ends before their stages do
        self.yql_staging: set[str] = set()

    def secret_values(self) -> list[str]:
        return [self.settings.token]

    def new_yt(self) -> Any:
        """A new `yt.wrapper.YtClient`, outside any transaction."""
        import yt.wrapper as yt

        route_client_log()
        mask_started_by()
        return yt.YtClient(proxy=self.proxy, token=self.settings.token,
                           config=self.settings.client_config())

    def yt(self) -> Any:
        """This thread's `yt.wrapper.YtClient`."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self.new_yt()
        return client

    def wrote(self, *paths: str) -> None:
        """Called before each write, with the paths it changes: a stage's client notes them
        (see StageClient)."""

    def wrote_tables(self, *tables: str) -> None:
        """Called before a write_table or an operation, with the tables it makes, replaces
        or appends to: a stage's client keeps them for the cache (see StageClient)."""

    def removed(self, path: str) -> None:
        """Called before a removal: a table the stage wrote and then removed is not one it
        keeps (see StageClient)."""

    def transaction_alive(self) -> bool:
        """False once the stage's transaction has ended (its pings failed)."""
        return True

    def written_paths(self) -> set[str]:
        """The paths the stage's transaction has changed so far (none outside a stage)."""
        return set()

    def yql_views(self) -> dict[str, str]:
        """Tables of the stage a YQL query reads from elsewhere (see StageClient)."""
        return {}

    def keep_view(self, path: str, staging: str) -> None:
        """An INSERT of the stage filled `path` whole from `staging` (see StageClient)."""

    def create_shared(self, path: str, replication_factor: int | None = None) -> None:
        """Before an append in a stage's transaction: see StageClient."""

    def ensure_folder(self, folder: str) -> None:
        """Create `folder` outside any transaction, once per run."""
        if folder not in self.root.folders:
            from yt_pipeline_prod.stage_txn import outside_transaction

            yt = self.yt()
            with translated(self, "create folder", folder), outside_transaction(yt):
                yt.create("map_node", folder, recursive=True, ignore_existing=True)
            self.root.folders.add(folder)

    def run_lock(self, run_id: str, name: str,
                 dead_run: DeadRun | None = None) -> ClusterRunLock:
        """The pipeline's exclusive lock `name` in build_folder, held while the run lasts;
        a lock of `dead_run` (gone, its local lock taken over) is ended first
        (run_lock.py)."""
        from yt_pipeline_prod.run_lock import ClusterRunLock

        return ClusterRunLock(self.root, run_id, name, dead_run)

    # -- stage transactions (see core/txn.py) -------------------------------------------
    def begin_transaction(self, title: str) -> Any:
        from yt_pipeline_prod.stage_txn import ProdStageTransaction

        return ProdStageTransaction(self.root, title)

    def finish_commit(self, token: Any) -> bool:
        from yt_pipeline_prod.stage_txn import finish_commit

        return finish_commit(self.root, token)

    # -- tables -----------------------------------------------------------------------
    @table_path_keyword
    def write_table(self, path: str, rows: Iterable[Row], append: bool = False, *,
                    replication_factor: int | None = None) -> int:
        """Create the table and write it in one transaction: a write that fails half-way is
        aborted, and the table stays as it was (a new one is not left behind). Its folder is
        created first, outside the transaction."""
        import yt.wrapper as yt

        from yt_pipeline_prod.stage_txn import start_transaction

        path = check_path(path)
        self.wrote(path)
        self.wrote_tables(path)
        counted = _CountedRows(rows, path)
        client = self.yt()
        try:
            with translated(self, "write_table", path):
                create_folder_of(client, path)
                if append:
                    self.create_shared(path, replication_factor)
                # the lease of our other transactions, not the client's two minutes: a run
                # killed mid-write outside a stage keeps the table locked no longer
                with start_transaction(client, f"yt-pipeline write {path}") as written:
                    attributes = ({"replication_factor": replication_factor}
                                  if replication_factor else None)
                    client.create("table", path, recursive=True, ignore_existing=True,
                                  attributes=attributes)
                    before = rows_before(client, path, append)
                    with writing_in(client, written.transaction_id):
                        client.write_table(yt.TablePath(path, append=append, client=client),
                                           counted, format=json_format(), raw=False)
                    # a chunk whose commit answers were lost is sent twice: see write_count
                    check_rows_landed(client, path, before, counted.count)
        except Exception as error:
            # the client refuses a row in its own words, or in the JSON library's (a raw
            # ValueError for a NaN): say it as dev does, naming the row and the column
            refusal = counted.refusal(error)
            if refusal is None:
                raise
            raise BackendError(f"write_table {path}: {refusal}") from None
        return counted.count

    @table_path_keyword
    def read_table(self, path: str) -> TableRows:
        return self.read_columns(path, None)

    @table_path_keyword
    def read_columns(self, path: str, columns: list[str] | None) -> TableRows:
        """The table's rows, with only `columns` when given: read through a path that
        selects them (`<columns=[...]>`, a TablePath's `columns`), so a column left out is
        never read, its values never written in the JSON the client parses."""
        path = check_path(path)

        def one_pass() -> Iterator[Row]:
            # no local of this frame holds the read: see _opened_read
            return self._pass_of(self._opened_read(path, columns), path, columns)

        return TableRows.opened(one_pass, path)

    def _opened_read(self, path: str, columns: list[str] | None) -> TableRead:
        """A read of table `path` begun, in a transaction of ours, its title masked
        (table_reads.py), which ends when the read is closed (see StageClient.reading) or
        dropped.

        The read is never a local of a frame on the stack while it opens (this one, and its
        callers up to TableRows.opened): the client's code may keep an exception in a
        reference cycle with its frame (`_get_availability_error` in ytsaurus-client's
        yt/wrapper/schema/helpers.py does as yt.wrapper is imported), which keeps every
        frame below it, with its locals, until the cyclic collector runs, and a read
        dropped unstarted would keep its transaction and snapshot lock as long."""
        from yt_pipeline_prod.table_reads import open_read

        with self._read_translated(path, columns):
            return open_read(self.root, self.yt(), path,
                             None if columns is None else list(columns), json_format())

    def _pass_of(self, read: TableRead, path: str, columns: list[str] | None
                 ) -> Iterator[Row]:
        from yt_pipeline_prod.table_reads import ReadPass

        self.reading(read, True)
        return ReadPass.of(self._rows(read, path, columns),
                           functools.partial(self._read_done, read))

    def _read_done(self, read: TableRead) -> None:
        """The read was read to its end, or left (a `break`, a closed TableRows): either
        way the response is done with, and closing the read ends its transaction now."""
        self.reading(read, False)
        read.close()

    @contextmanager
    def _read_translated(self, path: str, columns: list[str] | None) -> Iterator[None]:
        """`translated` for a read of table `path`; a cluster's "Invalid UTF-8 string in
        JSON" (its JSON writer refusing bytes that are no UTF-8: yt_pipeline.yajl_utf8) on
        a table whose hidden sort column holds presort bytes says so, in dev's words
        (yql_presort.unreadable_presort)."""
        try:
            with translated(self, "read_table", path):
                yield
        except BackendError as error:
            if INVALID_UTF8_IN_JSON not in str(error):
                raise
            refusal = self._presort_refusal(path, columns)
            if refusal is None:
                raise
            raise RefusedByCluster(refusal) from None

    def _presort_refusal(self, path: str, columns: list[str] | None) -> str | None:
        """The refusal of a read of `columns` (None: all) of table `path` that holds a
        hidden sort column of presort bytes, a string column YQL named `_yql_column_N`
        (TKeySelectorBuilder::AddColumn, yt/yql/providers/yt/opt/yql_yt_key_selector.cpp);
        None for a table without one among the columns read."""
        from yt_pipeline.yql_presort import unreadable_presort
        from yt_pipeline.yql_rules import hidden_key_columns, own_columns

        try:
            schema = list(self.yt().get(path + "/@schema") or [])
        except Exception:  # noqa: BLE001 - the read's own error is said instead
            return None
        names = [str(column["name"]) for column in schema]
        # a YQL-named column, a key column or no longer one (a sort by other columns keeps
        # its bytes)
        hidden = set(hidden_key_columns(names))
        found = [str(column["name"]) for column in schema if str(column["name"]) in hidden
                 and str(column.get("type")) == "string"
                 and (columns is None or str(column["name"]) in columns)]
        if not found:
            return None
        return unreadable_presort(path, found[0], own_columns(names))

    def _rows(self, read: TableRead, path: str, columns: list[str] | None = None
              ) -> Generator[Row, None, None]:
        try:
            with self._read_translated(path, columns):
                yield from read.rows(json_format())
        finally:
            self._read_done(read)

    def reading(self, read: TableRead, started: bool) -> None:
        """A table read starts or ends: a stage's client keeps its open reads (StageClient)."""

    @table_path_keyword
    def exists(self, path: str) -> bool:
        path = check_path(path)
        with translated(self, "exists", path):
            return bool(self.yt().exists(path))

    def remove(self, path: str, *, recursive: bool = False, force: bool = True) -> None:
        path = check_path(path)
        self.wrote(path)
        self.removed(path)
        with translated(self, "remove", path):
            self.yt().remove(path, recursive=recursive, force=force)

    @table_path_keyword
    def row_count(self, path: str) -> int:
        path = check_path(path)
        with translated(self, "row_count", path):
            node_type = str(self.yt().get(path + "/@type"))
            if node_type != "table":
                raise BackendError(f"row_count {path}: it is a {node_type}, not a table")
            return int(self.yt().get(path + "/@row_count"))

    def list(self, path: str) -> list[str]:
        path = check_path(path)
        with translated(self, "list", path):
            node_type = str(self.yt().get(path + "/@type"))
            if node_type != "map_node":
                raise BackendError(f"{path} is a {node_type}, not a folder")
            return sorted(str(name) for name in self.yt().list(path))

    def create_path(self, path: str, node_type: str = "map_node", *,
                    schema: Any = None) -> None:
        path = check_path(path)
        if schema is not None:
            self._create_with_schema(path, node_type, schema)
            return
        self.wrote(path)
        with translated(self, "create_path", path):
            self.yt().create(node_type, path, recursive=True, ignore_existing=True)

    def _create_with_schema(self, path: str, node_type: str, schema: Any) -> None:
        """An empty table of the strict schema stage code declares: its `schema` attribute
        given to `create`, as ytsaurus-client's users write it (the "Data schema" page of
        the YTsaurus docs), in the stage's transaction as its other writes; its folder is
        created outside it (create_folder_of)."""
        import yt.yson as yson

        from yt_pipeline.stage_schema import checked_schema, refuse_another_schema, unique_of

        if node_type != "table":
            raise BackendError(f"create_path {path}: a schema is for a table, not a "
                               f"{node_type}")
        columns = checked_schema(path, schema)
        self.wrote(path)
        self.wrote_tables(path)
        client = self.yt()
        with translated(self, "create_path", path):
            create_folder_of(client, path)
            exists = bool(client.exists(path))
        if exists:
            refuse_another_schema(path, self.declared_schema(path), columns)
            return
        with translated(self, "create_path", path):
            client.create("table", path, attributes={"schema": yson.to_yson_type(
                list(columns), attributes={"strict": True,
                                           "unique_keys": unique_of(columns)})})

    @table_path_keyword
    def table_fingerprint(self, path: str) -> str | None:
        """The table's revision: it changes whenever the table does."""
        path = check_path(path)
        try:
            with translated(self, "table_fingerprint", path):
                return str(self.yt().get(path + "/@revision"))
        except TableNotFound:
            return None

    @table_path_keyword
    def declared_schema(self, path: str) -> dict[str, Any] | None:
        """The table's `@schema` (the "Data schema" page of the YTsaurus docs: a list of
        columns with `strict` and `unique_keys` as its attributes); None for an empty one,
        what a table write_table created has (`<strict=%false>[]`)."""
        path = check_path(path)
        with translated(self, "declared_schema", path):
            node_type = str(self.yt().get(path + "/@type"))
            if node_type != "table":
                raise BackendError(f"declared_schema {path}: it is a {node_type}, not a table")
            schema = self.yt().get(path + "/@schema")
        if not schema:
            return None
        attributes = getattr(schema, "attributes", {}) or {}
        columns = []
        for column in schema:
            shown = {"name": str(column["name"]), "type": str(column.get("type", "any")),
                     "required": bool(column.get("required", False))}
            if column.get("sort_order"):
                shown["sort_order"] = str(column["sort_order"])
            columns.append(shown)
        # both attributes default as a cluster takes them when a schema leaves them out
        return {"strict": bool(attributes.get("strict", True)),
                "unique_keys": bool(attributes.get("unique_keys", False)), "columns": columns}

    def run_yql(self, query: str, pool: str | None = None,
                max_row_weight: str | None = None) -> builtins.list[Row]:
        # builtins': the class's own `list` (of a folder) is the name's meaning here
        from yt_pipeline_prod.yql import run_yql

        self.wrote()
        return run_yql(self, query, pool=pool, max_row_weight=max_row_weight)

    def end_run(self) -> None:
        """The run ends, and is about to let go of its cluster lock: stop what it still has
        going (an interrupt ends the run in the main thread while stage threads wait on
        operations and queries), abort its stages' open transactions, and keep fresh books
        for the next run. Done before the lock is let go, whoever started the run (the
        command line, or a program's `pipeline.run()` that may never close the client):
        else a run resumed at once took the lock while the old operations still wrote and
        the old transactions still held their table locks."""
        self._stop_run_work()
        self._new_run_books()

    def close(self) -> None:
        """Stop what the run still has going (`end_run`), then drop the connections; a
        closed client starts nothing more."""
        self._stop_run_work()
        self.idle_readers.clear()  # the stage clients share the list
        self._local = threading.local()

    def _stop_run_work(self) -> None:
        with self.starting:
            self.closed.set()
        for operation_id, stop in list(self.running.items()):
            log.warning("stopping operation %s: the run ended before it", operation_id)
            stop()
        self.running.clear()
        for transaction in list(self.open_transactions):
            transaction.abort()
        self._abort_uploads()
        self._remove_yql_staging()

    @contextmanager
    def uploading(self, transaction_id: str) -> Iterator[None]:
        """An upload writes in `transaction_id` while the block runs: entered in the run's
        books under `starting`, so that the run's end, coming first, refuses it, or finds
        it and aborts it (_abort_uploads)."""
        with self.starting:
            if self.closed.is_set():
                raise BackendError("the run has ended: the upload was not started")
            self.open_uploads.add(transaction_id)
        try:
            yield
        finally:
            self.open_uploads.discard(transaction_id)

    def _abort_uploads(self) -> None:
        """Abort the transactions of uploads a stage thread still has going. Left to their
        lease, each held its temporary file's lock and the run's end did not say the
        upload was over; aborted, what it wrote is dropped with it (the "Transactions" page
        of the Cypress docs), and the upload, failing, removes its temporary file, which
        otherwise expires within a day (upload.TEMPORARY_TTL_DAYS). By id: the stage
        thread holds the transaction in a `with` block, and ytsaurus-client refuses an
        explicit abort() of one (`Transaction.abort`, yt/wrapper/transaction.py)."""
        uploads = list(self.open_uploads)
        self.open_uploads.clear()  # the stage clients share the set
        if not uploads:
            return
        yt = self.new_yt()
        for transaction_id in uploads:
            try:
                yt.abort_transaction(transaction_id)
            except Exception as error:  # noqa: BLE001 - it ends with its lease anyway
                log.warning("could not abort the transaction of an upload: %s",
                            type(error).__name__)

    def _remove_yql_staging(self) -> None:
        """Remove the staging tables of YQL INSERTs whose stages are cut short. After
        Ctrl-C the process exits without waiting for its stage threads (scheduler.py), and a
        query that has finished leaves its staging table to the thread that would have
        removed it; it would stay a day (yql_text.RESULT_EXPIRATION)."""
        staging = list(self.yql_staging)
        self.yql_staging.clear()  # the stage clients share the set
        if not staging:
            return
        yt = self.new_yt()
        for path in staging:
            try:
                yt.remove(path, force=True)
            except Exception as error:  # noqa: BLE001 - it expires within a day anyway
                log.debug("could not remove %s: %s", path, type(error).__name__)


class StageClient(ProdClient):
    """What a stage is given in prod: the run's client, whose every call runs in the
    stage attempt's transaction. It shares the run client's state (uploaded archives,
    running operations, known folders) and has YtClients of its own, one per thread."""

    stages_writes = True

    def __init__(self, root: ProdClient, transaction: Any):
        self.__dict__.update(root.__dict__)
        self._local = threading.local()
        self.transaction = transaction

    def __repr__(self) -> str:
        return f"ProdClient(proxy={self.proxy!r}, in {self.transaction.title!r})"

    def yt(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            from yt_pipeline_prod.stage_txn import enter

            client = self.new_yt()
            enter(client, self.transaction.transaction_id)
            self._local.client = client
        return client

    def wrote(self, *paths: str) -> None:
        self.transaction.wrote = True
        self.transaction.written.update(paths)
        for path in paths:  # changed since: its staging table no longer holds its rows
            self.transaction.yql_views.pop(path, None)

    def wrote_tables(self, *tables: str) -> None:
        self.transaction.tables.update(tables)

    def removed(self, path: str) -> None:
        self.transaction.tables.discard(path)
        self.transaction.removed.add(path)

    def transaction_alive(self) -> bool:
        return bool(self.transaction.alive())

    def written_paths(self) -> set[str]:
        return set(self.transaction.written)

    def yql_views(self) -> dict[str, str]:
        """A table an INSERT of this stage filled whole (WITH TRUNCATE, or a new table) is
        read by later queries of the stage from the INSERT's staging table, which holds the
        same rows outside the transaction the query tracker cannot see."""
        return dict(self.transaction.yql_views)

    def keep_view(self, path: str, staging: str) -> None:
        self.transaction.yql_views[path] = staging
        self.transaction.views_kept.append(staging)

    def reading(self, read: TableRead, started: bool) -> None:
        """A table is read in a transaction of its own, nested in the stage's and ended
        only when the read is closed or dropped (table_reads.py); a commit would abort one
        still open under its reader (TTransactionManager::CommitTransaction aborts the
        nested transactions still running). The reads the stage still holds are closed
        before its transaction commits, so a stage that read only part of a table
        (`next(rows)`, a loop left by `break`) commits, and ends its reads, itself."""
        self.transaction.track_read(read, started)

    def create_shared(self, path: str, replication_factor: int | None = None) -> None:
        """A table this stage appends to is created outside its transaction when missing.
        Created inside, its name stays locked in the folder until the stage ends, and a
        parallel stage appending to it fails with "Cannot take lock for child" (the shared
        lock on a child key that `create` takes: "Locks" on the Transactions page of the
        Cypress docs). The empty table is removed again if the stage fails and nobody
        else wrote to it meanwhile."""
        from yt_pipeline_prod.stage_txn import outside_transaction

        yt = self.yt()
        if yt.exists(path):
            # there as the stage sees it: created before, or by the stage itself (a table
            # the stage's transaction created keeps its name locked: creating it again
            # outside would be a lock conflict with the stage's own transaction)
            return
        with outside_transaction(yt):
            if yt.exists(path):
                return
            attributes = {"replication_factor": replication_factor} if replication_factor else None
            yt.create("table", path, recursive=True, ignore_existing=True,
                      attributes=attributes)
            node_id = str(yt.get(path + "/@id"))
        self.transaction.created[path] = node_id

    def close(self) -> None:
        """The run's client closes; a stage's has nothing of its own to stop."""
