"""Operations through the launch hook: jobs really run from the uploaded archive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prod_packages import build_package

from yt_pipeline.errors import BackendError, ConfigError, OperationFailed, PackagingError
from yt_pipeline.operations import OperationSpec, Resources
from yt_pipeline_prod import plugin

MAPPER = """
import os
from ytjobs import read_rows, write_rows

suffix = os.environ.get("SUFFIX", "")
write_rows({"id": row["id"], "name": row["name"].upper() + suffix} for row in read_rows())
"""

REDUCER = """
from ytjobs import groups, read_rows, write_rows

write_rows({"key": key, "total": sum(r["n"] for r in rows)}
           for key, rows in groups(read_rows(), "key"))
"""

VANILLA = """
import os, sys
from ytjobs import get_config_path

print("config at", get_config_path().name, file=sys.stderr)
with open(os.environ["MARKER"], "a") as out:
    out.write(os.environ.get("API_KEY", "-") + "\\n")
"""

FAILING = """
import sys
print("reading rows...", file=sys.stderr)
print("ValueError: bad row 7", file=sys.stderr)
sys.exit(3)
"""


@pytest.fixture
def package(tmp_path):
    return build_package(tmp_path / ".build", {
        "clean": {"src/mapper.py": MAPPER, "src/reducer.py": REDUCER,
                  "src/vanilla.py": VANILLA, "src/failing.py": FAILING},
    })


def spec_for(kind, package, tmp_path, **fields):
    return OperationSpec(kind=kind, stage_name="clean", name=fields.pop("name", kind),
                         stage_dir=tmp_path / "stages" / "clean", pipeline_dir=tmp_path,
                         code_package=package, **fields)


def launch(client, spec):
    return plugin.launch_operation(client, spec)


def test_map_runs_the_mapper_from_the_archive(prod_client, fake_yt, package, tmp_path):
    fake_yt.put_table("//tmp/in", [{"id": i, "name": n} for i, n in enumerate("abc")])
    spec = spec_for("map", package, tmp_path, input_tables=["//tmp/in"],
                    output_tables=["//tmp/out/mapped"], mapper="src/mapper.py",
                    env={"SUFFIX": "!"}, resources=Resources(job_count=2))
    result = launch(prod_client, spec)
    assert result.operation_id
    assert fake_yt.rows("//tmp/out/mapped") == [
        {"id": 0, "name": "A!"}, {"id": 1, "name": "B!"}, {"id": 2, "name": "C!"}]
    archive = f"//tmp/yt_pipeline/build/{package.remote_name}"
    assert fake_yt.file_bytes(archive) == package.archive_path.read_bytes()
    sent = fake_yt.specs[-1]
    assert sent["operation_type"] == "map" and sent["job_count"] == 2
    assert sent["mapper"]["environment"] == {"SUFFIX": "!"}


def test_map_appends_when_asked(prod_client, fake_yt, package, tmp_path):
    fake_yt.put_table("//tmp/in", [{"id": 1, "name": "x"}])
    fake_yt.put_table("//tmp/out", [{"id": 0, "name": "old"}])
    launch(prod_client, spec_for("map", package, tmp_path, input_tables=["//tmp/in"],
                                 output_tables=["//tmp/out"], mapper="src/mapper.py",
                                 append=True))
    assert fake_yt.rows("//tmp/out") == [{"id": 0, "name": "old"}, {"id": 1, "name": "X"}]


def test_vanilla_gets_secrets_only_through_the_secure_vault(prod_client, fake_yt, package,
                                                            tmp_path):
    marker = tmp_path / "marker.txt"
    fake_yt.add_pool_tree("gpu")  # a cluster runs an operation only in trees it has
    spec = spec_for("vanilla", package, tmp_path, script="src/vanilla.py",
                    env={"MARKER": str(marker)}, secure_env={"API_KEY": "s3cr3t-value"},
                    resources=Resources(job_count=3, memory_limit_gb=2, cpu_limit=1.5,
                                        gpu_limit=1, pool="research", pool_tree="gpu",
                                        docker_image="registry/img:1"))
    launch(prod_client, spec)
    assert marker.read_text().splitlines() == ["s3cr3t-value"] * 3
    sent = fake_yt.specs[-1]
    assert sent["secure_vault"] == {"API_KEY": "s3cr3t-value"}
    visible = {k: v for k, v in sent.items() if k != "secure_vault"}
    assert "s3cr3t-value" not in json.dumps(visible)
    assert "ytp-test-token" not in json.dumps(sent)
    task = sent["tasks"]["vanilla"]
    assert task["job_count"] == 3 and task["memory_limit"] == 2 * 1024**3
    assert (task["cpu_limit"], task["gpu_limit"], task["docker_image"]) == (1.5, 1,
                                                                            "registry/img:1")
    assert (sent["pool"], sent["pool_trees"]) == ("research", ["gpu"])


def test_failing_job_stderr_reaches_the_error(prod_client, fake_yt, package, tmp_path):
    fake_yt.put_table("//tmp/in", [{"id": 1, "name": "x"}])
    fake_yt.put_table("//tmp/out", [{"kept": True}])
    spec = spec_for("map", package, tmp_path, name="explode", input_tables=["//tmp/in"],
                    output_tables=["//tmp/out"], mapper="src/failing.py",
                    max_failed_job_count=2)
    with pytest.raises(OperationFailed) as caught:
        launch(prod_client, spec)
    error = caught.value
    assert error.operation_id and error.operation_id in str(error)
    assert error.url and error.operation_id in error.url
    assert "ValueError: bad row 7" in error.stderr_tail
    assert "Failed jobs limit exceeded" in str(error)
    assert "stage clean operation explode" in str(error)
    assert fake_yt.rows("//tmp/out") == [{"kept": True}]
    assert fake_yt.calls["get_job_stderr"] >= 1


def test_reduce_groups_rows_by_key(prod_client, fake_yt, package, tmp_path):
    rows = [{"key": k, "n": n} for k, n in [("b", 1), ("a", 2), ("b", 3), ("c", 4), ("a", 5)]]
    fake_yt.put_table("//tmp/in", rows)
    launch(prod_client, spec_for("reduce", package, tmp_path, input_tables=["//tmp/in"],
                                 output_tables=["//tmp/sums"], reducer="src/reducer.py",
                                 reduce_by=["key"], sort_by=["key"]))
    assert fake_yt.rows("//tmp/sums") == [
        {"key": "a", "total": 7}, {"key": "b", "total": 4}, {"key": "c", "total": 4}]
    # unsorted input: a reduce runs as a map_reduce without a mapper
    assert fake_yt.specs[-1]["operation_type"] == "map_reduce"
    assert "mapper" not in fake_yt.specs[-1]


def test_sort_then_reduce_on_sorted_input(prod_client, fake_yt, package, tmp_path):
    fake_yt.put_table("//tmp/in", [{"key": k, "n": 1} for k in "cabca"])
    launch(prod_client, spec_for("sort", None, tmp_path, input_tables=["//tmp/in"],
                                 output_tables=["//tmp/sorted"], sort_by=["key"]))
    assert [r["key"] for r in fake_yt.rows("//tmp/sorted")] == list("aabcc")
    assert prod_client.yt().get("//tmp/sorted/@sorted_by") == ["key"]
    launch(prod_client, spec_for("reduce", package, tmp_path, input_tables=["//tmp/sorted"],
                                 output_tables=["//tmp/sums"], reducer="src/reducer.py",
                                 reduce_by=["key"], sort_by=["key"]))
    assert fake_yt.specs[-1]["operation_type"] == "reduce"
    assert fake_yt.rows("//tmp/sums") == [
        {"key": "a", "total": 2}, {"key": "b", "total": 1}, {"key": "c", "total": 2}]


def test_reduce_by_must_start_sort_by(prod_client, fake_yt, package, tmp_path):
    fake_yt.put_table("//tmp/in", [{"key": "a", "n": 1}])
    spec = spec_for("reduce", package, tmp_path, name="sums", input_tables=["//tmp/in"],
                    output_tables=["//tmp/sums"], reducer="src/reducer.py",
                    reduce_by=["key"], sort_by=["n", "key"])
    with pytest.raises(ConfigError) as caught:
        launch(prod_client, spec)
    assert caught.value.one_line() == (
        "stage clean: operation sums: reduce_by [key] must be a prefix of sort_by [n, key]")
    assert fake_yt.specs == [] and not prod_client.exists("//tmp/sums")


def test_map_reduce_runs_mapper_then_reducer(prod_client, fake_yt, package, tmp_path):
    fake_yt.put_table("//tmp/in", [{"id": i, "name": n} for i, n in enumerate("abab")])
    package = build_package(tmp_path / ".b2", {"clean": {
        "src/mapper.py": """
            from ytjobs import read_rows, write_rows
            write_rows({"key": r["name"], "n": r["id"]} for r in read_rows())
        """,
        "src/reducer.py": REDUCER}})
    launch(prod_client, spec_for("map_reduce", package, tmp_path, input_tables=["//tmp/in"],
                                 output_tables=["//tmp/mr"], mapper="src/mapper.py",
                                 reducer="src/reducer.py", reduce_by=["key"],
                                 sort_by=["key"]))
    assert fake_yt.rows("//tmp/mr") == [{"key": "a", "total": 2}, {"key": "b", "total": 4}]


def test_operation_without_an_archive_says_what_to_install(prod_client, tmp_path):
    spec = spec_for("vanilla", None, tmp_path, script="src/vanilla.py")
    with pytest.raises(PackagingError, match="yt-pipeline-uploader"):
        launch(prod_client, spec)


def test_the_prod_mode_brings_its_own_launcher():
    """Operations of a prod pipeline go to this launcher by the mode's name, whatever the
    class of the stage's client."""
    from yt_pipeline.modes import installed_modes
    from yt_pipeline.plugins import create_plugin_manager

    mode = installed_modes(create_plugin_manager())["prod"]
    assert mode.plugin == "prod"
    assert mode.spec.launch_operation is plugin.launch_operation
    assert mode.spec.create_client is plugin.create_client


PROBE = """
import importlib.util, json, os, sys
from ytjobs import load_config, write_rows

write_rows([{"python": list(sys.version_info[:2]), "config": load_config(),
             "packages": [m for m in ("yaml", "msgspec", "orjson", "yt")
                          if importlib.util.find_spec(m)],
             "leaked": sorted(k for k in os.environ if k.startswith("YTP_LEAK")),
             "path": os.environ["PATH"]}])
"""


def test_jobs_run_a_bare_oldest_python_in_a_clean_environment(prod_client, fake_yt, tmp_path,
                                                              monkeypatch):
    # The stock ytsaurus/ytsaurus image runs jobs with its python3, 3.8, and no packages;
    # a job's environment is the spec's `environment` and the secure vault, nothing of the
    # client's (YTsaurus docs, "Operation options": user job spec, `environment`).
    import sys

    from yt_pipeline_prod.fake.interpreter import oldest_python, python_version

    monkeypatch.setenv("YTP_LEAK_CHECK", "1")
    package = build_package(tmp_path / ".build", {"clean": {
        "src/probe.py": PROBE, "config.yaml": "greeting: hi\nwhen: 2024-01-02\n"}})
    prod_client.write_table("//tmp/one", [{"x": 1}])
    launch(prod_client, spec_for("map", package, tmp_path, mapper="src/probe.py",
                                 input_tables=["//tmp/one"], output_tables=["//tmp/probe"]))
    [row] = fake_yt.rows("//tmp/probe")
    assert ".".join(map(str, row["python"])) == python_version(oldest_python())
    assert row["packages"] == [] and row["leaked"] == []
    assert row["config"] == {"greeting": "hi", "when": "2024-01-02"}
    assert str(Path(sys.executable).parent) not in row["path"].split(":")


def test_the_fake_refuses_environment_names_a_scheduler_refuses(prod_client, fake_yt, package,
                                                                tmp_path):
    # The scheduler parses each user job's `environment` and refuses a name with characters
    # other than ASCII letters, digits and _ (ValidateEnvironmentVariableName): the operation
    # never starts.
    fake_yt.put_table("//tmp/in", [{"id": 1, "name": "x"}])
    spec = spec_for("map", package, tmp_path, input_tables=["//tmp/in"],
                    output_tables=["//tmp/out"], mapper="src/mapper.py",
                    env={"SUFFIX-1": "!"})
    with pytest.raises(Exception, match="Only alphanumeric characters and underscore"):
        launch(prod_client, spec)
    assert fake_yt.calls["start_operation"] == 1 and not fake_yt.state.operations


def test_rows_appended_to_a_sorted_table_are_reduced_with_the_rest(prod_client, fake_yt,
                                                                    package, tmp_path):
    # An append without `sorted_by` to a table of weak schema (every table we write) resets
    # its key columns: the table is no longer sorted (GetTableUploadOptions in yt/yt/ytlib/
    # table_client/helpers.cpp, "reset key columns if there were any"), so a later reduce
    # must sort it again rather than read it as sorted.
    fake_yt.put_table("//tmp/in", [{"key": k, "n": 1} for k in "cab"])
    launch(prod_client, spec_for("sort", None, tmp_path, input_tables=["//tmp/in"],
                                 output_tables=["//tmp/sorted"], sort_by=["key"]))
    prod_client.write_table("//tmp/sorted", [{"key": "a", "n": 10}], append=True)
    assert not prod_client.yt().exists("//tmp/sorted/@sorted_by")
    launch(prod_client, spec_for("reduce", package, tmp_path, input_tables=["//tmp/sorted"],
                                 output_tables=["//tmp/sums"], reducer="src/reducer.py",
                                 reduce_by=["key"], sort_by=["key"]))
    assert fake_yt.rows("//tmp/sums") == [
        {"key": "a", "total": 11}, {"key": "b", "total": 1}, {"key": "c", "total": 1}]


def test_the_sorts_that_ready_a_reduce_get_no_secrets(prod_client, fake_yt, package, tmp_path):
    # two unsorted inputs: each is sorted into a temporary table first (reduce_inputs.py);
    # a sort has no job, so the reduce's secure vault is not sent with it
    fake_yt.put_table("//tmp/a", [{"key": "b", "n": 1}, {"key": "a", "n": 2}])
    fake_yt.put_table("//tmp/b", [{"key": "a", "n": 3}])
    launch(prod_client, spec_for("reduce", package, tmp_path, input_tables=["//tmp/a", "//tmp/b"],
                                 output_tables=["//tmp/sums"], reducer="src/reducer.py",
                                 reduce_by=["key"], secure_env={"API_KEY": "s3cr3t-value"}))
    kinds = [("sort_by" in sent and "reducer" not in sent, sent.get("secure_vault"))
             for sent in fake_yt.specs]
    assert (True, None) in kinds  # the sort, without the secrets
    assert (False, {"API_KEY": "s3cr3t-value"}) in kinds  # the reduce, with them
    assert fake_yt.rows("//tmp/sums") == [{"key": "a", "total": 5}, {"key": "b", "total": 1}]


def test_a_table_yql_wrote_refuses_a_column_its_schema_lacks(prod_client, fake_yt, package,
                                                             tmp_path):
    # A YQL INSERT gives its table a strict schema, which later writes keep (an overwrite
    # too: GetTableUploadOptions), and the table writer refuses a column the schema lacks
    # ("Unknown column ... in strict schema", schemaless_chunk_writer.cpp): write_table
    # fails, and so does each job of an operation writing there.
    prod_client.run_yql("INSERT INTO `//tmp/out` WITH TRUNCATE SELECT 7 AS id")
    with pytest.raises(BackendError, match='Unknown column "name" in strict schema'):
        prod_client.write_table("//tmp/out", [{"id": 1, "name": "x"}])
    assert fake_yt.rows("//tmp/out") == [{"id": 7}]
    prod_client.write_table("//tmp/out", [{"id": 1}, {"id": 2}])  # rows that fit
    assert fake_yt.rows("//tmp/out") == [{"id": 1}, {"id": 2}]

    fake_yt.put_table("//tmp/in", [{"id": 3, "name": "y"}])
    spec = spec_for("map", package, tmp_path, input_tables=["//tmp/in"],
                    output_tables=["//tmp/out"], mapper="src/mapper.py",
                    max_failed_job_count=1)
    with pytest.raises(OperationFailed, match='Unknown column "name" in strict schema'):
        launch(prod_client, spec)
    assert fake_yt.rows("//tmp/out") == [{"id": 1}, {"id": 2}]


def test_a_table_yql_wrote_refuses_a_value_of_another_type(prod_client, fake_yt, package,
                                                          tmp_path):
    # The table writer checks each value against its column's type, null aside, and
    # converts only between int64 and uint64 by default (ValidateValueType in
    # yt/yt/client/table_client/unversioned_row.cpp, code 307; TTypeConversionConfig in
    # yt/yt/client/table_client/config.cpp and the "Formats" page of the YTsaurus docs).
    # Dev refuses the same rows (tests/yt_dev/test_map.py).
    # Just: the columns of bare literals would be required (yql_required), refusing the
    # null written below, as would a CAST of one that never fails (Int32 to Int64)
    prod_client.run_yql("INSERT INTO `//tmp/out` WITH TRUNCATE SELECT "
                        "Just(CAST(7 AS Int64)) AS id, Just('a') AS name, Just(0.5) AS score")
    for row, words in [({"id": "7"}, 'column "id": expected type "int64" or "null" but got '
                                     '"string"'),
                       ({"score": 1}, 'expected type "double" or "null" but got "int64"'),
                       ({"name": True}, 'expected type "string" or "null" but got "boolean"'),
                       ({"id": 2 ** 63}, 'Unable to convert uint64 to int64')]:
        with pytest.raises(BackendError, match=words):
            prod_client.write_table("//tmp/out", [{"id": 1}, row], append=True)
    assert fake_yt.rows("//tmp/out") == [{"id": 7, "name": "a", "score": 0.5}]
    prod_client.write_table("//tmp/out", [{"id": 2 ** 63 - 1, "name": None, "score": 2.0}],
                            append=True)
    assert len(fake_yt.rows("//tmp/out")) == 2

    fake_yt.put_table("//tmp/in", [{"id": "3", "name": "y"}])
    spec = spec_for("map", package, tmp_path, input_tables=["//tmp/in"],
                    output_tables=["//tmp/out"], mapper="src/mapper.py",
                    max_failed_job_count=1)
    with pytest.raises(OperationFailed, match='column "id": expected type "int64"'):
        launch(prod_client, spec)
    assert len(fake_yt.rows("//tmp/out")) == 2


def test_the_fake_fails_an_operation_with_two_files_of_one_name(prod_client, fake_yt):
    # the controller refuses two user files of one name while preparing the operation
    import time

    from yt.wrapper.driver import make_formatted_request

    yt = prod_client.yt()
    for folder in ("//tmp/a", "//tmp/b"):
        yt.create("map_node", folder, recursive=True)
        yt.write_file(f"{folder}/x.txt", b"x")
    spec = {"tasks": {"t": {"command": "true", "job_count": 1,
                            "file_paths": ["//tmp/a/x.txt", "//tmp/b/x.txt"]}}}
    started = make_formatted_request("start_operation", {"operation_type": "vanilla",
                                                         "spec": spec}, format=None, client=yt)
    operation = str(started["operation_id"])
    for _ in range(200):
        info = yt.get_operation(operation, attributes=["state", "result"])
        if info["state"] in ("completed", "failed", "aborted"):
            break
        time.sleep(0.05)
    assert info["state"] == "failed"
    assert 'Duplicate user file name "x.txt" for //tmp/b/x.txt' in str(info["result"])
    assert not fake_yt.jobs


SLOW_MAPPER = """
import time
from ytjobs import read_rows, write_rows

rows = list(read_rows())
time.sleep(2.5)
write_rows(rows)
"""


def test_an_operation_outlives_the_lease_of_an_unpinged_transaction(
        prod_client, fake_yt, tmp_path, monkeypatch):
    # The output transaction of an operation belongs to the scheduler, which pings it as
    # long as the operation runs (Timeout = OperationTransactionTimeout, Ping left on, in
    # TOperationControllerBase::StartTransaction, yt/yt/server/controller_agent/
    # controllers/operation_controller_detail.cpp). A job running longer than the lease of
    # a transaction nobody pings must not lose the operation's output.
    from yt_pipeline_prod.fake import cypress

    monkeypatch.setattr(cypress, "DEFAULT_TIMEOUT_S", 1.0)
    package = build_package(tmp_path / ".build", {"clean": {"src/mapper.py": SLOW_MAPPER}})
    fake_yt.put_table("//tmp/in", [{"id": 1}, {"id": 2}])
    spec = spec_for("map", package, tmp_path, input_tables=["//tmp/in"],
                    output_tables=["//tmp/out/slow"], mapper="src/mapper.py")
    launch(prod_client, spec)
    assert fake_yt.rows("//tmp/out/slow") == [{"id": 1}, {"id": 2}]


def test_a_job_writing_a_row_over_the_row_weight_limit_fails(prod_client, fake_yt, tmp_path):
    # the job's table writer refuses it as write_table does ("Row weight is too large":
    # ValidateRowWeight in yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp); dev fails
    # the job too (tests/reliability/test_bad_jobs.py)
    heavy = build_package(tmp_path / ".heavy", {"clean": {"src/mapper.py": (
        "from ytjobs import read_rows, write_rows\n"
        "write_rows({'id': row['id'], 'blob': 'x' * (16 * 1024 * 1024)} for row in read_rows())\n"
    )}})
    fake_yt.put_table("//tmp/in", [{"id": 1}])
    spec = spec_for("map", heavy, tmp_path, input_tables=["//tmp/in"],
                    output_tables=["//tmp/out"], mapper="src/mapper.py",
                    max_failed_job_count=1)
    with pytest.raises(OperationFailed, match="Row weight is too large"):
        launch(prod_client, spec)
    assert not prod_client.exists("//tmp/out")


def test_a_failed_jobs_attempts_are_counted_within_its_own_task(prod_client, fake_yt,
                                                                 tmp_path):
    # a job's cookie is its index within its task (TJob's `job_cookie`, yt/yt/client/api/
    # operation_client.cpp): a map_reduce's first partition_map job and its first reduce
    # job share cookie 0, and a failed map job is no earlier attempt of the reduce job
    fake_yt.put_table("//tmp/in", [{"id": 1, "name": "a"}])
    package = build_package(tmp_path / ".b3", {"clean": {
        "src/mapper.py": """
            import os, sys
            from ytjobs import read_rows, write_rows
            if not os.path.exists(os.environ["FLAG"]):
                open(os.environ["FLAG"], "w").close()
                sys.exit(5)  # the first attempt only
            write_rows({"key": r["name"], "n": r["id"]} for r in read_rows())
        """,
        "src/failing.py": FAILING}})
    spec = spec_for("map_reduce", package, tmp_path, name="twice", input_tables=["//tmp/in"],
                    output_tables=["//tmp/mr"], mapper="src/mapper.py",
                    reducer="src/failing.py", reduce_by=["key"], sort_by=["key"],
                    env={"FLAG": str(tmp_path / "mapped-once")}, max_failed_job_count=2)
    with pytest.raises(OperationFailed) as caught:
        launch(prod_client, spec)
    told = str(caught.value)
    assert "Failed jobs limit exceeded (2 failed jobs, max_failed_job_count 2): " \
           "reduce job 1 failed" in told, told
    assert "attempt" not in told, told


@pytest.mark.parametrize("whose", ["the run's client", "a stage's client"])
def test_no_operation_starts_once_the_client_is_closed(prod_client, fake_yt, package,
                                                       tmp_path, whose):
    """close() (Ctrl-C, SIGTERM: the run ends while stage threads go on) is where the run
    stops what it started; an operation a stage thread starts after it would run on with
    nobody to stop it. It is refused before any request, as a YQL query is."""
    from yt_pipeline_prod.launcher import start

    fake_yt.put_table("//tmp/in", [{"id": 1, "name": "a"}])
    client = (prod_client if whose == "the run's client"
              else prod_client.begin_transaction("yt-pipeline r stage clean attempt 1").client)
    prod_client.close()
    operations, calls = dict(fake_yt.state.operations), sum(fake_yt.state.calls.values())
    spec = spec_for("map", package, tmp_path, input_tables=["//tmp/in"],
                    output_tables=["//tmp/out/mapped"], mapper="src/mapper.py")
    with pytest.raises(BackendError) as raised:
        launch(client, spec)
    assert str(raised.value) == ("the run has ended: operation map of stage clean was not "
                                 "started")
    with pytest.raises(BackendError, match="^the run has ended: a map operation was not started"):
        start(client, "map", {"input_table_paths": ["//tmp/in"]})  # a stage thread past launch()
    assert fake_yt.state.operations == operations  # nothing started
    assert sum(fake_yt.state.calls.values()) == calls  # nor asked for: no upload, no table
    with pytest.raises(KeyError):
        fake_yt.rows("//tmp/out/mapped")


def _finished(yt, operation):
    import time

    for _ in range(200):
        info = yt.get_operation(operation, attributes=["state", "result"])
        if info["state"] in ("completed", "failed", "aborted"):
            return info
        time.sleep(0.05)
    raise AssertionError(f"operation {operation} did not finish")


def test_the_fake_fails_an_operation_whose_user_file_is_a_folder(prod_client, fake_yt):
    # A user file must be a file or a table: the controller reads each file_paths entry's
    # type while preparing and refuses any other, "Object %v has invalid type: expected
    # %Qlv or %Qlv, actual %Qlv" (TOperationControllerBase, yt/yt/server/controller_agent/
    # controllers/operation_controller_detail.cpp). No job runs with an empty file instead.
    from yt.wrapper.driver import make_formatted_request

    yt = prod_client.yt()
    yt.create("map_node", "//tmp/models", recursive=True)
    spec = {"tasks": {"t": {"command": "true", "job_count": 1,
                            "file_paths": ["//tmp/models"]}}}
    started = make_formatted_request("start_operation", {"operation_type": "vanilla",
                                                         "spec": spec}, format=None, client=yt)
    info = _finished(yt, str(started["operation_id"]))
    assert info["state"] == "failed"
    assert ('Object //tmp/models has invalid type: expected "file" or "table", actual '
            '"map_node"') in str(info["result"])
    assert not fake_yt.jobs


def _start_vanilla(yt, tasks):
    from yt.wrapper.driver import make_formatted_request

    started = make_formatted_request("start_operation", {"operation_type": "vanilla",
                                                         "spec": {"tasks": tasks}},
                                     format=None, client=yt)
    return _finished(yt, str(started["operation_id"]))


def test_the_fake_fails_a_vanilla_operation_of_more_tasks_than_allowed(prod_client, fake_yt):
    # The vanilla controller refuses more than max_task_count (100) tasks when it
    # materializes the operation, before any job (TVanillaController::
    # ValidateOperationLimits, yt/yt/server/controller_agent/controllers/
    # vanilla_controller.cpp; TVanillaOperationOptions' defaults in yt/yt/server/
    # controller_agent/config.cpp).
    yt = prod_client.yt()
    tasks = {f"t{index}": {"command": "true", "job_count": 1} for index in range(101)}
    info = _start_vanilla(yt, tasks)
    assert info["state"] == "failed"
    assert "Maximum number of tasks exceeded: 101 > 100" in str(info["result"])
    assert not fake_yt.jobs
    info = _start_vanilla(yt, dict(list(tasks.items())[:100]))
    assert info["state"] == "completed"
    assert len(fake_yt.jobs) == 100


def test_the_fake_fails_a_vanilla_operation_of_more_jobs_than_allowed(prod_client, fake_yt):
    # ... and more than max_total_job_count (100 000) jobs over all its tasks, in the same
    # check: a job_count of 100 000 passes (the configuration's own bound, limits.py)
    yt = prod_client.yt()
    tasks = {"a": {"command": "true", "job_count": 50_000},
             "b": {"command": "true", "job_count": 50_001}}
    info = _start_vanilla(yt, tasks)
    assert info["state"] == "failed"
    assert "Maximum total job count exceeded: 100001 > 100000" in str(info["result"])
    assert not fake_yt.jobs
