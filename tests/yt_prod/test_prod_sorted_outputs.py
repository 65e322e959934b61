"""An operation's output path with `sorted_by` (`<sorted_by=[k]>//t`), on the fake proxy.

On a cluster such a path gives the output table a sorted schema of those columns under an
exclusive lock (GetTableUploadOptions in yt/yt/ytlib/table_client/table_upload_options.cpp;
the operation controller takes `KeyColumns = path.GetSortedBy()` for each output table), so
every job writes through a sorted writer, which refuses a row before the one written before
it ("Sort order violation: %v > %v": the sorted chunk writer in yt/yt/ytlib/table_client/
schemaless_chunk_writer.cpp), and the controller refuses job outputs whose key ranges
overlap ("Output table %v is not sorted: job outputs have overlapping key ranges").
The configuration and the launch of every spec refuse attributes in a path and table
paths under `spec:`, so these tests lift the launch's check to show what the fake does with
such a path, as a cluster would.
"""

from __future__ import annotations

import pytest
from prod_packages import build_package

from yt_pipeline.errors import OperationFailed
from yt_pipeline.operations import OperationSpec, Resources
from yt_pipeline_prod import launcher, plugin

COPY = """
from ytjobs import read_rows, write_rows
write_rows(read_rows())
"""


@pytest.fixture(autouse=True)
def _unchecked_specs(monkeypatch):
    monkeypatch.setattr(launcher, "check_spec", lambda spec: None)


def map_into_sorted(prod_client, fake_yt, tmp_path, rows, job_count=None):
    package = build_package(tmp_path / ".build", {"s": {"src/mapper.py": COPY}})
    fake_yt.put_table("//tmp/in", rows)
    fake_yt.put_table("//tmp/out", [{"k": 0, "old": True}])
    spec = OperationSpec(kind="map", stage_name="s", name="map", stage_dir=tmp_path,
                         pipeline_dir=tmp_path, input_tables=["//tmp/in"],
                         output_tables=["//tmp/out"], mapper="src/mapper.py",
                         code_package=package, resources=Resources(job_count=job_count),
                         extra_spec={"output_table_paths": ["<sorted_by=[k]>//tmp/out"]})
    plugin.launch_operation(prod_client, spec)


def test_unsorted_job_output_into_a_sorted_path_fails_the_operation(prod_client, fake_yt,
                                                                     tmp_path):
    with pytest.raises(OperationFailed, match=r"Sort order violation: \[3\] > \[1\]"):
        map_into_sorted(prod_client, fake_yt, tmp_path, [{"k": 3}, {"k": 1}, {"k": 2}])
    # the output stays as it was, and is not marked sorted
    assert fake_yt.rows("//tmp/out") == [{"k": 0, "old": True}]
    assert "sorted_by" not in fake_yt.state.cypress.lookup("//tmp/out", None).attributes


def test_overlapping_job_outputs_into_a_sorted_path_fail_the_operation(prod_client, fake_yt,
                                                                       tmp_path):
    # two jobs, [1, 3] and [2, 4]: each sorted, their key ranges overlapping
    with pytest.raises(OperationFailed, match=r"Output table //tmp/out is not sorted: job "
                                              r"outputs have overlapping key ranges"):
        map_into_sorted(prod_client, fake_yt, tmp_path,
                        [{"k": 1}, {"k": 3}, {"k": 2}, {"k": 4}], job_count=2)
    assert fake_yt.rows("//tmp/out") == [{"k": 0, "old": True}]


def test_sorted_job_outputs_land_in_key_order(prod_client, fake_yt, tmp_path):
    map_into_sorted(prod_client, fake_yt, tmp_path, [{"k": k} for k in (1, 2, 3, 4)],
                    job_count=2)
    assert fake_yt.rows("//tmp/out") == [{"k": k} for k in (1, 2, 3, 4)]
    assert fake_yt.state.cypress.lookup("//tmp/out", None).attributes["sorted_by"] == ["k"]
