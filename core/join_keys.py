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


#: the reduce controller's words for what it refuses of foreign tables and join_by
#: (TSortedReduceController::CustomPrepare and the sort columns' check in yt/yt/server/
#: controller_agent/controllers/sorted_controller.cpp); the fake proxy says them as they are
MULTIPLE_RANGES = "Reduce operation does not support foreign tables with multiple ranges"
NO_PRIMARY = "At least one non-foreign input table is required"
NO_FOREIGN = "At least one foreign input table is required when join_by is specified"
NO_JOIN_BY = "It is required to specify join_by when using foreign tables"
JOIN_NOT_PREFIX = "Join sort columns are not compatible with reduce sort columns"


def foreign_table_problem(foreign: list[int], input_count: int, join_by: list[str],
                          multi_ranged: list[int]) -> tuple[str, int | None] | None:
    """The first thing the reduce controller refuses of its foreign tables (`foreign`, their
    positions among `input_count` inputs; `multi_ranged`, those that select more than one
    range) and join_by, in the order CustomPrepare checks them: the message, and the
    position of the table it is about (None: the operation as a whole)."""
    if multi_ranged:
        return MULTIPLE_RANGES, multi_ranged[0]
    if foreign and len(foreign) == input_count:
        return NO_PRIMARY, None
    if not foreign and join_by:
        return NO_FOREIGN, None
    if foreign and not join_by:
        return NO_JOIN_BY, None
    return None


def join_key_fits(join_by: list[str], reduce_by: list[str]) -> bool:
    """Whether join_by starts reduce_by, as the controller asks of a join with the key
    guarantee (CheckSortColumnsCompatible): each job then holds whole join_by keys' worth
    of reduce_by groups, sorted by join_by first."""
    return join_by == reduce_by[: len(join_by)]


def check_join(kind: str | None, inputs: list[str], input_key: str, reduce_by: list[str],
               join_by: list[str], fail: Fail) -> None:
    """Refuse foreign tables and join_by where a cluster refuses them, the first problem
    that a cluster finds first (and the layout whose order a cluster leaves to chance).
    `kind` None: not known yet, the kind's checks wait."""
    foreign = foreign_positions(inputs)
    if not foreign and not join_by:
        return
    if kind is not None and kind != "reduce":
        # only the reduce controller takes foreign tables (AreForeignTablesSupported)
        key = "join_by" if join_by else input_key
        raise fail(f"foreign tables and join_by are a reduce's only, not a {kind}'s", key)
    multi_ranged = [index for index in foreign
                    if len(table_paths.parse(inputs[index]).ranges or []) > 1]
    problem = foreign_table_problem(foreign, len(inputs), join_by, multi_ranged)
    if problem is not None:
        message, index = problem
        if message == NO_JOIN_BY:
            raise fail(message, "join_by")
        if message == NO_FOREIGN:
            message += ": mark it in input_tables as <foreign=%true>//table"
        if index is not None:
            message += f" ({inputs[index]})"
        raise fail(message, input_key)
    if foreign != list(range(len(foreign))) and \
            foreign != list(range(len(inputs) - len(foreign), len(inputs))):
        raise fail("list the foreign tables before the primary ones (or after them), not "
                   f"between: {', '.join(inputs)}", input_key)
    if reduce_by and not join_key_fits(join_by, reduce_by):
        raise fail(f"{JOIN_NOT_PREFIX}: join_by [{', '.join(join_by)}] must be a prefix of "
                   f"reduce_by [{', '.join(reduce_by)}]", "join_by")
