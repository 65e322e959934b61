"""`yt-pipeline package [DIR]`: build the code archive without running anything, and say
what would be uploaded."""

from __future__ import annotations

from pathlib import Path

import click

from yt_pipeline.cli import CONFIG_OPT, DIR_ARG, SET_OPT, load_pipeline


@click.command()
@DIR_ARG
@CONFIG_OPT
@SET_OPT
@click.option("--list", "list_files", is_flag=True, help="Also list every file in the archive.")
def package(
    pipeline_dir: Path, config_file: Path | None, overrides: tuple[str, ...], list_files: bool
) -> None:
    """Build the code archive jobs run from, without running anything.

    Packs PIPELINE_DIR (default: the current folder) into .build/source.tar.gz and prints
    its path, size, file count and content hash, and the job wrapper scripts it holds.
    """
    from yt_pipeline_uploader.archive import human_size

    pipeline = load_pipeline(pipeline_dir, config_file, overrides)
    built = pipeline.package_code()
    if built is None:
        click.echo("nothing to package: no enabled stage has job code (src/mapper.py, ...)")
        return
    click.echo(f"archive:  {built.archive_path}")
    click.echo(f"size:     {built.size} bytes ({human_size(built.size)})")
    click.echo(f"files:    {built.file_count}")
    click.echo(f"sha256:   {built.content_hash}")
    click.echo(f"remote:   {built.remote_name}")
    for (stage, operation), name in sorted(built.wrappers.items()):
        click.echo(f"wrapper:  {name}  ({stage} {operation})")
    if list_files:
        import tarfile

        with tarfile.open(built.archive_path, "r:gz") as tar:
            for member in tar.getmembers():
                click.echo(f"  {member.size:>10}  {member.name}")
