"""YT paths to files under .dev/: the whole path, so `//a/users` and `//b/users` never collide."""

from __future__ import annotations

import re
from pathlib import Path, PurePath

from yt_pipeline.digests import blake2b
from yt_pipeline.errors import ConfigError, InvalidTablePath

TABLE_SUFFIX = ".jsonl"
#: each part of a path is a file name under .dev/, with room left for the table suffix and
#: the temporary name a write uses (file systems stop at 255 bytes)
MAX_PART_BYTES = 200
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def split_yt_path(path: str) -> list[str]:
    """The parts of a YT path (`//tmp/a/b` -> ['tmp', 'a', 'b']), checked."""
    if not isinstance(path, str) or not path.startswith("//"):
        raise InvalidTablePath(f"not a YT path (must start with //): {path!r}")
    body = path[2:]
    for mark, what in (("<", "attributes"), ("{", "column selectors"), ("[", "row ranges")):
        if mark in body:
            raise InvalidTablePath(f"YT path {what} are not supported in dev mode: {path!r}")
    if body.strip("/") == "":
        return []
    for part in body.rstrip("/").split("/"):
        if part in ("", ".", "..") or "\x00" in part or "\\" in part:
            raise InvalidTablePath(f"bad YT path {path!r}: the part {part!r} is not allowed")
        if len(part.encode("utf-8", "surrogatepass")) > MAX_PART_BYTES:
            raise InvalidTablePath(
                f"bad YT path {path[:60]!r}...: a part is longer than {MAX_PART_BYTES} bytes, "
                "which dev mode cannot keep as a file name"
            )
    return body.rstrip("/").split("/")


#: folders of a pipeline that hold something else than dev tables; a dev_dir in one of them
#: would have its clean-up delete the code archive, run records, configs or stage code
RESERVED_FOLDERS = {
    ".build": "where the code archive is built",
    ".runs": "where run records are kept",
    "configs": "the pipeline's configuration",
    "stages": "the stage code",
    ".git": "the git repository",
}


def dev_root(pipeline_dir: Path, dev_dir: object, source: str | None = None) -> Path:
    """The folder of the dev tables: `pipeline.dev_dir`, which must stay inside the pipeline
    folder (`source` is the file that set it, for the error)."""
    text = str(dev_dir)
    parts = PurePath(text).parts
    if PurePath(text).is_absolute() or ".." in parts or "\x00" in text or not parts:
        raise ConfigError(
            f"must be a folder inside the pipeline folder (like .dev), got {text!r}",
            file=source, key="pipeline.dev_dir",
        )
    kept = [part for part in parts if part != "."]
    if not kept or kept[0] in RESERVED_FOLDERS:
        taken = RESERVED_FOLDERS.get(kept[0]) if kept else "the pipeline folder itself"
        raise ConfigError(
            f"must be a folder of its own (like .dev), got {text!r}, which is {taken}: "
            "dev mode removes files it does not know there",
            file=source, key="pipeline.dev_dir",
        )
    _refuse_a_file_on_the_way(Path(pipeline_dir), kept, text, source)
    return Path(pipeline_dir) / text


def _refuse_a_file_on_the_way(pipeline_dir: Path, parts: list[str], text: str,
                              source: str | None) -> None:
    """A dev_dir that is a file, or under one, fails the first table written, inside a
    stage that has started; said before the run, it names the setting."""
    path = pipeline_dir
    for part in parts:
        path = path / part
        if not path.exists():
            return  # made when the first table is written
        if not path.is_dir():
            shown = path.relative_to(pipeline_dir).as_posix()
            raise ConfigError(f"must be a folder, and {shown} is a file, got {text!r}",
                              file=source, key="pipeline.dev_dir")


#: the suffix of the logs dev keeps at the top of .dev: `operation.log`, a stage's vanilla
#: `<stage>.log` (launcher._collect_logs)
LOG_SUFFIX = ".log"
#: a folder name that could be taken for a table file (`t.jsonl`, `t.jsonl~`, ...) or for one
#: of dev's logs (`operation.log`: a folder of that name failed every write of the log, or
#: the log took the folder's name and the folder could not be made)
_LIKE_A_TABLE = re.compile("(" + re.escape(TABLE_SUFFIX) + "|" + re.escape(LOG_SUFFIX) + ")~*$")
FOLDER_ESCAPE = "~"
#: put before a YT name that begins with "." (or with itself) in its file name. Every name
#: dev keeps for itself begins with ".": the folders at the top of .dev (.txn, .locks,
#: .cache, .removed) and a write's temporary files beside its table. A table or folder of
#: such a name, which YT allows (`//.txn/t`, `//a/.hidden`), was taken for one of them:
#: left out of a listing, written into dev's transaction folder, removed with the
#: sandboxes swept from .removed. Escaped, no YT name is stored under a name beginning
#: with "."; a name beginning with the escape gets one more, so no two names meet.
NAME_ESCAPE = "^"


def stored_name(name: str) -> str:
    """The file name of YT name `name` (a table's before its suffix): `.x` is `^.x`, `^x`
    is `^^x`, any other name itself."""
    return NAME_ESCAPE + name if name.startswith((".", NAME_ESCAPE)) else name


def yt_name(stored: str) -> str:
    """The YT name kept under file name `stored`: `stored_name` undone."""
    return stored[len(NAME_ESCAPE):] if stored.startswith(NAME_ESCAPE) else stored


def folder_part(name: str) -> str:
    """The file name of a YT folder: its stored name (stored_name), with one more `~` when
    it ends like a table file or a log of dev's. The folder `//a/t.jsonl` is then
    `a/t.jsonl~`, apart from the table `//a/t` (`a/t.jsonl`), `//operation.log` is
    `operation.log~`, apart from dev's log, and no two names meet (`t.jsonl~` becomes
    `t.jsonl~~`)."""
    name = stored_name(name)
    return name + FOLDER_ESCAPE if _LIKE_A_TABLE.search(name) else name


def folder_name(part: str) -> str:
    """The YT name of a folder from its file name: `folder_part` undone."""
    if part.endswith(FOLDER_ESCAPE) and _LIKE_A_TABLE.search(part):
        part = part[: -len(FOLDER_ESCAPE)]
    return yt_name(part)


def table_name(file_name: str) -> str:
    """The YT name of a table from its file name (`t.jsonl` -> `t`)."""
    return yt_name(file_name[: -len(TABLE_SUFFIX)])


def table_file(root: Path, path: str) -> Path:
    parts = split_yt_path(path)
    if not parts:
        raise InvalidTablePath(f"{path!r} is the root, not a table")
    return root.joinpath(*map(folder_part, parts[:-1]), stored_name(parts[-1]) + TABLE_SUFFIX)


def folder(root: Path, path: str) -> Path:
    return root.joinpath(*map(folder_part, split_yt_path(path)))


def safe_name(*paths: str, limit: int = 120) -> str:
    """A file-system-safe name for YT paths (`//tmp/a/b` -> `tmp.a.b`), short and unique."""
    text = "+".join(".".join(split_yt_path(p)) for p in paths)
    name = _UNSAFE.sub("_", text) or "root"
    if len(name) > limit:
        digest = blake2b(text.encode(), digest_size=6).hexdigest()
        name = name[: limit - 13] + "-" + digest
    return name
