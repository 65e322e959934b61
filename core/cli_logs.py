"""`yt-pipeline logs STAGE`: the end of the stderr of a stage's jobs in a run."""

from __future__ import annotations

from pathlib import Path

import click

from yt_pipeline.cli import CONFIG_OPT, DIR_ARG, SET_OPT, load_pipeline


@click.command()
@click.argument("stage")
@DIR_ARG
@click.option("--run", "run_id", metavar="ID", help="This run (an id from `yt-pipeline runs`, or "
              "its unique start; default: the latest run of the configured mode with job logs of "
              "the stage).")
@click.option("-n", "--lines", default=50, show_default=True, type=click.IntRange(min=0),
              help="How many lines from the end (0: all).")
@CONFIG_OPT
@SET_OPT
def logs(stage: str, pipeline_dir: Path, run_id: str | None, lines: int,
         config_file: Path | None, overrides: tuple[str, ...]) -> None:
    """Show the last lines the jobs of STAGE wrote to stderr in a run.

    Every job's stderr is kept, masked, in .runs/logs/<run id>/<stage>.log (the last 64 KiB
    of each job, 1 MiB per stage and run), whether it failed or not, in dev and in prod
    (prod fetches it from the cluster when the operation ends). Each job's part starts with
    a `=== operation (kind) job ===` line.
    """
    from yt_pipeline.errors import UsageError
    from yt_pipeline.graph import unknown_stage
    from yt_pipeline.job_logs import stage_log, tail

    pipeline = load_pipeline(pipeline_dir, config_file, overrides)
    folder = pipeline.pipeline_dir
    names = pipeline.stage_order()
    if stage not in names:
        raise unknown_stage(stage, names, "logs")
    if run_id is None:
        run_id = _latest_run_with_log(folder, stage, pipeline.mode)
        if run_id is None:
            raise UsageError(f"no {pipeline.mode} run of {folder} kept job logs of stage {stage} "
                             "yet: they are kept when the stage runs an operation (map, reduce, "
                             "vanilla...); `--set pipeline.mode=...` looks at another mode's runs")
    elif not stage_log(folder, run_id, stage).is_file():
        # as `report --run`: a unique start of an id will do
        from yt_pipeline.report_data import find_record

        run_id = str(find_record(folder, pipeline.mode, run_id)["run_id"])
    path = stage_log(folder, run_id, stage)
    if not path.is_file():
        raise UsageError(f"run {run_id} kept no job logs of stage {stage} ({path} does not exist)")
    click.echo(f"# {path.relative_to(folder)}", err=True)
    for line in tail(path, lines):
        click.echo(line)


def _latest_run_with_log(folder: Path, stage: str, mode: str) -> str | None:
    """The newest run of `mode` (dev and prod runs share the folder's `.runs/`) that kept a
    job log of `stage`."""
    import json

    from yt_pipeline.job_logs import LOGS_DIR
    from yt_pipeline.journal import RUNS_DIR

    root = folder / RUNS_DIR / LOGS_DIR
    if not root.is_dir():
        return None
    for run_id in sorted((p.name for p in root.iterdir() if (p / f"{stage}.log").is_file()),
                         reverse=True):
        try:
            record = json.loads((folder / RUNS_DIR / f"{run_id}.json").read_text("utf-8"))
        except (OSError, ValueError):
            continue  # no record says which mode it ran in
        if isinstance(record, dict) and record.get("state", record.get("mode")) == mode:
            return run_id
    return None
