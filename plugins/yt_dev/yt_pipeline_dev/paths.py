"""YT paths to files under .dev/: the whole path, so `//a/users` and `//b/users` never collide."""

from __future__ import annotations

from pathlib import Path

from yt_pipeline.errors import InvalidTablePath

TABLE_SUFFIX = ".jsonl"


def split_yt_path(path: str) -> list[str]:
    """The parts of a YT path (`//tmp/a/b` -> ['tmp', 'a', 'b']), checked."""
    if not isinstance(path, str) or not path.startswith("//"):
        raise InvalidTablePath(f"not a YT path (must start with //): {path!r}")
    body = path[2:].split("{", 1)[0].split("[", 1)[0]  # drop column/range selectors
    if body.startswith("<"):
        raise InvalidTablePath(f"YT path attributes are not supported here: {path!r}")
    parts = [p for p in body.rstrip("/").split("/")]
    if body == "":
        return []
    for part in parts:
        if part in ("", ".", "..") or "\x00" in part or "\\" in part:
            raise InvalidTablePath(f"bad YT path {path!r}: the part {part!r} is not allowed")
    return parts


def table_file(root: Path, path: str) -> Path:
    parts = split_yt_path(path)
    if not parts:
        raise InvalidTablePath(f"{path!r} is the root, not a table")
    return root.joinpath(*parts[:-1], parts[-1] + TABLE_SUFFIX)


def folder(root: Path, path: str) -> Path:
    return root.joinpath(*split_yt_path(path))
