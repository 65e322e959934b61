"""A one-stage dev pipeline whose map section holds a value a cluster refuses: the run must
stop with one error line naming the file and key, before any stage runs (shared by the
checks of pool names and of spec values)."""

from __future__ import annotations

from pathlib import Path

from yt_pipeline.testing import invoke_cli, write_pipeline

MAP_SECTION = ("client:\n  operations:\n    map:\n      input_table: //tmp/in\n"
               "      output_table: //tmp/out\n")
#: a stage that leaves a table behind when it runs, so a run that should have stopped
#: before it shows it did not
MARKING_STAGE = """
from yt_pipeline import BaseStage


class Noop(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//tmp/ran", [{"ran": True}])
        return debug
"""


def refused_before_the_run(folder: Path, section: str, key: str, words: str) -> None:
    """A dev run of one stage whose config is MAP_SECTION + `section` fails with one error
    line naming the config file and `key` and saying `words`, before any stage ran."""
    root = write_pipeline(folder / "p", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [noop]}\n",
        "stages/noop/stage.py": MARKING_STAGE,
        "stages/noop/src/mapper.py": "import sys\nsys.stdout.write(sys.stdin.read())\n",
        "stages/noop/config.yaml": MAP_SECTION + section,
    })
    result = invoke_cli("run", str(root))
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert f"stages/noop/config.yaml: {key}" in errors[0] and words in errors[0], errors[0]
    assert not (root / ".dev" / "tmp" / "ran.jsonl").exists()  # no stage ran
