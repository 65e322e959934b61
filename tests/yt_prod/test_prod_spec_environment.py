"""A job environment value that is not text, given under an operation's `spec:` section
(which prod merges into the environment it builds): refused by the fake proxy at
start_operation, as a cluster's scheduler refuses it while it parses the spec, and by both
modes when the configuration is read, where YAML reads `THREADS: 4` as a number.

What a cluster does (ytsaurus/ytsaurus): a user job spec's `environment` is a
THashMap<TString, TString> (TUserJobSpec in yt/yt/ytlib/scheduler/config.h), and a TString
is read from a string node only (Deserialize(TString&, INodePtr) in
yt/yt/core/ytree/serialize.cpp calls `node->AsString()`), so a number, a boolean or a null
there fails the spec's parsing and start_operation with it.
"""

from __future__ import annotations

import pytest
from config_refusals import refused_before_the_run
from prod_packages import build_package
from test_prod_fake_inputs import run_raw
from yt.wrapper.driver import make_formatted_request
from yt_errors import refusal

from yt_pipeline.errors import ConfigError
from yt_pipeline.operations import OperationSpec
from yt_pipeline_prod import plugin
from yt_pipeline_prod.op_spec import job_format

PRINT_THREADS = 'echo "{\\"threads\\": \\"$THREADS\\"}"'


def start(yt, kind: str, spec: dict) -> str:
    return make_formatted_request("start_operation", {"operation_type": kind, "spec": spec},
                                  format=None, client=yt)


# -- the fake proxy --------------------------------------------------------------------

@pytest.mark.parametrize("value, found", [(4, "int64"), (True, "boolean"), (1.5, "double"),
                                          (None, "entity")])
def test_start_operation_refuses_an_environment_value_that_is_not_text(yt, prod_client,
                                                                       fake_yt, value, found):
    fake_yt.put_table("//tmp/in", [{"id": 1}])
    mapper = {"command": PRINT_THREADS, "format": job_format(),
              "environment": {"THREADS": value}}
    assert (f"Error parsing operation spec: /mapper/environment/THREADS: expected a string, "
            f"found {found}") in refusal(lambda: start(yt, "map", {
                "input_table_paths": ["//tmp/in"], "output_table_paths": [],
                "mapper": mapper}))
    task = {"command": "true", "job_count": 1, "environment": {"THREADS": value}}
    assert (f"Error parsing operation spec: /tasks/t/environment/THREADS: expected a string, "
            f"found {found}") in refusal(lambda: start(yt, "vanilla", {"tasks": {"t": task}}))
    listed = dict(mapper, environment=["THREADS"])
    assert ("Error parsing operation spec: /mapper/environment: expected a map, found list"
            in refusal(lambda: start(yt, "map", {"input_table_paths": ["//tmp/in"],
                                                 "output_table_paths": [],
                                                 "mapper": listed})))
    assert fake_yt.jobs == []
    # as text it runs, and the job sees it
    info = run_raw(prod_client, "map", {
        "input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
        "mapper": {**mapper, "environment": {"THREADS": "4"}}})
    assert info["state"] == "completed", info
    assert fake_yt.rows("//tmp/out") == [{"threads": "4"}]


# -- the configuration, in both modes --------------------------------------------------

@pytest.mark.parametrize("spec, key, words", [
    ("        mapper: {environment: {THREADS: 4}}\n",
     "client.operations.map.spec.mapper.environment.THREADS", "must be text, got the number 4: quote it"),
    ("        mapper: {environment: {DEBUG: true}}\n",
     "client.operations.map.spec.mapper.environment.DEBUG", "must be text, got the boolean true"),
    ("        tasks: {vanilla: {environment: {HOME_DIR: null}}}\n",
     "client.operations.map.spec.tasks.vanilla.environment.HOME_DIR",
     "must be text, got null"),
    ("        reducer: {environment: [A, B]}\n",
     "client.operations.map.spec.reducer.environment",
     "must be a mapping of variable name: text"),
])
def test_a_spec_environment_value_that_is_not_text_is_refused_before_the_run(tmp_path, spec,
                                                                             key, words):
    refused_before_the_run(tmp_path, "      spec:\n" + spec, key, words)


def test_prod_refuses_a_spec_made_in_code_with_such_a_value(tmp_path, prod_client, fake_yt):
    fake_yt.put_table("//tmp/in", [{"id": 1}])
    package = build_package(tmp_path / ".build", {"s": {"src/copy.py": "print('{}')\n"}})
    spec = OperationSpec(kind="map", stage_name="s", name="copy", stage_dir=tmp_path / "s",
                         pipeline_dir=tmp_path, code_package=package,
                         input_tables=["//tmp/in"], output_tables=["//tmp/out"],
                         mapper="src/copy.py",
                         extra_spec={"mapper": {"environment": {"THREADS": 4}}})
    with pytest.raises(ConfigError) as caught:
        plugin.launch_operation(prod_client, spec)
    assert str(caught.value).startswith(
        "stage s: operation copy: spec.mapper.environment.THREADS: must be text, got the "
        "number 4: quote it")
    assert fake_yt.specs == [] and not prod_client.yt().exists("//tmp/out")


@pytest.mark.parametrize("spec, key, words", [
    ('        job_count: "2"\n', "client.operations.map.spec.job_count",
     "must be a whole number, got the text '2'"),
    ("        max_failed_job_count: 2.5\n", "client.operations.map.spec.max_failed_job_count",
     "must be a whole number, got the number 2.5"),
    ('        mapper: {memory_limit: "1G"}\n', "client.operations.map.spec.mapper.memory_limit",
     "must be a whole number, got the text '1G'"),
    ("        mapper: {cpu_limit: true}\n", "client.operations.map.spec.mapper.cpu_limit",
     "must be a number, got the boolean true"),
])
def test_a_spec_number_given_as_another_type_is_refused_before_the_run(tmp_path, spec, key,
                                                                       words):
    # A cluster reads these spec keys from integer nodes (cpu_limit from a number) and
    # refuses a spec with "2" there when the operation starts (TSimpleOperationSpecBase,
    # TOperationSpecBase and TUserJobSpec in yt/yt/ytlib/scheduler/config.h); dev ran the
    # stage, leaving the difference to be found on the cluster
    refused_before_the_run(tmp_path, "      spec:\n" + spec, key, words)
