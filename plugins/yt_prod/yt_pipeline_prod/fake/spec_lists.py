"""Lists in an operation spec that the scheduler wants without repeats: key columns and
output tables. A repeat fails start_operation while the spec is parsed, before any job.

The checks and their words are the scheduler's (ytsaurus/ytsaurus):

- `ValidateSortColumns` (yt/yt/client/table_client/column_sort_schema.cpp): "Duplicate sort
  column name"; the sort and map_reduce specs' base (TSortOperationSpecBase) runs it on
  `sort_by`, TReduceOperationSpec on `join_by`, `reduce_by` and `sort_by`, in that order
  (yt/yt/ytlib/scheduler/config.cpp);
- `ValidateKeyColumns` (yt/yt/client/table_client/schema.cpp): "Duplicate key column name",
  run on a map_reduce's `reduce_by` after its base has checked `sort_by`;
- `ValidateOutputTablePaths` (yt/yt/ytlib/scheduler/config.cpp): "Duplicate entries in
  output_table_paths are not allowed", for map, reduce, map_reduce and each vanilla task.
  The paths are compared whole (path and attributes), so only equal entries are refused.
"""

from __future__ import annotations

import json
from typing import Any

from yt_pipeline_prod.fake.protocol import YtFakeError

SORT_COLUMNS = "Duplicate sort column name"
KEY_COLUMNS = "Duplicate key column name"

#: (spec key, words) checked in the scheduler's order, by operation type
COLUMN_LISTS: dict[str, tuple[tuple[str, str], ...]] = {
    "sort": (("sort_by", SORT_COLUMNS),),
    "reduce": (("join_by", SORT_COLUMNS), ("reduce_by", SORT_COLUMNS),
               ("sort_by", SORT_COLUMNS)),
    "map_reduce": (("sort_by", SORT_COLUMNS), ("reduce_by", KEY_COLUMNS)),
}
OUTPUT_PATHS_CHECKED = ("map", "reduce", "map_reduce")


def _column_name(item: Any) -> str:
    # a sort column is a name or {name: ..., sort_order: ...}
    return str(item.get("name")) if isinstance(item, dict) else str(item)


def check_column_lists(spec: dict[str, Any], kind: str) -> None:
    for key, words in COLUMN_LISTS.get(kind, ()):
        seen: set[str] = set()
        for name in [_column_name(item) for item in spec.get(key) or []]:
            if name in seen:
                raise YtFakeError(f'{words} "{name}"')
            seen.add(name)


def _path_key(path: Any) -> tuple[str, str]:
    """A path as ytsaurus-client sends it ({"$value", "$attributes"} once plain, or text)."""
    if isinstance(path, dict):
        attributes = path.get("$attributes") or {}
        return str(path.get("$value")), json.dumps(attributes, sort_keys=True, default=str)
    return str(path), "{}"


def _check_output_paths(paths: Any) -> None:
    seen: set[tuple[str, str]] = set()
    for path in paths or []:
        key = _path_key(path)
        if key in seen:
            raise YtFakeError("Duplicate entries in output_table_paths are not allowed",
                              non_unique_output_table=key[0])
        seen.add(key)


def check_output_paths(spec: dict[str, Any], kind: str) -> None:
    if kind in OUTPUT_PATHS_CHECKED:
        _check_output_paths(spec.get("output_table_paths"))
    if kind == "vanilla":
        for task in (spec.get("tasks") or {}).values():
            if isinstance(task, dict):
                _check_output_paths(task.get("output_table_paths"))
