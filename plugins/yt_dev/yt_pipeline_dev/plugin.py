"""Hook implementations of the dev backend. Kept import-light: modules load on first use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yt_pipeline import hookimpl

__version__ = "0.1.0"


@hookimpl
def ytp_create_client(mode: str, settings: Any, pipeline_dir: Path) -> Any:
    if mode != "dev":
        return None
    from yt_pipeline_dev.client import DevClient
    from yt_pipeline_dev.paths import dev_root

    dev_dir = settings.get("pipeline.dev_dir", ".dev") if settings is not None else ".dev"
    secrets = getattr(settings, "secrets", None) or {}
    values = settings.secret_values() if hasattr(settings, "secret_values") else []
    source = settings.source_of("pipeline.dev_dir") if hasattr(settings, "source_of") else None
    root = dev_root(pipeline_dir, dev_dir, source)
    return DevClient(root, hidden_env=secrets, secret_values=values)


@hookimpl
def ytp_launch_operation(client: Any, spec: Any) -> Any:
    from yt_pipeline_dev.client import DevClient

    if not isinstance(client, DevClient):
        return None
    from yt_pipeline_dev.launcher import launch

    return launch(client, spec)
