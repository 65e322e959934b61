"""Custom statistics from a job: `write_statistics({"rows": {"bad": 3}})`.

A cluster's job proxy reads fd 5 of every user job as a YSON list fragment of maps and
sums each integer leaf over the operation under `custom/...` (sum, count, min, max; see
TUserJob::AddCustomStatistics in yt/yt/server/job_proxy/user_job.cpp). This writes one such
map in YSON text, as yt.wrapper's write_statistics does, with no dependency; dev reads fd 5
the same way. Leaves must be integers and keys non-empty (a cluster fails the job
otherwise), a job keeps at most custom_statistics_count_limit statistics (128 unless the
job's spec says more) and a path at most 512 characters.
"""

import os
from typing import Any, Mapping

#: the job's statistics pipe (JobStatisticsFD in user_job.cpp)
STATISTICS_FD = 5


def _quoted(text: str) -> str:
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 32:
            escaped.append(f"\\x{ord(char):02x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def to_yson(value: Any) -> str:
    """A statistics map in YSON text: maps of maps with integer leaves."""
    if isinstance(value, Mapping):
        return "{" + "".join(f"{_quoted(str(key))}={to_yson(item)};"
                             for key, item in value.items()) + "}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"a statistic must be an integer or a mapping of statistics, got "
                        f"{value!r}")
    return str(value)


def write_statistics(statistics: Mapping) -> None:
    """Add one sample of each statistic in `statistics` (nested mappings, integer leaves)
    to the job's custom statistics. Outside a job, where fd 5 is not open, nothing is
    written."""
    data = (to_yson(statistics) + ";\n").encode("utf-8")
    try:
        while data:
            data = data[os.write(STATISTICS_FD, data):]
    except OSError:
        pass  # not in a job: there is no statistics pipe
