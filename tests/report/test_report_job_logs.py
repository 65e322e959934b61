"""A report shows the run it names as it was: the job logs are the run's own
(`.runs/logs/<run id>/<stage>.log`), in prod as in dev, not only the sandbox a failed dev
operation keeps until the next success; the row counts are of the run's mode."""

from __future__ import annotations

import json

from page_dom import read_page

from yt_pipeline.testing import invoke_cli, write_pipeline
from yt_pipeline_prod.testing import TEST_PROD_OPTIONS, TEST_TOKEN, fake_yt  # noqa: F401

STAGE = '''
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Count(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//logs/in", ({"n": i} for i in range(5)))
        run_map(self, self.config.client.operations.map)
        return debug
'''

MAPPER = '''
import sys

from ytjobs import load_config, read_rows, write_rows

rows = list(read_rows())
sys.stderr.write("mapper saw %d rows, run %s\\n" % (len(rows), load_config()["job"]["tag"]))
if load_config()["job"]["fail"]:
    sys.exit(4)
write_rows(rows)
'''


def _pipeline(root, tag, fail=False, mode="dev"):
    config = {"pipeline": {"mode": mode}, "stages": {"enabled_stages": ["count"]}}
    if mode == "prod":
        config["pipeline"]["prod"] = TEST_PROD_OPTIONS
    stage_config = {"job": {"tag": tag, "fail": fail},
                    "client": {"operations": {"map": {"input_table": "//logs/in",
                                                      "output_table": "//logs/out"}}}}
    return write_pipeline(root, {"stages/count/stage.py": STAGE,
                                 "stages/count/src/mapper.py": MAPPER,
                                 "stages/count/config.yaml": json.dumps(stage_config)}, config)


def _runs(root):
    return sorted(p.stem for p in (root / ".runs").glob("2*.json"))


def _page(root, *args):
    out = root / "page.html"
    result = invoke_cli("report", root, "-o", out, *args)
    assert result.exit_code == 0, result.output
    return read_page(out.read_text()).text


def test_a_prod_report_shows_the_stderr_of_the_runs_jobs(tmp_path, fake_yt, monkeypatch):  # noqa: F811
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    root = _pipeline(tmp_path / "prod", "first", mode="prod")
    (root / "configs" / "secrets.env").write_text(f"YT_PROXY={fake_yt.url}\nYT_TOKEN={TEST_TOKEN}\n")
    result = invoke_cli("run", root)
    assert result.exit_code == 0, result.output
    [run_id] = _runs(root)
    text = _page(root)
    assert "mapper saw 5 rows, run first" in text
    assert f".runs/logs/{run_id}/count.log" in text


def test_an_older_dev_run_shows_its_failed_jobs_after_a_later_success(tmp_path):
    root = _pipeline(tmp_path / "dev", "broken", fail=True)
    assert invoke_cli("run", root).exit_code == 1
    _pipeline(root, "fixed")
    assert invoke_cli("run", root, "--resume").exit_code == 0
    failed, succeeded = _runs(root)
    # the success removed the failed operation's sandbox; the failed run's log stays
    assert not list((root / ".dev").glob(".sandboxes/sandbox_*"))
    older = _page(root, "--run", failed)
    assert "mapper saw 5 rows, run broken" in older
    assert "run fixed" not in older
    newer = _page(root)
    assert "mapper saw 5 rows, run fixed" in newer and "run broken" not in newer


def test_a_prod_run_named_with_run_counts_the_clusters_rows(tmp_path, fake_yt, monkeypatch):  # noqa: F811
    """The configured mode is dev; `--run` names a prod run of the same folder."""
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    root = _pipeline(tmp_path / "both", "both")
    config = root / "configs" / "config.yaml"
    config.write_text(config.read_text().replace("mode: dev", "mode: dev\n  prod: "
                                                 + json.dumps(TEST_PROD_OPTIONS)))
    (root / "configs" / "secrets.env").write_text(f"YT_PROXY={fake_yt.url}\nYT_TOKEN={TEST_TOKEN}\n")
    result = invoke_cli("run", root, "--set", "pipeline.mode=prod")
    assert result.exit_code == 0, result.output
    [prod_run] = _runs(root)
    assert invoke_cli("run", root).exit_code == 0
    (root / ".dev" / "logs" / "out.jsonl").unlink()  # dev's table is gone, prod's is there
    out = root / "page.html"
    assert invoke_cli("report", root, "--run", prod_run, "-o", out).exit_code == 0
    page = read_page(out.read_text())
    assert f"run {prod_run}" in page.text
    assert page.tables == {"//logs/out": "5"}
    assert invoke_cli("report", root, "-o", out).exit_code == 0  # the newest dev run
    dev_page = read_page(out.read_text())
    assert dev_page.tables == {"//logs/out": ""} and "does not exist" in dev_page.text
