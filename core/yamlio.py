"""YAML reading with errors that name the file and the line, and atomic YAML writing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from yt_pipeline.errors import ConfigError


def load_yaml_text(text: str, *, shown: str, key: str | None = None) -> Any:
    """Parse YAML text with the limits of yaml_strict; errors are one ConfigError line
    naming `shown` (a file, a variable, --set) and `key`."""
    from yt_pipeline import yaml_strict

    try:
        return yaml_strict.load(text)
    except (yaml_strict.yaml.YAMLError, *yaml_strict.BUILD_ERRORS) as exc:
        raise yaml_strict.invalid(exc, shown, key) from None


def parse_scalar(raw: str, shown: str) -> Any:
    """A value given as text (an environment variable, `--set key=value`), read as YAML:
    `8` a number, `[a, b]` a list. Text that is not YAML at all stays text; YAML that
    parses but cannot be built (a recursive alias, a duplicate key) is an error naming
    `shown`. One parse, with the loader and limits of the configuration files."""
    if not raw.strip():
        return ""
    from yt_pipeline import yaml_strict

    try:
        return yaml_strict.load(raw)
    except yaml_strict.NOT_YAML:
        return raw
    except (yaml_strict.yaml.YAMLError, *yaml_strict.BUILD_ERRORS) as exc:
        raise yaml_strict.invalid(exc, shown, None) from None


def scalar_text(value: Any) -> str:
    """A value written as `parse_scalar` reads it back (for a --set in a command line)."""
    return value if isinstance(value, str) else dump_yaml(value).strip().removesuffix(
        "...").strip()


def read_yaml_mapping(path: Path, *, display: str | None = None,
                      memo: Path | None = None) -> dict[str, Any]:
    """Parse a YAML file whose top level must be a mapping (an empty file is `{}`). With
    `memo` (a pipeline's folder), its parsed value is kept there for the next read of the
    same text (yaml_memo)."""
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", file=shown) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=shown) from None
    data = _memo_or_parse(path, text, shown, memo)
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


def _memo_or_parse(path: Path, text: str, shown: str, memo: Path | None) -> Any:
    if memo is None:
        return load_yaml_text(text, shown=shown)
    from yt_pipeline import yaml_memo

    folder = memo / yaml_memo.MEMO_DIR
    source = path.resolve()
    data = yaml_memo.recall(folder, source, text)
    if data is yaml_memo.MISSING:
        data = load_yaml_text(text, shown=shown)
        yaml_memo.keep(folder, source, text, data)
    return data


def dump_yaml(data: Any) -> str:
    from yt_pipeline import yaml_strict

    return yaml_strict.dump(data)


def durable_mode(mode: str) -> bool:
    """Whether a run's own files (state, commit journal, run record) are forced to disk as
    they are written. Not in dev: its tables are written to the page cache and renamed into
    place, never forced, so forcing the files that describe them would not make a dev run
    survive a machine crash, and it costs the run the writing out of every table written
    before (some 0.1 s a run of a million rows, bench/compare). Any process kill loses
    nothing either way: a renamed file is whole. Prod's tables live on the cluster, and its
    state is forced to disk."""
    return mode != "dev"


def write_file_atomic(path: Path, text: str, *, durable: bool = True,
                      mode: int | None = None, newline: str | None = None) -> None:
    """Write a file so that a reader sees the old or the new content, never a mix; with
    `durable`, on disk before this returns. The file is private (0600) unless `mode` is
    given (the permission bits the file had, say); `newline=""` writes the line ends of
    `text` as they are."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            handle.write(text)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError) and exc.filename is None:
            # a failed write (a full disk) names no file by itself: the error line would not
            # say which of a run's files could not be written
            exc.filename = str(path)
        raise
