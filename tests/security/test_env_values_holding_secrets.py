"""An operation's `env` value built in code around a secret (an `Authorization` header,
a URL with a password) travels in the secure vault, as a value named in secrets.env does:
a cluster shows a user job's `environment` to whoever may read the operation, the
`secure_vault` to nobody else (the `secure_vault` entry of the YTsaurus docs' page
"Operation options", yt/docs/en/_includes/user-guide/data-processing/operations/
operations-options.md). The job sees the variable under its own name either way."""

from __future__ import annotations

import hashlib
import json

import pytest

pytest.importorskip("yt_pipeline_prod")

from prod_pipeline import retry_options, run_pipeline  # noqa: E402 - after the skip

from yt_pipeline.testing import write_pipeline  # noqa: E402
from yt_pipeline_prod.testing import start_fake_proxy  # noqa: E402

TOKEN = "ytp-prod-TOKEN-envvalue-55aa77"
API_KEY = "api-key-ENVVALUE-13579"
HEADER = "Bearer " + API_KEY
STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Leaky(BaseStage):
    def run(self, debug):
        api = self.deps.pipeline_config.secret("API_KEY")
        self.deps.yt_client.write_table("//home/envv/in", [{"id": 1}])
        run_map(self, {"input_table": "//home/envv/in", "output_table": "//home/envv/out",
                       "env": {"AUTH_HEADER": "Bearer " + api, "PLAIN": "shown"}})
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


def _run_leaky(tmp_path, monkeypatch, stage: str):
    """The stage run in prod on a fresh fake proxy: (the run, the specs the proxy was sent,
    the rows of //home/envv/out if it was made)."""
    for name in ("YT_PROXY", "YT_TOKEN", "API_KEY"):
        monkeypatch.delenv(name, raising=False)
    fake = start_fake_proxy(token=TOKEN)
    try:
        root = write_pipeline(tmp_path / "p", {
            "configs/secrets.env": f"YT_PROXY={fake.url}\nYT_TOKEN={TOKEN}\nAPI_KEY={API_KEY}\n",
            "stages/leaky/stage.py": stage,
            "stages/leaky/src/mapper.py": MAPPER,
        }, config={"pipeline": {"mode": "prod", "build_folder": "//home/envv/build",
                                "prod": retry_options()},
                   "stages": {"enabled_stages": ["leaky"]}})
        run = run_pipeline(root)
        fake.wait_idle()
        made = fake.state.cypress.lookup("//home/envv/out", None) is not None
        return run, fake.specs, fake.rows("//home/envv/out") if made else None
    finally:
        fake.stop()


def test_an_env_value_holding_a_secret_goes_in_the_secure_vault(tmp_path, monkeypatch):
    run, [spec], rows = _run_leaky(tmp_path, monkeypatch, STAGE)
    assert run.result.exit_code == 0, run.result.output
    assert spec["mapper"]["environment"] == {"PLAIN": "shown"}
    assert spec["secure_vault"] == {"AUTH_HEADER": HEADER}
    outside_vault = json.dumps({k: v for k, v in spec.items() if k != "secure_vault"})
    assert API_KEY not in outside_vault
    assert rows == [{"auth": hashlib.sha256(HEADER.encode()).hexdigest(), "plain": "shown"}]


# A title, a description or any key of an operation's `spec:` section is shown with the
# operation (the web interface shows `title`, `description` and `started_by`: the same
# docs page); a secret there is refused before the operation starts, naming the key.
SPEC_STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Leaky(BaseStage):
    def run(self, debug):
        api = self.deps.pipeline_config.secret("API_KEY")
        self.deps.yt_client.write_table("//home/envv/in", [{"id": 1}])
        run_map(self, {"input_table": "//home/envv/in", "output_table": "//home/envv/out",
                       "spec": {"title": "x", "description": {"login": "u:" + api}}})
        return debug
"""


def test_a_secret_in_the_spec_section_is_refused_before_the_operation(tmp_path, monkeypatch):
    run, specs, _ = _run_leaky(tmp_path, monkeypatch, SPEC_STAGE)
    output = run.result.output
    assert run.result.exit_code == 1, output
    assert specs == []
    assert ("stage leaky: the map section its code made: spec.description.login: the spec "
            "holds a secret of secrets.env here, which a cluster shows to whoever may read the "
            "operation") in output
    assert "config.yaml" not in output  # the section is in no file
    assert API_KEY not in output


def test_a_short_secret_in_an_ordinary_title_refuses_nothing(tmp_path):
    """A secret of 4 to 7 characters is masked in logs, but too likely to be part of a
    title to refuse an operation for; it still sends a value holding it to the vault."""
    from types import SimpleNamespace

    from yt_pipeline.operations import build_spec

    class Config:
        secrets = {"SHORT": "prod"}

        def secret(self, name):
            return self.secrets.get(name)

        def secret_values(self):
            return ["prod"]

    (tmp_path / "stages/s/src").mkdir(parents=True)
    (tmp_path / "stages/s/src/run.py").write_text("")
    stage = SimpleNamespace(name="s", stage_dir=tmp_path / "stages/s",
                            config_file_display="config.yaml",
                            deps=SimpleNamespace(pipeline_config=Config()),
                            context=SimpleNamespace(pipeline_dir=tmp_path, code_package=None,
                                                    run_id="r"))
    spec = build_spec(stage, "vanilla", {"script": "src/run.py", "env": {"MODE": "production"},
                                         "spec": {"title": "production numbers"}})
    assert spec.extra_spec["title"] == "production numbers"
    assert spec.secure_env == {"MODE": "production"} and spec.env == {}
