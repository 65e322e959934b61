"""`yt-pipeline table head|ls|schema` print what a table holds: a secret of secrets.env
written into a table's values, its column names or its folder's names is masked there, in
JSON lines and in the rich table alike, as every other command's output is."""

from __future__ import annotations

import pytest
from secret_scan import scan_bytes

from yt_pipeline.testing import invoke_cli, write_pipeline

TOKEN = "tok<b>&amp;(.*)[x]+?|^$\\d{2}-Rx9"
NLSEC = "first-Ab\nsecond-Cd"
TBLSEC = "tblsec-77"
ENV = ('YT_TOKEN="tok<b>&amp;(.*)[x]+?|^$\\\\d{2}-Rx9"\nNLSEC="first-Ab\\nsecond-Cd"\n'
       "TBLSEC=tblsec-77\n")
LOAD = """
from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        cfg = self.deps.pipeline_config
        token, nl = cfg.secret("YT_TOKEN"), cfg.secret("NLSEC")
        rows = [{"id": i, "v": "x " + token + " y", token: i, "w": [nl]} for i in range(2)]
        self.deps.yt_client.write_table("//tmp/tt/" + cfg.secret("TBLSEC"), [{"id": 0}])
        self.deps.yt_client.write_table("//tmp/tt/rows", rows)
        return debug
"""


@pytest.fixture
def loaded(tmp_path, monkeypatch):
    for name in ("YT_TOKEN", "NLSEC", "TBLSEC"):
        monkeypatch.delenv(name, raising=False)
    root = write_pipeline(tmp_path / "p", {"configs/secrets.env": ENV,
                                           "stages/load/stage.py": LOAD},
                          config={"pipeline": {"mode": "dev"},
                                  "stages": {"enabled_stages": ["load"]}})
    assert invoke_cli("run", str(root)).exit_code == 0
    return root


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_table_head_masks_secrets_in_rows(loaded, fmt):
    result = invoke_cli("table", "head", "//tmp/tt/rows", "--format", fmt, "-C", str(loaded))
    assert result.exit_code == 0, result.output
    assert "***" in result.output and "x *** y" in result.output.replace("\n", " ")
    leaks = scan_bytes("table head", result.output.encode(), [TOKEN, NLSEC, TBLSEC])
    assert [str(leak) for leak in leaks] == []


@pytest.mark.parametrize("command", [["ls", "//tmp/tt"], ["schema", "//tmp/tt/rows"]])
def test_table_ls_and_schema_mask_names(loaded, command):
    result = invoke_cli("table", *command, "--format", "json", "-C", str(loaded)) \
        if command[0] == "schema" else invoke_cli("table", *command, "-C", str(loaded))
    assert result.exit_code == 0, result.output
    assert "***" in result.output
    leaks = scan_bytes("table " + command[0], result.output.encode(), [TOKEN, NLSEC, TBLSEC])
    assert [str(leak) for leak in leaks] == []
