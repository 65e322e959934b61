"""Built-in plugin: stages from the pipeline folder and from installed packages.

Registered with `trylast` so a third-party discovery plugin runs first and can add stages.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from yt_pipeline import hookimpl

if TYPE_CHECKING:
    from yt_pipeline.config import PipelineConfig
    from yt_pipeline.discovery import DiscoveredStage


def configured_stage_names(settings: PipelineConfig) -> set[str]:
    names: set[str] = set(settings.get("stages.enabled_stages") or [])
    graph = settings.get("stages.graph") or {}
    for stage, deps in graph.items():
        names.add(stage)
        names.update(deps or [])
    return names


@hookimpl(trylast=True)
def ytp_discover_stages(pipeline_dir: Path, settings: PipelineConfig) -> list[DiscoveredStage]:
    # imported here: the plugin is registered by every command, stages are found by few
    from yt_pipeline.discovery import discover_entry_points, discover_folder

    local = discover_folder(pipeline_dir)
    wanted = configured_stage_names(settings) - {s.name for s in local}
    return local + (discover_entry_points(wanted) if wanted else [])
