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


def inside_pipeline(pipeline_dir: Path, item: str) -> tuple[str | None, Path]:
    """(why `item` cannot be given to jobs, or None; where it leads). It must be a path of
    the pipeline folder, also after its symbolic links are followed."""
    if "\x00" in item:
        return "holds a NUL byte", Path()
    base = Path(pipeline_dir).resolve()
    given = Path(item) if Path(item).is_absolute() else base / item
    source = given.resolve()
    if source != base and base not in source.parents:
        return (f"is outside the pipeline folder {base}"
                + (f" (it leads to {source})" if given.is_symlink() else "")), source
    return None, source


def local_file(spec: OperationSpec, item: str) -> Path:
    """A `file_paths` entry as a file of the pipeline folder, checked."""
    where = f"stage {spec.stage_name} operation {spec.name}: file_paths entry"
    problem, source = inside_pipeline(spec.pipeline_dir, item)
    if problem:
        shown = repr(item) if "\x00" in item else item
        raise ConfigError(f"{where} {shown} {problem}")
    given = Path(item) if Path(item).is_absolute() else Path(spec.pipeline_dir).resolve() / item
    if source.is_dir():
        raise ConfigError(f"{where} {item} is a folder: declare it under `checkpoints:` in the "
                          "stage's config.yaml, or pack it as one file")
    if not source.is_file():
        raise ConfigError(f"{where} {item} not found (looked at {given})")
    if SECRETS_FILE in (given.name, source.name):
        raise ConfigError(f"{where} {item} is a secrets file; jobs get secrets through env only")
    return source


def job_file_name(spec: OperationSpec, item: str) -> str:
    """The name a `file_paths` entry has in the job's working folder: a Cypress file's own
    name (YT's default `file_name`), a local file's name."""
    if is_cypress_path(item):
        return item.rstrip("/").rsplit("/", 1)[-1]
    return local_file(spec, item).name


def check_job_file_names(spec: OperationSpec, archive_name: str) -> None:
    """Refuse two `file_paths` entries, or an entry and the code archive (`archive_name`,
    which prod mounts beside them), that would have one name in the job's working folder. A
    cluster refuses such an operation ("Duplicate user file name %Qv for %v": the user file
    checks of TOperationControllerBase in yt/yt/server/controller_agent/controllers/
    operation_controller_detail.cpp), and dev would keep only one of the files."""
    seen = {archive_name: "the code archive"}
    for item in spec.file_paths:
        name = job_file_name(spec, item)
        if name in seen:
            raise ConfigError(
                f"stage {spec.stage_name} operation {spec.name}: file_paths entries "
                f"{seen[name]} and {item} would both be {name} in the job's working folder "
                "(a cluster refuses the operation: duplicate user file name); rename one")
        seen[name] = item
