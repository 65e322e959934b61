"""Hook implementations of the dev backend. Kept import-light: the client is built on demand."""

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

    dev_dir = settings.get("pipeline.dev_dir", ".dev") if settings is not None else ".dev"
    return DevClient(Path(pipeline_dir) / dev_dir)
