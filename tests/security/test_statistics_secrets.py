"""A job's custom statistics keyed by a secret: a job counting its requests by the API
address it was given (`{"requests": {url: 3}}`), the address holding a password. The
operation's statistics line (.dev/operation.log, the prod run's log) and its result
write each key as a YPath literal, `/` as `\\/` and `@` as `\\@`: a form of the secret no
other form matches, which showed the password. Masked, in dev and in prod alike."""

from __future__ import annotations

import json

import pytest

from yt_pipeline.testing import invoke_cli, write_pipeline

URL = "https://bob:pw-Yt99xQ@api.example.com/v1"
TOKEN = "ytp-prod-TOKEN-5e6f7a8b9c0d"
STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Count(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//tmp/st/in", [{"id": i} for i in range(3)])
        result = run_map(self, self.config.client.operations.map)
        debug["statistics"] = result.statistics
        return debug
"""
MAPPER = """
import os
from ytjobs import read_rows, write_rows, write_statistics
rows = list(read_rows())
write_statistics({"requests": {os.environ["API_URL"]: len(rows)}})
write_rows(rows)
"""
CONFIG = ("client:\n  operations:\n    map:\n      input_table: //tmp/st/in\n"
          "      output_table: //tmp/st/out\n      env: [API_URL]\n")


def run(root, mode: str, proxy: str = ""):
    secrets = f"API_URL={URL}\n" + (f"YT_PROXY={proxy}\nYT_TOKEN={TOKEN}\n" if proxy else "")
    pipeline = {"mode": mode}
    if mode == "prod":
        from prod_pipeline import retry_options

        pipeline.update({"build_folder": "//home/st/build", "prod": retry_options()})
    write_pipeline(root, {"configs/secrets.env": secrets, "stages/count/stage.py": STAGE,
                          "stages/count/src/mapper.py": MAPPER,
                          "stages/count/config.yaml": CONFIG},
                   config={"pipeline": pipeline, "stages": {"enabled_stages": ["count"]}})
    return invoke_cli("run", str(root))


def leaked(root, output: str) -> list[str]:
    files = {str(path.relative_to(root)): path.read_text(errors="replace")
             for path in sorted(root.rglob("*"))
             if path.is_file() and path.name != "secrets.env" and ".jsonl" not in path.name}
    files["output"] = output
    return [name for name, text in files.items() if "pw-Yt99xQ" in text]


def test_a_statistic_keyed_by_a_secret_is_masked_in_dev(tmp_path, monkeypatch):
    monkeypatch.delenv("API_URL", raising=False)
    root = tmp_path / "p"
    result = run(root, "dev")
    assert result.exit_code == 0, result.output
    log = (root / ".dev" / "operation.log").read_text()
    assert "statistics: custom/requests/***: sum=3 count=1 min=3 max=3" in log, log
    records = [json.loads(path.read_text()) for path in (root / ".runs").glob("*.json")]
    assert "custom/requests/***" in json.dumps(records)
    assert leaked(root, result.output) == []


def test_a_statistic_keyed_by_a_secret_is_masked_in_prod(tmp_path, monkeypatch):
    pytest.importorskip("yt_pipeline_prod")
    from yt_pipeline_prod.testing import start_fake_proxy

    for name in ("API_URL", "YT_PROXY", "YT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    fake = start_fake_proxy(token=TOKEN)
    try:
        root = tmp_path / "p"
        result = run(root, "prod", fake.url)
        fake.wait_idle()
    finally:
        fake.stop()
    assert result.exit_code == 0, result.output
    assert "statistics: custom/requests/***: sum=3 count=1 min=3 max=3" in result.output
    assert leaked(root, result.output) == []
