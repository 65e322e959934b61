"""Hook implementations: record how each stage ended, and show it with `yt-pipeline summary`.

After every stage, one tab-separated line (run id, stage, status, seconds) is appended to
`stage_summary.tsv` in the pipeline folder. `yt-pipeline summary [DIR]` prints the stages of
the latest run recorded there.
"""

from __future__ import annotations

from pathlib import Path

import click

from yt_pipeline import hookimpl

SUMMARY_FILE = "stage_summary.tsv"


@hookimpl
def ytp_after_stage(run, stage, outcome):
    line = f"{run.run_id}\t{stage}\t{outcome.status}\t{outcome.duration_s:.3f}\n"
    # the runner calls lifecycle hooks from one thread: no lock is needed
    with (Path(run.pipeline_dir) / SUMMARY_FILE).open("a", encoding="utf-8") as out:
        out.write(line)


@click.command("summary")
@click.argument("pipeline_dir", required=False, default=".", type=click.Path(file_okay=False))
def summary_command(pipeline_dir):
    """Show how each stage of the latest run ended."""
    path = Path(pipeline_dir) / SUMMARY_FILE
    if not path.is_file():
        raise click.ClickException(f"{path}: no summary yet; run the pipeline first")
    records = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    latest = records[-1][0]
    click.echo(f"run {latest}")
    for run_id, stage, status, seconds in records:
        if run_id == latest:
            click.echo(f"  {stage:<20} {status:<8} {float(seconds):.2f}s")


@hookimpl
def ytp_add_commands(cli):
    cli.add_command(summary_command)
