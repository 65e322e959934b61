"""A --config file that does not exist is named in the error, and its name is the user's
to write: one holding a secret of secrets.env (`configs/<token>.yaml`) is masked there,
though the error comes before any configuration has loaded (and with it the masking of
the command's output)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from secret_scan import scan_folder
from test_secrets_nested import forms_of

from yt_pipeline.testing import invoke_cli, write_pipeline

SECRET = "cfg-path-SECRET-4242"

STAGE = ("from yt_pipeline import BaseStage\n\nclass W(BaseStage):\n"
         "    def run(self, debug):\n        return debug\n")
SCRIPT = ("from yt_pipeline import DefaultPipeline\n\n"
          "if __name__ == '__main__':\n    DefaultPipeline.main()\n")


def make(root):
    return write_pipeline(root, {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [w]}\n",
        "configs/secrets.env": f"API_KEY={SECRET}\n",
        "stages/w/stage.py": STAGE,
        "pipeline.py": SCRIPT,
    })


def shown(text: str) -> list[str]:
    return [form for form in forms_of(SECRET) if form in text]


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_pipeline_py_masks_a_missing_config_named_by_a_secret(tmp_path, debug):
    # neither in the current folder nor in the pipeline's: the error names both places
    root = make(tmp_path / "p")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run([sys.executable, str(root / "pipeline.py"), *debug, "--config",
                           f"configs/{SECRET}.yaml"], cwd=elsewhere, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last == (f"error: configs/***.yaml: configuration file does not exist, neither in "
                    f"the current folder nor in the pipeline's folder {root}")
    assert shown(done.stdout + done.stderr) == []


@pytest.mark.parametrize("where", ["pipeline folder", "elsewhere"])
def test_run_masks_a_missing_config_named_by_a_secret(tmp_path, monkeypatch, where):
    root = make(tmp_path / "p")
    cwd = root if where == "pipeline folder" else tmp_path
    monkeypatch.chdir(cwd)
    result = invoke_cli("run", root, "--config", f"configs/{SECRET}.yaml")
    assert result.exit_code == 2, result.output
    expected = "configs/***.yaml" if cwd == root else f"{tmp_path}/configs/***.yaml"
    assert result.output.strip().splitlines()[-1] == (
        f"error: {expected}: configuration file does not exist")
    assert shown(result.output) == []


def test_a_missing_config_named_otherwise_is_shown_whole(tmp_path, monkeypatch):
    root = make(tmp_path / "p")
    monkeypatch.chdir(root)
    result = invoke_cli("run", root, "--config", "configs/large.yaml")
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1] == (
        "error: configs/large.yaml: configuration file does not exist")


@pytest.mark.parametrize("case", ["a folder", "given twice"])
def test_a_refused_config_option_is_masked(tmp_path, monkeypatch, case):
    # click refuses these before the command runs, quoting the values given
    root = make(tmp_path / "p")
    (root / "configs" / f"{SECRET}.d").mkdir()
    monkeypatch.chdir(tmp_path)
    args = (["--config", f"{root}/configs/{SECRET}.d"] if case == "a folder" else
            ["--config", f"{root}/configs/config.yaml", "--config", f"{SECRET}.yaml"])
    result = invoke_cli("run", root, *args)
    assert result.exit_code == 2, result.output
    last = result.output.strip().splitlines()[-1]
    if case == "a folder":
        assert f"File '{root}/configs/***.d' is a directory" in last, last
    else:
        assert f"given 2 times ({root}/configs/config.yaml, ***.yaml)" in last, last
    assert shown(result.output) == []


def test_pipeline_py_masks_a_refused_config_option(tmp_path):
    # the pipeline's folder is that of pipeline.py: its secrets.env masks, run from elsewhere
    root = make(tmp_path / "p")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run([sys.executable, str(root / "pipeline.py"), "--config", "a.yaml",
                           "--config", f"{SECRET}.yaml"], cwd=elsewhere, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "given 2 times (a.yaml, ***.yaml)" in done.stderr, done.stderr
    assert shown(done.stdout + done.stderr) == []


def test_a_run_keeps_no_config_path_that_holds_a_secret(tmp_path):
    # the configuration read is kept parsed in .runs/yaml, which named its file in the clear
    root = make(tmp_path / "p")
    (root / "configs" / f"{SECRET}.yaml").write_text(
        "pipeline: {mode: dev}\nstages: {enabled_stages: [w]}\n")
    for _ in range(2):  # the second run reads what the first kept
        done = subprocess.run([sys.executable, str(root / "pipeline.py"), "--config",
                               f"configs/{SECRET}.yaml"], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert shown(done.stdout + done.stderr) == []
    assert list((root / ".runs" / "yaml").glob("*.json")) != []
    # the configuration files are the user's, named as the user chose
    assert [str(leak) for leak in scan_folder(root, [SECRET])
            if not leak.where.startswith("configs/")] == []
