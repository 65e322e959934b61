"""What one dev transaction has changed so far, and how the tables look from inside it.

A transaction lives in `.dev/.txn/<id>/`: a staged file per table it wrote (the table's
whole content as the stage sees it) and `manifest.json`, which says per table whether it was
written, appended to (and on which version of the table, so that rows others appended
meanwhile are kept at the commit) or removed, and which folders were removed or created.
The manifest is a file, not only memory, because a YQL query writes from its own process.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from yt_pipeline.yamlio import write_file_atomic

TXN_DIR = ".txn"
MANIFEST = "manifest.json"
#: `lookup` of a table the transaction has not touched: the live table shows through
UNTOUCHED: Any = object()


def _prefix(folder: str) -> str:
    return folder if folder.endswith("/") else folder + "/"  # the root is `//`


def under(path: str, folder: str) -> bool:
    """True when YT path `path` is `folder` or inside it (both normalised)."""
    return path == folder or path.startswith(_prefix(folder))


def next_part(path: str, folder: str) -> str:
    """The name of the child of `folder` on the way to `path` (inside it)."""
    return path[len(_prefix(folder)):].split("/", 1)[0]


class Entry(msgspec.Struct):
    #: "write" (the staged file is the new table), "append" or "remove"
    kind: str
    #: the staged file's name in the transaction's folder
    file: str | None = None
    #: an append: the identity of the table it was made on (None: there was no table), and
    #: where the appended rows start in the staged file
    base: list[int] | None = None
    offset: int = 0


class Staging(msgspec.Struct):
    dir: Path
    tables: dict[str, Entry] = msgspec.field(default_factory=dict)
    removed: list[str] = msgspec.field(default_factory=list)
    created: list[str] = msgspec.field(default_factory=list)
    files: int = 0

    @classmethod
    def load(cls, folder: Path) -> Staging:
        staging = cls(folder)
        path = folder / MANIFEST
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            staging.tables = {p: Entry(**e) for p, e in data["tables"].items()}
            staging.removed, staging.created = data["removed"], data["created"]
            staging.files = data["files"]
        return staging

    def save(self) -> None:
        data = {"tables": {p: msgspec.structs.asdict(e) for p, e in self.tables.items()},
                "removed": self.removed, "created": self.created, "files": self.files}
        # not forced to disk: dev writes nothing durably (yamlio.durable_mode)
        write_file_atomic(self.dir / MANIFEST, json.dumps(data), durable=False)

    @property
    def empty(self) -> bool:
        return not (self.tables or self.removed or self.created)

    # -- the view from inside -----------------------------------------------------------
    def hidden(self, path: str) -> bool:
        return any(under(path, folder) for folder in self.removed)

    def lookup(self, path: str) -> Any:
        """The staged file of table `path`, None when the transaction removed it, or
        UNTOUCHED."""
        entry = self.tables.get(path)
        if entry is not None:
            return None if entry.kind == "remove" else self.dir / str(entry.file)
        return None if self.hidden(path) else UNTOUCHED

    def folder_state(self, path: str) -> bool | None:
        """Whether folder `path` exists as the transaction sees it; None: as it is live."""
        if any(under(p, path) and p != path and e.kind != "remove"
               for p, e in self.tables.items()):
            return True
        if any(under(made, path) for made in self.created):
            return True
        return False if self.hidden(path) else None

    def children(self, path: str, live: dict[str, bool]) -> set[str]:
        """Names in folder `path`, given its live children (name -> is a folder)."""
        names = set()
        if not self.hidden(path):
            for name, is_folder in live.items():
                child = _prefix(path) + name
                entry = self.tables.get(child)
                gone = entry is not None and entry.kind == "remove" and not is_folder
                if not gone and not self.hidden(child):
                    names.add(name)
        staged = [p for p, e in self.tables.items() if e.kind != "remove"]
        for inside in staged + self.created:
            if under(inside, path) and inside != path:
                names.add(next_part(inside, path))
        return names

    # -- changes ------------------------------------------------------------------------
    def file_for(self, path: str) -> str:
        """The staged file name for table `path` (the one it has, or a new one)."""
        entry = self.tables.get(path)
        if entry is not None and entry.file:
            return entry.file
        self.files += 1
        return f"{self.files}.jsonl"

    def wrote(self, path: str, file: str, *, append: bool, base: list[int] | None,
              offset: int) -> None:
        before = self.tables.get(path)
        if before is None:
            kind = "append" if append else "write"
            self.tables[path] = Entry(kind, file, base if append else None, offset)
        elif append and before.kind == "append":
            before.file = file  # its base and offset stay: those of its first append
        else:
            self.tables[path] = Entry("write", file)

    def remove_table(self, path: str) -> None:
        self._drop_file(path)
        self.tables[path] = Entry("remove")

    def remove_folder(self, path: str) -> None:
        for inside in [p for p in self.tables if under(p, path)]:
            self._drop_file(inside)
            del self.tables[inside]
        self.created = [made for made in self.created if not under(made, path)]
        self.removed.append(path)

    def _drop_file(self, path: str) -> None:
        entry = self.tables.get(path)
        if entry is not None and entry.file:
            (self.dir / entry.file).unlink(missing_ok=True)
