"""An operation's `spec:` section is merged into the built spec block by block: a key it
adds to a user job keeps the job's command, files and format, and the operation still runs.

What the fake proxy received (`fake_yt.specs`) is the spec a cluster would get; the user job
keys checked here (`command`, `file_paths`, `format`, `environment`, `tmpfs_path`) are the
ones `yt.wrapper.spec_builders.UserJobSpecBuilder` writes for a job.
"""

from __future__ import annotations

import pytest
from prod_packages import build_package
from test_prod_operations import MAPPER, REDUCER, VANILLA, launch, spec_for

from yt_pipeline.packaging import ARCHIVE_NAME
from yt_pipeline_prod.op_spec import build


@pytest.fixture
def package(tmp_path):
    return build_package(tmp_path / ".build", {"clean": {
        "src/mapper.py": MAPPER, "src/reducer.py": REDUCER, "src/vanilla.py": VANILLA}})


JOB_EXTRA = {"tmpfs_path": ".", "environment": {"EXTRA": "yes"}}


def _job_is_whole(job, extra_env=True):
    assert job["command"] and "tar -xzf" in job["command"]
    # the archive, under the name the command extracts (specs are recorded as JSON)
    assert [path["$attributes"]["file_name"] for path in job["file_paths"]] == [ARCHIVE_NAME]
    assert job["tmpfs_path"] == "."
    if extra_env:
        assert job["environment"]["EXTRA"] == "yes"


def test_map_spec_adds_to_the_mapper(prod_client, fake_yt, package, tmp_path):
    fake_yt.put_table("//tmp/in", [{"id": 1, "name": "a"}])
    fake_yt.add_pool_tree("x")  # a cluster runs an operation only in trees it has
    spec = spec_for("map", package, tmp_path, input_tables=["//tmp/in"],
                    output_tables=["//tmp/out"], mapper="src/mapper.py",
                    env={"SUFFIX": "?"},
                    extra_spec={"mapper": JOB_EXTRA, "title": "mine", "pool_trees": ["x"]})
    launch(prod_client, spec)
    sent = fake_yt.specs[-1]
    _job_is_whole(sent["mapper"])
    assert sent["mapper"]["format"]["$value"] == "json"  # the built block's format is kept
    assert sent["mapper"]["environment"]["SUFFIX"] == "?"  # both environments
    assert sent["title"] == "mine" and sent["pool_trees"] == ["x"]
    assert fake_yt.rows("//tmp/out") == [{"id": 1, "name": "A?"}]


def test_reduce_spec_adds_to_the_reducer(prod_client, fake_yt, package, tmp_path):
    fake_yt.put_table("//tmp/in", [{"key": "a", "n": 1}, {"key": "a", "n": 2}])
    launch(prod_client, spec_for("sort", None, tmp_path, input_tables=["//tmp/in"],
                                 output_tables=["//tmp/sorted"], sort_by=["key"]))
    launch(prod_client, spec_for("reduce", package, tmp_path, input_tables=["//tmp/sorted"],
                                 output_tables=["//tmp/sums"], reducer="src/reducer.py",
                                 reduce_by=["key"], sort_by=["key"],
                                 extra_spec={"reducer": JOB_EXTRA}))
    sent = fake_yt.specs[-1]
    assert sent["operation_type"] == "reduce"
    _job_is_whole(sent["reducer"])
    assert sent["reduce_by"] == ["key"]
    assert fake_yt.rows("//tmp/sums") == [{"key": "a", "total": 3}]


def test_map_reduce_spec_adds_to_both_jobs(prod_client, fake_yt, tmp_path):
    fake_yt.put_table("//tmp/in", [{"key": "b", "n": 1}, {"key": "a", "n": 2}])
    pass_through = build_pass_through(tmp_path)
    launch(prod_client, spec_for("map_reduce", pass_through, tmp_path,
                                 input_tables=["//tmp/in"], output_tables=["//tmp/mr"],
                                 mapper="src/mapper.py", reducer="src/reducer.py",
                                 reduce_by=["key"],
                                 extra_spec={"mapper": JOB_EXTRA, "reducer": JOB_EXTRA,
                                             "partition_count": 1}))
    sent = fake_yt.specs[-1]
    _job_is_whole(sent["mapper"])
    _job_is_whole(sent["reducer"])
    assert sent["partition_count"] == 1 and sent["sort_by"] == ["key"]
    assert fake_yt.rows("//tmp/mr") == [{"key": "a", "total": 2}, {"key": "b", "total": 1}]


def test_sort_spec_adds_keys_and_keeps_the_sort(prod_client, fake_yt, tmp_path):
    fake_yt.put_table("//tmp/in", [{"k": 2}, {"k": 1}])
    launch(prod_client, spec_for("sort", None, tmp_path, input_tables=["//tmp/in"],
                                 output_tables=["//tmp/sorted"], sort_by=["k"],
                                 extra_spec={"partition_job_io": {"table_writer": {
                                     "max_row_weight": 1024}}}))
    sent = fake_yt.specs[-1]
    assert sent["sort_by"] == ["k"] and sent["output_table_path"] == "//tmp/sorted"
    assert sent["partition_job_io"] == {"table_writer": {"max_row_weight": 1024}}
    assert fake_yt.rows("//tmp/sorted") == [{"k": 1}, {"k": 2}]


def test_vanilla_spec_adds_to_the_task(prod_client, fake_yt, package, tmp_path):
    marker = tmp_path / "marker.txt"
    spec = spec_for("vanilla", package, tmp_path, script="src/vanilla.py",
                    env={"MARKER": str(marker)},
                    extra_spec={"tasks": {"vanilla": {**JOB_EXTRA, "job_count": 2}}})
    launch(prod_client, spec)
    task = fake_yt.specs[-1]["tasks"]["vanilla"]
    _job_is_whole(task)
    assert task["job_count"] == 2 and task["environment"]["MARKER"] == str(marker)
    assert "format" not in task
    assert marker.read_text().splitlines() == ["-", "-"]


@pytest.mark.parametrize("given, expected", [
    ({"mapper": {"file_paths": ["//tmp/only"]}}, ["//tmp/only"]),  # a list is replaced
    ({"mapper": {"memory_limit": 5}}, None),
    ({"mapper": "not a mapping"}, "not a mapping"),  # not a mapping: replaces the block
])
def test_values_that_are_not_mappings_replace_what_was_built(package, tmp_path, given, expected):
    spec = spec_for("map", package, tmp_path, input_tables=["//tmp/in"],
                    output_tables=["//tmp/out"], mapper="src/mapper.py", extra_spec=given)
    _, body = build(spec, "//tmp/archive.tar.gz", sorted_inputs=False)
    if expected == "not a mapping":
        assert body["mapper"] == "not a mapping"
    elif expected is not None:
        assert body["mapper"]["file_paths"] == expected
    else:
        assert body["mapper"]["memory_limit"] == 5 and body["mapper"]["command"]
    assert spec.extra_spec == given  # the section itself is not changed by the merge


def build_pass_through(tmp_path):
    """A package whose mapper keeps rows as they are, with the reducer that sums `n`."""
    return build_package(tmp_path / ".pass", {"clean": {
        "src/mapper.py": """
            from ytjobs import read_rows, write_rows
            write_rows(read_rows())
        """,
        "src/reducer.py": REDUCER}})


def test_tmpfs_larger_than_the_memory_limit_is_refused_as_a_scheduler_refuses_it(
        prod_client, fake_yt, package, tmp_path):
    # TUserJobSpec's postprocessor: tmpfs volumes lie inside the sandbox and together fit in
    # memory_limit (512 MiB when not given); tmpfs_path alone is as large as memory_limit.
    from yt_pipeline.errors import BackendError
    from yt_pipeline.operations import Resources

    fake_yt.put_table("//tmp/in", [{"id": 1, "name": "a"}])

    def spec(extra, memory_gb=None):
        return spec_for("map", package, tmp_path, input_tables=["//tmp/in"],
                        output_tables=["//tmp/out"], mapper="src/mapper.py",
                        resources=Resources(memory_limit_gb=memory_gb),
                        extra_spec={"mapper": extra})

    for extra, memory_gb, message in (
            ({"tmpfs_path": ".", "tmpfs_size": 2 * 1024**3}, 1, "Total size of tmpfs"),
            ({"tmpfs_path": ".", "tmpfs_size": 1024**3}, None, "Total size of tmpfs"),
            ({"tmpfs_path": "../x"}, None, "does not point inside the sandbox"),
            # memory_limit is GreaterThan(0), and 0 is refused, not taken for the default
            # (prod itself sends 1 byte at least: test_prod_spec_bounds.py)
            ({"memory_limit": 0}, None, "memory_limit 0 is out of range")):
        with pytest.raises(BackendError, match=message):
            launch(prod_client, spec(extra, memory_gb))
    assert not fake_yt.jobs
    launch(prod_client, spec({"tmpfs_path": ".", "tmpfs_size": 2 * 1024**3}, 3))
    assert fake_yt.rows("//tmp/out") == [{"id": 1, "name": "A"}]
