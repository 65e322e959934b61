"""Listing the files of one archive source: `.ytignore` rules, files never packed, and
symlinks that must not lead out of the folder they belong to."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import msgspec

from yt_pipeline.errors import PackagingError
from yt_pipeline_uploader.leaks import is_secret_name
from yt_pipeline_uploader.private import NOTHING_PRIVATE, Private

IGNORE_FILE = ".ytignore"
#: folders never packed, wherever they are: caches, local tables, build output, VCS data
SKIPPED_DIRS = frozenset({"__pycache__", ".dev", ".build", ".git"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")


class Source(msgspec.Struct, frozen=True):
    """A file or folder that goes into the archive under `target`.

    `origin` names it in errors (a config key). Symlinks may point anywhere inside
    `boundary`. `.ytignore` files apply from `ignore_root` down, as .gitignore files do.
    """

    path: Path
    target: str
    origin: str
    boundary: Path
    ignore_root: Path


class Entry(msgspec.Struct, frozen=True):
    """One file of the archive."""

    arcname: str
    path: Path
    executable: bool
    origin: str


class _Rules(msgspec.Struct):
    """.ytignore specs met so far, shallowest first, each with the folder it sits in
    (as a path relative to the ignore root, '' or ending in '/')."""

    specs: list[tuple[str, Any]] = msgspec.field(default_factory=list)

    def with_file(self, folder: Path, prefix: str) -> _Rules:
        ignore_file = folder / IGNORE_FILE
        if not ignore_file.is_file():
            return self
        from pathspec import GitIgnoreSpec

        lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
        return _Rules([*self.specs, (prefix, GitIgnoreSpec.from_lines(lines))])

    def ignores(self, relative: str) -> bool:
        # A deeper file may re-include what a shallower one excluded (`!pattern`).
        verdict = None
        for prefix, spec in self.specs:
            if relative.startswith(prefix):
                included = spec.check_file(relative[len(prefix):]).include
                if included is not None:
                    verdict = included
        return bool(verdict)


FileIds = frozenset[tuple[int, int]]


def list_source(source: Source, secret_ids: FileIds = frozenset(),
                private: Private = NOTHING_PRIVATE) -> list[Entry]:
    """Every file `source` contributes, with its name in the archive.

    `secret_ids` are the (device, inode) pairs of secret files, so that not even a hard link
    to one is packed; `private` are real paths never packed, nor anything under them (run
    state, the dev tables: see private.py).
    """
    walker = _Walker(source, secret_ids, private)
    path = source.path
    real = _checked_real(path, source)
    is_dir = real.is_dir()
    folder = path if is_dir else path.parent
    prefix = _relative(folder, source.ignore_root) or ""
    # The .ytignore files of the folders above the source apply to it too; a folder source
    # reads its own when the walk enters it.
    rules = _Rules()
    parts = [p for p in prefix.split("/") if p]
    above = [source.ignore_root / Path(*parts[:n]) for n in range(len(parts) + 1)]
    for outer in above[:-1] if is_dir else above:
        rules = rules.with_file(outer, _relative(outer, source.ignore_root) or "")
    if is_dir:
        walker.walk_dir(path, source.target, prefix, rules)
    else:
        walker.add_file(path, real, source.target, prefix + path.name, rules)
    return walker.entries


class _Walker:
    def __init__(self, source: Source, secret_ids: FileIds, private: Private):
        self.source = source
        self.secret_ids = secret_ids
        self.private = private
        self.entries: list[Entry] = []
        #: real folders being walked, from the source down: a symlink back to one is a loop
        self.walking: set[Path] = set()

    def walk_dir(self, folder: Path, arc_prefix: str, rel_prefix: str, rules: _Rules) -> None:
        real_folder = folder.resolve()
        if real_folder in self.walking:
            return
        self.walking.add(real_folder)
        try:
            self._walk_items(folder, arc_prefix, rel_prefix, rules.with_file(folder, rel_prefix))
        finally:
            self.walking.discard(real_folder)

    def _walk_items(self, folder: Path, arc_prefix: str, rel_prefix: str, rules: _Rules) -> None:
        with os.scandir(folder) as listing:
            items = sorted(listing, key=lambda item: item.name)
        for item in items:
            path = Path(item.path)
            is_dir = item.is_dir()
            arcname = f"{arc_prefix}/{item.name}" if arc_prefix else item.name
            relative = rel_prefix + item.name
            # What is ignored is never followed: an ignored symlink may lead anywhere, or
            # nowhere (an editor's lock file), without failing the build.
            if is_dir and (item.name in SKIPPED_DIRS or rules.ignores(relative + "/")):
                continue
            if not is_dir and _never_packed(item.name, relative, rules):
                continue
            real = _checked_real(path, self.source) if item.is_symlink() else path
            if self.private.holds(path) or self.private.holds(real):
                continue
            if is_dir:
                if real.name not in SKIPPED_DIRS:
                    self.walk_dir(path, arcname, relative + "/", rules)
            else:
                self.add_file(path, real, arcname, relative, rules)

    def add_file(self, path: Path, real: Path, arcname: str, relative: str, rules: _Rules) -> None:
        # a symlink with a harmless name may lead to a secrets file
        if is_secret_name(real.name) or _never_packed(path.name, relative, rules):
            return
        info = real.stat()
        mode = info.st_mode
        # A hard link to a secret has neither its name nor its path, only its inode. Sockets,
        # fifos and devices are nothing a job can use.
        if (info.st_dev, info.st_ino) in self.secret_ids or not stat.S_ISREG(mode):
            return
        executable = bool(mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))
        self.entries.append(Entry(arcname, path, executable, self.source.origin))


def _never_packed(name: str, relative: str, rules: _Rules) -> bool:
    """A file left out by its name alone or by a .ytignore rule."""
    if is_secret_name(name) or name == IGNORE_FILE or name.endswith(SKIPPED_SUFFIXES):
        return True
    return rules.ignores(relative)


def _checked_real(path: Path, source: Source) -> Path:
    """Where a path really leads; an error when that is outside the source's boundary."""
    if not path.exists():
        what = "a broken symlink" if path.is_symlink() else "missing"
        raise PackagingError(f"{source.origin}: {path} is {what}")
    real = path.resolve()
    boundary = source.boundary.resolve()
    if real != boundary and boundary not in real.parents:
        raise PackagingError(
            f"{source.origin}: {path} leads outside {boundary} (to {real}); "
            "only files inside it may be packed"
        )
    return real


def _relative(path: Path, base: Path) -> str | None:
    """`path` relative to `base` as 'a/b/' ('' for base itself), or None when outside."""
    try:
        parts = path.relative_to(base).parts
    except ValueError:
        return None
    return "".join(f"{p}/" for p in parts)
