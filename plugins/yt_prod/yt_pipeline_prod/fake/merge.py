"""The fake's merge operation: the input tables' rows into one output table, no user job.

`mode` (YTsaurus docs, Merge): `unordered` (the default) and `ordered` give the rows table
after table; `sorted` merges inputs that are sorted already, by `merge_by` (or, without
it, the first input's sort columns), and the output is sorted by those columns. A sorted
merge refuses an input that is not sorted, or not by columns that start with merge_by,
in the words the sorted controller refuses a reduce's inputs with (inputs.py). Among equal
keys the rows come table by table, in the order the inputs are given.
"""

from __future__ import annotations

from typing import Any

from yt_pipeline_prod.fake.inputs import InputTable, check_sorted_inputs
from yt_pipeline_prod.fake.job_plans import sort_rows

Row = dict[str, Any]


def merge_key(tables: list[InputTable], spec: dict[str, Any]) -> list[str] | None:
    """The columns a merge sorts its output by; None for a merge that is not sorted."""
    if str(spec.get("mode") or "unordered") != "sorted":
        return None
    given = [str(column) for column in spec.get("merge_by") or []]
    return given or (list(tables[0].sorted_by) if tables else [])


def merged_rows(tables: list[InputTable], spec: dict[str, Any]) -> list[Row]:
    key = merge_key(tables, spec)
    rows = [row for table in tables for row in table.rows]
    if key is None:
        return rows
    check_sorted_inputs(tables, {"sort_by": key})
    return sort_rows(rows, key)  # stable: equal keys stay table by table
