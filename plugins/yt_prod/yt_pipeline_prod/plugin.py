"""Hook implementations of the prod backend (the client is built in a later change)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yt_pipeline import hookimpl


@hookimpl
def ytp_create_client(mode: str, settings: Any, pipeline_dir: Path) -> Any:
    return None
