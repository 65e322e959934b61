"""The tables an operation spec must name, as the scheduler's spec parser wants them, so that
start_operation fails before any job (yt/yt/ytlib/scheduler/config.cpp):

- `input_table_paths` is required and NonEmpty for every operation that reads tables
  (TOperationWithInputSpec for map and merge, TReduceOperationSpec, TSortOperationSpecBase
  for sort and map_reduce);
- a sort's and a merge's `output_table_path` has no default (TSortOperationSpec,
  TMergeOperationSpec).

The words are the YSON struct loader's (yt/yt/core/ytree/yson_struct_detail-inl.h): "Missing
required parameter <path>" for a key left out, "Value must not be empty" under "Validation
failed at <path>" for an empty list. Each name's alias (`input_paths`, `output_path`) counts.
"""

from __future__ import annotations

from typing import Any

from yt_pipeline_prod.fake.protocol import YtFakeError

#: (key, its alias) the spec must give, by operation type
REQUIRED: dict[str, tuple[tuple[str, str], ...]] = {
    "map": (("input_table_paths", "input_paths"),),
    "reduce": (("input_table_paths", "input_paths"),),
    "map_reduce": (("input_table_paths", "input_paths"),),
    "sort": (("input_table_paths", "input_paths"), ("output_table_path", "output_path")),
    "merge": (("input_table_paths", "input_paths"), ("output_table_path", "output_path")),
}
NON_EMPTY = "input_table_paths"


def _refused(inner: YtFakeError) -> YtFakeError:
    return YtFakeError("Error parsing operation spec", inner_errors=[inner])


def check_required_tables(spec: dict[str, Any], kind: str) -> None:
    for key, alias in REQUIRED.get(kind, ()):
        given = spec.get(key, spec.get(alias))
        if given is None:
            raise _refused(YtFakeError(f"Missing required parameter /{key}"))
        if key == NON_EMPTY and isinstance(given, list) and not given:
            raise _refused(YtFakeError(f"Validation failed at /{key}",
                                       inner_errors=[YtFakeError("Value must not be empty")]))
