"""`yt-pipeline migrate` reads files that may hold a secret's value, typed in: a stage's
config.yaml, a stage.py. Neither a diff's context lines nor a YAML error's excerpt of the
line may print it; it is masked as in a run's output."""

from __future__ import annotations

import pytest

from yt_pipeline.secret_forms import forms
from yt_pipeline.testing import invoke_cli, write_pipeline

SECRET = 'mig"rate\\SECRET-0123456789'
TOKEN = "ytok-migrate-ENV-98765"

STAGE = f"""from yt_framework.core.stage import BaseStage

# the key: {SECRET}

class S(BaseStage):
    def run(self, debug):
        return debug
"""


def dotenv_quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\") + "'"


# a quote left open on the line that holds the secret: the YAML error quotes that line
BROKEN_CONFIG = (f'client:\n  operations:\n    map:\n      api: "{SECRET}\n'
                 f'      token: {TOKEN}\n      x: [1\n')


@pytest.fixture
def pipeline(tmp_path, monkeypatch):
    monkeypatch.setenv("YT_TOKEN", TOKEN)
    return write_pipeline(tmp_path / "p", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [s]}\n",
        "configs/secrets.env": f"API_KEY={dotenv_quoted(SECRET)}\n",
        "stages/s/stage.py": STAGE,
        "stages/s/config.yaml": BROKEN_CONFIG,
    })


@pytest.mark.parametrize("diff", [True, False])
def test_migrate_prints_no_secret(pipeline, capfd, diff):
    result = invoke_cli("migrate", pipeline, *(["--diff"] if diff else []))
    assert result.exit_code == 2, result.output
    printed = result.output + "".join(capfd.readouterr())
    assert "cannot read it as YAML" in printed
    assert "api: \"***" in printed
    if diff:
        assert "# the key: ***" in printed
    shown = [form for secret in (SECRET, TOKEN) for form in forms(secret) if form in printed]
    assert shown == []
