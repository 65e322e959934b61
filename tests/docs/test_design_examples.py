"""The examples of the project's design document (../shared/DESIGN.md, which carries the
stage model, the configuration layers and the DAG of the first guides) run as written, with
their own names, in dev and in prod on the fake proxy; each checks the rows it leaves.

The stage code is read from the document itself, so a change there that the code no longer
runs is found here. Without the document beside the checkout the tests are skipped."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from yt_pipeline.testing import write_pipeline
from yt_pipeline_prod.testing import TEST_TOKEN, fake_yt  # noqa: F401 - a fixture

DESIGN = Path(__file__).resolve().parents[2].parent / "shared" / "DESIGN.md"

pytestmark = pytest.mark.skipif(not DESIGN.is_file(), reason=f"{DESIGN} is not here")


def _block(after_heading: str, language: str) -> str:
    """The first fenced block of `language` after a heading of DESIGN.md."""
    text = DESIGN.read_text(encoding="utf-8")
    start = text.index(after_heading)
    found = re.search(rf"```{language}\n(.*?)```", text[start:], re.S)
    assert found is not None, f"no {language} block after {after_heading!r} in {DESIGN}"
    return found.group(1)


MAPPER = """
from ytjobs import read_rows, write_rows

write_rows({**row, "greeting": "hello " + row["name"]} for row in read_rows())
"""


def _process_data(root: Path, mode: str, url: str = "") -> Path:
    stage = _block("### Stage model", "python")
    assert "class ProcessData(BaseStage)" in stage and "run_map(" in stage
    config = {"pipeline": {"mode": mode}, "stages": {"enabled_stages": ["process_data"]}}
    files = {
        "stages/process_data/stage.py": stage,
        "stages/process_data/src/mapper.py": MAPPER,
        "stages/process_data/config.yaml": json.dumps({"client": {
            "input_table": "//tmp/design/users", "output_table": "//tmp/design/users_copy",
            "operations": {"map": {"input_table": "//tmp/design/users_copy",
                                   "output_table": "//tmp/design/greetings",
                                   "resources": {"job_count": 2}}}}}),
    }
    if mode == "prod":
        config["pipeline"].update(build_folder="//tmp/design/build",
                                  prod={"retries": False, "poll_interval_s": 0.05})
        files["configs/secrets.env"] = f"YT_PROXY={url}\nYT_TOKEN={TEST_TOKEN}\n"
    return write_pipeline(root, files, config=config)


USERS = [{"id": i, "name": name} for i, name in enumerate(["ann", "bob", "cy"])]


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_the_stage_model_example_runs_as_written(tmp_path, run_cli, mode, request):
    if mode == "prod":
        fake = request.getfixturevalue("fake_yt")
        fake.put_table("//tmp/design/users", USERS)
        root = _process_data(tmp_path / "p", mode, fake.url)

        def rows(path):
            return fake.rows(path)
    else:
        root = _process_data(tmp_path / "p", mode)
        (root / ".dev/tmp/design").mkdir(parents=True)
        (root / ".dev/tmp/design/users.jsonl").write_text(
            "".join(json.dumps(row) + "\n" for row in USERS))

        def rows(path):
            table = root / ".dev" / (path.lstrip("/") + ".jsonl")
            return [json.loads(line) for line in table.read_text().splitlines()]
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    assert rows("//tmp/design/users_copy") == USERS
    greetings = sorted(rows("//tmp/design/greetings"), key=lambda row: row["id"])
    assert greetings == [{**row, "greeting": "hello " + row["name"]} for row in USERS]
    assert _debug_of(root, mode, "process_data")["count"] == 3


def _debug_of(root: Path, mode: str, stage: str) -> dict:
    """The debug a stage returned, as the run keeps it for the stages after it."""
    kept = json.loads((root / ".runs" / f"stages.{mode}.json").read_text())
    return kept[stage]["debug"]


DAG_STAGE = """
import time

from yt_pipeline import BaseStage


class {cls}(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        started = time.time()
        {body}
        debug["{name}"] = {{"started": started, "ended": time.time()}}
        return debug
"""
BODIES = {
    "load": 'yt.write_table("//tmp/dag/raw", ({"n": n} for n in range(10)))',
    "clean_a": 'time.sleep(0.5); yt.write_table("//tmp/dag/a", '
               '(r for r in yt.read_table("//tmp/dag/raw") if r["n"] % 2))',
    "clean_b": 'time.sleep(0.5); yt.write_table("//tmp/dag/b", '
               '(r for r in yt.read_table("//tmp/dag/raw") if r["n"] % 2 == 0))',
    "report": 'yt.write_table("//tmp/dag/report", [{"a": yt.row_count("//tmp/dag/a"), '
              '"b": yt.row_count("//tmp/dag/b"), "seen": sorted(debug)}])',
}


def test_the_dag_example_runs_its_branches_at_once_and_report_after_both(tmp_path, run_cli):
    """`graph: {report: [clean_a, clean_b], clean_a: [load], ...}` (the elided entries are
    clean_b's and load's), run with two workers."""
    text = DESIGN.read_text(encoding="utf-8")
    assert "graph: {report: [clean_a, clean_b], clean_a: [load], ...}" in text
    graph = {"report": ["clean_a", "clean_b"], "clean_a": ["load"], "clean_b": ["load"],
             "load": []}
    files = {f"stages/{name}/stage.py": DAG_STAGE.format(
        cls="".join(part.title() for part in name.split("_")), body=body, name=name)
        for name, body in BODIES.items()}
    root = write_pipeline(tmp_path / "dag", files, config={
        "pipeline": {"mode": "dev"}, "stages": {"graph": graph}})
    started = time.time()
    result = run_cli("run", root, "--workers", "2")
    assert result.exit_code == 0, result.output
    report = [json.loads(x) for x in (root / ".dev/tmp/dag/report.jsonl").read_text().split("\n")
              if x]
    # report saw the debug of every stage upstream, and both branches' tables
    assert report == [{"a": 5, "b": 5, "seen": ["clean_a", "clean_b", "load"]}]
    debug = _debug_of(root, "dev", "report")
    load, a, b = debug["load"], debug["clean_a"], debug["clean_b"]
    assert started <= load["ended"] <= min(a["started"], b["started"])
    assert a["started"] < b["ended"] and b["started"] < a["ended"]  # at the same time
    assert debug["report"]["started"] >= max(a["ended"], b["ended"])
