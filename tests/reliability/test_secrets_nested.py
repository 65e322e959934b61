"""Secrets reach a sink in forms of forms, and as bytes: a run record holds the JSON of an
error that holds the repr of the secret; a one-line error has its whitespace collapsed; a
stage hands on the secret as bytes (kept as base64); a YQL statement quotes it into
.dev/operation.log. None of those forms may be in any file a dev run writes, nor in what
the commands print. Short secrets are refused; secrets.env's YTP_ settings are hidden too.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from test_secrets_encoded import dotenv_quoted, folder_blobs

from yt_pipeline.testing import invoke_cli, write_pipeline

# a backslash, a double space and a tab: repr, JSON and collapsing each change it
SECRET = "Pa\\ss-w0rd  tab\there-XYZ"

STAGE = """
import json
from yt_pipeline import BaseStage
from yt_pipeline.errors import ConfigError


class Leaky(BaseStage):
    def run(self, debug):
        secret = self.deps.pipeline_config.secret("API_KEY")
        yt = self.deps.yt_client
        # the statement quotes the secret: dev logs each statement it runs
        yt.run_yql("INSERT INTO `//t/other` WITH TRUNCATE SELECT key FROM `//t/keys` "
                   "WHERE key != '" + secret.replace("'", "''") + "'")
        how = self.config.client.fail
        if how == "repr":
            raise RuntimeError("login refused for " + repr(secret))
        if how == "config":
            raise ConfigError("bad credential " + secret, key="API_KEY")
        debug["raw"] = secret.encode()  # kept as base64
        debug["basic"] = "Basic " + __import__("base64").b64encode(
            ("user:" + secret).encode()).decode()
        return debug
"""


def forms_of(secret: str) -> set[str]:
    """What a scanner looks for: the secret, its escapes, escapes of those, collapsed
    whitespace, hex, and base64 where it is encoded from any of three offsets."""
    data = secret.encode()
    found = {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1],
             json.dumps(repr(secret))[1:-1], json.dumps(json.dumps(secret))[1:-1],
             repr(json.dumps(secret))[1:-1], " ".join(secret.split()), data.hex()}
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + data).decode()
        found.add(encoded[-(-8 * offset // 6):(8 * (offset + len(data))) // 6])
    return found


def make(root: Path, fail: str) -> Path:
    return write_pipeline(root, {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [leaky]}\n",
        "configs/secrets.env": f"API_KEY={dotenv_quoted(SECRET)}\n",
        "stages/leaky/stage.py": STAGE,
        "stages/leaky/config.yaml": f"client:\n  fail: {fail}\n",
        # what the query reads, there before the run (a query may not read what its own
        # stage wrote: the query tracker runs outside the stage's transaction)
        ".dev/t/keys.jsonl": '{"key": "a"}\n{"key": "b"}\n',
    })


@pytest.mark.parametrize("fail", ["none", "repr", "config"])
def test_no_form_of_a_secret_in_files_or_command_output(tmp_path, capfd, fail):
    root = make(tmp_path / "p", fail)
    run = invoke_cli("run", root)
    assert run.exit_code == (0 if fail == "none" else 1), run.output
    printed = run.output + "".join(capfd.readouterr())
    printed += invoke_cli("runs", root).output + invoke_cli("status", root).output
    assert "***" in printed or fail == "none"
    blobs = folder_blobs(root)
    assert ".dev/operation.log" in blobs and any(name.startswith(".runs/") for name in blobs)
    if fail == "none":  # the bytes were kept, masked, and handed on as bytes
        state = json.loads(blobs[".runs/stages.dev.json"])
        assert state["leaky"]["debug"]["basic"].startswith("Basic ")
    found = [f"{name}: {form!r}" for name, data in [*blobs.items(), ("output", printed.encode())]
             for form in forms_of(SECRET) if form.encode() in data]
    assert found == []


def test_a_secret_too_short_to_mask_is_refused_before_any_stage(tmp_path):
    root = make(tmp_path / "p", "none")
    shutil.rmtree(root / ".dev")  # only the table the stage would read was there
    (root / "configs/secrets.env").write_text("API_KEY=739\n")
    run = invoke_cli("run", root)
    assert run.exit_code == 2
    assert ("configs/secrets.env: API_KEY: the value of API_KEY has 3 character(s): a secret "
            "must have 4 or more") in run.output
    assert "739" not in run.output
    assert not (root / ".dev").exists()


def test_settings_from_secrets_env_are_hidden_and_masked(tmp_path, capfd):
    root = make(tmp_path / "p", "none")
    token = "ytcfg-token-SECRET-98765"
    (root / "configs/secrets.env").write_text(
        f"API_KEY={dotenv_quoted(SECRET)}\nYTP_STAGES__TOKEN={token}\nYTP_PIPELINE__WORKERS=2\n")
    shown = invoke_cli("config", root, "--sources")
    assert shown.exit_code == 0, shown.output
    assert token not in shown.output and "token: '***'" in shown.output
    assert "workers: '***'" in shown.output  # what secrets.env gives is never printed
    (root / "stages/leaky/stage.py").write_text(
        STAGE.replace("        how = self.config.client.fail",
                      "        self.logger.info('token %s', self.deps.pipeline_config"
                      ".get('stages.token'))\n        how = self.config.client.fail"))
    run = invoke_cli("run", root)
    assert run.exit_code == 0, run.output
    printed = run.output + "".join(capfd.readouterr())
    assert "token ***" in printed and token not in printed
    assert all(token.encode() not in data for data in folder_blobs(root).values())


FUNCTION_SCRIPT = """
import logging
import os
from yt_pipeline import Pipeline, step


@step(outputs=["n"])
def leak():
    key, token = "sk-live-FUNCSTEP-123456", os.environ["YT_TOKEN"]
    logging.getLogger("yt_pipeline.user").warning("key %s token %s", key, token)
    raise RuntimeError("failed with " + key + " and " + token)


Pipeline("etl").add_step(leak).run()
"""


@pytest.mark.parametrize("configured", [True, False])
def test_a_function_step_run_masks_its_secrets_too(tmp_path, configured):
    """A function-step script is not started by the command line, which is where secrets
    were registered for masking: its run record held them in the clear."""
    import os
    import subprocess
    import sys

    files = {"etl.py": FUNCTION_SCRIPT}
    if configured:
        files["configs/config.yaml"] = "pipeline: {mode: dev}\n"
        files["configs/secrets.env"] = "API_KEY=sk-live-FUNCSTEP-123456\n"
    root = write_pipeline(tmp_path / "p", files)
    env = {**os.environ, "YT_TOKEN": "ytok-ABCDEFGH-987"}
    done = subprocess.run([sys.executable, "etl.py"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)
    [record] = list((root / ".runs").glob("2*.json"))
    assert "failed with" in record.read_text()
    secrets = ["ytok-ABCDEFGH-987"] + (["sk-live-FUNCSTEP-123456"] if configured else [])
    blobs = {**folder_blobs(root), "output": (done.stdout + done.stderr).encode()}
    blobs.pop("etl.py")
    assert [name for name, data in blobs.items()
            for secret in secrets if secret.encode() in data] == []


UNREACHABLE_SCRIPT = """
from yt_pipeline import Pipeline, step


@step
def extract(yt):
    return 1


Pipeline("etl").add_step(extract).run()
"""


@pytest.mark.parametrize("shared", [False, True], ids=["proxy alone", "a secret shares it"])
def test_a_function_step_run_that_cannot_reach_its_proxy(tmp_path, monkeypatch, shared):
    """The client is made (and the proxy checked) before the runner registers the secrets:
    the client's warnings and the uncaught error's line quoted what secrets.env holds. The
    proxy alone is an address and is shown; a secret of the same value masks it there too."""
    import os
    import subprocess
    import sys

    pytest.importorskip("yt_pipeline_prod")
    host = "fs-secret-proxy-host-0123.invalid"
    proxy = f"http://{host}:80"
    root = write_pipeline(tmp_path / "p", {
        "etl.py": UNREACHABLE_SCRIPT,
        "configs/config.yaml": "pipeline: {mode: prod, prod: {yt_config: {proxy: {retries: "
                               "{count: 1}}}}}\n",
        "configs/secrets.env": f"YT_PROXY={proxy}\nYT_TOKEN=ytok-FUNC-unreach-42\n"
                               + (f"MIRROR={proxy}\n" if shared else ""),
    })
    env = {k: v for k, v in os.environ.items() if k not in ("YT_PROXY", "YT_TOKEN")}
    done = subprocess.run([sys.executable, "etl.py"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    shown = "***" if shared else proxy
    assert done.stderr.splitlines()[-1] == (
        f"error: check the YT proxy before the run: cannot reach the YT proxy {shown} "
        "(ConnectionError); check YT_PROXY and the network")
    assert f"ytsaurus-client: HTTP get request {shown}/api/v4 failed" in done.stderr
    assert ("fs-secret-proxy" in done.stdout + done.stderr) is not shared
    assert "ytok-FUNC-unreach-42" not in done.stdout + done.stderr


def test_one_line_of_an_error_masks_a_secret_with_a_line_break(tmp_path):
    """`error: <one line>` is the first line of the message: cut at the secret's own line
    break, its first line was no form of it, and passed the mask."""
    from yt_pipeline.errors import ConfigError
    from yt_pipeline.logs import mask_secrets

    mask_secrets(["first-line-SECRET\nsecond-line-SECRET"])
    error = ConfigError("cannot use first-line-SECRET\nsecond-line-SECRET here", file="f.yaml")
    assert error.one_line() == "f.yaml: cannot use *** here"


def test_a_table_the_report_cannot_count_is_noted_without_the_secret():
    """The report notes why a table has no row count with the first line of the client's
    error: cut first, a secret with a line break left its first line unmasked."""
    from yt_pipeline.logs import mask_secrets
    from yt_pipeline.report_sources import _count

    class Refusing:
        def row_count(self, path):
            raise RuntimeError(f"no access to {path} with first-line-KEY\nsecond-line-KEY")

    mask_secrets(["first-line-KEY\nsecond-line-KEY"])
    counted = _count(Refusing(), "//tmp/t")
    assert (counted.rows, counted.note) == (None, "no access to //tmp/t with ***")
