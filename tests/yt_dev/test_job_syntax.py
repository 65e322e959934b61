"""A job script with syntax newer than Python 3.8 runs in dev (the pipeline's interpreter)
but fails every job on a cluster, whose stock image runs jobs with python3 3.8: dev says so
before the jobs start, naming the file and the line, and still runs them."""

from __future__ import annotations

import subprocess

import pytest

from yt_pipeline.job_syntax import cluster_problems, newer_syntax

MAPPER_310 = """\
from ytjobs import read_rows, write_rows


def label(rows):
    for row in rows:
        match row:
            case {"n": 0}:
                row["label"] = "zero"
            case _:
                row["label"] = "other"
        yield row


write_rows(label(read_rows()))
"""

STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Label(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//tmp/syntax/in", [{"n": 0}, {"n": 1}])
        run_map(self, self.config.client.operations.map)
        return debug
"""

CONFIG = """
client:
  operations:
    map:
      input_table: //tmp/syntax/in
      output_table: //tmp/syntax/out
"""


def pipeline(make_pipeline, mapper: str, resources: str = ""):
    return make_pipeline({"stages/label/stage.py": STAGE,
                          "stages/label/config.yaml": CONFIG + resources,
                          "stages/label/src/mapper.py": mapper},
                         config={"pipeline": {"mode": "dev"},
                                 "stages": {"enabled_stages": ["label"]}})


def test_newer_syntax_is_named_with_its_file_and_line(make_pipeline, run_cli):
    root = pipeline(make_pipeline, MAPPER_310)
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, result.output
    assert "stages/label/src/mapper.py:6: Pattern matching" in warnings[0]
    assert "python3 3.8" in warnings[0]
    rows = (root / ".dev/tmp/syntax/out.jsonl").read_text().splitlines()
    assert rows == ['{"n":0,"label":"zero"}', '{"n":1,"label":"other"}']


def test_code_that_parses_as_3_8_and_an_own_image_are_left_alone(make_pipeline, run_cli):
    plain = MAPPER_310.replace("        match row:\n            case {\"n\": 0}:\n"
                               "                row[\"label\"] = \"zero\"\n"
                               "            case _:\n                row[\"label\"] = \"other\"\n",
                               "        row[\"label\"] = \"zero\" if row[\"n\"] == 0 else \"other\"\n")
    assert "match" not in plain
    result = run_cli("run", pipeline(make_pipeline, plain))
    assert result.exit_code == 0 and "WARNING" not in result.output, result.output
    image = "      resources: {docker_image: 'my/python:3.12'}\n"
    result = run_cli("run", pipeline(make_pipeline, MAPPER_310, image))
    assert result.exit_code == 0 and "WARNING" not in result.output, result.output


@pytest.mark.parametrize("source", [
    MAPPER_310,
    "with (open('a') as f, open('b') as g):\n    pass\n",
    "try:\n    pass\nexcept* ValueError:\n    pass\n",
])
def test_what_is_named_is_what_python_3_8_refuses(tmp_path, source):
    script = tmp_path / "job.py"
    script.write_text(source)
    interpreter = pytest.importorskip("yt_pipeline_prod.fake.interpreter")
    python = interpreter.oldest_python()  # what the fake runs jobs with: 3.8 if there is one
    if interpreter.python_version(python) != "3.8":
        pytest.skip(f"needs Python 3.8; the oldest here is {interpreter.python_version(python)}")
    compiled = subprocess.run([python, "-m", "py_compile", str(script)],
                              capture_output=True, text=True)
    assert compiled.returncode != 0 and "SyntaxError" in compiled.stderr
    assert newer_syntax(script) is not None


def test_a_file_no_python_parses_is_left_to_the_job(tmp_path):
    script = tmp_path / "job.py"
    script.write_text("def f(:\n")
    assert newer_syntax(script) is None


MANY_PROBLEMS = """\
def first(x: str | None):
    match x:
        case "a":
            return 1
    return 2


try:
    pass
except* ValueError:
    pass
with (open("a") as a, open("b") as b):
    pass
"""


def test_every_problem_of_a_file_is_named_at_once(tmp_path, make_pipeline, run_cli):
    # Python 3.8's parser stops at the first; each found is set aside and the file parsed
    # again, so that the second is not found only once the first is fixed
    script = tmp_path / "job.py"
    script.write_text(MANY_PROBLEMS)
    assert [(line, error) for line, _, error in cluster_problems(script)] == [
        (1, "an error as the line runs"), (2, "SyntaxError"), (8, "SyntaxError"),
        (12, "SyntaxError")]
    assert newer_syntax(script) == (
        "line 2: Pattern matching is only supported in Python 3.10 and greater; "
        "line 8: Exception groups are only supported in Python 3.11 and greater; "
        "line 12: Parenthesized context managers are only supported in Python 3.9 and "
        "greater")
    root = pipeline(make_pipeline, MANY_PROBLEMS + MAPPER_310)
    result = run_cli("run", root)  # its jobs fail in dev too: they open files that are not
    warnings = [line for line in result.output.splitlines() if "python3 3.8" in line]
    assert len(warnings) == 1, result.output
    shown = "stages/label/src/mapper.py"
    assert (f"{shown}:1: `X | Y` between types evaluated at run time is new in Python 3.10 "
            f"(use typing.Optional or typing.Union); {shown}:2: Pattern matching is only "
            f"supported in Python 3.10 and greater; {shown}:8: Exception groups") in warnings[0]
    assert f"; {shown}:19: Pattern matching is only" in warnings[0]
    assert warnings[0].endswith("fails with SyntaxError or an error as the line runs")
