"""A cluster keeps at most `max_stderr_size` bytes of a job's stderr (5 MB unless the user
job spec gives it; more than 0 and at most 1 GB: TUserJobSpec in
yt/yt/ytlib/scheduler/config.cpp): the job proxy's TStderrWriter
(yt/yt/server/job_proxy/stderr_writer.cpp) keeps the first half of the limit and the last
half of the rest, joined by "\\n...skipped...\\n" when bytes between were dropped. The fake
kept all of it, so a job log or a failure's stderr tail could show what a cluster does not
keep."""

from __future__ import annotations

import pytest
from prod_packages import build_package
from test_prod_operations import launch, spec_for

from yt_pipeline.errors import BackendError, OperationFailed

#: a job that writes a head, `middle` bytes, a last line, and fails
NOISY_FAILURE = """
import os, sys
middle = int(os.environ["MIDDLE"])
sys.stderr.write("HEAD-" + "a" * 995)
sys.stderr.write("m" * middle)
sys.stderr.write("b" * 986 + "the last line\\n")
sys.stderr.flush()
sys.exit(4)
"""


def _failed(prod_client, fake_yt, tmp_path, middle: int, limit: int | None,
            error: type[Exception] = OperationFailed) -> Exception:
    fake_yt.put_table("//tmp/in", [{"id": 1}])
    package = build_package(tmp_path / ".build", {"clean": {"src/noisy.py": NOISY_FAILURE}})
    extra = {} if limit is None else {"mapper": {"max_stderr_size": limit}}
    spec = spec_for("map", package, tmp_path, name="noisy", input_tables=["//tmp/in"],
                    output_tables=["//tmp/out"], mapper="src/noisy.py",
                    env={"MIDDLE": str(middle)}, max_failed_job_count=1, extra_spec=extra)
    with pytest.raises(error) as caught:
        launch(prod_client, spec)
    return caught.value


def _job_stderr(prod_client, operation_id: str) -> bytes:
    yt = prod_client.yt()
    [job] = yt.list_jobs(operation_id)["jobs"]
    return yt.get_job_stderr(operation_id, job["id"]).read()


def test_a_long_stderr_keeps_its_head_and_tail(prod_client, fake_yt, tmp_path):
    failure = _failed(prod_client, fake_yt, tmp_path, middle=50_000, limit=2000)
    kept = _job_stderr(prod_client, failure.operation_id)
    assert kept == (b"HEAD-" + b"a" * 995 + b"\n...skipped...\n" + b"b" * 986
                    + b"the last line\n")
    # the failure still tells the job's last line, which a cluster keeps
    assert "the last line" in failure.stderr_tail


def test_a_stderr_that_fits_is_kept_whole(prod_client, fake_yt, tmp_path):
    # 1000 + 500 + 1000 bytes under a 4000-byte limit: the tail buffer never wraps
    failure = _failed(prod_client, fake_yt, tmp_path, middle=500, limit=4000)
    kept = _job_stderr(prod_client, failure.operation_id)
    assert kept == b"HEAD-" + b"a" * 995 + b"m" * 500 + b"b" * 986 + b"the last line\n"


def test_the_default_limit_is_five_megabytes(prod_client, fake_yt, tmp_path):
    failure = _failed(prod_client, fake_yt, tmp_path, middle=6 * 1024 * 1024, limit=None)
    kept = _job_stderr(prod_client, failure.operation_id)
    half = 5 * 1024 * 1024 // 2
    assert len(kept) == 2 * half + len(b"\n...skipped...\n")
    assert kept.startswith(b"HEAD-") and kept.endswith(b"the last line\n")
    assert kept[half:half + 15] == b"\n...skipped...\n"


@pytest.mark.parametrize("limit", [0, 1024**3 + 1])
def test_a_max_stderr_size_out_of_range_is_refused(prod_client, fake_yt, tmp_path, limit):
    refused = _failed(prod_client, fake_yt, tmp_path, middle=0, limit=limit, error=BackendError)
    assert str(refused).startswith("start map operation: ")
    assert f"/max_stderr_size: expected a value in (0, 1073741824], found {limit}" in str(refused)
    assert fake_yt.jobs == []  # no operation started, no job ran
