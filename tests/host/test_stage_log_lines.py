"""A stage's own log lines carry its name, as the runner's lines about it do."""

from __future__ import annotations

import json

from yt_pipeline.testing import write_pipeline

STAGE = """
from yt_pipeline import BaseStage


class Talk(BaseStage):
    def run(self, debug):
        self.logger.info("hello from %s", self.name)
        return debug
"""


def test_stage_lines_start_with_the_stage_name(tmp_path, run_cli):
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": json.dumps({"stages": {"graph": {"left": [], "right": []}},
                                           "pipeline": {"mode": "dev"}}),
        "stages/left/stage.py": STAGE, "stages/right/stage.py": STAGE,
    })
    result = run_cli("run", str(root))
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    for name in ("left", "right"):
        [line] = [x for x in lines if f"hello from {name}" in x]
        assert line.split(" ", 2)[2].lstrip() == f"[{name}] hello from {name}", line


def test_each_run_keeps_its_console_lines_masked(tmp_path, run_cli):
    secret = "p4ss-w0rd-in-secrets-env"
    stage = STAGE.replace('self.logger.info("hello from %s", self.name)',
                          'self.logger.info("hello from %s, key %s", self.name, '
                          'self.deps.pipeline_config.secret("API_KEY"))')
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": json.dumps({"stages": {"enabled_stages": ["solo"]},
                                           "pipeline": {"mode": "dev"}}),
        "configs/secrets.env": f"API_KEY={secret}\n",
        "stages/solo/stage.py": stage,
    })
    result = run_cli("run", str(root))
    assert result.exit_code == 0, result.output
    [log_file] = list((root / ".runs").glob("*.log"))
    text = log_file.read_text()
    assert log_file.stem in text  # "run <id>: 1 stage(s), mode dev"
    assert "[solo] hello from solo, key ***" in text and "[solo] done in" in text
    assert secret not in text
