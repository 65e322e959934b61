"""An operation section planned before its job script is written (the stage config of the
project's first guide: resources, no src/mapper.py yet) is a warning before the run and an
error when the stage launches it, in dev and in prod on the fake proxy."""

from __future__ import annotations

import json

import pytest

from yt_pipeline.testing import write_pipeline
from yt_pipeline_prod.testing import TEST_TOKEN


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_an_operation_whose_default_script_is_not_written_yet_warns_then_fails_at_launch(
        tmp_path, run_cli, mode, request):
    """A stage config planned before its job: an operation section with resources and no
    src/mapper.py yet. The run warns before it starts, the stages before it run, and the
    stage that launches the operation fails with the one-line error (dev, and prod on the
    fake proxy); once the script is written, --resume finishes the run."""
    first = ("from yt_pipeline import BaseStage\n\nclass First(BaseStage):\n"
             "    def run(self, debug):\n"
             "        self.deps.yt_client.write_table('//t/in', [{'n': 1}, {'n': 2}])\n"
             "        return debug\n")
    second = ("from yt_pipeline import BaseStage\nfrom yt_pipeline.operations import run_map\n\n"
              "class Second(BaseStage):\n    def run(self, debug):\n"
              "        run_map(self, self.config.client.operations.map)\n        return debug\n")
    config = {"pipeline": {"mode": mode}, "stages": {"enabled_stages": ["first", "second"]}}
    files = {"stages/first/stage.py": first, "stages/second/stage.py": second,
             "stages/second/config.yaml": "client:\n  operations:\n    map:\n"
                                          "      input_table: //t/in\n      output_table: //t/out\n"
                                          "      resources: {memory_limit_gb: 4, job_count: 2}\n"}
    if mode == "prod":
        fake_yt = request.getfixturevalue("fake_yt")
        config["pipeline"].update(build_folder="//t/build",
                                  prod={"retries": False, "poll_interval_s": 0.05})
        files["configs/secrets.env"] = f"YT_PROXY={fake_yt.url}\nYT_TOKEN={TEST_TOKEN}\n"
    root = write_pipeline(tmp_path / "p", files, config=config)
    missing = ("stages/second/config.yaml: client.operations.map.mapper: stage second: script "
               "src/mapper.py not found")
    result = run_cli("run", root)
    assert result.exit_code == 1, result.output
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and missing in warnings[0]
    assert f"error: stage second failed: {missing}" in result.stderr
    read = (fake_yt.rows if mode == "prod" else
            lambda path: [json.loads(x) for x in (root / ".dev/t/in.jsonl").read_text().split()])
    assert read("//t/in") == [{"n": 1}, {"n": 2}]

    (root / "stages/second/src").mkdir()
    (root / "stages/second/src/mapper.py").write_text(
        "from ytjobs import read_rows, write_rows\nwrite_rows(dict(r, m=2) for r in read_rows())\n")
    result = run_cli("run", root, "--resume")
    assert result.exit_code == 0, result.output
    out = (fake_yt.rows("//t/out") if mode == "prod" else
           [json.loads(x) for x in (root / ".dev/t/out.jsonl").read_text().split()])
    assert sorted(out, key=lambda r: r["n"]) == [{"n": 1, "m": 2}, {"n": 2, "m": 2}]
