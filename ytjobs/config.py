"""Where a job finds its stage's config.yaml: JOB_CONFIG_PATH, set by the wrapper."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ENV_VAR = "JOB_CONFIG_PATH"


def get_config_path() -> Path:
    value = os.environ.get(ENV_VAR)
    if not value:
        raise RuntimeError(f"{ENV_VAR} is not set: is this script running as a yt-pipeline job?")
    return Path(value)


def load_config() -> dict[str, Any]:
    """The stage's config.yaml as a dict (needs PyYAML in the job's environment)."""
    import yaml

    with get_config_path().open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}
