"""Configuration that tries to do more than configure: variables without the YTP_ prefix,
settings-library directives in YAML strings, inputs built to hang or crash a run. Each is
either ignored (a variable that is not ours), taken literally (a string), or refused with
one line naming the file and the key, exit code 2, before anything runs."""

from __future__ import annotations

import pytest

from yt_pipeline.testing import invoke_cli, write_pipeline

STAGE = """
from yt_pipeline import BaseStage


class Noop(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//tmp/ran", [{"ran": True}])
        return debug
"""
MAPPER = "import sys\nsys.stdout.write(sys.stdin.read())\n"


def laughs(levels: int) -> str:
    """A few hundred bytes of YAML whose aliases stand for 9**levels values."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


def make(tmp_path, config_text="pipeline: {mode: dev}\nstages: {enabled_stages: [noop]}\n",
         stage_config="", files=None):
    return write_pipeline(tmp_path / "p", {
        "configs/config.yaml": config_text,
        "stages/noop/stage.py": STAGE,
        "stages/noop/src/mapper.py": MAPPER,
        "stages/noop/config.yaml": stage_config,
        **(files or {}),
    })


def refused(root, *args, expect=()):
    """Run the pipeline; it must stop with one error line holding each of `expect`."""
    result = invoke_cli(*args, "run", str(root)) if args[:1] == ("--debug",) else \
        invoke_cli("run", str(root), *args)
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert "Traceback" not in result.output
    for text in expect:
        assert text in errors[0], errors[0]
    assert not (root / ".dev" / "tmp" / "ran.jsonl").exists()  # nothing ran
    return errors[0]


# -- point 4: only YTP_ variables are settings ----------------------------------------------

@pytest.mark.parametrize("name, value", [
    ("STAGES", "a b"), ("PIPELINE__MODE", "prod"), ("PIPELINE", "x"),
    ("DYNACONF_PIPELINE__MODE", "prod"), ("SETTINGS_FILE_FOR_DYNACONF", "{evil}"),
    ("SETTINGS_FILES_FOR_DYNACONF", "{evil}"), ("INCLUDES_FOR_DYNACONF", "{evil}"),
    ("PRELOAD_FOR_DYNACONF", "{evil}"), ("ENV_FOR_DYNACONF", "production"),
    ("ENVIRONMENTS_FOR_DYNACONF", "true"), ("AUTO_CAST_FOR_DYNACONF", "true"),
    ("ROOT_PATH_FOR_DYNACONF", "/"), ("LOAD_DOTENV_FOR_DYNACONF", "true"),
    ("MERGE_ENABLED_FOR_DYNACONF", "false"), ("ENVVAR_PREFIX_FOR_DYNACONF", "false"),
])
def test_variables_without_the_prefix_change_nothing(tmp_path, monkeypatch, name, value):
    root = make(tmp_path, "pipeline:\n  mode: dev\n  workers: 2\nstages:\n"
                          "  enabled_stages: [noop]\n  note: '@int 12'\n")
    evil = tmp_path / "evil.yaml"
    evil.write_text("pipeline: {mode: prod, workers: 9}\nstages: {enabled_stages: [x]}\n")
    monkeypatch.setenv(name, value.format(evil=evil))
    shown = invoke_cli("config", "--sources", str(root))
    assert shown.exit_code == 0, shown.output
    assert "mode: dev" in shown.stdout and "workers: 2" in shown.stdout
    assert "note: '@int 12'" in shown.stdout
    assert "# pipeline.mode: configs/config.yaml" in shown.stdout
    assert "prod" not in shown.stdout and "evil" not in shown.stdout
    result = invoke_cli("run", str(root))
    assert result.exit_code == 0, result.output


def test_ytp_variables_still_act_and_say_so(tmp_path, monkeypatch):
    root = make(tmp_path)
    monkeypatch.setenv("YTP_PIPELINE__WORKERS", "3")
    shown = invoke_cli("config", "--sources", str(root))
    assert "workers: 3" in shown.stdout
    assert "# pipeline.workers: environment YTP_PIPELINE__WORKERS" in shown.stdout


# -- point 5: file values are taken literally ------------------------------------------------

def test_strings_in_the_file_are_taken_literally(tmp_path, monkeypatch):
    monkeypatch.setenv("YT_TOKEN", "tok-literal-0987654321")
    root = make(tmp_path, (
        "pipeline:\n  mode: dev\n"
        "stages:\n  enabled_stages: [noop]\n"
        "mine:\n"
        "  token: '@format {env[YT_TOKEN]}'\n"
        "  number: '@int 12'\n"
        "  gone: '@del'\n"
        "  template: '@jinja {{ env.YT_TOKEN }}'\n"
        "  file: '@read_file configs/secrets.env'\n"
        "  merged: '@merge [1, 2]'\n"
        "  json: '@json {\"a\": 1}'\n"
        "  float_like: 1e3\n"
        "  octal_like: 0o17\n"
    ))
    shown = invoke_cli("config", str(root))
    assert shown.exit_code == 0, shown.output
    assert "tok-literal-0987654321" not in shown.output
    for text in ("token: '@format {env[YT_TOKEN]}'", "number: '@int 12'", "gone: '@del'",
                 "template: '@jinja {{ env.YT_TOKEN }}'", "merged: '@merge [1, 2]'",
                 "float_like: 1e3", "octal_like: 0o17"):
        assert text in shown.stdout, shown.stdout


def test_a_stage_named_like_a_number_stays_a_name(tmp_path):
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [1e3]}\n",
        "stages/1e3/stage.py": STAGE,
    })
    result = invoke_cli("run", str(root))
    assert result.exit_code == 0, result.output


def test_dynaconf_directives_are_refused_by_name(tmp_path):
    (tmp_path / "extra.yaml").write_text("pipeline: {mode: prod}\n")
    root = make(tmp_path, "dynaconf_include: [../../extra.yaml]\npipeline: {mode: dev}\n"
                          "stages: {enabled_stages: [noop]}\n")
    refused(root, expect=("configs/config.yaml: dynaconf_include:",))


# -- point 6: inputs that would hang or crash a run ------------------------------------------

@pytest.mark.parametrize("levels", [7, 9, 30])
def test_billion_laughs_in_the_pipeline_config(tmp_path, levels):
    root = make(tmp_path, "pipeline: {mode: dev}\nstages: {enabled_stages: [noop]}\n"
                + laughs(levels))
    refused(root, expect=("configs/config.yaml:", "aliases expand to more than"))


def test_billion_laughs_in_a_stage_config(tmp_path):
    root = make(tmp_path, stage_config=laughs(9))
    refused(root, expect=("stages/noop/config.yaml:", "aliases expand to more than"))


def test_a_huge_config_without_aliases_is_refused_for_its_size_not_for_aliases(tmp_path):
    values = "".join(f"  k{i}: {i}\n" for i in range(100_001))
    root = make(tmp_path, "pipeline: {mode: dev}\nstages: {enabled_stages: [noop]}\n"
                          "extra:\n" + values)
    output = refused(root, expect=("configs/config.yaml:",
                                   "holds more than 100,000 values, more than any "
                                   "configuration needs"))
    assert "alias" not in output


@pytest.mark.parametrize("text, expected", [
    ("a: &x [*x]\n", "an alias refers to a value that contains it"),
    ("a: &x {b: *x}\n", "an alias refers to a value that contains it"),
    ("a: " + "[" * 150 + "]" * 150 + "\n", "nested deeper than"),
])
def test_recursive_and_deep_values_in_the_pipeline_config(tmp_path, text, expected):
    root = make(tmp_path, "pipeline: {mode: dev}\nstages: {enabled_stages: [noop]}\n" + text)
    refused(root, expect=("configs/config.yaml:", expected))


MAP_SECTION = ("client:\n  operations:\n    map:\n      input_table: //tmp/in\n"
               "      output_table: //tmp/out\n")


@pytest.mark.parametrize("resources, key", [
    ("job_count: 1000000000", "resources.job_count"),
    ("job_count: 0", "resources.job_count"),
    ("timeout_s: .nan", "resources.timeout_s"),
    ("timeout_s: .inf", "resources.timeout_s"),
    ("timeout_s: 0", "resources.timeout_s"),
    # a cluster refuses a job_time_limit under 1 s (TUserJobSpec, yt/yt/ytlib/scheduler/
    # config.cpp): dev refuses it too, so that a config that runs in dev runs in prod
    ("timeout_s: 0.5", "resources.timeout_s"),
    ("timeout_s: -1", "resources.timeout_s"),
    ("memory_limit_gb: .nan", "resources.memory_limit_gb"),
    ("memory_limit_gb: -2", "resources.memory_limit_gb"),
    ("cpu_limit: .inf", "resources.cpu_limit"),
    ("gpu_limit: -1", "resources.gpu_limit"),
])
def test_resources_out_of_range(tmp_path, resources, key):
    root = make(tmp_path, stage_config=MAP_SECTION + f"      resources:\n        {resources}\n")
    refused(root, expect=("stages/noop/config.yaml:", f"client.operations.map.{key}"))


def test_max_failed_job_count_out_of_range(tmp_path):
    root = make(tmp_path, stage_config=MAP_SECTION + "      max_failed_job_count: -5\n")
    refused(root, expect=("client.operations.map.max_failed_job_count",))


@pytest.mark.parametrize("value", [".inf", ".nan", "0", "-1", "1e400"])
def test_prod_poll_interval_out_of_range(tmp_path, value):
    pytest.importorskip("yt_pipeline_prod")
    root = make(tmp_path, "pipeline:\n  mode: prod\n  prod:\n"
                          f"    poll_interval_s: {value}\nstages: {{enabled_stages: [noop]}}\n",
                files={"configs/secrets.env": "YT_PROXY=http://127.0.0.1:9\nYT_TOKEN=t-1234\n"})
    refused(root, expect=("configs/config.yaml: pipeline.prod.poll_interval_s",))


@pytest.mark.parametrize("item, expected", [
    ("a=&x [*x]", "--set a"),
    ("pipeline.workers=&x [*x, *x]", "--set pipeline.workers"),
    ("a=" + laughs(9).replace("\n", ", ").join("{}"), "aliases expand"),
])
def test_set_values_that_yaml_cannot_build(tmp_path, item, expected):
    root = make(tmp_path)
    refused(root, "--set", item, expect=(expected,))


def test_a_huge_when_expression(tmp_path):
    root = make(tmp_path, stage_config="when: " + "not " * 100_000 + "True\n")
    refused(root, expect=("stages/noop/config.yaml: when:",))


def test_a_deeply_nested_when_expression(tmp_path):
    root = make(tmp_path, stage_config="when: '" + "(" * 400 + "1" + ")" * 400 + " == 1'\n")
    result = invoke_cli("run", str(root))
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output


# -- point 7: duplicate keys, empty key parts, a folder named like a table --------------------

def test_duplicate_keys_in_the_pipeline_config(tmp_path):
    root = make(tmp_path, "pipeline:\n  mode: dev\n  workers: 2\n  workers: 3\n"
                          "stages: {enabled_stages: [noop]}\n")
    refused(root, expect=("configs/config.yaml:", "line 4", "duplicate key 'workers'"))


def test_duplicate_keys_in_a_stage_config(tmp_path):
    root = make(tmp_path, stage_config="client:\n  x: 1\nclient:\n  x: 2\n")
    refused(root, expect=("stages/noop/config.yaml:", "line 3", "duplicate key 'client'"))


@pytest.mark.parametrize("item", ["pipeline..mode=dev", ".pipeline.mode=dev",
                                  "pipeline.mode.=dev", "pipeline. .mode=dev"])
def test_set_with_an_empty_key_part(tmp_path, item):
    root = make(tmp_path)
    refused(root, "--set", item, expect=("--set:", "empty part"))


def test_a_folder_named_like_a_table_file_does_not_collide(tmp_path):
    from yt_pipeline_dev.client import DevClient

    client = DevClient(tmp_path / ".dev")
    client.write_table("//a/t", [{"table": "t"}])
    client.write_table("//a/t.jsonl/inner", [{"table": "inner"}])
    client.write_table("//a/t.jsonl~/deeper", [{"table": "deeper"}])
    assert list(client.read_table("//a/t")) == [{"table": "t"}]
    assert list(client.read_table("//a/t.jsonl/inner")) == [{"table": "inner"}]
    assert list(client.read_table("//a/t.jsonl~/deeper")) == [{"table": "deeper"}]
    assert client.exists("//a/t.jsonl") and client.exists("//a/t")
    assert client.list("//a") == ["t", "t.jsonl", "t.jsonl~"]  # YT names, as written
    client.remove("//a/t.jsonl", recursive=True)
    assert list(client.read_table("//a/t")) == [{"table": "t"}]
    assert list(client.read_table("//a/t.jsonl~/deeper")) == [{"table": "deeper"}]
