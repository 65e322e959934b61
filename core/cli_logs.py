"""`yt-pipeline logs STAGE`: the end of the stderr of a stage's jobs in a run."""

from __future__ import annotations

from pathlib import Path

import click

from yt_pipeline.cli import CONFIG_OPT, DIR_ARG, SET_OPT, load_pipeline


@click.command()
@click.argument("stage")
@DIR_ARG
@click.option("--run", "run_id", metavar="ID", help="This run (an id from `yt-pipeline runs`, or "
              "its unique start; default: the latest one with job logs of the stage).")
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
    from yt_pipeline.job_logs import LOGS_DIR, stage_log, tail
    from yt_pipeline.journal import RUNS_DIR

    pipeline = load_pipeline(pipeline_dir, config_file, overrides)
    folder = pipeline.pipeline_dir
    names = pipeline.stage_order()
    if stage not in names:
        raise unknown_stage(stage, names, "logs")
    if run_id is None:
        root = folder / RUNS_DIR / LOGS_DIR
        runs = sorted((p.name for p in root.iterdir() if (p / f"{stage}.log").is_file()),
                      reverse=True) if root.is_dir() else []
        if not runs:
            raise UsageError(f"no job logs of stage {stage} in {folder} yet: its jobs' stderr "
                             "is kept from the next run on (a stage without operations has none)")
        run_id = runs[0]
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
