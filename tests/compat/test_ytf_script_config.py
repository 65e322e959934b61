"""`python pipeline.py --config configs/<file>` started from another folder: yt-framework's
DefaultPipeline.main took a relative --config under the pipeline's folder (the folder of
pipeline.py), so its 08_multiple_configs example ran from its repository's root as well."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from yt_pipeline.testing import dump_yaml, write_pipeline

STAGE = '''
from yt_framework.core.pipeline import DebugContext
from yt_framework.core.stage import BaseStage


class Write(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        dataset = self.deps.pipeline_config.dataset
        rows = [{"id": n, "dataset": dataset.name} for n in range(dataset.size)]
        self.deps.yt_client.write_table("//trial/written", rows)
        return debug
'''


def _converted(tmp_path: Path, run_cli) -> Path:
    files = {"pipeline.py": "from yt_framework.core.pipeline import DefaultPipeline\n\n"
                            "if __name__ == '__main__':\n    DefaultPipeline.main()\n",
             "stages/write/stage.py": STAGE}
    config = {"stages": {"enabled_stages": ["write"]}, "pipeline": {"mode": "dev"}}
    root = write_pipeline(tmp_path / "p", files,
                          config={**config, "dataset": {"size": 2, "name": "small"}})
    (root / "configs" / "large.yaml").write_text(dump_yaml(
        {**config, "dataset": {"size": 4, "name": "large"}}))
    result = run_cli("migrate", str(root))
    assert result.exit_code == 0, result.output
    return root


def _script(root: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(root / "pipeline.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def _written(root: Path) -> list[dict]:
    text = (root / ".dev" / "trial" / "written.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def test_a_relative_config_is_found_in_the_pipeline_folder_from_elsewhere(tmp_path, run_cli):
    root = _converted(tmp_path, run_cli)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = _script(root, elsewhere, "--config", "configs/large.yaml")
    assert done.returncode == 0, done.stderr
    assert _written(root) == [{"id": n, "dataset": "large"} for n in range(4)]
    done = _script(root, elsewhere, "--config=configs/config.yaml")
    assert done.returncode == 0, done.stderr
    assert _written(root) == [{"id": n, "dataset": "small"} for n in range(2)]


def test_a_relative_config_in_the_current_folder_is_still_taken_from_there(tmp_path,
                                                                           run_cli):
    root = _converted(tmp_path, run_cli)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "configs").mkdir(parents=True)
    (elsewhere / "configs" / "large.yaml").write_text(dump_yaml(
        {"stages": {"enabled_stages": ["write"]}, "pipeline": {"mode": "dev"},
         "dataset": {"size": 1, "name": "here"}}))
    done = _script(root, elsewhere, "--config", "configs/large.yaml")
    assert done.returncode == 0, done.stderr
    assert _written(root) == [{"id": 0, "dataset": "here"}]


def test_a_config_in_neither_folder_is_named_with_both_places(tmp_path, run_cli):
    root = _converted(tmp_path, run_cli)
    done = _script(root, tmp_path, "--config", "configs/missing.yaml")
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert "configs/missing.yaml" in last and "configuration file does not exist" in last
    assert str(root) in last, last
