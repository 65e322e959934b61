"""On a terminal a run draws a live table of its stages, a failed one with the start of its
error. rich draws it on the console, past the handler that masks log lines: a secret the
error quotes is masked there too, before the table cuts the error to its width (a cut
secret is no longer masked by anything)."""

from __future__ import annotations

import os
import subprocess
import sys

from test_secrets_encoded import dotenv_quoted
from test_secrets_nested import forms_of
from test_secrets_tails import pieces

from yt_pipeline.testing import write_pipeline

SECRET = 'live"TABLE\\secret-0123456789'
TOKEN = "ytok-LIVE-env-2468"

STAGE = """
from yt_pipeline import BaseStage


class Failing(BaseStage):
    def run(self, debug):
        config = self.deps.pipeline_config
        # the key starts where the table cuts the error
        raise RuntimeError("token " + config.secret("YT_TOKEN") + ", then the key at column "
                           "fifty: " + config.secret("API_KEY"))
"""


def test_the_live_table_masks_a_failed_stage_error(tmp_path):
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [failing]}\n",
        "configs/secrets.env": f"API_KEY={dotenv_quoted(SECRET)}\n",
        "stages/failing/stage.py": STAGE,
    })
    env = {**os.environ, "YT_TOKEN": TOKEN, "YTP_PROGRESS": "rich", "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    printed = done.stdout + done.stderr
    assert "token ***, then the key" in printed
    assert [form for secret in (SECRET, TOKEN)
            for form in forms_of(secret) | pieces(secret, 6) if form in printed] == []
