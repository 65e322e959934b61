"""What `yt-pipeline report` shows about one run, gathered from the files a run leaves.

The run record (`.runs/<run id>.json`) says how each stage of that run ended; the pipeline's
graph says how the stages connect (the current graph: a stage the record names that the
graph no longer has is shown without edges); the state file says where each stage stands
now, which matters for the stages this run did not run (a resume, a failed upstream).
Tables and job logs come from `report_sources.py`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yt_pipeline.errors import UsageError
from yt_pipeline.events import CACHED, FAILED, SKIPPED, SUCCESS
from yt_pipeline.records import read_records, record_files, shown_status
from yt_pipeline.report_sources import LogTail, TableRows, job_logs, stage_tables
from yt_pipeline.state import RUNS_DIR, read_statuses

NOT_RUN = "NOT RUN"
STATES = (SUCCESS, FAILED, SKIPPED, CACHED, NOT_RUN)
#: how many records `latest` looks through for one of the pipeline's mode
_LOOK_BACK = 50


@dataclass
class StageFacts:
    name: str
    #: one of STATES: the outcome in this run, or NOT_RUN
    state: str
    level: int
    deps: tuple[str, ...] = ()
    start: float | None = None
    end: float | None = None
    duration_s: float | None = None
    attempts: int | None = None
    cache: str = ""
    reason: str = ""
    error: str = ""
    #: the stage's status in the state file now (None: not run since the last full run)
    state_now: str | None = None
    in_graph: bool = True
    tables: list[TableRows] = field(default_factory=list)
    logs: list[LogTail] = field(default_factory=list)


@dataclass
class RunFacts:
    pipeline: str
    run_id: str
    mode: str
    status: str
    started_at: float | None
    finished_at: float | None
    workers: Any
    options: dict[str, Any]
    #: stage names per graph level, in the graph's order
    levels: list[list[str]]
    stages: dict[str, StageFacts]
    #: edges linked by a table: (user, producer) -> table
    inferred: dict[tuple[str, str], str]
    #: why row counts are missing, when they all are (prod without credentials, say)
    rows_note: str = ""


def find_record(folder: Path, mode: str, run_id: str | None) -> dict[str, Any]:
    """The record of `run_id` (a unique prefix will do), or the newest of `mode`."""
    if run_id:
        matches = [p for p in record_files(folder) if p.stem.startswith(run_id)]
        exact = [p for p in matches if p.stem == run_id]
        if exact or len(matches) == 1:
            return _read(exact[0] if exact else matches[0])
        if matches:
            raise UsageError(f"--run {run_id} matches {len(matches)} runs: "
                             + ", ".join(p.stem for p in matches[:5]))
        raise UsageError(f"no run {run_id} in {Path(folder) / RUNS_DIR} "
                         "(`yt-pipeline runs` lists them)")
    for record in read_records(folder, _LOOK_BACK):
        if record.get("state", record.get("mode")) == mode:
            return record
    raise UsageError(f"no {mode} run recorded in {folder}: run the pipeline first, "
                     "or name a run with --run")


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the run record {path}: {exc}") from None


def gather(pipeline: Any, run_id: str | None = None, count_rows: bool = True) -> RunFacts:
    """Everything the page shows about a run of `pipeline` (a loaded `BasePipeline`)."""
    from yt_pipeline.logs import mask_secrets
    from yt_pipeline.stage_units import stage_graph

    # the page masks what it writes with the secrets known: this pipeline's among them,
    # however it was loaded
    mask_secrets(pipeline.config.secret_values())
    folder = pipeline.pipeline_dir
    record = find_record(folder, pipeline.mode, run_id)
    graph, configs = stage_graph(pipeline)
    levels = [list(level) for level in graph.levels]
    recorded: dict[str, dict[str, Any]] = record.get("stages") or {}
    strays = [name for name in recorded if name not in graph.deps]
    if strays:  # stages of that run the pipeline no longer has: shown first, unlinked
        levels = [strays + levels[0], *levels[1:]] if levels else [strays]
    now = read_statuses(folder, record.get("state") or pipeline.mode)
    stages: dict[str, StageFacts] = {}
    for number, level in enumerate(levels):
        for name in level:
            facts = _stage(name, recorded.get(name), number, graph.deps.get(name, ()))
            facts.state_now = now.get(name)
            facts.in_graph = name in graph.deps
            stages[name] = facts
    rows_note = stage_tables(pipeline, configs, stages, count=count_rows)
    dev_root = folder / str(pipeline.config.get("pipeline.dev_dir") or ".dev")
    for facts in stages.values():
        facts.logs = job_logs(folder, dev_root, facts.name, facts.error,
                              dev=record.get("mode") == "dev",
                              run_id=str(record.get("run_id") or ""))
    return RunFacts(
        pipeline=folder.name, run_id=str(record.get("run_id", "?")),
        mode=str(record.get("mode", pipeline.mode)), status=shown_status(record),
        started_at=_number(record.get("started_at")), finished_at=_number(record.get("finished_at")),
        workers=record.get("workers"), options=record.get("options") or {},
        levels=levels, stages=stages, inferred=dict(graph.inferred), rows_note=rows_note,
    )


def gather_recorded(folder: Path, run_id: str | None) -> RunFacts:
    """What the page shows about a run of a folder without a pipeline configuration (a
    function-step pipeline): all from its record, the newest when no `run_id` is given.
    No tables or job logs: only the folder configuration names those."""
    from yt_pipeline.graph_order import topological_levels

    records = read_records(folder, 1)
    if not run_id and not records:
        raise UsageError(f"no run recorded in {folder}: run the pipeline first")
    record = find_record(folder, "", run_id) if run_id else records[0]
    recorded: dict[str, dict[str, Any]] = record.get("stages") or {}
    graph = record.get("graph")
    deps = ({name: tuple(needs) for name, needs in graph.items()} if isinstance(graph, dict)
            else {name: () for name in recorded})  # a record from before graphs were kept
    stages = {}
    for number, level in enumerate(topological_levels(deps)):
        for name in level:
            stages[name] = _stage(name, recorded.get(name), number, deps[name])
            stages[name].in_graph = True
    return RunFacts(
        pipeline=folder.name, run_id=str(record.get("run_id", "?")),
        mode=str(record.get("mode", "?")), status=shown_status(record),
        started_at=_number(record.get("started_at")), finished_at=_number(record.get("finished_at")),
        workers=record.get("workers"), options=record.get("options") or {},
        levels=topological_levels(deps), stages=stages, inferred={},
    )


def _stage(name: str, info: dict[str, Any] | None, level: int, deps: tuple[str, ...]) -> StageFacts:
    if not info:
        return StageFacts(name, NOT_RUN, level, tuple(deps))
    ran = "start" in info  # a stage this run passed over has an outcome and a reason only
    outcome = str(info.get("outcome") or "")
    return StageFacts(
        name, outcome if ran and outcome in STATES else NOT_RUN, level, tuple(deps),
        start=_number(info.get("start")), end=_number(info.get("end")),
        duration_s=_number(info.get("duration_s")),
        attempts=info.get("attempts") if isinstance(info.get("attempts"), int) else None,
        cache=str(info.get("cache") or ""), reason=str(info.get("reason") or ""),
        error=str(info.get("error") or ""),
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
