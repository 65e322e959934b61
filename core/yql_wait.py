"""How long a stage waits for one YQL query (`pipeline.yql_timeout_s`), in both modes.

Nothing else bounds the wait: the query tracker runs a query until its engine ends it, and a
query stuck in a busy pool's queue, or on a yql agent that hangs, would hold its stage and
the run with it for good. The default, one day, is far longer than a pipeline's query should
take and still ends such a wait; a longer query sets the key higher, or null to wait without
a limit. Prod aborts the query at the limit (`abort_query`), dev interrupts DuckDB's
statement; either way the stage fails with `too_long`'s line.
"""

from __future__ import annotations

from typing import Any

from yt_pipeline import limits

KEY = "pipeline.yql_timeout_s"
DEFAULT_YQL_TIMEOUT_S = 24 * 3600.0
#: at most what a job may run (30 days): beyond that, null says "no limit" more plainly
MAX_YQL_TIMEOUT_S = limits.MAX_TIMEOUT_S
EXPECTED = (f"a number of seconds (more than 0, at most {MAX_YQL_TIMEOUT_S:,}), "
            "or null to wait without a limit")
#: seconds between two lines of the log about a query still being waited for
PROGRESS_EVERY_S = 60.0


def valid(value: Any) -> bool:
    return value is None or limits.in_range(value, 0, MAX_YQL_TIMEOUT_S, low_open=True)


def configured(settings: Any) -> float | None:
    """The limit the configuration sets; the default where there is no configuration, or it
    leaves the key out. (Checked when the configuration is loaded, and again here for
    settings made some other way.)"""
    if settings is None:
        return DEFAULT_YQL_TIMEOUT_S
    value = settings.get(KEY, DEFAULT_YQL_TIMEOUT_S)
    if not valid(value):
        from yt_pipeline.errors import ConfigError

        raise ConfigError(f"must be {EXPECTED}", file=settings.source_of(KEY), key=KEY)
    return None if value is None else float(value)


def too_long(what: str, waited_s: float, limit_s: float) -> str:
    """The stage's error when a query reached the limit: what became of it, how long it was
    waited for, and the key that sets it."""
    return (f"{what} after {waited_s:.1f} s: {KEY} is {limit_s:g} s (raise it, or set it to "
            "null to wait without a limit)")
