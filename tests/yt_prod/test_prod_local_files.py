"""A stage config whose operation gives its jobs a local file (`file_paths: [models/w.json]`)
works unchanged in dev and in prod on the fake proxy: the job opens the file by its name in
its working folder. In prod the file is uploaded once beside the code archive, named by its
content: an unchanged file is not sent again, a changed one is. (A YT job's `file_paths`
are placed in the sandbox under `file_name`: ytsaurus-client's FilePath in
yt/wrapper/ypath.py; the fake mounts them the same way.)"""

from __future__ import annotations

import json

import pytest

from yt_pipeline.testing import write_pipeline
from yt_pipeline_prod.testing import TEST_TOKEN

STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Score(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        return debug
"""
MAPPER = """
import json

from ytjobs import read_rows, write_rows

with open("weights.json") as handle:
    weight = json.load(handle)["w"]
write_rows({**row, "score": row["x"] * weight} for row in read_rows())
"""


def _pipeline(root, mode, url, weight):
    config = {"stages": {"enabled_stages": ["score"]}, "pipeline": {"mode": mode}}
    files = {"stages/score/stage.py": STAGE, "stages/score/src/mapper.py": MAPPER,
             "models/weights.json": json.dumps({"w": weight}),
             "stages/score/config.yaml": json.dumps({"client": {"operations": {"map": {
                 "input_table": "//lf/in", "output_table": "//lf/out",
                 "file_paths": ["models/weights.json"]}}}})}
    if mode == "prod":
        config["pipeline"]["prod"] = {"retries": False, "poll_interval_s": 0.05}
        config["pipeline"]["build_folder"] = "//lf/build"
        files["configs/secrets.env"] = f"YT_PROXY={url}\nYT_TOKEN={TEST_TOKEN}\n"
    else:
        files[".dev/lf/in.jsonl"] = '{"x": 1}\n{"x": 2}\n'
    files["configs/config.yaml"] = json.dumps(config)
    return write_pipeline(root, files)


def test_the_same_local_file_config_runs_in_dev_and_prod(tmp_path, run_cli, fake_yt):
    dev = _pipeline(tmp_path / "dev", "dev", "", 10)
    assert run_cli("run", str(dev)).exit_code == 0
    dev_rows = [json.loads(x) for x in (dev / ".dev/lf/out.jsonl").read_text().splitlines()]
    fake_yt.put_table("//lf/in", [{"x": 1}, {"x": 2}])
    prod = _pipeline(tmp_path / "prod", "prod", fake_yt.url, 10)
    result = run_cli("run", str(prod))
    assert result.exit_code == 0, result.output
    assert fake_yt.rows("//lf/out") == dev_rows == [{"x": 1, "score": 10}, {"x": 2, "score": 20}]
    uploads = fake_yt.calls["write_file"]
    assert uploads == 2  # the code archive and the file

    assert run_cli("run", str(prod)).exit_code == 0
    assert fake_yt.calls["write_file"] == uploads  # unchanged: nothing sent again

    (prod / "models/weights.json").write_text(json.dumps({"w": 3}))
    assert run_cli("run", str(prod)).exit_code == 0
    assert fake_yt.calls["write_file"] == uploads + 1  # the new content only
    assert fake_yt.rows("//lf/out") == [{"x": 1, "score": 3}, {"x": 2, "score": 6}]


def test_a_folder_or_a_file_outside_is_one_line_before_anything_is_sent(tmp_path, run_cli,
                                                                        fake_yt):
    fake_yt.put_table("//lf/in", [{"x": 1}])
    root = _pipeline(tmp_path / "p", "prod", fake_yt.url, 1)
    config = json.loads((root / "stages/score/config.yaml").read_text())
    config["client"]["operations"]["map"]["file_paths"] = ["models"]
    (root / "stages/score/config.yaml").write_text(json.dumps(config))
    result = run_cli("run", str(root))
    assert result.exit_code != 0
    assert "file_paths entry models is a folder: declare it under `checkpoints:`" in result.stderr
    assert fake_yt.specs == []


def test_two_files_of_one_name_are_refused_in_both_modes_before_anything_is_sent(
        tmp_path, run_cli, fake_yt):
    # A cluster's controller refuses an operation two of whose files have one name in the
    # job's folder ("Duplicate user file name"), the code archive (source.tar.gz) included;
    # dev used to copy the second over the first.
    fake_yt.put_table("//lf/in", [{"x": 1}])
    for mode in ("dev", "prod"):
        root = _pipeline(tmp_path / mode, mode, fake_yt.url, 1)
        (root / "other").mkdir()
        (root / "other/weights.json").write_text(json.dumps({"w": 5}))
        (root / "other/source.tar.gz").write_text("not the archive")
        config = json.loads((root / "stages/score/config.yaml").read_text())
        operation = config["client"]["operations"]["map"]
        for entries, named in ((["models/weights.json", "other/weights.json"], "weights.json"),
                               (["other/source.tar.gz"], "source.tar.gz")):
            operation["file_paths"] = entries
            (root / "stages/score/config.yaml").write_text(json.dumps(config))
            result = run_cli("run", str(root))
            assert result.exit_code != 0, mode
            assert (f"would both be {named} in the job's working folder"
                    in " ".join(result.output.split())), (mode, result.output)
    assert fake_yt.specs == [] and fake_yt.calls["write_file"] == 0


TOOL_MAPPER = """
import subprocess

from ytjobs import read_rows, write_rows

for row in read_rows():
    try:
        said = subprocess.run(["./" + row["tool"]], capture_output=True, text=True).stdout
    except PermissionError:
        said = "not executable"
    write_rows([{"tool": row["tool"], "said": said.strip()}])
"""


def test_an_executable_local_file_runs_in_the_job_in_both_modes(tmp_path, run_cli, fake_yt):
    # A file is executable in a YT job's folder only when marked `executable` (ytsaurus-
    # client's own upload marks it from the local file's mode); a file that is not stays
    # not, in dev as on the cluster.
    fake_yt.put_table("//lf/in", [{"tool": "tool.sh"}, {"tool": "plain.sh"}])
    tables = {}
    for mode in ("dev", "prod"):
        root = _pipeline(tmp_path / mode, mode, fake_yt.url, 1)
        (root / "stages/score/src/mapper.py").write_text(TOOL_MAPPER)
        for name in ("tool.sh", "plain.sh"):
            (root / "models" / name).write_text("#!/bin/sh\necho hello\n")
        (root / "models/tool.sh").chmod(0o755)
        (root / "models/plain.sh").chmod(0o644)
        if mode == "dev":
            (root / ".dev/lf/in.jsonl").write_text('{"tool": "tool.sh"}\n{"tool": "plain.sh"}\n')
        config = json.loads((root / "stages/score/config.yaml").read_text())
        config["client"]["operations"]["map"]["file_paths"] = ["models/tool.sh",
                                                              "models/plain.sh"]
        (root / "stages/score/config.yaml").write_text(json.dumps(config))
        result = run_cli("run", str(root))
        assert result.exit_code == 0, result.output
        tables[mode] = ([json.loads(x) for x in (root / ".dev/lf/out.jsonl").read_text()
                         .splitlines()] if mode == "dev" else fake_yt.rows("//lf/out"))
    assert tables["dev"] == tables["prod"] == [{"tool": "tool.sh", "said": "hello"},
                                               {"tool": "plain.sh", "said": "not executable"}]


def test_prod_names_a_job_line_python_3_8_cannot_run_and_the_fake_fails_it_there(
        tmp_path, run_cli, fake_yt):
    """The fake runs jobs with the oldest Python here (3.8 where there is one), as a stock
    cluster image runs them with its python3 3.8: a mapper calling str.removeprefix fails
    its jobs there. The run says so, naming the file and line, before the operation starts."""
    interpreter = pytest.importorskip("yt_pipeline_prod.fake.interpreter")
    if interpreter.python_version(interpreter.oldest_python()) != "3.8":
        pytest.skip("needs Python 3.8 for the fake's jobs")
    fake_yt.put_table("//lf/in", [{"x": 1}])
    root = _pipeline(tmp_path / "p", "prod", fake_yt.url, 1)
    mapper = root / "stages/score/src/mapper.py"
    mapper.write_text(MAPPER + "print('x_1'.removeprefix('x_'), file=__import__('sys').stderr)\n")
    result = run_cli("run", str(root))
    assert result.exit_code != 0
    [warning] = [line for line in result.output.splitlines()
                 if "WARNING" in line and "removeprefix" in line]
    assert "stages/score/src/mapper.py:9: str.removeprefix is new in Python 3.9" in warning
    assert warning.index("WARNING") < result.output.index("FAILED")
    assert "AttributeError: 'str' object has no attribute 'removeprefix'" in result.output
    try:
        assert fake_yt.rows("//lf/out") == []
    except KeyError:
        pass  # not created: the stage's transaction was aborted


GREEDY = """
import time

from ytjobs import read_rows, write_rows

rows = list(read_rows())
held = b"x" * (200 * 1024 * 1024)  # written, so resident
time.sleep(0.3)
write_rows(rows)
"""


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_a_job_over_its_memory_limit_fails_in_both_modes(tmp_path, run_cli, fake_yt, mode):
    """A cluster's job proxy kills a user job past its memory_limit and fails it with
    "Memory limit exceeded" (job proxy error 1200; the limit is 512 MiB when the spec gives
    none, TUserJobSpec in yt/yt/ytlib/scheduler/config.cpp). The fake proxy's jobs and dev's
    are held to the same limit, so the stage fails in both modes, naming it."""
    fake_yt.put_table("//lf/in", [{"x": 1}])
    root = _pipeline(tmp_path / mode, mode, fake_yt.url, 1)
    (root / "stages/score/src/mapper.py").write_text(GREEDY)
    config = json.loads((root / "stages/score/config.yaml").read_text())
    config["client"]["operations"]["map"]["resources"] = {"memory_limit_gb": 0.1}
    (root / "stages/score/config.yaml").write_text(json.dumps(config))
    result = run_cli("run", str(root))
    assert result.exit_code != 0
    assert "Memory limit exceeded" in result.output, result.output
    assert "more than its memory limit of 102 MiB" in result.output
