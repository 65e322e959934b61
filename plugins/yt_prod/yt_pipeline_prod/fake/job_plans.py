"""How a fake operation splits its rows among jobs, and how rows are sorted.

Jobs get (table index, row) items, so a job's input can say which table each row is from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from yt_pipeline.column_types import sort_key

Row = dict[str, Any]
Item = tuple[int, Row]


def row_key(row: Row, columns: list[str]) -> tuple[Any, ...]:
    """What a row sorts by: YT's order of value types, then the values; a list or a map in
    a key column fails the sort when compared (yt_pipeline.column_types.sort_key). A string
    sorts by its bytes (YT compares strings bytewise: CompareRowValues in yt/yt/client/
    table_client/unversioned_value.cpp), which the order of its text is not when it holds
    bytes kept as U+DC80..U+DCFF (json_text: the presort bytes of a hidden YQL column)."""
    return tuple(_string_key(sort_key(row.get(column))) for column in columns)


def _string_key(key: Any) -> Any:
    if isinstance(key, tuple) and len(key) == 2 and isinstance(key[1], str):
        return key[0], key[1].encode("utf-8", "surrogateescape")
    return key


def key_switch_key(spec: Any) -> Callable[[Row], tuple[Any, ...]]:
    """What a reduce job's key switches compare: join_by's columns when the spec has them,
    else reduce_by's (GetKeySwitchColumnCount in yt/yt/ytlib/job_proxy/job_spec_helper.cpp:
    the join key column count when not 0, else the reduce key column count; a map_reduce's
    reducer, a PartitionReduce job, takes the reduce key column count, and has no join_by)."""
    columns = [str(c) for c in spec.get("join_by") or spec.get("reduce_by") or []]
    return lambda row: row_key(row, columns)


def sort_rows(rows: list[Row], columns: list[str]) -> list[Row]:
    return sorted(rows, key=lambda row: row_key(row, columns))


def _even_chunks(items: list[Any], count: int) -> list[list[Any]]:
    """`count` runs of about equal length, fewer when there are fewer items, none when there
    is none: a cluster plans at most a job per input row, and none for an input without
    rows (TUserJobSizeConstraints in yt/yt/server/controller_agent/job_size_constraints.cpp:
    `JobCount_ = std::min(JobCount_, InputRowCount_)`)."""
    if not items:
        return []
    count = max(1, min(count, len(items)))
    size, extra = divmod(len(items), count)
    chunks, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        chunks.append(items[start:end])
        start = end
    return chunks


def plan_jobs(kind: str, items: list[Item], spec: Any, count: Any) -> list[list[Item]]:
    """Items of each job; no job at all without items, as a cluster starts none for inputs
    without rows (a reduce's foreign rows alone included: its jobs are planned over the
    primary rows, foreign.primary_items). Reduce jobs get whole key groups, sorted by sort_by
    and then by table index ("within a job, data from all the input tables is merged and
    sorted — first according to the sort_by fields, and then by input table index": YTsaurus
    docs, Reduce; items come table after table, and the sort is stable)."""
    count = int(count) if count else 1
    if kind == "map":
        return _even_chunks(items, count)
    reduce_by = [str(c) for c in spec.get("reduce_by") or []]
    sort_by = [str(c) for c in spec.get("sort_by") or []] or reduce_by
    ordered = sorted(items, key=lambda item: row_key(item[1], sort_by))
    groups: list[list[Item]] = []
    for item in ordered:
        key = row_key(item[1], reduce_by)
        if groups and row_key(groups[-1][0][1], reduce_by) == key:
            groups[-1].append(item)
        else:
            groups.append([item])
    return [[item for group in chunk for item in group] for chunk in _even_chunks(groups, count)]
