"""YAML reading with errors that name the file and the line, and atomic YAML writing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from yt_pipeline.errors import ConfigError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def read_yaml_mapping(path: Path, *, display: str | None = None) -> dict[str, Any]:
    """Parse a YAML file whose top level must be a mapping (an empty file is `{}`)."""
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", file=shown) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=shown) from None
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"invalid YAML{where}: {problem}", file=shown) from None
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. odd tags in the C loader
        raise ConfigError(f"invalid YAML: {exc}", file=shown) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"the top level must be a mapping of keys, not {type(data).__name__}", file=shown
        )
    bad = [k for k in data if not isinstance(k, str)]
    if bad:
        raise ConfigError(f"keys must be strings, found {bad[0]!r}", file=shown)
    return data


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def write_file_atomic(path: Path, text: str) -> None:
    """Write a file so that a reader sees the old or the new content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
