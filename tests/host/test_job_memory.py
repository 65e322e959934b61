"""The words a job killed over its memory limit fails with (dev and the fake proxy)."""

from __future__ import annotations

import re

import pytest

from yt_pipeline.job_memory import over_limit

MIB = 1024**2


@pytest.mark.parametrize("used, shown", [(512 * MIB + 300 * 1024, 513), (600 * MIB, 600),
                                         (512 * MIB + 1, 513)])
def test_the_memory_a_killed_job_used_reads_more_than_its_limit(used, shown):
    # a job a fraction of a MiB over its limit read "used 512 MiB of memory, more than its
    # memory limit of 512 MiB": what it used is rounded up
    message = over_limit(used, 512 * MIB)
    assert message.startswith(f"used {shown} MiB of memory, more than its memory limit of "
                              "512 MiB")
    assert int(re.search(r"used (\d+) MiB", message).group(1)) > 512
    assert message.endswith("Memory limit exceeded")
