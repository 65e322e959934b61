"""--resume and a stage that succeeded before a stage it depends on succeeded again (run
alone with `--only`, `--to`, or by a run whose --config left it out): what it made is of the
rows its upstream wrote then, so it runs again, with the stages after it.

In a run, a stage ends after each of its dependencies; only a run that leaves it out leaves
it behind them. A dependency the cache served keeps the end of its earlier success, so it is
never newer than the stage; a stage the cache served counts from that run (`served_in`,
`served_at`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from yt_pipeline.graph import StageGraph
from yt_pipeline.state import DONE

log = logging.getLogger("yt_pipeline.runner")


def stages_behind_upstream(graph: StageGraph, names: Iterable[str],
                           statuses: Mapping[str, str | None],
                           memory: Mapping[str, dict[str, Any]]) -> set[str]:
    """Of `names` (stages --resume would skip), those done before a dependency's last
    success or skip; each is logged with both runs."""
    behind = set()
    for name in names:
        entry = memory.get(name) or {}
        # served by the cache since its last success: current as of then
        ended = entry.get("served_at") or entry.get("finished_at")
        run = entry.get("served_in") or entry.get("run_id")
        if statuses.get(name) not in DONE or ended is None:
            continue
        for dep in graph.deps[name]:
            before = memory.get(dep) or {}
            # of one run, the dependency ended first whatever the clock says (it may be
            # set back meanwhile); of two, the later one ended last
            if statuses.get(dep) in DONE and before.get("run_id") != run \
                    and (before.get("finished_at") or 0) > ended:
                log.warning("[%s] succeeded in run %s, before %s succeeded in run %s: it "
                            "runs again, with the stages after it", name,
                            entry.get("run_id", "?"), dep, before.get("run_id", "?"))
                behind.add(name)
                break
    return behind
