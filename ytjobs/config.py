"""Where a job finds its stage's config.yaml: JOB_CONFIG_PATH, set by the backend or wrapper."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ENV_VAR = "JOB_CONFIG_PATH"


def get_config_path() -> Path:
    """The stage's config.yaml; a relative value is taken from the job's working folder."""
    value = os.environ.get(ENV_VAR)
    if not value:
        raise RuntimeError(f"{ENV_VAR} is not set: is this script running as a yt-pipeline job?")
    return Path(value)


def load_config() -> dict[str, Any]:
    """The stage's config.yaml as a dict (needs PyYAML in the job's environment)."""
    import yaml

    path = get_config_path()
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except FileNotFoundError:
        raise RuntimeError(f"{ENV_VAR} points at {path}, which does not exist") from None
    if not isinstance(data, dict):
        raise RuntimeError(f"{path}: the stage config must be a mapping")
    return data
