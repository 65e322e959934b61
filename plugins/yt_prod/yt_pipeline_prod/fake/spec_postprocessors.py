"""What the sort and map_reduce spec parsers refuse once the spec is read, so that
start_operation fails before any job: the postprocessors of TSortOperationSpec and
TMapReduceOperationSpec in yt/yt/ytlib/scheduler/config.cpp, in their words.

- a sort needs sort_by: "\"sort_by\" option should be set in Sort operations";
- a map_reduce needs sort_by or reduce_by (each stands in for the other when missing):
  "At least one of the \"sort_by\" or \"reduce_by\" fields shold be specified" (sic);
- a map_reduce's reduce jobs (reduce_job_io) and reduce combiners (sort_job_io) read
  partitioned data, which has no row or range index to give: "%Qlv control attribute is not
  supported by %Qlv jobs in map-reduce operation" (validateControlAttributes);
- a mapper or reduce_combiner without a command is trivial, as if absent
  (TOptionalUserJobSpec::IsNontrivial: Command != TString()), and force_reduce_combiners
  needs a nontrivial reduce_combiner: "Found \"force_reduce_combiners\" without nontrivial
  \"reduce_combiner\" in operation spec";
- mapper_output_table_count must leave the reducer an output table of its own: "There
  should be at least one non-mapper output table; maybe you need \"map\" operation
  instead?".
"""

from __future__ import annotations

from typing import Any

from yt_pipeline_prod.fake.protocol import YtFakeError

#: the control attributes a map_reduce's partitioned jobs cannot have, by spec key
UNSUPPORTED_CONTROL = (("enable_row_index", "row_index"), ("enable_range_index", "range_index"),
                       ("enable_tablet_index", "tablet_index"))
#: the map_reduce's job_io of each job type validateControlAttributes looks at, in its order
PARTITIONED_JOB_IO = (("reduce_job_io", "reduce"), ("sort_job_io", "reduce_combiner"))


def nontrivial(user_job: Any) -> bool:
    """Whether a map_reduce's optional user job (mapper, reduce_combiner) runs at all."""
    return isinstance(user_job, dict) and bool(user_job.get("command"))


def reduce_columns(spec: dict[str, Any]) -> list[str]:
    """A map_reduce's reduce_by, or sort_by's columns when it gives none (the postprocessor's
    `spec->ReduceBy = GetColumnNames(spec->SortBy)`)."""
    return [str(c) for c in spec.get("reduce_by") or spec.get("sort_by") or []]


def check_postprocessed(spec: dict[str, Any], kind: str) -> None:
    if kind == "sort" and not spec.get("sort_by"):
        raise YtFakeError('"sort_by" option should be set in Sort operations')
    if kind != "map_reduce":
        return
    if spec.get("force_reduce_combiners") and not nontrivial(spec.get("reduce_combiner")):
        raise YtFakeError('Found "force_reduce_combiners" without nontrivial '
                          '"reduce_combiner" in operation spec')
    for job_io, job_type in PARTITIONED_JOB_IO:
        control = ((spec.get(job_io) or {}).get("control_attributes") or {})
        for key, attribute in UNSUPPORTED_CONTROL:
            if control.get(key):
                raise YtFakeError(f'"{attribute}" control attribute is not supported by '
                                  f'"{job_type}" jobs in map-reduce operation')
    if not spec.get("sort_by") and not spec.get("reduce_by"):
        raise YtFakeError('At least one of the "sort_by" or "reduce_by" fields shold be '
                          'specified')
    outputs = spec.get("output_table_paths") or []
    mapper_outputs = int(spec.get("mapper_output_table_count") or 0)
    if mapper_outputs >= len(outputs if isinstance(outputs, list) else [outputs]):
        raise YtFakeError('There should be at least one non-mapper output table; maybe you '
                          'need "map" operation instead?',
                          mapper_output_table_count=mapper_outputs,
                          output_table_count=len(outputs))
