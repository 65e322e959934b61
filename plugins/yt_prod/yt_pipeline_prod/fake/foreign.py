"""A reduce's foreign input tables (`<foreign=%true>//t`) and its `join_by`, checked as the
reduce controller checks them before any job runs (TReduceController::CustomPrepare and
AdjustSortColumns in yt/yt/server/controller_agent/controllers/sorted_controller.cpp), and
joined to each job's primary rows as the job's joining reader joins them (`joined`, through
yt_pipeline.join_rows, which dev shares).

Only a reduce takes foreign tables there (AreForeignTablesSupported is true for the reduce
controller alone; TOperationControllerBase answers false).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yt_pipeline.join_keys import JOIN_NOT_PREFIX, foreign_table_problem, join_key_fits
from yt_pipeline.join_rows import join_items
from yt_pipeline.key_column_types import (
    KeyedInput,
    reduce_key_types_differ,
    schema_key_columns,
)
from yt_pipeline_prod.fake.inputs import check_sorted_inputs
from yt_pipeline_prod.fake.job_plans import row_key
from yt_pipeline_prod.fake.protocol import YtFakeError

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.inputs import InputTable

Row = dict[str, Any]


def _columns(spec: dict[str, Any], key: str) -> list[str]:
    return [str(c) for c in spec.get(key) or []]


def primary(tables: list[InputTable]) -> list[InputTable]:
    return [table for table in tables if not table.foreign]


def check_foreign_tables(kind: str, tables: list[InputTable], spec: dict[str, Any]) -> None:
    """Refuse foreign tables and join_by where the controller does, before it checks the
    sort order (CustomPrepare)."""
    foreign = [table for table in tables if table.foreign]
    join_by = _columns(spec, "join_by")
    if kind != "reduce":
        if foreign:
            raise YtFakeError(f"the fake proxy does not run foreign input tables in a {kind} "
                              f"operation ({foreign[0].path}): only a reduce joins them")
        return
    problem = foreign_table_problem(
        [index for index, table in enumerate(tables) if table.foreign], len(tables), join_by,
        [index for index, table in enumerate(tables) if table.foreign and table.range_count > 1])
    if problem is not None:
        raise YtFakeError(problem[0])
    # without the key guarantee, the first check of the sort columns
    if join_by and _columns(spec, "reduce_by") and not key_guarantee(spec):
        raise YtFakeError("Specifying both reduce and join key columns is not supported in "
                          "disabled key guarantee mode")


def key_guarantee(spec: dict[str, Any]) -> bool:
    """enable_key_guarantee, on for a reduce unless the spec says otherwise (a YSON
    boolean, so not compared with `False` itself)."""
    given = spec.get("enable_key_guarantee")
    return given is None or bool(given)


def check_join(tables: list[InputTable], spec: dict[str, Any]) -> None:
    """Once the primary tables are found sorted by the reduce's key (AdjustSortColumns):
    the foreign ones must be sorted by join_by, which must start reduce_by; a join that
    passes runs (`joined`)."""
    join_by = _columns(spec, "join_by")
    if not join_by:
        return
    foreign = [table for table in tables if table.foreign]
    check_sorted_inputs(foreign, {"sort_by": join_by})
    reduce_by = _columns(spec, "reduce_by")
    if key_guarantee(spec) and not join_key_fits(join_by, reduce_by):
        raise YtFakeError(JOIN_NOT_PREFIX, join_by=join_by, reduce_by=reduce_by)


def check_key_column_types(tables: list[InputTable], spec: dict[str, Any]) -> None:
    """Once the sort order is found right: the key columns' types in the inputs' schemas,
    unless the spec's validate_key_column_types is false (yt_pipeline.key_column_types)."""
    given = spec.get("validate_key_column_types")
    if given is not None and not bool(given):
        return
    keyed = [KeyedInput(table.path, schema_key_columns(table.schema), not table.foreign)
             for table in tables]
    refused = reduce_key_types_differ(keyed, _columns(spec, "reduce_by"),
                                      _columns(spec, "join_by"), key_guarantee(spec))
    if refused is not None:
        raise YtFakeError(refused[0], **refused[1])


def primary_items(tables: list[InputTable]) -> list[tuple[int, Row]]:
    """The primary tables' rows, each with its table's index among all the inputs."""
    return [(index, row) for index, table in enumerate(tables) if not table.foreign
            for row in table.rows]


def joined(chunk: list[tuple[int, Row]], tables: list[InputTable], join_by: list[str]
           ) -> list[tuple[int, Row]]:
    """One job's input: its primary items (sorted by sort_by, then table index) with the
    foreign tables' rows of their join_by keys, as a cluster's joining reader reads them
    (yt_pipeline.join_rows, which dev shares)."""
    foreign = [(index, table.rows) for index, table in enumerate(tables) if table.foreign]
    return list(join_items(chunk, foreign, lambda row: row_key(row, join_by)))
