"""An operation's job statistics as its `progress` attribute gives them: the custom
statistics its jobs wrote to fd 5 (jobs.py reads them), in the cluster's two shapes.

The controller agent keeps one summary (sum, count, min, max) per statistic path and per
tags: the job's state, its type (the task's vertex descriptor: `map`, a vanilla task's name)
and its pool tree (TAggregatedJobStatistics::UpdateJobStatistics in
yt/yt/server/controller_agent/controllers/aggregated_job_statistics.cpp). Both shapes are a
tree of maps, one level per key of the path, keyed by each key as written (`name/with/
slashes` stays one key: SerializeYsonPathsMap in yt/yt/core/misc/statistics-inl.h); at a
statistic's place they hold
- `job_statistics_v2`: a list of `{tags={job_state; job_type; pool_tree}; summary={sum;
  count; min; max}}`, one per tags (Serialize of TTaggedStatistics, statistics-inl.h);
- `job_statistics`, the older shape: `{"$"={<job_state>={<job_type>={sum; count; min;
  max}}}}`, the pool trees merged (TAggregatedJobStatistics::SerializeLegacy).
The integration test yt/yt/tests/integration/scheduler/test_scheduler_user_statistics.py
reads `custom.cpu.k1` of both so (extract_statistic_v2, extract_deprecated_statistic in
yt/python/yt/environment/yt_commands.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from yt_pipeline import job_statistics
from yt_pipeline.job_statistics import Summary
from yt_pipeline_prod.fake.jobs import JobResult

#: the pool tree every fake job runs in (a cluster's default tree is named so)
POOL_TREE = "default"

Tags = tuple[str, str, str]


def _tagged(jobs: Iterable[JobResult]) -> dict[str, dict[Tags, Summary]]:
    tagged: dict[str, dict[Tags, Summary]] = {}
    for job in jobs:
        tags = ("failed" if job.failed else "completed", job.task or job.type, POOL_TREE)
        for path, summary in job.statistics.items():
            by_tags = tagged.setdefault(path, {})
            if tags in by_tags:
                by_tags[tags].add(summary)
            else:
                by_tags[tags] = Summary(summary.sum, summary.count, summary.min, summary.max)
    return tagged


def _tree(leaves: dict[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in sorted(leaves):
        *parents, last = job_statistics.keys_of(path)
        node = tree
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = leaves[path]
    return tree


def progress_statistics(jobs: Iterable[JobResult]) -> dict[str, Any]:
    """`job_statistics` and `job_statistics_v2` of the operation's progress."""
    tagged = _tagged(jobs)
    v2 = {path: [{"tags": {"job_state": state, "job_type": job_type, "pool_tree": tree},
                  "summary": msgspec.structs.asdict(summary)}
                 for (state, job_type, tree), summary in sorted(by_tags.items())]
          for path, by_tags in tagged.items()}
    legacy: dict[str, Any] = {}
    for path, by_tags in tagged.items():
        grouped: dict[str, dict[str, Summary]] = {}
        for (state, job_type, _tree_name), summary in by_tags.items():
            job_statistics.merge(grouped.setdefault(state, {}), {job_type: summary})
        legacy[path] = {"$": {state: {job_type: msgspec.structs.asdict(summary)
                                      for job_type, summary in types.items()}
                              for state, types in grouped.items()}}
    return {"job_statistics": _tree(legacy), "job_statistics_v2": _tree(v2)}
