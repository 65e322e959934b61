"""A YTP_ line of secrets.env is a setting whose value is as secret as the file's others. A
configuration error that refuses it quotes it, and it is refused before anything else
masks the command's output: the error is masked itself, the value cut only once masked.
A setting is masked also as what it reads as: the items of a list, a quoted text
unquoted, wherever a later error or a stage's log line quotes them."""

from __future__ import annotations

import pytest
from test_secrets_encoded import folder_blobs
from test_secrets_nested import forms_of

from yt_pipeline.testing import invoke_cli, write_pipeline

SECRET = "cfg-SECRET-value-4242"
LONG = "long-SECRET-" + "x" * 80

STAGE = """
from yt_pipeline import BaseStage


class Quiet(BaseStage):
    def run(self, debug):
        self.logger.info("token is %s", self.deps.pipeline_config.get("stages.token"))
        return debug
"""

LINES = {
    "mode": f"YTP_PIPELINE__MODE={SECRET}",
    "graph": f"YTP_STAGES__GRAPH={SECRET}",
    "workers": f"YTP_PIPELINE__WORKERS={SECRET}",
    "long value, cut": f"YTP_PIPELINE__WORKERS={LONG}",
    "build folder": f"YTP_PIPELINE__BUILD_FOLDER={SECRET}",
    "listed twice": f"YTP_STAGES__ENABLED_STAGES=[{SECRET}, {SECRET}]",
    "quoted": f"YTP_PIPELINE__WORKERS=\"'{SECRET}'\"",
}


def make(root, line: str):
    return write_pipeline(root, {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [quiet]}\n",
        "configs/secrets.env": line + "\n",
        "stages/quiet/stage.py": STAGE,
    })


def shown_forms(text: str, secret: str) -> list[str]:
    # a cut value shows its start: look for that too
    return [form for form in forms_of(secret) | {secret[:30]} if form in text]


@pytest.mark.parametrize("case", list(LINES))
@pytest.mark.parametrize("command", ["run", "config", "list"])
def test_a_refused_setting_from_secrets_env_is_not_quoted(tmp_path, capfd, case, command):
    root = make(tmp_path / "p", LINES[case])
    for args in ([command, root], ["--debug", command, root]):
        result = invoke_cli(*args)
        assert result.exit_code == 2, result.output
        printed = result.output + "".join(capfd.readouterr())
        assert "error: " in printed and "***" in printed, printed
        secret = LONG if case == "long value, cut" else SECRET
        assert shown_forms(printed, secret) == []


@pytest.mark.parametrize("command", ["run", "list"])
def test_an_unknown_stage_named_in_secrets_env_is_not_quoted(tmp_path, capfd, command):
    root = make(tmp_path / "p", f"YTP_STAGES__ENABLED_STAGES=[{SECRET}]")
    result = invoke_cli(command, root)
    assert result.exit_code == 2, result.output
    printed = result.output + "".join(capfd.readouterr())
    assert "unknown stage ***" in printed
    assert shown_forms(printed, SECRET) == []


@pytest.mark.parametrize("value", [f"'{SECRET}'", f"[{SECRET}, other]", f"{{key: {SECRET}}}"])
def test_a_setting_is_masked_as_it_reads_too(tmp_path, capfd, value):
    root = make(tmp_path / "p", f'YTP_STAGES__TOKEN="{value}"')
    result = invoke_cli("run", root)
    assert result.exit_code == 0, result.output
    printed = result.output + "".join(capfd.readouterr())
    assert "token is " in printed
    blobs = {**folder_blobs(root), "output": printed.encode()}
    assert [name for name, data in blobs.items() for form in forms_of(SECRET)
            if form.encode() in data] == []


def test_config_masks_a_secret_written_in_config_yaml_too(tmp_path):
    """`config` hides the keys secrets.env set; the same value written in config.yaml (a
    copy, a path holding it) was printed in the clear, where every other command masks it."""
    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": "API_KEY=abc-secret-123\n",
        "stages/load/stage.py": "from yt_pipeline import BaseStage\n\nclass L(BaseStage):\n"
                                "    def run(self, debug):\n        return debug\n",
    }, config={"pipeline": {"mode": "dev", "build_folder": "//home/abc-secret-123/build"},
               "stages": {"enabled_stages": ["load"], "load": {"key_copy": "abc-secret-123"}}})
    shown = invoke_cli("config", root, "--sources")
    assert shown.exit_code == 0, shown.output
    assert "build_folder: //home/***/build" in shown.output
    assert "key_copy: ***" in shown.output and "API_KEY: '***'" in shown.output
    assert "abc-secret" not in shown.output


def test_the_resume_hint_masks_a_secret_given_with_set(tmp_path):
    """The hint repeats the run's --set overrides, shell-quoted: a secret with a quote in it
    was printed as `'it'"'"'s-...'`, a form masking does not know."""
    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": "API_KEY=\"it's-a-secret-99\"\n",
        "stages/load/stage.py": "from yt_pipeline import BaseStage\n\nclass L(BaseStage):\n"
                                "    def run(self, debug):\n        raise RuntimeError('x')\n",
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["load"]}})
    run = invoke_cli("run", root, "--set", "stages.load.key=it's-a-secret-99")
    assert run.exit_code == 1, run.output
    assert run.output.splitlines()[-1] == (
        f"to resume: yt-pipeline run {root} --set 'stages.load.key=***' --resume")
    assert "secret-99" not in run.output
