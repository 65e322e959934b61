"""Commands about runs and the DAG: `status`, `runs`, `graph`, `cache clear`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from yt_pipeline.cli import CONFIG_OPT, DIR_ARG, SET_OPT, load_pipeline


@click.command()
@DIR_ARG
@CONFIG_OPT
@SET_OPT
def status(pipeline_dir: Path, config_file: Path | None, overrides: tuple[str, ...]) -> None:
    """Show each stage's state from the last runs (state.<mode>.yml).

    The mode is the configuration's: add --set pipeline.mode=prod to see the prod runs.
    A stage shown as - has not run, or was running when the run was interrupted. In a
    folder of function-step pipelines (no configs/config.yaml), each pipeline's state
    (state.<name>.<mode>.yml) is shown.
    """
    from yt_pipeline.state import StateStore

    if config_file is None and not (pipeline_dir / "configs" / "config.yaml").is_file():
        steps = sorted(pipeline_dir.glob("state.*.*.yml"))
        if steps:  # function-step pipelines keep a state per pipeline name and mode
            for path in steps:
                state_name = path.name[len("state."):-len(".yml")]
                click.echo(f"[{state_name}]")
                store = StateStore.existing(pipeline_dir, state_name)
                _show_states(store, list(store.statuses))
            return
    pipeline = load_pipeline(pipeline_dir, config_file, overrides)
    names = pipeline.stage_order()
    store = StateStore(pipeline.pipeline_dir, pipeline.mode, names)
    if not store.path.is_file():
        click.echo(f"no runs yet in mode {pipeline.mode} ({store.path.name} does not exist)")
    _show_states(store, names)


def _show_states(store: Any, names: list[str]) -> None:
    width = max((len(n) for n in names), default=1)
    outcomes: dict[str, tuple[float | None, str]] | None = None
    for name in names:
        entry = store.memory.get(name) or {}
        state = store.statuses.get(name) or "-"
        # the entry kept is that of the stage's last success (or skip): its time and run
        # describe this state only when they are of the same outcome
        same = state != "-" and entry.get("status") == state
        finished, run = (entry.get("finished_at"), entry.get("run_id", "")) if same else (None, "")
        if state != "-" and not same:  # a failure: its run is found in the run records
            if outcomes is None:
                outcomes = _last_outcomes(store.folder, store.state_name)
            finished, run = outcomes.get(f"{name}:{state}", (None, ""))
        when = _time(finished) if finished else ""
        click.echo(f"{name:<{width}}  {state:<8} {when:<19}  {run}".rstrip())


def _last_outcomes(pipeline_dir: Path, state_name: str) -> dict[str, tuple[float | None, str]]:
    """`stage:OUTCOME` -> (when, run id) of the newest run of this state that ended the
    stage so; records that cannot be read are passed over."""
    from yt_pipeline.records import read_records

    found: dict[str, tuple[float | None, str]] = {}
    for record in read_records(pipeline_dir, limit=1000):  # newest first
        stages = record.get("stages") if record.get("state") == state_name else None
        for stage, info in (stages or {}).items() if isinstance(stages, dict) else ():
            if isinstance(info, dict) and info.get("outcome"):
                ended = info.get("end")
                found.setdefault(f"{stage}:{info['outcome']}",
                                 (ended if isinstance(ended, (int, float)) else None,
                                  str(record.get("run_id", ""))))
    return found


@click.command()
@DIR_ARG
@click.option("-n", "--limit", default=10, show_default=True, type=click.IntRange(min=1),
              help="How many runs to list.")
def runs(pipeline_dir: Path, limit: int) -> None:
    """List the recent runs of a pipeline folder, newest first.

    Each line: run id, mode, outcome (SUCCESS, FAILED, INTERRUPTED; RUNNING while it runs,
    KILLED when its process ended without finishing it), start, duration, stages per
    outcome and the first error. The full record is .runs/<run id>.json.
    """
    from yt_pipeline.records import read_records, shown_status

    records = read_records(pipeline_dir, limit)
    if not records:
        click.echo(f"no runs recorded in {pipeline_dir}")
        return
    for rec in records:
        stages = rec.get("stages") or {}
        counts: dict[str, int] = {}
        for info in stages.values():
            counts[info.get("outcome", "?")] = counts.get(info.get("outcome", "?"), 0) + 1
        tally = " ".join(f"{k.lower()}={v}" for k, v in sorted(counts.items()))
        duration = rec.get("duration_s")
        took = f"{duration:.2f}s" if isinstance(duration, (int, float)) else "-"
        line = (f"{rec.get('run_id', '?')}  {rec.get('state', '?'):<14} "
                f"{shown_status(rec):<11} {_time(rec.get('started_at'))}  {took:>8}  {tally}")
        errors = [f"{n}: {i['error']}" for n, i in stages.items() if i.get("error")]
        if errors:
            line += f"  error: {errors[0].splitlines()[0]}"
        click.echo(line)


@click.command()
@DIR_ARG
@CONFIG_OPT
@SET_OPT
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid", "dot"]), default="text",
              show_default=True, help="How to print the DAG.")
def graph(pipeline_dir: Path, config_file: Path | None, overrides: tuple[str, ...],
          fmt: str) -> None:
    """Print the stage DAG as text (levels), Mermaid or Graphviz DOT.

    In a folder of function-step pipelines (no configs/config.yaml), the step graph of
    each pipeline's newest run is printed, after a line naming it and the run.
    """
    from yt_pipeline.stage_units import stage_graph

    if _step_states(pipeline_dir, config_file):
        click.echo("\n\n".join(_step_graphs(pipeline_dir, fmt)))
        return
    pipeline = load_pipeline(pipeline_dir, config_file, overrides)
    dag = stage_graph(pipeline)[0]
    click.echo(render_graph(dag, fmt))


def _step_graphs(pipeline_dir: Path, fmt: str) -> list[str]:
    """Each function-step pipeline's graph, named with its run: a line of its own in text,
    a comment after the first line in Mermaid and DOT (a Mermaid diagram starts with its
    type)."""
    from yt_pipeline.step_graphs import recorded_graphs

    shown = []
    for found in recorded_graphs(pipeline_dir):
        title = f"[{found.state_name}] run {found.run_id}"
        lines = render_graph(found.graph, fmt).split("\n")
        if fmt == "text":
            lines.insert(0, title)
        else:
            lines.insert(1, ("  %% " if fmt == "mermaid" else "  // ") + title)
        shown.append("\n".join(lines))
    return shown


def render_graph(dag: Any, fmt: str) -> str:
    edges = [(dep, name) for name in dag.order() for dep in dag.deps[name]]
    if fmt == "mermaid":
        lines = ["graph TD"]
        lines += [f"  {_node_id(n)}[\"{n}\"]" for n in dag.order()]
        for dep, name in edges:
            table = dag.inferred.get((name, dep))
            arrow = f"-->|{table}|" if table else "-->"
            lines.append(f"  {_node_id(dep)} {arrow} {_node_id(name)}")
        return "\n".join(lines)
    if fmt == "dot":
        lines = ["digraph pipeline {", "  rankdir=LR;"]
        lines += [f"  \"{n}\";" for n in dag.order()]
        for dep, name in edges:
            table = dag.inferred.get((name, dep))
            label = f" [label=\"{table}\"]" if table else ""
            lines.append(f"  \"{dep}\" -> \"{name}\"{label};")
        return "\n".join([*lines, "}"])
    width = max(len(n) for n in dag.names)
    lines = []
    for number, level in enumerate(dag.levels, 1):
        lines.append(f"level {number}")
        for name in level:
            needs = ", ".join(dag.deps[name])
            # padded only to align the arrows: a line without one ends with the name
            lines.append(f"  {name:<{width}}  <- {needs}" if needs else f"  {name}")
    return "\n".join(lines)


def _node_id(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


@click.group()
def cache() -> None:
    """The stage cache (pipeline.cache: true, or cache: true in a stage's config.yaml)."""


@cache.command("clear")
@DIR_ARG
@CONFIG_OPT
@SET_OPT
@click.option("--stage", "stages", multiple=True, help="Only this stage (repeatable).")
def cache_clear(pipeline_dir: Path, config_file: Path | None, overrides: tuple[str, ...],
                stages: tuple[str, ...]) -> None:
    """Forget cache fingerprints, so cached stages run again next time.

    In a folder of function-step pipelines (no configs/config.yaml), those of each
    pipeline (state.<name>.<mode>.yml) are forgotten; --stage names a step.
    """
    steps = _step_states(pipeline_dir, config_file)
    if steps:
        _check_stages(stages, [s for name in steps for s in _state_names(pipeline_dir, name)])
        for state_name in steps:
            count = _forget(pipeline_dir, state_name, [], stages, check=False)
            click.echo(f"cleared {count} cache fingerprint(s) in {pipeline_dir.resolve()} "
                       f"(pipeline {state_name})")
        return
    pipeline = load_pipeline(pipeline_dir, config_file, overrides)
    config = pipeline.config
    count = _forget(config.pipeline_dir, config.mode, pipeline.stage_order(), stages)
    click.echo(f"cleared {count} cache fingerprint(s) in {config.pipeline_dir} "
               f"(mode {config.mode})")


def _is_folder_pipeline(pipeline_dir: Path, config_file: Path | None) -> bool:
    """A folder pipeline has a configuration; a folder without one holds function-step
    pipelines (docs/function-steps.md)."""
    return config_file is not None or (pipeline_dir / "configs" / "config.yaml").is_file()


def _step_states(pipeline_dir: Path, config_file: Path | None) -> list[str]:
    """`<name>.<mode>` of each function-step pipeline's state in a folder without a
    configuration; [] in a folder pipeline."""
    from yt_pipeline.step_graphs import step_state_names

    if _is_folder_pipeline(pipeline_dir, config_file):
        return []
    return step_state_names(pipeline_dir)


def _state_names(folder: Path, state_name: str) -> list[str]:
    from yt_pipeline.state import StateStore

    store = StateStore.existing(folder, state_name)
    return [*store.statuses, *store.memory]


def _check_stages(stages: tuple[str, ...], known: list[str]) -> None:
    from yt_pipeline.graph import unknown_stage

    for name in stages:
        if name not in known:
            raise unknown_stage(name, list(dict.fromkeys(known)), "--stage")


def _forget(folder: Path, state_name: str, order: list[str], stages: tuple[str, ...],
            check: bool = True) -> int:
    from yt_pipeline.lock import RunLock
    from yt_pipeline.records import new_run_id
    from yt_pipeline.state import StateStore

    # under the run lock, as a run: the state files are rewritten from what is read here,
    # and a run going on meanwhile would lose what it recorded in between (a stage that
    # succeeded would run, and append, again on --resume)
    with RunLock(folder, state_name, new_run_id()):
        store = StateStore.existing(folder, state_name)
        if check:
            _check_stages(stages, [*order, *store.statuses])
        count = store.forget_fingerprints(stages or None)
        store.write()
    return count


def _time(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value))


def add_dag_commands(group: click.Group) -> None:
    for command in (status, runs, graph, cache):
        group.add_command(command)
