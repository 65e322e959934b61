"""Ranges of the numbers a configuration may give, so that a value that parses as a number
but means nothing (.nan, .inf, a billion jobs, a timeout of 0) is refused by name before a
run starts instead of hanging it, crashing it or disabling a safeguard."""

from __future__ import annotations

import math
from typing import Any

#: jobs of one operation: a cluster refuses more than this by default (max_job_count)
MAX_JOB_COUNT = 100_000
#: a job's time limit: 1 s at least (a cluster's scheduler refuses a shorter
#: job_time_limit: TUserJobSpec in yt/yt/ytlib/scheduler/config.cpp), up to 30 days
MIN_TIMEOUT_S = 1
MAX_TIMEOUT_S = 30 * 24 * 3600
MAX_MEMORY_GB = 4096
MAX_CPU = 1024
MAX_GPU = 64
#: an operation's max_failed_job_count: a cluster's scheduler refuses a spec above 10,000
#: (TOperationSpecBase in yt/yt/ytlib/scheduler/config.cpp: LessThanOrEqual(10000))
MAX_FAILED_JOBS = 10_000
#: how often prod checks an operation: at most once an hour
MAX_POLL_INTERVAL_S = 3600
#: a code archive kept unused for up to 100 years
MAX_TTL_DAYS = 36_500


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def in_range(value: Any, low: float, high: float, *, integer: bool = False,
             low_open: bool = False) -> bool:
    """A finite number (an int when `integer`) between `low` and `high`; `low` itself is
    allowed unless `low_open`."""
    if not is_number(value) or (integer and not isinstance(value, int)):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    above = value > low if low_open else value >= low
    return above and value <= high


def describe(low: float, high: float, *, integer: bool = False, low_open: bool = False,
             unit: str = "") -> str:
    what = "a whole number" if integer else "a number"
    lower = f"more than {low:g}" if low_open else f"{low:g} or more"
    return f"{what} ({lower}, at most {high:,}{unit})"
