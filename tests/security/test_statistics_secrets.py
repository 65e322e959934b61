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


# A job that fails keeps its sandbox, and in it the statistics it wrote to fd 5 as YSON
# text, where a line break of a key reads `\x0a` (ytjobs.write_statistics): a form of the
# secret no other form matches.
TWO_LINES = "first-Yk31pQ\nsecond-Hh72"
FAILING_MAPPER = """
import os, sys
from ytjobs import read_rows, write_statistics
list(read_rows())
write_statistics({"requests": {os.environ["TWO_LINES"]: 1}})
sys.exit(3)
"""


def test_statistics_keyed_by_a_secret_are_masked_in_a_kept_sandbox(tmp_path, monkeypatch):
    monkeypatch.delenv("TWO_LINES", raising=False)
    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": 'TWO_LINES="first-Yk31pQ\\nsecond-Hh72"\n',
        "stages/count/stage.py": STAGE, "stages/count/src/mapper.py": FAILING_MAPPER,
        "stages/count/config.yaml": CONFIG.replace("env: [API_URL]", "env: [TWO_LINES]")
        + "      max_failed_job_count: 1\n",
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["count"]}})
    result = invoke_cli("run", str(root))
    assert result.exit_code == 1, result.output
    [kept] = (root / ".dev").glob(".sandboxes/sandbox_*/map0.statistics")
    assert kept.read_text() == '{"requests"={"***"=1;};};\n'
    pieces = {TWO_LINES[at:at + 8] for at in range(len(TWO_LINES) - 7)}
    texts = [path.read_text(errors="replace") for path in root.rglob("*")
             if path.is_file() and path.name != "secrets.env"]
    assert [piece for piece in pieces for text in texts if piece in text] == []


@pytest.mark.parametrize("secret", ["first-Yk31pQ\nsecond-Hh72", "tôkén-ÄÖ-1234\t\x01x",
                                    'qu"o\\te-Kk77x'])
def test_a_secret_written_in_yson_text_is_masked(secret):
    """yt.yson's writer (a job of yt-framework's writes its statistics with it) escapes
    otherwise than ytjobs does: non-ASCII bytes as `\\xC3`, a line break as `\\n`."""
    yson = pytest.importorskip("yt.yson")
    from yt_pipeline.secret_forms import all_forms, mask_text
    from ytjobs.statistics import to_yson

    for written in (yson.dumps({"k": {secret: 1}}, yson_format="text").decode(),
                    to_yson({"k": {secret: 1}})):
        assert mask_text(written, all_forms([secret])) == '{"k"={"***"=1;};}'
