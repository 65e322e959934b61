"""A stage config that reads YT_TOKEN (`${oc.env:YT_TOKEN}`, as yt-framework configs do)
stops a run before any code archive exists, in dev and in prod: the token reaches neither
.build, nor a job's sandbox, nor the cluster. A .env file or a copy of secrets.env in a
stage's src/ is left out of the archive the cluster gets."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("yt_pipeline_prod")

from prod_pipeline import retry_options, run_pipeline  # noqa: E402 - after the skip
from test_prod_secrets import archive_members, blobs_of_folder, blobs_of_proxy  # noqa: E402

from yt_pipeline.testing import write_pipeline  # noqa: E402
from yt_pipeline_prod.testing import start_fake_proxy  # noqa: E402

TOKEN = "ytp-prod-TOKEN-archive-13579bdf"
API_KEY = "api-key-ARCHIVE-prod-2468"
INPUT, OUTPUT = "//home/archive/input", "//home/archive/output"
BUILD = "//home/archive/build"

STAGE = f"""
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class M(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("{INPUT}", [{{"id": i}} for i in range(3)])
        run_map(self, self.config.client.operations.map)
        return debug
"""
MAPPER = "from ytjobs import read_rows, write_rows\nwrite_rows(read_rows())\n"
CONFIG = f"client:\n  operations:\n    map: {{input_table: {INPUT}, output_table: {OUTPUT}}}\n"
TOKEN_CONFIG = CONFIG + 'svc: {auth: "OAuth ${oc.env:YT_TOKEN}"}\n'
REFUSAL = ("stages/m/config.yaml: svc.auth holds the value of YT_TOKEN, a secret, which would "
           "be shipped in the code archive")


def make(root: Path, mode: str, stage_config: str, extra: dict[str, str] | None = None,
         proxy_url: str = "") -> Path:
    pipeline: dict = {"mode": mode}
    if mode == "prod":
        pipeline.update({"build_folder": BUILD, "prod": retry_options()})
    return write_pipeline(root, {
        "configs/secrets.env": (f"YT_PROXY={proxy_url}\n" if proxy_url else "")
        + f"API_KEY={API_KEY}\n",
        "stages/m/stage.py": STAGE,
        "stages/m/src/mapper.py": MAPPER,
        "stages/m/config.yaml": stage_config,
        **(extra or {}),
    }, config={"pipeline": pipeline, "stages": {"enabled_stages": ["m"]}})


def leaks(blobs: dict[str, bytes]) -> list[str]:
    return [name for name, data in blobs.items()
            for secret in (TOKEN, API_KEY) if secret.encode() in data]


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("YT_TOKEN", TOKEN)
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("API_KEY", raising=False)


def test_dev_run_with_a_token_reference_stops_before_packing(tmp_path, token):
    root = make(tmp_path / "p", "dev", TOKEN_CONFIG)
    run = run_pipeline(root)
    output = run.result.output
    assert run.result.exit_code != 0, output
    assert REFUSAL in output and TOKEN not in output
    assert not (root / ".build" / "source.tar.gz").exists()
    # no sandbox, no run record, no archive holds the token
    assert leaks(blobs_of_folder(root)) == []


def test_prod_run_with_a_token_reference_uploads_nothing(tmp_path, token):
    fake = start_fake_proxy(token=TOKEN)
    try:
        root = make(tmp_path / "p", "prod", TOKEN_CONFIG, proxy_url=fake.url)
        run = run_pipeline(root)
        fake.wait_idle()
    finally:
        fake.stop()
    output = run.result.output
    assert run.result.exit_code != 0, output
    assert REFUSAL in output and TOKEN not in output
    stored = blobs_of_proxy(fake)
    assert [name for name in stored if name.startswith(BUILD + "/")] == []
    assert fake.specs == []
    assert leaks(stored) == [] and leaks(blobs_of_folder(root)) == []


def test_prod_archive_on_the_cluster_has_no_secret_copies(tmp_path, token):
    copies = {f"stages/m/src/{name}": f"YT_TOKEN={TOKEN}\nAPI_KEY={API_KEY}\n"
              for name in (".env", "secrets.env.bak", ".secrets.env.swp", "SECRETS.ENV")}
    fake = start_fake_proxy(token=TOKEN)
    try:
        root = make(tmp_path / "p", "prod", CONFIG, copies, proxy_url=fake.url)
        run = run_pipeline(root)
        fake.wait_idle()
    finally:
        fake.stop()
    assert run.result.exit_code == 0, run.result.output
    assert [r["id"] for r in fake.rows(OUTPUT)] == [0, 1, 2]
    uploaded = {path: node for path, node in _files_under(fake, BUILD).items()
                if path.endswith(".tar.gz")}
    assert len(uploaded) == 1
    [(path, data)] = uploaded.items()
    members = archive_members(path, data)
    assert f"{path}:stages/m/src/mapper.py" in members
    assert [m for m in members if "env" in m.rsplit("/", 1)[-1].lower()] == []
    assert leaks(members) == [] and leaks(blobs_of_proxy(fake)) == []


def _files_under(fake, folder: str) -> dict[str, bytes]:
    cypress = fake.state.cypress
    return {path: cypress.lookup(path, None).data for path in cypress.paths(None)
            if path.startswith(folder + "/") and cypress.lookup(path, None).data}


def test_a_reference_to_a_secret_only_secrets_env_holds_is_refused_as_a_secret(tmp_path, token):
    """API_KEY is in secrets.env, not in the environment: the refusal is the same as when it
    is exported, where 'the environment variable API_KEY is not set' sent the user to export
    a secret, only to be refused for it then."""
    root = make(tmp_path / "p", "dev", CONFIG + 'svc: {key: "${oc.env:API_KEY}"}\n')
    run = run_pipeline(root)
    output = run.result.output
    assert run.result.exit_code == 2, output
    assert ("error: stages/m/config.yaml: svc.key holds the value of API_KEY, a secret, which "
            "would be shipped in the code archive; give it to the job through the operation's "
            "`env` instead (a name from secrets.env travels as a secret)") in output
    assert "is not set" not in output and API_KEY not in output
    assert not (root / ".build" / "source.tar.gz").exists()
