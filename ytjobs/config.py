"""Where a job finds its stage's config.yaml: JOB_CONFIG_PATH, set by the backend or wrapper."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # imported where a Path is made: a mapper that only loads its config does not pay for
    # pathlib (and the urllib.parse it imports), some 6 ms of every job's start
    from pathlib import Path

ENV_VAR = "JOB_CONFIG_PATH"


class ConfigPathNotSet(ValueError, RuntimeError):
    """JOB_CONFIG_PATH is not set. A ValueError, as yt-framework's get_config_path raises,
    and a RuntimeError, as earlier versions of ytjobs raised."""


def _config_value() -> str:
    value = os.environ.get(ENV_VAR)
    if not value:
        raise ConfigPathNotSet(
            f"{ENV_VAR} is not set: is this script running as a yt-pipeline job?")
    return value


def get_config_path() -> Path:
    """The stage's config.yaml; a relative value is taken from the job's working folder."""
    from pathlib import Path

    return Path(_config_value())


def load_config() -> dict[str, Any]:
    """The stage's configuration as a dict.

    Jobs run the bare `python3` of the cluster image, without PyYAML: the code archive holds
    the config as JSON beside config.yaml (`config.json`), read here with the standard
    library. Only where that twin is missing (a job started from the working tree) is the
    YAML parsed, which needs PyYAML.
    """
    path = _config_value()
    stem, suffix = os.path.splitext(path)
    twin = stem + ".json"
    if twin != path and os.path.isfile(twin):
        with open(twin, encoding="utf-8") as handle:
            data = json.load(handle)
    elif not os.path.isfile(path):
        raise RuntimeError(f"{ENV_VAR} points at {path}, which does not exist")
    elif suffix == ".json":
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    else:
        data = _load_yaml(get_config_path())
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
    from pathlib import Path

    value = os.environ.get(CHECKPOINTS_ENV)
    folder = Path(value) if value else Path.cwd() / "checkpoints"
    path = folder / name
    if "/" in name or name in ("", ".", "..") or not path.exists():
        there = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        raise FileNotFoundError(
            f"checkpoint {name!r} is not given to this job: declare it under `checkpoints:` "
            f"in the stage's config.yaml (this job has: {', '.join(there) or 'none'})")
    return path
