"""The table-client protocol every backend implements (dev: JSON-lines files, prod: Cypress).

Stage code only ever talks to this interface, which is why the same stage runs in both modes.
"""

from __future__ import annotations

import builtins
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    from yt_pipeline.lock import DeadRun

Row = dict[str, Any]
Method = TypeVar("Method", bound=Callable[..., Any])


@runtime_checkable
class TableClient(Protocol):
    """What `self.deps.yt_client` offers, in dev and in prod alike."""

    #: "dev" or "prod"
    mode: str

    def write_table(self, path: str, rows: Iterable[Row], append: bool = False, *,
                    replication_factor: int | None = None) -> int:
        """Stream rows into a table, atomically; return the number of rows written.

        A write that fails leaves the table as it was before (appends included).
        `replication_factor` applies to a table this write creates (prod only).
        """

    def read_table(self, path: str) -> Iterator[Row]:
        """Stream the rows of a table; raise TableNotFound if it does not exist."""

    def read_columns(self, path: str, columns: builtins.list[str] | None) -> Iterator[Row]:
        """Stream the rows of a table with only `columns` (all of them for None), as a
        cluster reads a path that selects them (`<columns=[...]>`): a column left out is
        never read, so a hidden sort column's presort bytes, which a cluster's JSON read
        refuses, do not fail the read."""

    def exists(self, path: str) -> bool:
        """True only when the node exists."""

    def remove(self, path: str, *, recursive: bool = False, force: bool = True) -> None:
        """Remove a table or folder; with force, a missing path is not an error."""

    def row_count(self, path: str) -> int:
        """The number of rows of a table, without reading them where the backend allows."""

    def list(self, path: str) -> builtins.list[str]:
        """The names of the children of a folder, sorted."""

    def create_path(self, path: str, node_type: str = "map_node", *,
                    schema: Any = None) -> None:
        """Create a folder (or, with node_type "table", an empty table) and its parents; an
        existing node is fine.

        `schema` (a table only) gives the new table a strict schema, as ytsaurus-client's
        `create("table", path, attributes={"schema": [...]})` does: a list of columns
        `{"name": "id", "type": "int64"}`, key columns first with `"sort_order":
        "ascending"`, or a ytsaurus-client `yt.wrapper.schema.TableSchema` (read by its
        `to_yson_type()`: a bare ti type is required, a ti.Optional one is not), or a
        table's `@schema` as `yt.get` gives it (columns with their `type_v3`). Types:
        int8 to int64, uint8 to uint64, double, boolean, string, any, date, datetime,
        timestamp; a column takes null unless it has `"required": True`.
        The schema stays through later writes of `write_table` and operations, overwrites
        included, in dev as on a cluster (a YQL `INSERT ... WITH TRUNCATE` gives the table
        the query's schema instead, with no key): a row with a column it lacks, a value of
        another type or a null in a required column, or a row that leaves a required
        column out, fails the write ("Unknown column ... in strict schema", "Invalid type
        of column ...", "Required column ... cannot have "null" value"), and a sorted one
        takes rows in key order only; one whose `unique_keys` attribute is true (a
        TableSchema's, a YsonList's), of key columns only, takes no key twice ("Duplicate key
        ..."). An existing table is fine only with this very schema.
        A bad schema raises InvalidSchema naming the path and the column. In a stage, the
        table is made in its transaction.
        """

    def run_yql(self, query: str, pool: str | None = None,
                max_row_weight: str | None = None) -> builtins.list[Row]:
        """Run a YQL query; INSERT INTO writes a table, SELECT returns rows. `pool` and
        `max_row_weight` apply on a cluster (dev has neither)."""

    def table_fingerprint(self, path: str) -> str | None:
        """A value that changes whenever the table's content changes (dev: a hash of the
        content; prod: the table's revision); None when the table does not exist."""

    def declared_schema(self, path: str) -> dict[str, Any] | None:
        """The schema the table declares, as a cluster's `@schema` gives it: {"strict",
        "unique_keys", "columns": [{"name", "type", "required", "sort_order" if a key}]};
        None when it declares no column (write_table's and operations' tables). Raise
        TableNotFound if the table does not exist."""


def table_path_keyword(method: Method) -> Method:
    """Let a client method take its first parameter, `path`, as `table_path=` too: the name
    yt-framework's clients use, so `write_table(table_path=..., rows=...)` keeps working."""

    @functools.wraps(method)
    def accepting_table_path(self: Any, *args: Any, **kwargs: Any) -> Any:
        if "table_path" in kwargs:
            if args or "path" in kwargs:
                raise TypeError(f"{method.__name__}() got the table twice: "
                                "pass either path or table_path")
            kwargs["path"] = kwargs.pop("table_path")
        return method(self, *args, **kwargs)

    return accepting_table_path  # type: ignore[return-value]


def close_client(client: Any) -> None:
    """Release a client's resources if it has any (connections, temporary files)."""
    close = getattr(client, "close", None)
    if callable(close):
        close()


def end_run_work(client: Any) -> None:
    """End what a run still has going on the cluster (`client.end_run`, where the mode has
    it: prod's operations, queries and stage transactions), before the run lets go of its
    cluster lock. An interrupt ends the run in the main thread while stage threads still
    wait on operations; left to the client's close(), which a program running pipelines
    from Python may call late or never, they went on beside the next run of the
    pipeline, which the released lock let in."""
    end = getattr(client, "end_run", None)
    if callable(end):
        end()


def cluster_run_lock(client: Any, run_id: str, name: str,
                     dead_run: DeadRun | None = None) -> AbstractContextManager[object]:
    """The run's lock on the cluster where the client's mode has one (`client.run_lock`),
    held around the whole run under the local lock: two machines, or two checkouts with
    their own state folders, share only the cluster, and the local lock cannot see the
    other run. A mode without it (dev: one machine, one folder) gets a lock that does
    nothing. `name` says which pipeline the lock is for (run_lock_name). `dead_run` is the
    run whose local lock this run took over (it is gone): a cluster lock still held by that
    very run is ended at once rather than waited for."""
    take = getattr(client, "run_lock", None)
    if callable(take):
        return take(run_id, name, dead_run)  # type: ignore[no-any-return]
    return nullcontext()


#: what a run lock's name keeps of a folder's or a state's name: a Cypress node name
#: without the characters YPath gives a meaning (`/`, `@`, `&`, `*`, `[`, `{`, `\\`...)
_LOCK_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_FOLDER_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def run_lock_name(pipeline_dir: Path, state_name: str) -> str:
    """The name of a pipeline's run lock on the cluster: its folder's name and its state
    (the mode, and the step graph if any), as the local lock is one per folder and state.
    Checkouts of one pipeline on two machines have the folder's name in common; two
    pipelines sharing a build folder (the default one, say) have different names, and
    each its own lock."""
    # the first `.` ends the folder's name: one of its own is a character it loses, or
    # `etl.g` with state `prod` and `etl` with the step graph `g` (state `g.prod`) would
    # share a lock
    folder = _lock_name_part(pipeline_dir.resolve().name, _FOLDER_UNSAFE) or "pipeline"
    return f"{folder}.{_lock_name_part(state_name, _LOCK_NAME_UNSAFE)}"


def _lock_name_part(text: str, unsafe: re.Pattern[str]) -> str:
    """`text` as part of a run lock's name. A name that loses characters gets a digest of
    itself: else `my etl` and `my_etl`, or any two names in another alphabet (`данные`
    and `отчёт` both become `_`), would share one lock, and each pipeline would refuse
    to run while the other does."""
    kept = unsafe.sub("_", text)
    if kept == text:
        return kept
    from yt_pipeline.digests import blake2b

    return f"{kept}-{blake2b(text.encode('utf-8', 'surrogatepass'), digest_size=4).hexdigest()}"

