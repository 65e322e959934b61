"""Operation specs the scheduler refuses while parsing them, refused by the fake proxy as
start_operation refuses them, and prod sending none of them on its own.

The bounds are those of yt/yt/ytlib/scheduler/config.cpp (ytsaurus/ytsaurus):
TSimpleOperationSpecBase (job_count GreaterThan(0)), TVanillaTaskSpec (job_count
GreaterThanOrEqual(1)), TUserJobSpec (memory_limit GreaterThan(0); its postprocessor refuses
a tmpfs volume inside another: "Path of tmpfs volume ... is prefix of other tmpfs volume").
"""

from __future__ import annotations

import pytest
from prod_packages import build_package

from yt_pipeline.errors import YtPipelineError
from yt_pipeline.operations import OperationSpec, Resources
from yt_pipeline_prod import plugin

COPY = """
from ytjobs import read_rows, write_rows

write_rows(read_rows())
"""

GROW = """
import time

data = bytearray(8 * 1024 * 1024)
time.sleep(1)  # long enough for the memory watch to see it
"""


@pytest.fixture
def package(tmp_path):
    return build_package(tmp_path / ".build", {
        "clean": {"src/copy.py": COPY, "src/grow.py": GROW}})


def map_spec(package, tmp_path, **fields):
    return OperationSpec(kind="map", stage_name="clean", name="copy",
                         stage_dir=tmp_path / "stages" / "clean", pipeline_dir=tmp_path,
                         code_package=package, input_tables=["//tmp/in"],
                         output_tables=["//tmp/out"], mapper="src/copy.py", **fields)


def refused(prod_client, spec) -> str:
    with pytest.raises(YtPipelineError) as caught:
        plugin.launch_operation(prod_client, spec)
    return str(caught.value)


def test_a_map_spec_with_job_count_0_is_refused(prod_client, fake_yt, package, tmp_path):
    fake_yt.put_table("//tmp/in", [{"id": 1}])
    message = refused(prod_client, map_spec(package, tmp_path, extra_spec={"job_count": 0}))
    assert "/job_count: expected a value greater than 0, found 0" in message
    assert not fake_yt.jobs


def test_a_vanilla_task_with_job_count_0_is_refused(prod_client, fake_yt, package, tmp_path):
    spec = OperationSpec(kind="vanilla", stage_name="clean", name="grow",
                         stage_dir=tmp_path / "stages" / "clean", pipeline_dir=tmp_path,
                         code_package=package, script="src/grow.py",
                         extra_spec={"tasks": {"grow": {"job_count": 0}}})
    message = refused(prod_client, spec)
    assert "/tasks/grow/job_count: expected a value of at least 1, found 0" in message
    assert not fake_yt.jobs


def test_a_tmpfs_volume_inside_another_is_refused(prod_client, fake_yt, package, tmp_path):
    fake_yt.put_table("//tmp/in", [{"id": 1}])
    volumes = [{"path": "scratch", "size": 1024}, {"path": "scratch/inner", "size": 1024}]
    spec = map_spec(package, tmp_path, extra_spec={"mapper": {"tmpfs_volumes": volumes}})
    message = refused(prod_client, spec)
    assert 'Path of tmpfs volume "scratch/inner" is prefix of other tmpfs volume "scratch"' \
        in message
    assert not fake_yt.jobs


def test_a_memory_limit_under_a_byte_is_sent_as_one_byte(prod_client, fake_yt, package,
                                                         tmp_path):
    # 1e-10 GB is above 0, as the configuration asks, but truncates to a memory_limit of 0
    # bytes, which the scheduler refuses; one byte is taken, and the job fails on it as dev
    # fails a job over its limit
    fake_yt.put_table("//tmp/in", [{"id": 1}])
    spec = map_spec(package, tmp_path, resources=Resources(memory_limit_gb=1e-10),
                    max_failed_job_count=1)
    spec.mapper = "src/grow.py"
    message = refused(prod_client, spec)
    assert "Memory limit exceeded" in message
    assert fake_yt.specs[-1]["mapper"]["memory_limit"] == 1
    with pytest.raises(KeyError):  # created in the operation's transaction, aborted
        fake_yt.rows("//tmp/out")


@pytest.mark.parametrize("kind, spec, where", [
    ("vanilla", {"tasks": {"t": {"job_count": 1}}}, "/tasks/t/command"),
    ("map", {"input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
             "mapper": {"environment": {"A": "1"}}}, "/mapper/command"),
    ("reduce", {"input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
                "reduce_by": ["id"], "reducer": {}}, "/reducer/command"),
    ("map_reduce", {"input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
                    "reduce_by": ["id"], "reducer": {}}, "/reducer/command"),
])
def test_a_user_job_without_a_command_is_refused(yt, fake_yt, kind, spec, where):
    # A vanilla task, a map's mapper and a reducer are mandatory user jobs: their
    # `command` has no default (TMandatoryUserJobSpec registers it as required, in
    # yt/yt/ytlib/scheduler/config.cpp), so the spec's parsing fails with the YSON struct's
    # "Missing required parameter <path>" (TYsonStructParameter::Load, yt/yt/core/ytree/
    # yson_struct_detail-inl.h) and no job runs; the fake ran the job with no command.
    from yt.wrapper.driver import make_formatted_request
    from yt_errors import refusal

    fake_yt.put_table("//tmp/in", [{"id": 1}])
    fake_yt.put_table("//tmp/out", [])
    found = refusal(lambda: make_formatted_request(
        "start_operation", {"operation_type": kind, "spec": spec}, format=None, client=yt))
    assert f"Missing required parameter {where}" in found
    assert not fake_yt.jobs
    assert fake_yt.rows("//tmp/out") == []


def test_a_map_reduce_mapper_without_a_command_is_no_mapper(yt, fake_yt):
    # ... while a map_reduce's mapper is optional (TOptionalUserJobSpec: `command`
    # defaults to empty, and such a mapper is trivial): the rows reach the reducer as they are
    fake_yt.put_table("//tmp/in", [{"id": 2}, {"id": 1}])
    fake_yt.put_table("//tmp/out", [])
    yt.run_map_reduce(None, "cat", "//tmp/in", "//tmp/out", reduce_by=["id"],
                      spec={"mapper": {"environment": {"A": "1"}}}, format="json")
    assert sorted(row["id"] for row in fake_yt.rows("//tmp/out")) == [1, 2]


@pytest.mark.parametrize("kind, spec, messages", [
    ("map", {"input_table_paths": [], "output_table_paths": ["//tmp/out"],
             "mapper": {"command": "echo '{\"n\": 1}'"}},
     ["Validation failed at /input_table_paths", "Value must not be empty"]),
    ("map", {"output_table_paths": ["//tmp/out"], "mapper": {"command": "echo '{\"n\": 1}'"}},
     ["Missing required parameter /input_table_paths"]),
    ("sort", {"input_table_paths": [], "output_table_path": "//tmp/out", "sort_by": ["id"]},
     ["Validation failed at /input_table_paths", "Value must not be empty"]),
    ("sort", {"input_table_paths": ["//tmp/in"], "sort_by": ["id"]},
     ["Missing required parameter /output_table_path"]),
    ("merge", {"input_table_paths": ["//tmp/in"]},
     ["Missing required parameter /output_table_path"]),
])
def test_a_spec_without_its_tables_is_refused(yt, fake_yt, kind, spec, messages):
    # input_table_paths is required and NonEmpty for the operations that read tables
    # (TOperationWithInputSpec, TReduceOperationSpec, TSortOperationSpecBase), and a sort's
    # and a merge's output_table_path has no default (TSortOperationSpec,
    # TMergeOperationSpec), all in yt/yt/ytlib/scheduler/config.cpp; the YSON struct's
    # words are those of yt/yt/core/ytree/yson_struct_detail-inl.h (NonEmpty: "Value must
    # not be empty", under "Validation failed at <path>"). The fake ran a map of no input
    # and broke on a sort or a merge of no output.
    from yt.wrapper.driver import make_formatted_request
    from yt_errors import refusal

    fake_yt.put_table("//tmp/in", [{"id": 1}])
    fake_yt.put_table("//tmp/out", [])
    found = refusal(lambda: make_formatted_request(
        "start_operation", {"operation_type": kind, "spec": spec}, format=None, client=yt))
    for message in messages:
        assert message in found
    assert not fake_yt.jobs
    assert fake_yt.rows("//tmp/out") == []


@pytest.mark.parametrize("spec, where, found", [
    ({"job_count": "2"}, "/job_count", "string"),
    ({"max_failed_job_count": "3"}, "/max_failed_job_count", "string"),
    ({"job_count": 2.5}, "/job_count", "double"),
    ({"job_count": True}, "/job_count", "boolean"),
    ({"mapper": {"command": "cat", "memory_limit": "1G"}}, "/mapper/memory_limit", "string"),
    ({"mapper": {"command": "cat", "job_time_limit": "5s"}}, "/mapper/job_time_limit",
     "string"),
    ({"mapper": {"command": "cat", "cpu_limit": "two"}}, "/mapper/cpu_limit", "string"),
])
def test_a_number_given_as_another_type_is_refused(yt, fake_yt, spec, where, found):
    # The spec parser reads an integer parameter (TSimpleOperationSpecBase's job_count,
    # TOperationSpecBase's max_failed_job_count, TUserJobSpec's memory_limit and
    # job_time_limit: yt/yt/ytlib/scheduler/config.h) from an integer node only, and a
    # double one (cpu_limit) from a number: a `spec:` section's "2" fails start_operation
    # on a cluster. The fake read "2" with int() and ran the operation, and broke on "1G".
    from yt.wrapper.driver import make_formatted_request
    from yt_errors import refusal

    fake_yt.put_table("//tmp/in", [{"id": 1}])
    fake_yt.put_table("//tmp/out", [])
    body = {"input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
            "mapper": {"command": "cat"}, **spec}
    found_messages = refusal(lambda: make_formatted_request(
        "start_operation", {"operation_type": "map", "spec": body}, format=None, client=yt))
    assert any(message.startswith(f"Error parsing operation spec: {where}: expected ")
               and message.endswith(f"found {found}") for message in found_messages), \
        found_messages
    assert not fake_yt.jobs
    assert fake_yt.rows("//tmp/out") == []
