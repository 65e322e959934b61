"""The custom statistics of a completed operation's jobs (what they wrote to fd 5), read back
as dev gives them in OperationResult.statistics: `{"custom/x": {sum, count, min, max}}`, the
summaries of the completed jobs of every type merged.

They are read as ytsaurus-client reads them: one get_operation of the `progress` attribute
once the operation has ended (Operation.get_job_statistics in
yt/python/yt/wrapper/operation_commands.py, which Operation.wait calls after the end). The
progress holds them as `job_statistics_v2`, read first, or, from older clusters, only as
`job_statistics`; both are trees of maps, keyed by the statistic's keys as written, shaped
as fake/progress_statistics.py describes (with the YTsaurus sources it follows). The v2
shape is the one read first as its leaves are lists, which no statistic name can be taken
for; the older one's `$` level could be.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from yt_pipeline import job_statistics
from yt_pipeline.errors import YtPipelineError
from yt_pipeline.job_statistics import Summary
from yt_pipeline_prod.failures import translated

if TYPE_CHECKING:
    from yt_pipeline_prod.client import ProdClient

log = logging.getLogger("yt_pipeline.prod.operations")

CUSTOM = "custom"
COMPLETED = "completed"


def read_statistics(client: ProdClient, operation_id: str) -> dict[str, Summary]:
    """The operation's custom statistics by path (`/custom/x`, as job_statistics keeps
    them); none, with a warning, when the cluster does not give them: the operation has
    completed and its outputs stand, the statistics are only told of."""
    try:
        with translated(client, f"read the statistics of operation {operation_id}"):
            info = client.yt().get_operation(operation_id, attributes=["progress"])
    except YtPipelineError as error:
        log.warning("could not read the statistics of operation %s: %s", operation_id, error)
        return {}
    return custom_statistics((info or {}).get("progress"))


def custom_statistics(progress: Any) -> dict[str, Summary]:
    """The custom statistics of completed jobs in an operation's progress."""
    if not isinstance(progress, dict):
        return {}
    found: dict[str, Summary] = {}
    v2 = progress.get("job_statistics_v2")
    if isinstance(v2, dict):
        _walk_v2(v2.get(CUSTOM), [CUSTOM], found)
        return found
    legacy = progress.get("job_statistics")
    if isinstance(legacy, dict):
        _walk_legacy(legacy.get(CUSTOM), [CUSTOM], found)
    return found


def _summary(value: Any) -> Summary | None:
    if not isinstance(value, dict) or not int(value.get("count") or 0):
        return None
    return Summary(int(value["sum"]), int(value["count"]), int(value["min"]),
                   int(value["max"]))


def _add(found: dict[str, Summary], keys: list[str], summary: Summary | None) -> None:
    if summary is not None:
        job_statistics.merge(found, {job_statistics.path_of(keys): summary})


def _walk_v2(node: Any, keys: list[str], found: dict[str, Summary]) -> None:
    """A leaf is a list of {tags, summary}, one per job state, type and pool tree."""
    if isinstance(node, list):
        for tagged in node:
            if isinstance(tagged, dict) and (tagged.get("tags") or {}).get("job_state") \
                    == COMPLETED:
                _add(found, keys, _summary(tagged.get("summary")))
    elif isinstance(node, dict):
        for key, child in node.items():
            _walk_v2(child, [*keys, str(key)], found)


def _walk_legacy(node: Any, keys: list[str], found: dict[str, Summary]) -> None:
    """A leaf is {"$": {job_state: {job_type: summary}}}."""
    if not isinstance(node, dict):
        return
    states = node.get("$")
    if len(node) == 1 and isinstance(states, dict) and _is_leaf(states):
        for summary in (states.get(COMPLETED) or {}).values():
            _add(found, keys, _summary(summary))
        return
    for key, child in node.items():
        _walk_legacy(child, [*keys, str(key)], found)


def _is_leaf(states: dict[str, Any]) -> bool:
    """Job states, each of job types, each a summary: not a statistic of its own named `$`."""
    return all(isinstance(types, dict) and all(isinstance(s, dict) and "sum" in s
                                               for s in types.values())
               for types in states.values())
