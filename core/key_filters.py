"""A sorted input read through a column selection must keep every key column.

When a cluster checks that the inputs of a reduce (or a sorted merge) are sorted by the
operation's key, it also refuses an input path whose column selection (`//t{key}`) leaves
out one of the key's columns, before any job runs: "Column filter for input table %v must
include key column %Qv" (validateColumnFilter in TOperationControllerBase::
CheckInputTablesSorted, yt/yt/server/controller_agent/controllers/
operation_controller_detail.cpp; the integration test test_column_filter in
yt/yt/tests/integration/tests/controller/test_reduce_operation.py expects the failure).
The key is the one asked of that input: join_by for a foreign table, else sort_by (or
reduce_by).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from yt_pipeline import table_paths


def left_out_key_column(table: str, selected: Iterable[str] | None,
                        key: Sequence[str]) -> str | None:
    """The cluster's message when the columns `selected` by the path of input `table`
    (None: all) leave out a column of `key`, the first one in key order; else None."""
    if selected is None:
        return None
    kept = set(selected)
    for column in key:
        if column not in kept:
            return f'Column filter for input table {table} must include key column "{column}"'
    return None


def input_key(path: str, sort_by: Sequence[str], reduce_by: Sequence[str],
              join_by: Sequence[str]) -> list[str]:
    """What a reduce's input `path` must be sorted by: join_by for a foreign table, else
    sort_by (or reduce_by): the key the reduce controller asks of it (AdjustSortColumns in
    yt/yt/server/controller_agent/controllers/sorted_controller.cpp)."""
    if table_paths.is_foreign(path):
        return list(join_by)
    return list(sort_by or reduce_by)
