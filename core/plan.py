"""What a run will do before it does it: the selection, what --resume leaves out, and the
text `--dry-run` prints (levels, and what would be skipped and why)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

import msgspec

from yt_pipeline.graph import StageGraph, unknown_stage
from yt_pipeline.state import DONE

NOT_SELECTED = "not selected (--only/--from/--to)"
DONE_EARLIER = "succeeded in an earlier run (--resume)"


class Plan(msgspec.Struct):
    order: list[str]
    #: selected stages, in order (the ones a run considers)
    selected: list[str]
    to_run: set[str]
    #: stages of the graph that will not run, and why
    skipped: dict[str, str]


def make_plan(graph: StageGraph, options: Any, statuses: Mapping[str, str | None],
              gone: Collection[str] = ()) -> Plan:
    """`gone`: stages that succeeded but a table of which is missing since, which --resume
    runs again as if they had not (gone_outputs.py)."""
    order = graph.order()
    chosen = graph.select(options.only, options.from_stage, options.to_stage)
    _check_names(graph, options.refresh, "--refresh")
    to_run = set(chosen)
    if options.resume:
        unfinished = {name for name in chosen
                      if statuses.get(name) not in DONE or name in gone}
        to_run = graph.descendants(unfinished) & chosen
    skipped = {}
    for name in order:
        if name not in chosen:
            skipped[name] = NOT_SELECTED
        elif name not in to_run:
            skipped[name] = DONE_EARLIER
    return Plan(order, [n for n in order if n in chosen], to_run, skipped)


def _check_names(graph: StageGraph, names: Iterable[str], option: str) -> None:
    for name in names:
        if name not in graph.deps:
            raise unknown_stage(name, graph.names, option)


def describe_plan(plan: Plan, graph: StageGraph, notes: Mapping[str, str], header: str) -> str:
    """Levels of the stages that would run, each with its notes, then what is skipped."""
    lines = [header]
    number = 0
    for level in graph.levels:
        running = [name for name in level if name in plan.to_run]
        if not running:
            continue
        number += 1
        shown = ", ".join(f"{n} ({notes[n]})" if notes.get(n) else n for n in running)
        lines.append(f"level {number}: {shown}")
    if not plan.to_run:
        lines.append("nothing to run")
    if plan.skipped:
        lines.append("skipped:")
        lines.extend(f"  {name}: {reason}" for name, reason in plan.skipped.items())
    return "\n".join(lines)
