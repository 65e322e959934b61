"""Local files an operation gives its jobs (`file_paths` entries that are not `//` paths).

The same stage config works in both modes: dev copies each file into the job's sandbox,
prod uploads it once beside the code archive (named by its content, never sent again when
unchanged) and mounts it; either way the job finds it in its working folder under its own
name. An entry must be a file of the pipeline folder (not outside it, not through a
symlink leading out), never the secrets file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from yt_pipeline.errors import ConfigError

if TYPE_CHECKING:
    from yt_pipeline.operations import OperationSpec

SECRETS_FILE = "secrets.env"


def is_cypress_path(item: str) -> bool:
    return item.startswith("//")


def local_file(spec: OperationSpec, item: str) -> Path:
    """A `file_paths` entry as a file of the pipeline folder, checked."""
    where = f"stage {spec.stage_name} operation {spec.name}: file_paths entry {item}"
    if "\x00" in item:
        raise ConfigError(f"{where[: -len(item)]}{item!r} holds a NUL byte")
    pipeline_dir = Path(spec.pipeline_dir).resolve()
    given = Path(item) if Path(item).is_absolute() else pipeline_dir / item
    source = given.resolve()
    if source != pipeline_dir and pipeline_dir not in source.parents:
        raise ConfigError(f"{where} is outside the pipeline folder {pipeline_dir}"
                          + (f" (it leads to {source})" if given.is_symlink() else ""))
    if source.is_dir():
        raise ConfigError(f"{where} is a folder: pack it as one file (a .tar) and unpack it "
                          "in the job")
    if not source.is_file():
        raise ConfigError(f"{where} not found (looked at {given})")
    if SECRETS_FILE in (given.name, source.name):
        raise ConfigError(f"{where} is a secrets file; jobs get secrets through env only")
    return source
