"""Checkpoints: files or folders of the pipeline folder that a stage's jobs read (models,
vocabularies, lookup tables), declared once in the stage's config.yaml:

    checkpoints:
      model: models/classifier.bin     # a file
      vocab: assets/vocab/             # a folder
    # or a list, each named after its last path part: [models/classifier.bin]

Every operation of the stage gets them, under `checkpoints/<name>` of the job's working
folder (the path `ytjobs.get_checkpoint_path(name)` gives, in both modes). Dev copies them
into the job's sandbox; prod uploads each once beside the code archive, named by its content
(a folder as a reproducible tar), and the job's command puts it in place. So one stage
config runs unchanged in dev and on a cluster.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yt_pipeline.attachments import SECRETS_FILE, inside_pipeline
from yt_pipeline.errors import ConfigError

KEY = "checkpoints"
#: where jobs find them, relative to their working folder
FOLDER = "checkpoints"
#: set for every job: the absolute path of FOLDER (a job may change its working folder)
ENV_VAR = "YTP_CHECKPOINTS_DIR"
#: a name is one path part a shell and YT's file names take as they are
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Checkpoint:
    name: str
    #: as written in config.yaml
    entry: str
    #: resolved, inside the pipeline folder
    source: Path

    @property
    def is_folder(self) -> bool:
        return self.source.is_dir()


def named_entries(value: Any) -> list[tuple[str, Any, str]] | None:
    """(name, path as written, key) of each entry of a `checkpoints:` value; None when the
    value is neither a mapping, a list nor one path."""
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    elif hasattr(value, "to_list"):
        value = value.to_list()
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        return [(Path(item.rstrip("/")).name if isinstance(item, str) else "", item,
                 f"{KEY}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, Mapping):
        return [(str(name), item, f"{KEY}.{name}") for name, item in value.items()]
    return None


def declared(config: Any, stage_name: str, pipeline_dir: Path,
             file: str | None = None) -> list[Checkpoint]:
    """The checkpoints a stage's config declares, each checked; a problem is one line naming
    the file and the key."""
    value = config.get(KEY) if hasattr(config, "get") else None
    if value is None:
        return []
    file = file or getattr(config, "file", None)

    def fail(message: str, key: str = KEY) -> ConfigError:
        return ConfigError(f"stage {stage_name}: {message}", file=file, key=key)

    entries = named_entries(value)
    if entries is None:
        raise fail("must be a mapping of names to paths, or a list of paths")
    found: dict[str, Checkpoint] = {}
    for name, item, key in entries:
        if not isinstance(item, str) or not item.strip():
            raise fail("must be a path of the pipeline folder", key)
        if not _NAME.match(name):
            raise fail(f"checkpoint name {name!r} must be letters, digits, '.', '_' or '-'", key)
        if name in found:
            raise fail(f"two checkpoints are named {name}", key)
        found[name] = Checkpoint(name, item, _checked_source(pipeline_dir, item, key, fail))
    return list(found.values())


def _checked_source(pipeline_dir: Path, item: str, key: str, fail: Any) -> Path:
    problem, source = inside_pipeline(pipeline_dir, item)
    if problem:
        raise fail(f"{item} {problem}", key)
    if not source.exists():
        raise fail(f"{item} not found (looked at {source})", key)
    if source.is_dir():
        for path in _files(source):
            real = path.resolve()
            if SECRETS_FILE == path.name or SECRETS_FILE == real.name:
                raise fail(f"{item} holds a secrets file ({path.relative_to(source)}); jobs get "
                           "secrets through env only", key)
            if inside_pipeline(pipeline_dir, str(real))[0]:
                raise fail(f"{item}: {path.relative_to(source)} leads outside the pipeline "
                           f"folder (to {real})", key)
    elif SECRETS_FILE == source.name or SECRETS_FILE == Path(item).name:
        raise fail(f"{item} is a secrets file; jobs get secrets through env only", key)
    return source


def _files(folder: Path) -> Iterator[Path]:
    """Every file under a folder, in a fixed order; symbolic links to files are followed,
    links to folders are not (a loop would never end)."""
    for top, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = Path(top, name)
            if path.is_file():
                yield path


def folder_entries(folder: Path) -> list[tuple[str, Path]]:
    """(name inside the folder, path) of each of its files, as they are packed and hashed."""
    return [(path.relative_to(folder).as_posix(), path) for path in _files(folder)]


def pack_folder(folder: Path, target: Path) -> None:
    """A folder as an uncompressed tar whose bytes depend on the files' names and contents
    only (no times, owners or modes but the executable bit), so an unchanged folder gives
    the same bytes, the same content name, and is not uploaded again."""
    import tarfile  # only prod uploads of a folder need it

    with tarfile.open(target, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, path in folder_entries(folder):
            info = tarfile.TarInfo(name)
            info.size = path.stat().st_size
            info.mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.mtime = 0
            with path.open("rb") as handle:
                archive.addfile(info, handle)


def job_folder(working_folder: Path) -> Path:
    return working_folder / FOLDER
