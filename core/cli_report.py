"""`yt-pipeline report`: one HTML page that shows what a run did."""

from __future__ import annotations

from pathlib import Path

import click

from yt_pipeline.cli import CONFIG_OPT, DIR_ARG, SET_OPT, load_pipeline


@click.command()
@DIR_ARG
@CONFIG_OPT
@SET_OPT
@click.option("--run", "run_id", metavar="ID",
              help="The run to show (an id from `yt-pipeline runs`, or its unique start); "
                   "default: the newest run of the configured mode.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the page; default: .runs/report-<run id>.html.")
@click.option("--no-rows", is_flag=True,
              help="Do not count the rows of the tables the stages wrote.")
def report(pipeline_dir: Path, config_file: Path | None, overrides: tuple[str, ...],
           run_id: str | None, output: Path | None, no_rows: bool) -> None:
    """Write one HTML page that shows what a run did.

    The page holds the stage graph coloured by outcome, a timeline of the stages
    (parallel stages side by side, retries and cache hits marked), and per stage its
    duration, attempts, cache decision, error, the tables it wrote with their row
    counts and the end of its job logs.

    The page needs no network to open; secrets are shown as ***. Row counts come from
    the client of the run's mode (a --run of a prod run counts on the cluster, whatever the
    configured mode): in prod only when YT_PROXY and YT_TOKEN are set.
    """
    from yt_pipeline.report_page import write_recorded_report, write_report

    if config_file is None and not (pipeline_dir / "configs" / "config.yaml").is_file():
        # a function-step pipeline's folder: its runs are drawn from their records
        click.echo(f"wrote {write_recorded_report(pipeline_dir.resolve(), output, run_id)}")
        return
    pipeline = load_pipeline(pipeline_dir, config_file, overrides)
    if run_id:
        # a run of another mode than the configured one: its tables (their row counts) and
        # its state file are that mode's, so the page is made in that mode
        from yt_pipeline.report_data import find_record

        mode = find_record(pipeline.pipeline_dir, pipeline.mode, run_id).get("mode")
        if isinstance(mode, str) and mode and mode != pipeline.mode:
            pipeline.close()
            pipeline = load_pipeline(pipeline_dir, config_file,
                                     (*overrides, f"pipeline.mode={mode}"))
    written = write_report(pipeline, output, run_id, count_rows=not no_rows)
    click.echo(f"wrote {written}")
