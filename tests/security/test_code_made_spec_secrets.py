"""An OperationSpec the stage's code made or changed, launched with
`yt_pipeline.modes.launch_operation`, comes past the checks build_spec makes of an
operation's section: its `env` and `extra_spec` are checked again as it is launched. A
cluster shows a user job's `environment`, `title` and `description` to whoever may read the
operation and keeps only `secure_vault` from them (the `secure_vault` entry of the YTsaurus
docs' page "Operation options", yt/docs/en/_includes/user-guide/data-processing/operations/
operations-options.md: the vault "can't be viewed by unauthorized users, unlike the
`environment` section"; ytsaurus-client 0.13 sends it as one more key of the spec, set by
SpecBuilder.secure_vault in yt/wrapper/spec_builders.py, for the cluster to keep apart)."""

from __future__ import annotations

import hashlib
import json

import pytest

pytest.importorskip("yt_pipeline_prod")

from prod_pipeline import retry_options, run_pipeline  # noqa: E402
from secret_scan import scan_bytes  # noqa: E402

from yt_pipeline.testing import write_pipeline  # noqa: E402
from yt_pipeline_prod.testing import start_fake_proxy  # noqa: E402

TOKEN = "ytp-prod-TOKEN-codespec-55aa77"
API_KEY = "api-key-CODESPEC-13579"
STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.modes import launch_operation
from yt_pipeline.operations import build_spec


class Leaky(BaseStage):
    def run(self, debug):
        api = self.deps.pipeline_config.secret("API_KEY")
        self.deps.yt_client.write_table("//home/cs/in", [{"id": 1}])
        spec = build_spec(self, "map", {"input_table": "//home/cs/in",
                                        "output_table": "//home/cs/out"})
        spec.env.update(AUTH_HEADER="Bearer " + api, PLAIN="shown")
        CHANGE
        launch_operation(self.context.plugin_manager, "prod", self.deps.yt_client, spec)
        return debug
"""
# the job reports digests, so the secret is in neither its source nor its output
MAPPER = """
import hashlib, os
from ytjobs import read_rows, write_rows
list(read_rows())
write_rows([{"auth": hashlib.sha256(os.environ.get("AUTH_HEADER", "").encode()).hexdigest(),
             "plain": os.environ.get("PLAIN")}])
"""


def _run(tmp_path, monkeypatch, change: str, stage: str = STAGE):
    """The stage run in prod on a fresh fake proxy: (the run, the specs the proxy was sent,
    the rows of //home/cs/out if it was made)."""
    for name in ("YT_PROXY", "YT_TOKEN", "API_KEY"):
        monkeypatch.delenv(name, raising=False)
    fake = start_fake_proxy(token=TOKEN)
    try:
        root = write_pipeline(tmp_path / "p", {
            "configs/secrets.env": f"YT_PROXY={fake.url}\nYT_TOKEN={TOKEN}\nAPI_KEY={API_KEY}\n",
            "stages/leaky/stage.py": stage.replace("CHANGE", change),
            "stages/leaky/src/mapper.py": MAPPER,
        }, config={"pipeline": {"mode": "prod", "build_folder": "//home/cs/build",
                                "prod": retry_options()},
                   "stages": {"enabled_stages": ["leaky"]}})
        run = run_pipeline(root)
        fake.wait_idle()
        made = fake.state.cypress.lookup("//home/cs/out", None) is not None
        return run, fake.specs, fake.rows("//home/cs/out") if made else None
    finally:
        fake.stop()


def test_an_env_value_set_in_code_holding_a_secret_goes_in_the_secure_vault(
        tmp_path, monkeypatch):
    run, [spec], rows = _run(tmp_path, monkeypatch, "pass")
    assert run.result.exit_code == 0, run.result.output
    assert spec["mapper"]["environment"] == {"PLAIN": "shown"}
    assert spec["secure_vault"] == {"AUTH_HEADER": "Bearer " + API_KEY}
    shown = json.dumps({k: v for k, v in spec.items() if k != "secure_vault"}, default=str)
    assert [str(leak) for leak in scan_bytes("spec", shown.encode(), [API_KEY, TOKEN])] == []
    assert rows == [{"auth": hashlib.sha256(f"Bearer {API_KEY}".encode()).hexdigest(),
                     "plain": "shown"}]


def test_a_secret_put_in_the_extra_spec_in_code_is_refused_before_the_operation(
        tmp_path, monkeypatch):
    run, specs, _ = _run(tmp_path, monkeypatch,
                         'spec.extra_spec["description"] = {"login": "u:" + api}')
    output = run.result.output
    assert run.result.exit_code == 1, output
    assert specs == []
    assert ("error: stage leaky failed: stage leaky: operation map: "
            "extra_spec.description.login: the spec holds a secret of secrets.env here, which "
            "a cluster shows to whoever may read the operation") in output
    assert [str(leak) for leak in scan_bytes("output", output.encode(), [API_KEY, TOKEN])] == []


def test_a_secret_in_a_section_made_in_code_is_refused_as_made_in_code(tmp_path, monkeypatch):
    """A section the code made (a dict given to build_spec or run_map) is in no file: the
    refusal named stages/leaky/config.yaml, a file the stage does not even have."""
    stage = STAGE.replace('"output_table": "//home/cs/out"}',
                          '"output_table": "//home/cs/out",\n'
                          '                                        "spec": {"stderr_table_path": '
                          '"//home/cs/err_" + api}}')
    run, specs, rows = _run(tmp_path, monkeypatch, "pass", stage)
    output = run.result.output
    assert run.result.exit_code == 1, output
    assert specs == [] and rows is None
    assert "config.yaml" not in output
    assert ("error: stage leaky failed: stage leaky: the map section its code made: "
            "spec.stderr_table_path: the spec holds a secret of secrets.env here") in output
    assert [str(leak) for leak in scan_bytes("output", output.encode(), [API_KEY, TOKEN])] == []
