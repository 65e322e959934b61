"""Where a job finds its stage's config.yaml: JOB_CONFIG_PATH, set by the backend or wrapper."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ENV_VAR = "JOB_CONFIG_PATH"


class ConfigPathNotSet(ValueError, RuntimeError):
    """JOB_CONFIG_PATH is not set. A ValueError, as yt-framework's get_config_path raises,
    and a RuntimeError, as earlier versions of ytjobs raised."""


def get_config_path() -> Path:
    """The stage's config.yaml; a relative value is taken from the job's working folder."""
    value = os.environ.get(ENV_VAR)
    if not value:
        raise ConfigPathNotSet(
            f"{ENV_VAR} is not set: is this script running as a yt-pipeline job?")
    return Path(value)


def load_config() -> dict[str, Any]:
    """The stage's configuration as a dict.

    Jobs run the bare `python3` of the cluster image, without PyYAML: the code archive holds
    the config as JSON beside config.yaml (`config.json`), read here with the standard
    library. Only where that twin is missing (a job started from the working tree) is the
    YAML parsed, which needs PyYAML.
    """
    path = get_config_path()
    twin = path.with_suffix(".json")
    if twin != path and twin.is_file():
        with twin.open(encoding="utf-8") as handle:
            data = json.load(handle)
    elif not path.is_file():
        raise RuntimeError(f"{ENV_VAR} points at {path}, which does not exist")
    elif path.suffix == ".json":
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    else:
        data = _load_yaml(path)
    if not isinstance(data, dict):
        raise RuntimeError(f"{path}: the stage config must be a mapping")
    return data


def _load_yaml(path: Path) -> Any:
    try:
        import yaml
    except ImportError:
        raise RuntimeError(
            f"{path} has no JSON twin ({path.with_suffix('.json').name}) and PyYAML is not "
            "installed in this job's Python: run the job from the code archive"
        ) from None
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


#: set by the backend for a job whose stage declares `checkpoints:` (yt_pipeline.checkpoints)
CHECKPOINTS_ENV = "YTP_CHECKPOINTS_DIR"


def get_checkpoint_path(name: str) -> Path:
    """Where this job finds the checkpoint `name` its stage's config.yaml declares under
    `checkpoints:` (a file or a folder), in dev and in prod alike. Not to be confused with
    `ytjobs.checkpoint.get_checkpoint_path`, which names a Cypress path for save/load."""
    value = os.environ.get(CHECKPOINTS_ENV)
    folder = Path(value) if value else Path.cwd() / "checkpoints"
    path = folder / name
    if "/" in name or name in ("", ".", "..") or not path.exists():
        there = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        raise FileNotFoundError(
            f"checkpoint {name!r} is not given to this job: declare it under `checkpoints:` "
            f"in the stage's config.yaml (this job has: {', '.join(there) or 'none'})")
    return path
