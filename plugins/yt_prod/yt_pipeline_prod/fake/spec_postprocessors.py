"""What the sort and map_reduce spec parsers refuse once the spec is read, so that
start_operation fails before any job: the postprocessors of TSortOperationSpec and
TMapReduceOperationSpec in yt/yt/ytlib/scheduler/config.cpp, in their words.

- a sort needs sort_by: "\"sort_by\" option should be set in Sort operations";
- a map_reduce needs sort_by or reduce_by (each stands in for the other when missing):
  "At least one of the \"sort_by\" or \"reduce_by\" fields shold be specified" (sic);
- a map_reduce's reduce jobs (reduce_job_io) and reduce combiners (sort_job_io) read
  partitioned data, which has no row or range index to give: "%Qlv control attribute is not
  supported by %Qlv jobs in map-reduce operation" (validateControlAttributes).
"""

from __future__ import annotations

from typing import Any

from yt_pipeline_prod.fake.protocol import YtFakeError

#: the control attributes a map_reduce's partitioned jobs cannot have, by spec key
UNSUPPORTED_CONTROL = (("enable_row_index", "row_index"), ("enable_range_index", "range_index"),
                       ("enable_tablet_index", "tablet_index"))
#: the map_reduce's job_io of each job type validateControlAttributes looks at, in its order
PARTITIONED_JOB_IO = (("reduce_job_io", "reduce"), ("sort_job_io", "reduce_combiner"))


def check_postprocessed(spec: dict[str, Any], kind: str) -> None:
    if kind == "sort" and not spec.get("sort_by"):
        raise YtFakeError('"sort_by" option should be set in Sort operations')
    if kind != "map_reduce":
        return
    for job_io, job_type in PARTITIONED_JOB_IO:
        control = ((spec.get(job_io) or {}).get("control_attributes") or {})
        for key, attribute in UNSUPPORTED_CONTROL:
            if control.get(key):
                raise YtFakeError(f'"{attribute}" control attribute is not supported by '
                                  f'"{job_type}" jobs in map-reduce operation')
    if not spec.get("sort_by") and not spec.get("reduce_by"):
        raise YtFakeError('At least one of the "sort_by" or "reduce_by" fields shold be '
                          'specified')
