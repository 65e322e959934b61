"""Hook implementations of the dev backend. Kept import-light: modules load on first use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yt_pipeline import hookimpl

__version__ = "0.1.0"


def _root(settings: Any, pipeline_dir: Path) -> Path:
    from yt_pipeline_dev.paths import dev_root

    dev_dir = settings.get("pipeline.dev_dir", ".dev") if settings is not None else ".dev"
    source = settings.source_of("pipeline.dev_dir") if hasattr(settings, "source_of") else None
    return dev_root(pipeline_dir, dev_dir, source)


@hookimpl
def ytp_create_client(mode: str, settings: Any, pipeline_dir: Path) -> Any:
    if mode != "dev":
        return None
    from yt_pipeline_dev.client import DevClient

    secrets = getattr(settings, "secrets", None) or {}
    values = settings.secret_values() if hasattr(settings, "secret_values") else []
    return DevClient(_root(settings, pipeline_dir), hidden_env=secrets, secret_values=values)


@hookimpl
def ytp_pipeline_started(run: Any) -> None:
    """Temporary files and transactions a killed run left behind (its writes never became
    tables) are removed: the run holds the dev lock, so no other run of this folder is
    writing; transactions of other pipelines sharing the folder are alive (flock) or not."""
    if run.mode != "dev":
        return
    from yt_pipeline_dev.atomic import remove_leftovers
    from yt_pipeline_dev.recovery import sweep

    root = _root(run.settings, run.pipeline_dir)
    remove_leftovers(root, before=run.started_at)
    sweep(root)


@hookimpl
def ytp_launch_operation(client: Any, spec: Any) -> Any:
    from yt_pipeline_dev.client import DevClient

    if not isinstance(client, DevClient):
        return None
    from yt_pipeline_dev.launcher import launch

    return launch(client, spec)
