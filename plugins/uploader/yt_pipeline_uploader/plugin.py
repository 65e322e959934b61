"""Hook implementations of the uploader.

This module is imported on every start of the command line, so it imports nothing heavy:
the archive code is loaded only when a hook runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from yt_pipeline import hookimpl

if TYPE_CHECKING:
    import click

    from yt_pipeline.config import PipelineConfig
    from yt_pipeline.discovery import DiscoveredStage
    from yt_pipeline.packaging import CodePackage


@hookimpl
def ytp_package_code(pipeline_dir: Path, settings: PipelineConfig,
                     stages: list[DiscoveredStage]) -> CodePackage | None:
    from yt_pipeline_uploader.build import package_code

    return package_code(pipeline_dir, settings, stages)


@hookimpl
def ytp_list_shared_code(pipeline_dir: Path,
                         settings: PipelineConfig) -> dict[str, list[tuple[str, Path]]]:
    from yt_pipeline_uploader.build import list_shared_code

    return list_shared_code(pipeline_dir, settings)


@hookimpl
def ytp_add_commands(cli: click.Group) -> None:
    from yt_pipeline_uploader.command import package

    cli.add_command(package)
