"""A stage's `checkpoints:` (a model file and a vocabulary folder) work with one config in
dev and in prod on the fake proxy: every job of the stage finds them under the name
`ytjobs.get_checkpoint_path(name)` gives. In prod each is uploaded once beside the code
archive, named by its content (a folder as a reproducible tar): an unchanged checkpoint is
not sent again, a changed one is. A YT job gets its `file_paths` under their `file_name` in
its working folder (ytsaurus-client's FilePath, yt/wrapper/ypath.py; YTsaurus docs,
"Operation options": file_paths); the fake mounts them the same way, and the job command
puts each under checkpoints/. Jobs on the fake run a bare Python 3.8."""

from __future__ import annotations

import json

import pytest

from yt_pipeline.testing import write_pipeline
from yt_pipeline_prod.testing import TEST_TOKEN

STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map, run_vanilla


class Score(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        run_vanilla(self, self.config.client.operations.vanilla)
        return debug
"""
# a job that changes its working folder still finds them
MAPPER = """
import json
import os

from ytjobs import get_checkpoint_path, read_rows, write_rows

os.chdir("/")
weight = json.loads(get_checkpoint_path("model").read_text())["w"]
words = get_checkpoint_path("vocab")
names = {p.stem: p.read_text().strip() for p in (words / "words").iterdir()}
write_rows({**row, "score": row["x"] * weight, "word": names[str(row["x"])]}
           for row in read_rows())
"""
VANILLA = """
import sys

from ytjobs import get_checkpoint_path

try:
    get_checkpoint_path("nosuch")
except FileNotFoundError as error:
    sys.stderr.write("REFUSED " + str(error) + "\\n")
sys.exit(0 if (get_checkpoint_path("vocab") / "words" / "1.txt").is_file() else 1)
"""


def _pipeline(root, mode, url, weight=10, checkpoints=None):
    config = {"stages": {"enabled_stages": ["score"]}, "pipeline": {"mode": mode}}
    stage_config = {
        "checkpoints": checkpoints or {"model": "models/weights.json", "vocab": "assets/vocab"},
        "client": {"operations": {
            "map": {"input_table": "//ck/in", "output_table": "//ck/out"},
            "vanilla": {"resources": {"job_count": 2}}}}}
    files = {"stages/score/stage.py": STAGE, "stages/score/src/mapper.py": MAPPER,
             "stages/score/src/vanilla.py": VANILLA,
             "models/weights.json": json.dumps({"w": weight}),
             "assets/vocab/words/1.txt": "one\n", "assets/vocab/words/2.txt": "two\n",
             "stages/score/config.yaml": json.dumps(stage_config)}
    if mode == "prod":
        config["pipeline"]["prod"] = {"retries": False, "poll_interval_s": 0.05}
        config["pipeline"]["build_folder"] = "//ck/build"
        files["configs/secrets.env"] = f"YT_PROXY={url}\nYT_TOKEN={TEST_TOKEN}\n"
    else:
        files[".dev/ck/in.jsonl"] = '{"x": 1}\n{"x": 2}\n'
    files["configs/config.yaml"] = json.dumps(config)
    return write_pipeline(root, files)


EXPECTED = [{"x": 1, "score": 10, "word": "one"}, {"x": 2, "score": 20, "word": "two"}]


def test_one_checkpoints_config_runs_in_dev_and_on_the_fake_proxy(tmp_path, run_cli, fake_yt):
    dev = _pipeline(tmp_path / "dev", "dev", "")
    result = run_cli("run", str(dev))
    assert result.exit_code == 0, result.output
    dev_rows = [json.loads(x) for x in (dev / ".dev/ck/out.jsonl").read_text().splitlines()]
    assert dev_rows == EXPECTED
    dev_logs = "".join(p.read_text() for p in (dev / ".runs").rglob("*.log"))
    assert "REFUSED checkpoint 'nosuch' is not given to this job" in dev_logs
    assert "(this job has: model, vocab)" in dev_logs

    fake_yt.put_table("//ck/in", [{"x": 1}, {"x": 2}])
    prod = _pipeline(tmp_path / "prod", "prod", fake_yt.url)
    result = run_cli("run", str(prod))
    assert result.exit_code == 0, result.output
    assert fake_yt.rows("//ck/out") == EXPECTED
    uploads = fake_yt.calls["write_file"]
    assert uploads == 3  # the code archive, the model, the folder's tar

    assert run_cli("run", str(prod)).exit_code == 0
    assert fake_yt.calls["write_file"] == uploads  # unchanged: nothing sent again

    (prod / "assets/vocab/words/2.txt").write_text("deux\n")
    assert run_cli("run", str(prod)).exit_code == 0
    assert fake_yt.calls["write_file"] == uploads + 1  # the folder's new content only
    assert fake_yt.rows("//ck/out")[1] == {"x": 2, "score": 20, "word": "deux"}


def test_a_list_names_each_checkpoint_after_its_last_path_part(tmp_path, run_cli):
    root = _pipeline(tmp_path / "p", "dev", "",
                     checkpoints=["models/weights.json", "assets/vocab/"])
    mapper = root / "stages/score/src/mapper.py"
    mapper.write_text(mapper.read_text().replace('"model"', '"weights.json"'))
    result = run_cli("run", str(root))
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in (root / ".dev/ck/out.jsonl").read_text().splitlines()]
    assert rows == EXPECTED


@pytest.mark.parametrize("checkpoints, message", [
    ({"model": "models/nothing.bin"}, "checkpoints.model: stage score: models/nothing.bin "
                                      "not found"),
    ({"model": "../outside.bin"}, "checkpoints.model: stage score: ../outside.bin is outside "
                                  "the pipeline folder"),
    ({"model": "configs"}, "checkpoints.model: stage score: configs holds a secrets file "
                           "(secrets.env)"),
    ({"a b": "models/weights.json"}, "checkpoints.a b: stage score: checkpoint name 'a b' "
                                     "must be letters"),
    (["models/weights.json", "other/weights.json"],
     "checkpoints[1]: stage score: two checkpoints are named weights.json"),
    (7, "checkpoints: stage score: must be a mapping of names to paths"),
])
def test_a_bad_checkpoint_is_one_line_before_anything_is_sent(tmp_path, run_cli, fake_yt,
                                                              checkpoints, message):
    fake_yt.put_table("//ck/in", [{"x": 1}])
    root = _pipeline(tmp_path / "p", "prod", fake_yt.url, checkpoints=checkpoints)
    (tmp_path / "outside.bin").write_text("x")
    (root / "other").mkdir()
    (root / "other/weights.json").write_text("{}")
    result = run_cli("run", str(root))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: stages/score/config.yaml: {message}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert fake_yt.specs == [] and fake_yt.calls["write_file"] == 0
    assert TEST_TOKEN not in result.output


def test_a_misspelt_checkpoints_key_is_refused(tmp_path, run_cli):
    root = _pipeline(tmp_path / "p", "dev", "")
    config = json.loads((root / "stages/score/config.yaml").read_text())
    config["checkpoint"] = config.pop("checkpoints")
    (root / "stages/score/config.yaml").write_text(json.dumps(config))
    result = run_cli("run", str(root))
    assert result.exit_code == 2
    assert "checkpoint: unknown key: did you mean checkpoints?" in result.stderr


def test_a_changed_checkpoint_misses_the_cache(tmp_path, run_cli):
    root = _pipeline(tmp_path / "p", "dev", "")
    config = json.loads((root / "configs/config.yaml").read_text())
    config["pipeline"]["cache"] = True
    (root / "configs/config.yaml").write_text(json.dumps(config))
    assert run_cli("run", str(root)).exit_code == 0
    second = run_cli("run", str(root))
    assert "cached" in second.stderr.lower(), second.stderr
    (root / "assets/vocab/words/1.txt").write_text("uno\n")
    third = run_cli("run", str(root))
    assert third.exit_code == 0
    assert "checkpoint vocab" in third.stderr, third.stderr
    rows = [json.loads(x) for x in (root / ".dev/ck/out.jsonl").read_text().splitlines()]
    assert rows[0] == {"x": 1, "score": 10, "word": "uno"}


@pytest.mark.parametrize("link", ["assets/vocab/words/leak.txt", "models/leak.json"])
def test_a_symlink_leading_out_of_the_pipeline_is_refused(tmp_path, run_cli, fake_yt, link):
    """Inside a checkpoint folder or as the checkpoint itself: nothing outside the pipeline
    folder is packed or sent."""
    outside = tmp_path / "private.txt"
    outside.write_text("not for the cluster")
    checkpoints = {"model": "models/leak.json" if link.startswith("models") else
                   "models/weights.json", "vocab": "assets/vocab"}
    root = _pipeline(tmp_path / "p", "prod", fake_yt.url, checkpoints=checkpoints)
    (root / link).symlink_to(outside)
    result = run_cli("run", str(root))
    assert result.exit_code == 2, result.output
    assert "outside the pipeline folder" in result.stderr or "leads outside" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert fake_yt.calls["write_file"] == 0 and fake_yt.specs == []
