"""Configuration: layers in order, and one clear error naming file and key for each mistake."""

from __future__ import annotations

import os

import pytest

from yt_pipeline.config import load_config
from yt_pipeline.errors import ConfigError
from yt_pipeline.stage import load_stage_config


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_without_a_config_file(tmp_path):
    cfg = load_config(tmp_path, environ={})
    assert cfg.mode == "dev"
    assert cfg.get("pipeline.workers") == 4
    assert cfg.get("pipeline.build_folder") == "//tmp/yt_pipeline/build"


def test_layers_file_secrets_env_set(tmp_path):
    write(tmp_path / "configs/config.yaml", "pipeline:\n  workers: 2\n  build_folder: //a\n  cache: false\n")
    write(tmp_path / "configs/secrets.env", "YT_TOKEN=tok-123456\nYTP_PIPELINE__WORKERS=3\nYTP_PIPELINE__CACHE=true\n")
    env = {"YTP_PIPELINE__WORKERS": "5", "YTP_PIPELINE__BUILD_FOLDER": "//from_env"}
    cfg = load_config(tmp_path, overrides=["pipeline.build_folder=//from_set"], environ=env)
    assert cfg.get("pipeline.workers") == 5  # environment beats secrets.env beats the file
    assert cfg.get("pipeline.cache") is True  # secrets.env beats the file
    assert cfg.get("pipeline.build_folder") == "//from_set"  # --set beats everything
    assert cfg.source_of("pipeline.workers") == "environment YTP_PIPELINE__WORKERS"
    assert cfg.source_of("pipeline.build_folder") == "--set pipeline.build_folder"
    assert cfg.secrets == {"YT_TOKEN": "tok-123456"}
    assert cfg.redacted()["secrets"] == {"YT_TOKEN": "***"}
    assert "tok-123456" not in repr(cfg.redacted())


def test_a_mapping_from_a_higher_layer_merges_key_by_key(tmp_path):
    """configuration.md: "a higher layer wins key by key (mappings are merged, lists and
    scalars replaced)" - also for a mapping given whole by a variable or --set."""
    write(tmp_path / "configs/config.yaml",
          "pipeline:\n  mode: dev\n  workers: 3\nstages:\n  graph:\n    a: []\n    b: [a]\n")
    cfg = load_config(tmp_path, overrides=["stages.graph={b: [], c: [b]}"],
                      environ={"YTP_PIPELINE": "{workers: 2}"}, modes={"dev"})
    assert cfg.get("stages.graph") == {"a": [], "b": [], "c": ["b"]}
    assert cfg.get("pipeline.mode") == "dev" and cfg.get("pipeline.workers") == 2
    assert cfg.source_of("stages.graph.a") == "configs/config.yaml"
    assert cfg.source_of("stages.graph.b") == "--set stages.graph"
    assert cfg.source_of("stages.graph.c") == "--set stages.graph"
    assert cfg.source_of("pipeline.workers") == "environment YTP_PIPELINE"


def test_a_mapping_from_secrets_env_is_hidden_whole(tmp_path):
    write(tmp_path / "configs/config.yaml", "extra:\n  keep: 1\n")
    write(tmp_path / "configs/secrets.env",
          "YTP_EXTRA__API='{token: abcdef-secret, user: bob-the-user}'\n")
    cfg = load_config(tmp_path, environ={})
    assert cfg.get("extra.api.token") == "abcdef-secret"
    assert cfg.redacted()["extra"] == {"keep": 1, "api": "***"}
    assert cfg.source_of("extra.api.user") == "configs/secrets.env YTP_EXTRA__API"


def test_explicit_config_file(tmp_path):
    other = write(tmp_path / "other.yaml", "pipeline:\n  mode: prod\n")
    cfg = load_config(tmp_path, other, environ={})
    assert cfg.mode == "prod"


@pytest.mark.parametrize(
    ("text", "overrides", "expected"),
    [
        ("pipeline:\n  mode: staging\n", [], "configs/config.yaml: pipeline.mode: must be one of: dev, prod, got 'staging'"),
        ("pipeline:\n  workers: many\n", [], "configs/config.yaml: pipeline.workers: must be a whole number of 1 or more"),
        ("pipeline:\n  cache: 1\n", [], "configs/config.yaml: pipeline.cache: must be true or false"),
        ("pipeline:\n  build_folder: /tmp/x\n", [], "pipeline.build_folder: must be a YT path starting with //"),
        ("stages:\n  enabled_stages: a\n", [], "configs/config.yaml: stages.enabled_stages: must be a list of stage names"),
        ("stages:\n  enabled_stages: [a, a]\n", [], "stages.enabled_stages: stage a is listed twice"),
        ("stages:\n  graph: [a]\n", [], "configs/config.yaml: stages.graph: must be a mapping"),
        ("stages:\n  graph: {a: b}\n", [], "configs/config.yaml: stages.graph.a: must be a list of stage names"),
        ("stages:\n  graph: {a: []}\n  enabled_stages: [a]\n", [], "not both"),
        # the key a higher layer added is the one named, and where the other one is from
        ("stages:\n  graph: {a: []}\n", ["stages.enabled_stages=[a]"],
         "--set stages.enabled_stages: stages.enabled_stages: use either stages.enabled_stages"
         " (a chain) or stages.graph (a DAG), not both (stages.graph is set in "
         "configs/config.yaml)"),
        ("stages:\n  enabled_stages: [a]\n", ["stages.graph={a: []}"],
         "--set stages.graph: stages.graph: use either"),
        ("pipeline: [1, 2\n", [], "configs/config.yaml: invalid YAML at line"),
        ("- a\n- b\n", [], "configs/config.yaml: the top level must be a mapping"),
        ("pipeline: 3\n", [], "configs/config.yaml: pipeline: must be a mapping"),
        ("", ["pipeline.mode=qa"], "--set pipeline.mode: pipeline.mode: must be one of"),
        ("", ["novalue"], "--set: expects key=value, got 'novalue'"),
    ],
)
def test_each_error_is_one_line_naming_file_and_key(tmp_path, text, overrides, expected):
    write(tmp_path / "configs/config.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, overrides=overrides, environ={})
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
    assert info.value.exit_code == 2


def test_environment_error_names_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="environment YTP_PIPELINE__MODE: pipeline.mode"):
        load_config(tmp_path, environ={"YTP_PIPELINE__MODE": "cloud"})


def test_missing_explicit_config(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml: configuration file does not exist"):
        load_config(tmp_path, tmp_path / "nope.yaml", environ={})


def test_not_utf8(tmp_path):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs/config.yaml").write_bytes(b"pipeline:\n  mode: \xff\xfe\n")
    with pytest.raises(ConfigError, match="configs/config.yaml: not valid UTF-8"):
        load_config(tmp_path, environ={})


def test_stage_config_nested_attribute_access(tmp_path):
    stage_dir = tmp_path / "stages" / "load"
    write(stage_dir / "config.yaml", "client:\n  table: //t\n  operations:\n    map: {job_count: 2}\n  rows: [{a: 1}]\n")
    config = load_stage_config(stage_dir, "load", tmp_path)
    assert config.client.table == "//t"
    assert config.client.operations.map.job_count == 2
    assert config.client["table"] == "//t"
    assert config.client.rows[0].a == 1
    assert config.client.get("absent", "d") == "d"
    assert config.to_dict()["client"]["operations"] == {"map": {"job_count": 2}}


def test_stage_config_missing_key_names_stage_file_and_key(tmp_path):
    stage_dir = tmp_path / "stages" / "load"
    write(stage_dir / "config.yaml", "client:\n  table: //t\n")
    config = load_stage_config(stage_dir, "load", tmp_path)
    with pytest.raises(ConfigError) as info:
        config.client.output_table  # noqa: B018
    assert str(info.value) == "stages/load/config.yaml: client.output_table: stage load: missing key"
    assert getattr(config.client, "output_table", "fallback") == "fallback"


def test_a_key_read_from_a_stage_config_that_does_not_exist_says_so(tmp_path):
    stage_dir = tmp_path / "stages" / "extra"
    stage_dir.mkdir(parents=True)
    config = load_stage_config(stage_dir, "extra", tmp_path)
    assert config.to_dict() == {}
    with pytest.raises(ConfigError) as info:
        config.client.table  # noqa: B018
    assert str(info.value) == (
        "stages/extra/config.yaml (no such file): client: stage extra: missing key")


def test_environment_outside_ytp_prefix_is_not_configuration(tmp_path, monkeypatch):
    from yt_pipeline.config import load_config

    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "config.yaml").write_text("stages:\n  enabled_stages: [a]\n")
    monkeypatch.setenv("YT_TOKEN", "token-from-the-shell")
    monkeypatch.setenv("SOME_TOOL_SETTING", "1")
    config = load_config(tmp_path)
    assert set(config.data) == {"pipeline", "stages"}
    assert "token-from-the-shell" not in repr(config.redacted())


def _stand_in_flask(tmp_path):
    """A Flask package on a path of its own that leaves a mark when imported."""
    fake = tmp_path / "site" / "flask"
    fake.mkdir(parents=True)
    marker = tmp_path / "flask-was-imported"
    (fake / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (fake / "config.py").write_text("class Config(dict):\n    pass\n")
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "config.yaml").write_text("pipeline:\n  mode: dev\n")
    return {**os.environ, "PYTHONPATH": str(tmp_path / "site")}, marker


def test_the_command_line_does_not_import_flask(tmp_path):
    """Flask, when installed, costs the command nothing: no configuration library imports it."""
    import subprocess
    import sys

    env, marker = _stand_in_flask(tmp_path)
    done = subprocess.run([sys.executable, "-m", "yt_pipeline", "config", str(tmp_path)],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "mode: dev" in done.stdout
    assert not marker.exists()


@pytest.mark.parametrize("text, overrides, environ, expected", [
    ("pipline:\n  mode: prod\n", [], {},
     "configs/config.yaml: pipline: unknown key: did you mean pipeline?"),
    ("pipeline:\n  mode: dev\n", ["pipeline.mdoe=prod"], {},
     "--set pipeline.mdoe: pipeline.mdoe: unknown key: did you mean pipeline.mode?"),
    ("pipeline:\n  mode: dev\n", [], {"YTP_PIPELINE__WORKER": "8"},
     "environment YTP_PIPELINE__WORKER: pipeline.worker: unknown key: did you mean "
     "pipeline.workers?"),
    ("stages:\n  enabled_stage: [a]\n", [], {},
     "configs/config.yaml: stages.enabled_stage: unknown key: did you mean "
     "stages.enabled_stages?"),
])
def test_a_misspelt_key_is_an_error_naming_the_key_it_resembles(tmp_path, text, overrides,
                                                                 environ, expected):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "config.yaml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, overrides=overrides, environ=environ)
    assert caught.value.one_line() == expected


def test_keys_unlike_ours_are_kept_for_plugins_and_users(tmp_path):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "config.yaml").write_text(
        "pipeline:\n  my_plugin: {level: 3}\n  pickling: true\nreporting:\n  email: a@b.c\n")
    config = load_config(tmp_path)
    assert config.get("pipeline.my_plugin.level") == 3
    assert config.get("reporting.email") == "a@b.c"


@pytest.mark.parametrize("raw, value", [
    ("8", 8), ("true", True), ("[a, b]", ["a", "b"]), ("{k: 1}", {"k": 1}), ("", ""),
    ("  ", ""), ("plain text", "plain text"), ("a: b: c", "a: b: c"), ("[unclosed", "[unclosed"),
    ("'quoted'", "quoted"), ("\x07bell", "\x07bell"),
])
def test_a_value_of_a_variable_or_set_is_read_as_yaml_or_kept_as_text(raw, value):
    from yt_pipeline.yamlio import parse_scalar

    assert parse_scalar(raw, "--set k") == value


@pytest.mark.parametrize("raw, problem", [
    ("*nowhere", "found undefined alias"), ("{a: 1, a: 2}", "duplicate key"),
])
def test_a_value_that_is_yaml_but_cannot_be_built_is_an_error(raw, problem):
    from yt_pipeline.yamlio import parse_scalar

    with pytest.raises(ConfigError, match=f"--set k: invalid YAML.*{problem}"):
        parse_scalar(raw, "--set k")


@pytest.mark.parametrize(("text", "line", "message"), [
    ("YT_PROXY: my-cluster.example.com\nYT_TOKEN=tok-123456\n", 1, "expected NAME=value"),
    ("YT_TOKEN=tok-123456\n\n  \nYT_PROXY: my-cluster.example.com\n", 4, "expected NAME=value"),
    ('YT_PROXY=my-cluster.example.com\nYT_TOKEN="tok-123456\n', 2,
     "expected NAME=value; is a quote left open?"),
])
def test_a_malformed_secrets_env_line_is_an_error_naming_the_file_and_line(
        tmp_path, run_cli, text, line, message):
    """Not python-dotenv's warning without a file name, the line dropped and the credential
    it held reported as not set later: one error line, exit code 2, nothing run or written,
    and the line's content (a secret, perhaps) not shown."""
    from yt_pipeline.testing import write_pipeline

    stage = ("from yt_pipeline import BaseStage\n\nclass S(BaseStage):\n"
             "    def run(self, debug):\n"
             "        self.deps.yt_client.write_table('//t/out', [{'n': 1}])\n"
             "        return debug\n")
    root = write_pipeline(tmp_path / "p", {"stages/s/stage.py": stage,
                                           "configs/secrets.env": text},
                          config={"pipeline": {"mode": "dev"},
                                  "stages": {"enabled_stages": ["s"]}})
    for command in (["run", root], ["run", root, "--dry-run"], ["config", root]):
        result = run_cli(*command)
        assert result.exit_code == 2, result.output
        assert result.stderr == f"error: configs/secrets.env: line {line}: {message}\n"
        assert result.stdout == ""
        assert "my-cluster" not in result.output and "tok-123456" not in result.output
    assert not (root / ".dev").exists() and not (root / ".runs").exists()


def test_the_proxy_is_no_secret_unless_a_secret_shares_its_value(tmp_path, monkeypatch):
    """YT_PROXY is the cluster's address (operation URLs show it): not masked, in secrets.env
    or the environment; the token is, and so is the proxy's value when a secret has it too."""
    for name in ("YT_PROXY", "YT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    write(tmp_path / "configs/secrets.env",
          "YT_PROXY=http://cluster.example.net:80\nYT_TOKEN=tok-123456\n")
    cfg = load_config(tmp_path, environ={})
    assert cfg.secret_values() == ["tok-123456"]
    assert cfg.redacted()["secrets"] == {"YT_PROXY": "http://cluster.example.net:80",
                                         "YT_TOKEN": "***"}
    monkeypatch.setenv("YT_PROXY", "other-cluster.example.net")
    assert load_config(tmp_path, environ={}).secret_values() == ["tok-123456"]
    write(tmp_path / "configs/secrets.env",
          "YT_PROXY=shared-value-42\nYT_TOKEN=tok-123456\nAPI_KEY=shared-value-42\n")
    monkeypatch.delenv("YT_PROXY")
    cfg = load_config(tmp_path, environ={})
    assert cfg.secret_values() == ["shared-value-42", "tok-123456"]
    assert cfg.redacted()["secrets"]["YT_PROXY"] == "***"


def test_credentials_inside_the_proxy_address_stay_masked(tmp_path, monkeypatch):
    """The proxy's address is shown, but a password before its host or a query after it
    (`https://robot:pw@host/?token=...`) is a credential all the same."""
    for name in ("YT_PROXY", "YT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    write(tmp_path / "configs/secrets.env",
          "YT_PROXY=https://robot:pass-778899@cluster.example.net/?token=qq-445566\n"
          "YT_TOKEN=tok-123456\n")
    cfg = load_config(tmp_path, environ={})
    assert cfg.redacted()["secrets"] == {
        "YT_PROXY": "https://robot:***@cluster.example.net/?***", "YT_TOKEN": "***"}
    values = cfg.secret_values()
    assert {"pass-778899", "token=qq-445566"} <= set(values)
    assert not {"robot", "cluster.example.net"} & set(values)
    monkeypatch.setenv("YT_PROXY", "http://u:envpass-1234@other.example.net")
    assert "envpass-1234" in load_config(tmp_path, environ={}).secret_values()
