"""An operation whose inputs hold no row runs no job, in dev and in prod (the real client
against the fake proxy), as a cluster runs none: a job that writes a row whatever it reads
(a count, a summary) writes nothing, and an overwritten output table is left empty.

What a cluster does (ytsaurus/ytsaurus):
- a map's or a reduce's job count is at most its input's row count, and 0 when the spec
  gives no job_count and the input has no data (TUserJobSizeConstraints in
  yt/yt/server/controller_agent/job_size_constraints.cpp: `JobCount_ = 0` without data,
  then `JobCount_ = std::min(JobCount_, InputRowCount_)`); test_job_count in
  yt/yt/tests/integration/controller/test_map_operation.py: "number of jobs cannot be more
  than number of rows", and the Map page of the docs
  (yt/docs/en/_includes/user-guide/data-processing/operations/map.md): job_count is met
  exactly only when it is at most total_input_row_count;
- a reduce with foreign tables plans its jobs over the primary tables' rows, so foreign rows
  alone start none (the same constraints take the primary input's data weight);
- a map_reduce without input data prepares no task at all (TMapReduceController::
  CustomPrepare in yt/yt/server/controller_agent/controllers/sort_controller.cpp:
  `if (TotalEstimatedInputDataWeight == 0) return;`), so neither its mapper nor its
  reducer runs.
"""

from __future__ import annotations

import pytest
from test_prod_dev_parity import Backends
from test_prod_fake_inputs import run_raw, write_sorted

from yt_pipeline.operations import Resources
from yt_pipeline_prod.op_spec import job_format

#: writes one row whatever it reads: what a count or a summary job does
SUMMARY_COMMAND = "cat >/dev/null; echo '{\"summary\": 1}'"
SUMMARY_SCRIPT = """
import json, sys
rows = sum(1 for line in sys.stdin if line.strip())
print(json.dumps({"summary": rows}))
"""
OLD_ROWS = [{"old": 1}]


def summary_job() -> dict:
    return {"command": SUMMARY_COMMAND, "format": job_format()}


def completed_without_jobs(prod_client, fake_yt, info) -> None:
    assert info["state"] == "completed", info
    assert fake_yt.jobs == []


# -- the fake proxy --------------------------------------------------------------------

@pytest.mark.parametrize("job_count", [None, 3])
def test_map_over_an_empty_table_runs_no_job(prod_client, fake_yt, job_count):
    fake_yt.put_table("//tmp/empty", [])
    fake_yt.put_table("//tmp/out", OLD_ROWS)
    spec = {"input_table_paths": ["//tmp/empty"], "output_table_paths": ["//tmp/out"],
            "mapper": summary_job()}
    if job_count:
        spec["job_count"] = job_count
    completed_without_jobs(prod_client, fake_yt, run_raw(prod_client, "map", spec))
    assert fake_yt.rows("//tmp/out") == []  # overwritten by no rows


def test_reduce_over_an_empty_sorted_table_runs_no_job(prod_client, fake_yt):
    write_sorted(prod_client, "//tmp/empty", [], ["k"])
    info = run_raw(prod_client, "reduce", {
        "input_table_paths": ["//tmp/empty"], "output_table_paths": ["//tmp/out"],
        "reduce_by": ["k"], "reducer": summary_job(), "job_count": 2})
    completed_without_jobs(prod_client, fake_yt, info)
    assert fake_yt.rows("//tmp/out") == []


def test_join_reduce_of_foreign_rows_alone_runs_no_job(prod_client, fake_yt):
    write_sorted(prod_client, "//tmp/primary", [], ["k"])
    write_sorted(prod_client, "//tmp/foreign", [{"k": 1}, {"k": 2}], ["k"])
    info = run_raw(prod_client, "reduce", {
        "input_table_paths": ["//tmp/primary", "<foreign=%true>//tmp/foreign"],
        "output_table_paths": ["//tmp/out"], "reduce_by": ["k"], "join_by": ["k"],
        "reducer": summary_job()})
    completed_without_jobs(prod_client, fake_yt, info)
    assert fake_yt.rows("//tmp/out") == []


@pytest.mark.parametrize("with_mapper", [False, True])
def test_map_reduce_over_an_empty_table_runs_no_job(prod_client, fake_yt, with_mapper):
    fake_yt.put_table("//tmp/empty", [])
    spec = {"input_table_paths": ["//tmp/empty"], "output_table_paths": ["//tmp/out"],
            "reduce_by": ["summary"], "reducer": summary_job(), "partition_count": 2}
    if with_mapper:
        spec["mapper"] = summary_job()
    completed_without_jobs(prod_client, fake_yt, run_raw(prod_client, "map_reduce", spec))
    assert fake_yt.rows("//tmp/out") == []


# -- a stage's operations, in both modes ---------------------------------------------------

OPERATIONS = {
    "map": {"mapper": "src/summary.py"},
    # an unsorted input: prod runs it as a map_reduce, dev sorts it itself
    "reduce": {"reducer": "src/summary.py", "reduce_by": ["k"], "sort_by": ["k"]},
    "map_reduce": {"mapper": "src/summary.py", "reducer": "src/summary.py",
                   "reduce_by": ["summary"], "sort_by": ["summary"]},
}


@pytest.mark.parametrize("kind", sorted(OPERATIONS))
def test_an_empty_input_leaves_the_output_empty_in_both_modes(tmp_path, prod_client, fake_yt,
                                                              kind):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/summary.py": SUMMARY_SCRIPT})
    both.put("//in/empty", [])
    both.put("//out/summary", OLD_ROWS)
    both.run(both.spec(kind, input_tables=["//in/empty"], output_tables=["//out/summary"],
                       resources=Resources(job_count=2), **OPERATIONS[kind]))
    assert both.rows("//out/summary") == ([], [])
    assert fake_yt.jobs == []


def test_a_join_reduce_of_foreign_rows_alone_writes_nothing_in_both_modes(
        tmp_path, prod_client, fake_yt):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/summary.py": SUMMARY_SCRIPT})
    both.put("//in/primary", [])
    both.put("//in/foreign", [{"k": 1}, {"k": 2}])
    both.run(both.spec("reduce", reducer="src/summary.py", reduce_by=["k"], join_by=["k"],
                       input_tables=["//in/primary", "<foreign=%true>//in/foreign"],
                       output_tables=["//out/summary"]))
    assert both.rows("//out/summary") == ([], [])
    assert fake_yt.jobs == []  # the sorts that ready its inputs have no user job either
