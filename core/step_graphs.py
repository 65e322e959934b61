"""The step graphs of a folder of function-step pipelines, for `graph` and `list`.

Such a pipeline is defined by the Python that runs it (`Pipeline(...).add_step(...)`), and
that script runs the pipeline when it is imported, so the commands cannot load it. Each
run records its whole graph (run_book.RunBook), as the report draws it: the graph shown
is that of the newest run of each pipeline (one per name and mode, as `status` shows).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from yt_pipeline.errors import UsageError
from yt_pipeline.graph import StageGraph
from yt_pipeline.graph_order import find_cycle
from yt_pipeline.records import record_files


@dataclass(frozen=True)
class RecordedGraph:
    #: `<pipeline name>.<mode>`, the state's name
    state_name: str
    run_id: str
    graph: StageGraph


def step_state_names(folder: Path) -> list[str]:
    """`<name>.<mode>` of each function-step pipeline whose state is in `folder`."""
    return [path.name[len("state."):-len(".yml")]
            for path in sorted(folder.glob("state.*.*.yml"))]


def recorded_graphs(folder: Path) -> list[RecordedGraph]:
    """The graph of the newest recorded run of each function-step pipeline of `folder`."""
    wanted = step_state_names(folder)
    found: dict[str, RecordedGraph] = {}
    for path in record_files(folder):  # newest first
        if len(found) == len(wanted):
            break
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a record being written, or damaged: an older one may do
        state_name = record.get("state") if isinstance(record, dict) else None
        if state_name in wanted and state_name not in found and "graph" in record:
            found[state_name] = RecordedGraph(state_name, str(record.get("run_id", path.stem)),
                                              _graph_of(record["graph"], path))
    missing = [name for name in wanted if name not in found]
    if missing:
        raise UsageError(f"{folder / '.runs'}: no recorded run of {', '.join(missing)} keeps "
                         "its graph: run the pipeline again")
    return [found[name] for name in wanted]


def _graph_of(value: object, path: Path) -> StageGraph:
    """The record's `graph` checked: a damaged one is an error naming the file."""
    if not isinstance(value, dict) or not all(
            isinstance(name, str) and isinstance(needs, list)
            and all(isinstance(need, str) and need in value for need in needs)
            for name, needs in value.items()):
        raise UsageError(f"{path}: graph: not a mapping of step: [steps it needs]")
    deps = {name: tuple(needs) for name, needs in value.items()}
    cycle = find_cycle(deps)
    if cycle:
        raise UsageError(f"{path}: graph: a cycle: {' -> '.join(cycle)}")
    return StageGraph(deps)
