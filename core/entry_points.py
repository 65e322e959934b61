"""Entry points of the installed distributions, read from their metadata folders.

Every start of the command line looks up the plugins; `importlib.metadata` would cost more
than a fifth of a small run's start-up just to be imported (it loads the `email` package,
`zipfile`, `csv`). The metadata this needs is a folder per distribution on `sys.path`
(`*.dist-info` or `*.egg-info`) holding `entry_points.txt`, so it is read here directly,
finding, deduplicating and ordering distributions as `importlib.metadata.entry_points`
does. Where that is not enough (a zip file on `sys.path`, an import hook that publishes
distributions of its own), `importlib.metadata` itself answers.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Iterable, Iterator
from importlib import import_module
from pathlib import Path
from typing import Any

_METADATA_SUFFIXES = (".dist-info", ".egg-info")
# the syntax of an entry point's value, as importlib.metadata.EntryPoint.pattern
_VALUE = r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$"


# plain classes, not dataclasses: building a dataclass is itself start-up time
class Distribution:
    """An installed distribution's metadata folder; its name and version are read from its
    metadata file on first use (only `yt-pipeline plugins` and messages show them)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @functools.cached_property
    def _headers(self) -> dict[str, str]:
        for file_name in ("METADATA", "PKG-INFO"):
            try:
                text = (self.path / file_name).read_text(encoding="utf-8")
            except (OSError, ValueError):
                continue
            return _headers(text)
        return {}

    @property
    def name(self) -> str | None:
        return self._headers.get("name")

    @property
    def version(self) -> str | None:
        return self._headers.get("version")


class EntryPoint:
    """What the host uses of `importlib.metadata.EntryPoint`: `name`, `value`, `load()`,
    `dist` (None when importlib.metadata found it without one)."""

    def __init__(self, name: str, value: str, group: str, dist: Any = None) -> None:
        self.name = name
        self.value = value
        self.group = group
        self.dist = dist

    def __repr__(self) -> str:
        return f"EntryPoint(name={self.name!r}, value={self.value!r}, group={self.group!r})"

    def load(self) -> Any:
        match = re.match(_VALUE, self.value)
        if match is None:  # the same error importlib.metadata gives such a value
            raise AttributeError("'NoneType' object has no attribute 'group'")
        module = import_module(match.group("module"))
        attrs = filter(None, (match.group("attr") or "").split("."))
        return functools.reduce(getattr, attrs, module)


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points of `group`, in the order `importlib.metadata.entry_points` gives:
    distributions in `sys.path` order, the first of each name only."""
    folders = _metadata_folders(sys.path)
    if folders is None or _other_distribution_finders():
        return _from_importlib(group)
    found: list[EntryPoint] = []
    for folder in folders:
        try:  # plain strings and open(): pathlib costs more than the read, dozens of times
            with open(os.path.join(folder, "entry_points.txt"), encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, ValueError):  # none, or unreadable: importlib.metadata skips it too
            continue
        if f"[{group}]" not in text:  # the section's line, as _parse matches it
            continue
        dist = Distribution(folder)
        found.extend(EntryPoint(name, value, group, dist)
                     for section, name, value in _parse(text) if section == group)
    return found


def _metadata_folders(paths: Iterable[str]) -> list[str] | None:
    """Each distribution's folder, the first found of each normalized name; None when a
    path entry is not a plain folder named by a string (a zip file, an egg: left to
    importlib.metadata)."""
    seen: set[str] = set()
    folders: list[str] = []
    for entry in paths:
        if not isinstance(entry, str):  # a Path someone put on sys.path, or stranger
            return None
        if entry.lower().endswith(".egg"):
            return None  # an egg's metadata is laid out differently
        try:
            children = os.listdir(entry or ".")
        except NotADirectoryError:
            return None
        except OSError:
            continue  # a missing folder on sys.path holds no distributions
        # importlib.metadata groups one folder's distributions by name, in listing order
        by_name: dict[str, list[str]] = {}
        for child in children:
            low = child.lower()
            if low.endswith(_METADATA_SUFFIXES):
                stem = low.rpartition(".")[0].partition("-")[0]
                by_name.setdefault(_normalize(stem), []).append(child)
        for name, group in by_name.items():
            for child in group:
                if name in seen:
                    break
                seen.add(name)
                folders.append(os.path.join(entry, child))
    return folders


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


def _parse(text: str) -> Iterator[tuple[str, str, str]]:
    """(section, name, value) of each entry in an entry_points.txt (an INI file, read as
    importlib.metadata reads it)."""
    section: str | None = None
    for line in map(str.strip, text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
            continue
        if section is not None:
            # a line without `=` is a broken file; importlib.metadata would raise on it
            # and stop the whole lookup, this skips the line
            if "=" not in line:
                continue
            name, _, value = line.partition("=")
            yield section, name.strip(), value.strip()


def _headers(text: str) -> dict[str, str]:
    # the header block of a metadata file (RFC 822 style), names lower-cased; the first of
    # a repeated name is kept, as email.message.Message.get does
    headers: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break
        if line[:1] in (" ", "\t") or ":" not in line:
            continue
        key, _, value = line.partition(":")
        headers.setdefault(key.strip().lower(), value.strip())
    return headers


def _other_distribution_finders() -> bool:
    # an import hook may publish distributions importlib.metadata would ask it for
    from importlib.machinery import PathFinder

    return any(hasattr(finder, "find_distributions") for finder in sys.meta_path
               if finder is not PathFinder)


def _from_importlib(group: str) -> list[EntryPoint]:
    from importlib.metadata import entry_points as installed

    return [EntryPoint(ep.name, ep.value, group, getattr(ep, "dist", None))
            for ep in installed(group=group)]
