"""A reduce's foreign tables and its join_by ("join reduce"), checked as a cluster checks them.

A reduce may read, beside its primary input tables, foreign ones (`<foreign=%true>//t` in
`input_tables`) with a `join_by` key: each job gets, with its primary rows, the rows of the
foreign tables whose join_by key is one of theirs (YTsaurus docs, Reduce: join_by; the
expected rows of test_reduce_with_foreign_join_one_job and test_reduce_with_foreign_skip_
joining_rows in yt/yt/tests/integration/tests/controller/test_reduce_operation.py).

The checks are the reduce controller's (TReduceController::CustomPrepare and
AdjustSortColumns in yt/yt/server/controller_agent/controllers/sorted_controller.cpp), in
its words, made when the configuration is read instead of when the operation starts. One is
ours: a foreign table between two primary ones is refused, because where a cluster puts the
foreign rows of a key then depends on which primary table the job's first row is from
(TSchemalessJoiningReader compares the primary stream's first table index with the foreign
tables' in yt/yt/ytlib/table_client/schemaless_sorted_merging_reader.cpp).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from yt_pipeline import table_paths

if TYPE_CHECKING:
    from yt_pipeline.operation_config import Fail


def foreign_positions(inputs: list[str]) -> list[int]:
    return [index for index, text in enumerate(inputs) if table_paths.is_foreign(text)]


def check_join(kind: str | None, inputs: list[str], input_key: str, reduce_by: list[str],
               join_by: list[str], fail: Fail) -> None:
    """Refuse foreign tables and join_by where a cluster refuses them (and the layout whose
    order a cluster leaves to chance). `kind` None: not known yet, the kind's checks wait."""
    foreign = foreign_positions(inputs)
    if not foreign and not join_by:
        return
    if kind is not None and kind != "reduce":
        # only the reduce controller takes foreign tables (AreForeignTablesSupported)
        key = "join_by" if join_by else input_key
        raise fail(f"foreign tables and join_by are a reduce's only, not a {kind}'s", key)
    if foreign and not join_by:
        raise fail("It is required to specify join_by when using foreign tables", "join_by")
    if not foreign:
        raise fail("At least one foreign input table is required when join_by is specified: "
                   "mark it in input_tables as <foreign=%true>//table", input_key)
    if len(foreign) == len(inputs):
        raise fail("At least one non-foreign input table is required", input_key)
    for index in foreign:
        ranges = table_paths.parse(inputs[index]).ranges
        if ranges is not None and len(ranges) > 1:
            raise fail("Reduce operation does not support foreign tables with multiple "
                       f"ranges ({inputs[index]})", input_key)
    if foreign != list(range(len(foreign))) and \
            foreign != list(range(len(inputs) - len(foreign), len(inputs))):
        raise fail("list the foreign tables before the primary ones (or after them), not "
                   f"between: {', '.join(inputs)}", input_key)
    if reduce_by and join_by != reduce_by[: len(join_by)]:
        raise fail("Join sort columns are not compatible with reduce sort columns: join_by "
                   f"[{', '.join(join_by)}] must be a prefix of reduce_by "
                   f"[{', '.join(reduce_by)}]", "join_by")
