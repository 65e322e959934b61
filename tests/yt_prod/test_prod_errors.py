"""Failures reach the user as yt_pipeline errors, clear and without the token."""

from __future__ import annotations

import time

import pytest

from yt_pipeline.config import load_config
from yt_pipeline.errors import BackendError, ConfigError, NetworkError
from yt_pipeline_prod import plugin
from yt_pipeline_prod.testing import TEST_TOKEN, make_prod_client


def test_proxy_unavailable_is_a_network_error(prod_client, fake_yt):
    fake_yt.faults.fail_next("exists", status=503)
    with pytest.raises(NetworkError, match="cannot reach the YT proxy") as caught:
        prod_client.exists("//tmp")
    assert fake_yt.url in str(caught.value)
    assert prod_client.exists("//tmp")  # the next call goes through


def test_dropped_connection_is_a_network_error(prod_client, fake_yt):
    prod_client.exists("//tmp")
    fake_yt.faults.drop_next("read_table")
    prod_client.write_table("//tmp/t", [{"a": 1}])
    with pytest.raises(NetworkError, match="read_table //tmp/t"):
        list(prod_client.read_table("//tmp/t"))


def test_dead_proxy_fails_fast_with_retries_off(fake_yt):
    client = make_prod_client(fake_yt)
    fake_yt.stop()
    started = time.monotonic()
    with pytest.raises(NetworkError, match="check YT_PROXY"):
        client.row_count("//tmp/t")
    assert time.monotonic() - started < 10


def test_delayed_answers_still_arrive(prod_client, fake_yt):
    fake_yt.faults.delay_next("get", 0.2)
    started = time.monotonic()
    prod_client.write_table("//tmp/t", [{"a": 1}])
    assert prod_client.row_count("//tmp/t") == 1
    assert time.monotonic() - started >= 0.2


def test_wrong_token_is_reported_without_the_token(fake_yt):
    client = make_prod_client(fake_yt, token="wrong-token-abcdef")
    with pytest.raises(BackendError) as caught:
        client.exists("//tmp")
    text = str(caught.value)
    assert "rejected the token" in text and "YT_TOKEN" in text
    assert "wrong-token-abcdef" not in text and TEST_TOKEN not in text


def test_other_cluster_errors_name_the_action_and_path(prod_client, fake_yt):
    prod_client.write_table("//tmp/t", [{"a": 1}])
    with pytest.raises(BackendError, match="create_path //tmp/t/sub"):
        prod_client.create_path("//tmp/t/sub")


@pytest.mark.parametrize("missing", ["YT_PROXY", "YT_TOKEN"])
def test_missing_credentials_say_where_to_put_them(make_pipeline, monkeypatch, missing):
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    present = {"YT_PROXY": "http://localhost:1", "YT_TOKEN": "tok-123456"}
    present.pop(missing)
    root = make_pipeline(
        {"configs/secrets.env": "".join(f"{k}={v}\n" for k, v in present.items())},
        config={"pipeline": {"mode": "prod"}, "stages": {"enabled_stages": []}},
    )
    settings = load_config(root)
    with pytest.raises(ConfigError) as caught:
        plugin.create_client(settings, root)
    text = str(caught.value)
    assert missing in text and "secrets.env" in text and "environment" in text
    assert "tok-123456" not in text


def test_environment_wins_over_secrets_env(make_pipeline, monkeypatch, fake_yt):
    monkeypatch.setenv("YT_PROXY", fake_yt.url)
    monkeypatch.setenv("YT_TOKEN", TEST_TOKEN)
    root = make_pipeline(
        {"configs/secrets.env": "YT_PROXY=http://nowhere.invalid:1\nYT_TOKEN=other\n"},
        config={"pipeline": {"mode": "prod", "prod": {"retries": False}},
                "stages": {"enabled_stages": []}},
    )
    client = plugin.create_client(load_config(root), root)
    assert client.exists("//tmp")
    assert TEST_TOKEN not in repr(client) and TEST_TOKEN not in repr(client.settings)


@pytest.mark.parametrize("key, value", [("retries", "often"), ("cluster", ""),
                                        ("cluster", 3), ("yql_result_folder", "tmp/x")])
def test_bad_prod_options_name_the_key(make_pipeline, monkeypatch, key, value):
    monkeypatch.setenv("YT_PROXY", "http://localhost:1")
    monkeypatch.setenv("YT_TOKEN", "tok-123456")
    root = make_pipeline(config={"pipeline": {"mode": "prod", "prod": {key: value}},
                                 "stages": {"enabled_stages": []}})
    with pytest.raises(ConfigError, match=f"pipeline.prod.{key}"):
        plugin.create_client(load_config(root), root)


def test_yql_options_are_read(make_pipeline, monkeypatch):
    monkeypatch.setenv("YT_PROXY", "http://localhost:1")
    monkeypatch.setenv("YT_TOKEN", "tok-123456")
    prod = {"cluster": " hahn ", "yql_result_folder": "//home/me/yql/"}
    root = make_pipeline(config={"pipeline": {"mode": "prod", "prod": prod},
                                 "stages": {"enabled_stages": []}})
    from yt_pipeline_prod.settings import load_prod_settings

    settings = load_prod_settings(load_config(root), root)
    assert (settings.cluster, settings.yql_result_folder) == ("hahn", "//home/me/yql")


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("problem", ["no proxy there", "wrong token"])
def test_a_wrong_proxy_or_token_is_reported_before_the_run_in_seconds(make_pipeline, run_cli,
                                                                    monkeypatch, fake_yt,
                                                                    problem):
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    proxy = f"127.0.0.1:{_closed_port()}" if problem == "no proxy there" else fake_yt.url
    token = "wrong-token-abcdef" if problem == "wrong token" else TEST_TOKEN
    stage = ("from yt_pipeline import BaseStage\n\nclass S(BaseStage):\n"
             "    def run(self, debug):\n"
             "        self.deps.yt_client.write_table('//tmp/pre/t', [{'a': 1}])\n"
             "        return debug\n")
    root = make_pipeline({"configs/secrets.env": f"YT_PROXY={proxy}\nYT_TOKEN={token}\n",
                          "stages/s/stage.py": stage},
                         config={"pipeline": {"mode": "prod"}, "stages": {"enabled_stages": ["s"]}})
    started = time.monotonic()
    result = run_cli("run", root)
    assert time.monotonic() - started < 20
    assert result.exit_code == 3  # its own code: no stage failed, nothing ran
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith("error: check the YT proxy before the run: "), error
    # the proxy is an address, shown so that a misspelt one can be seen; the token is not
    assert (f"cannot reach the YT proxy {proxy} (" if problem == "no proxy there"
            else f"the YT proxy {proxy} rejected the token") in error
    assert token not in result.output
    assert not (root / ".runs").exists()  # no run was started


def test_a_prod_plan_needs_no_credentials(make_pipeline, run_cli, monkeypatch):
    """`--set pipeline.mode=prod --dry-run` previews the prod plan on a laptop with no
    YT_PROXY/YT_TOKEN; a stage whose cache would need the cluster says it was not checked."""
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    stage = "from yt_pipeline import BaseStage\n\nclass S(BaseStage):\n    def run(self, debug):\n        return debug\n"
    root = make_pipeline({"stages/a/stage.py": stage, "stages/b/stage.py": stage,
                          "stages/b/config.yaml": "cache: true\n"},
                         config={"pipeline": {"mode": "dev"},
                                 "stages": {"graph": {"a": [], "b": []}}})
    result = run_cli("run", root, "--set", "pipeline.mode=prod", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "(state.prod.yml): 2 of 2 stages to run" in result.stdout
    assert "b (cache: not checked (YT_PROXY is not set" in result.stdout
    assert not (root / ".runs").exists() and not (root / "state.prod.yml").exists()
    real = run_cli("run", root, "--set", "pipeline.mode=prod")
    assert real.exit_code == 2 and "YT_PROXY is not set" in real.stderr


def test_a_function_pipeline_without_configs_takes_credentials_from_the_environment(
        tmp_path, fake_yt, monkeypatch):
    from yt_pipeline import Pipeline, step

    monkeypatch.setenv("YT_PROXY", fake_yt.url)
    monkeypatch.setenv("YT_TOKEN", TEST_TOKEN)

    @step
    def write(yt):
        yt.write_table("//tmp/env/t", [{"a": 1}])

    result = Pipeline("envcreds", folder=tmp_path, mode="prod").add_step(write).run()
    assert result.success, result.error
    assert fake_yt.rows("//tmp/env/t") == [{"a": 1}]


FLOW = """
from pathlib import Path
from yt_pipeline import Pipeline, step


@step(outputs=["n"])
def one():
    Path("step_ran").write_text("yes")
    return 1


Pipeline("flow", stack="prod").add_step(one).run()
"""


def _run_script(folder, monkeypatch):
    import os
    import subprocess
    import sys

    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    (folder / "flow.py").write_text(FLOW)
    return subprocess.run([sys.executable, "flow.py"], cwd=folder, capture_output=True,
                          text=True, env=dict(os.environ), timeout=120)


@pytest.mark.parametrize("secrets_written", [False, True])
def test_a_function_pipeline_without_credentials_says_to_export_them_in_one_line(
        tmp_path, monkeypatch, secrets_written):
    """function-steps.md: without configs/config.yaml, prod takes YT_PROXY from the
    environment; the error says so (not "add the line to configs/secrets.env", which this
    pipeline does not read), in one line without a traceback, before any step ran or any
    file was written."""
    if secrets_written:
        (tmp_path / "configs").mkdir()
        (tmp_path / "configs/secrets.env").write_text("YT_PROXY=localhost:1\nYT_TOKEN=abc\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    done = _run_script(tmp_path, monkeypatch)
    assert done.returncode != 0
    assert done.stderr == (
        "error: YT_PROXY is not set: prod mode needs it; export YT_PROXY in the environment "
        "(a function-step pipeline reads configs/secrets.env only when its folder has a "
        "configs/config.yaml)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "flow.py"])


def test_a_function_pipeline_with_a_config_file_reads_its_secrets_env(tmp_path, monkeypatch):
    """The other way the message names: with a configs/config.yaml, configs/secrets.env is
    read (the run goes on to ask the proxy it names)."""
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs/config.yaml").write_text("pipeline:\n  mode: prod\n")
    (tmp_path / "configs/secrets.env").write_text("YT_PROXY=localhost:1\nYT_TOKEN=abcd1234\n")
    done = _run_script(tmp_path, monkeypatch)
    assert done.returncode != 0
    assert "YT_PROXY is not set" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith("error: check the YT proxy before the run: ")
    assert not (tmp_path / "step_ran").exists()


@pytest.mark.parametrize("refusal", ["schema violation", "server error"])
def test_a_stage_retries_what_may_pass_and_not_what_a_cluster_refuses(
        make_pipeline, run_cli, monkeypatch, fake_yt, prod_client, refusal):
    """A schema violation (code 307, "Unknown column ... in strict schema") comes back the
    same however often it is sent: `retry` gives up at once. A server error may pass the
    next time: it is tried again. The attempts are counted by the stage itself."""
    from yt_pipeline_prod.testing import TEST_PROD_OPTIONS

    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    prod_client.run_yql("INSERT INTO `//tmp/strict` WITH TRUNCATE SELECT 7 AS id")
    row = "{'id': 1, 'name': 'x'}" if refusal == "schema violation" else "{'id': 1}"
    stage = ("from pathlib import Path\n\nfrom yt_pipeline import BaseStage\n\n"
             "class S(BaseStage):\n"
             "    def run(self, debug):\n"
             "        tries = Path(self.context.pipeline_dir) / 'tries'\n"
             "        tries.write_text(tries.read_text() + 'x' if tries.exists() else 'x')\n"
             f"        self.deps.yt_client.write_table('//tmp/strict', [{row}])\n"
             "        return debug\n")
    root = make_pipeline(
        {"configs/secrets.env": f"YT_PROXY={fake_yt.url}\nYT_TOKEN={TEST_TOKEN}\n",
         "stages/s/stage.py": stage,
         "stages/s/config.yaml": "retry: {max_attempts: 3, backoff_s: 0}\n"},
        config={"pipeline": {"mode": "prod", "prod": TEST_PROD_OPTIONS},
                "stages": {"enabled_stages": ["s"]}})
    if refusal == "server error":
        fake_yt.faults.fail_next("write_table", status=500)
    result = run_cli("run", root)
    tries = (root / "tries").read_text()
    if refusal == "schema violation":
        assert result.exit_code == 1
        assert 'Unknown column "name" in strict schema' in result.stderr
        assert tries == "x" and "retrying" not in result.stderr
        assert fake_yt.rows("//tmp/strict") == [{"id": 7}]
    else:
        assert result.exit_code == 0, result.output
        assert tries == "xx" and "attempt 1 of 3 failed" in result.stderr
        assert fake_yt.rows("//tmp/strict") == [{"id": 1}]
