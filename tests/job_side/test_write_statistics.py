"""ytjobs.write_statistics under a cluster's bare Python: YSON text at fd 5 that dev's reader
(and a cluster's job proxy) sums, and nothing at all outside a job."""

from __future__ import annotations

import os

import msgspec
from bare_python import run_bare

from yt_pipeline.job_statistics import job_summaries

SCRIPT = """
from ytjobs import write_statistics
write_statistics({"rows": {"bad": 3, "good": 40}})
write_statistics({"rows": {"bad": 1}, 'a "quoted" key': 7})
"""


def test_write_statistics_writes_yson_a_job_proxy_reads(tmp_path):
    target = tmp_path / "fd5"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        done = run_bare(["-c", f"import os; os.dup2({fd}, 5); exec({SCRIPT!r})"],
                        pass_fds=(fd,))
    finally:
        os.close(fd)
    assert done.returncode == 0, done.stderr
    assert target.read_bytes() == (b'{"rows"={"bad"=3;"good"=40;};};\n'
                                   b'{"rows"={"bad"=1;};"a \\"quoted\\" key"=7;};\n')
    summaries = {path: msgspec.structs.asdict(s) for path, s in job_summaries(target.read_bytes()).items()}
    assert summaries == {
        "/custom/rows/bad": {"sum": 4, "count": 2, "min": 1, "max": 3},
        "/custom/rows/good": {"sum": 40, "count": 1, "min": 40, "max": 40},
        '/custom/a "quoted" key': {"sum": 7, "count": 1, "min": 7, "max": 7}}


def test_outside_a_job_nothing_is_written_and_nothing_fails():
    done = run_bare(["-c", SCRIPT + "print('went on')"])
    assert (done.returncode, done.stdout, done.stderr) == (0, b"went on\n", b"")
