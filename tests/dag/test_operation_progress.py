"""Progress inside a running operation: jobs done of planned and rows read, reported as
the operation goes (dev: as each job ends; prod on the fake proxy: from brief_progress),
and shown as periodic log lines when there is no live table."""

from __future__ import annotations

import json

import pytest

from yt_pipeline import op_progress
from yt_pipeline.testing import write_pipeline
from yt_pipeline_prod.testing import TEST_TOKEN, fake_yt  # noqa: F401 - a fixture

STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Mapped(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        return debug
"""
MAPPER = """
from ytjobs import read_rows, write_rows

write_rows(read_rows())
"""
ROWS = [{"i": i} for i in range(400)]


def _pipeline(root, mode, url=""):
    config = {"stages": {"enabled_stages": ["mapped"]}, "pipeline": {"mode": mode}}
    files = {"stages/mapped/stage.py": STAGE, "stages/mapped/src/mapper.py": MAPPER,
             "stages/mapped/config.yaml": json.dumps({"client": {"operations": {"map": {
                 "input_table": "//p/in", "output_table": "//p/out",
                 "resources": {"job_count": 4}}}}})}
    if mode == "prod":
        config["pipeline"]["prod"] = {"retries": False, "poll_interval_s": 0.02}
        config["pipeline"]["build_folder"] = "//p/build"
        files["configs/secrets.env"] = f"YT_PROXY={url}\nYT_TOKEN={TEST_TOKEN}\n"
    else:
        files[".dev/p/in.jsonl"] = "".join(json.dumps(r) + "\n" for r in ROWS)
    files["configs/config.yaml"] = json.dumps(config)
    return write_pipeline(root, files)


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_jobs_done_of_planned_are_reported(tmp_path, run_cli, mode, request, monkeypatch):
    url = ""
    if mode == "prod":
        fake = request.getfixturevalue("fake_yt")
        fake.put_table("//p/in", ROWS)
        url = fake.url
    seen: list[op_progress.OperationProgress] = []
    op_progress.listen(seen.append)
    monkeypatch.setattr("yt_pipeline.progress.LOG_EVERY_S", 0.0)  # every report is a line
    try:
        result = run_cli("run", str(_pipeline(tmp_path / "p", mode, url)))
    finally:
        op_progress.stop_listening(seen.append)
    assert result.exit_code == 0, result.output
    assert seen and {p.stage for p in seen} == {"mapped"}
    last = seen[-1]
    assert last.jobs_done == last.jobs_total == 4
    done = [p.jobs_done for p in seen]
    assert done == sorted(done)  # it only goes forward
    if mode == "dev":
        assert last.rows_read == len(ROWS)
        assert "[mapped] map map: 4/4 jobs, 400 rows read" in result.stderr
    else:
        assert "[mapped] map map: 4/4 jobs" in result.stderr


def test_dev_counts_rows_only_for_a_report_that_is_shown(tmp_path, run_cli, monkeypatch):
    """Counting a job's rows reads its input again: dev leaves it to the display, which
    asks only for the reports it shows (in log lines, one per operation every 10 s)."""
    import yt_pipeline_dev.launcher as launcher

    counted: list[int] = []
    real = launcher.rows_in
    monkeypatch.setattr(launcher, "rows_in",
                        lambda segments: counted.append(1) or real(segments))
    seen: list[op_progress.OperationProgress] = []
    op_progress.listen(seen.append)
    try:
        result = run_cli("run", str(_pipeline(tmp_path / "p", "dev")))
    finally:
        op_progress.stop_listening(seen.append)
    assert result.exit_code == 0, result.output
    seen = [p for p in seen if p.rows is not None]  # not the reports of input read so far
    assert [p.jobs_done for p in seen] == [1, 2, 3, 4]
    assert counted == []  # no line was shown, nothing was counted
    rows = [p.rows_read for p in seen]
    assert rows == sorted(rows) and 0 < rows[0] and rows[-1] == len(ROWS)
    assert len(counted) == 4  # every report asked: still each job's input counted once


SLOW_MAPPER = """
import time

from ytjobs import read_rows, write_rows


def slowly(rows):
    for number, row in enumerate(rows):
        if number % 5000 == 0:
            time.sleep(0.1)
        yield row


write_rows(slowly(read_rows()))
"""


def test_dev_reports_how_much_input_a_long_job_has_read(tmp_path, run_cli, monkeypatch):
    """A dev map with fewer jobs than a long input would show nothing until its jobs end:
    while they run, dev reports the share of the input sent to them (a job's stdin pipe
    holds 1 MiB, so it is about what they read), and the log line says it."""
    root = _pipeline(tmp_path / "p", "dev")
    rows = [{"i": i, "pad": "x" * 40} for i in range(80_000)]  # about 4.5 MiB
    (root / ".dev/p/in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "stages/mapped/src/mapper.py").write_text(SLOW_MAPPER)
    config = json.loads((root / "stages/mapped/config.yaml").read_text())
    config["client"]["operations"]["map"]["resources"]["job_count"] = 1
    (root / "stages/mapped/config.yaml").write_text(json.dumps(config))
    monkeypatch.setattr("yt_pipeline_dev.launcher.REPORT_EVERY_S", 0.05)
    monkeypatch.setattr("yt_pipeline.progress.LOG_EVERY_S", 0.0)
    seen: list[op_progress.OperationProgress] = []
    op_progress.listen(seen.append)
    try:
        result = run_cli("run", str(root))
    finally:
        op_progress.stop_listening(seen.append)
    assert result.exit_code == 0, result.output
    shares = [p.input_share for p in seen if p.input_share is not None]
    assert any(0 < share < 1 for share in shares), shares
    assert shares == sorted(shares)  # it only goes forward
    assert all(p.jobs_done == 0 for p in seen if p.input_share is not None)
    assert seen[-1].jobs_done == 1 and seen[-1].rows_read == len(rows)
    lines = [line for line in result.stderr.splitlines() if "% of the input read" in line]
    assert lines and all("[mapped] map map: 0/1 jobs, " in line for line in lines), lines
    assert len((root / ".dev/p/out.jsonl").read_text().splitlines()) == len(rows)
