"""Hook implementations of the uploader (the archive is built in a later change)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yt_pipeline import hookimpl


@hookimpl
def ytp_package_code(pipeline_dir: Path, settings: Any, stages: list[Any]) -> Any:
    return None
