"""What a stage's code can read, hashed for the cache (cache.py lists the components).

- `code`: the stage's own files: the file of its class (stage.py), everything under src/
  but caches, requirements.txt, and the job scripts its config.yaml names elsewhere in its
  folder.
- `imports`: the local modules that code imports, at any depth: every `import` and
  `from ... import` of those files (inside functions too) found as a module or package of
  the pipeline folder, as Python would find it with that folder first on the path. Modules
  of installed packages are not followed. A module imported by a name computed at run time
  (`importlib.import_module(name)`) is not seen; a job's is in `uploads` when
  `upload_modules` or `upload_paths` ships it.
- `uploads`: for a stage with job code, what every job finds in the code archive besides
  its stage: ytjobs, `upload_modules`, `upload_paths`, as the uploader would pack them
  (`ytp_list_shared_code`), one digest per configuration entry.
- `files`: each `file_paths` entry of the stage's operation sections: a local file's
  content, a Cypress file's revision; and each of its `checkpoints:` (a file's content, a
  folder's file names and contents).

Content digests come from a `FileMemo`, so an unchanged file is not read again. Everything
but Cypress files is computed once per run, before the code archive is built: a file
changed while the run goes on is then newer than its digest, and the next run sees it.
"""

from __future__ import annotations

import inspect
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from yt_pipeline.checkpoints import KEY, folder_entries, named_entries
from yt_pipeline.filememo import FileMemo, Import
from yt_pipeline.operation_names import DEFAULT_SCRIPTS
from yt_pipeline.units import digest_value

#: never part of a stage's code: caches of the interpreter
_SKIPPED_DIRS = frozenset({"__pycache__"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_SCRIPT_KEYS = ("script", "mapper", "reducer")


class CodeFiles:
    """The readable files of the stages of one run, hashed through one memo."""

    def __init__(self, pipeline_dir: Path, settings: Any = None, hook: Any = None):
        self.pipeline_dir = Path(pipeline_dir).resolve()
        self.settings = settings
        self.hook = hook
        self.memo = FileMemo(self.pipeline_dir)
        self.stages: dict[str, StageCode] = {}
        self._lock = threading.Lock()
        self._uploads: dict[str, str] | None = None
        self._found: dict[tuple[str, str, tuple[str, ...]], tuple[Path, ...]] = {}
        self._edges: dict[tuple[Path, bool], tuple[Path, ...]] = {}
        self._closures: dict[Path, frozenset[Path]] = {}
        self._names: dict[Path, str] = {}
        self._class_files: dict[type, Path | None] = {}

    def add_stage(self, name: str, stage_dir: Path, stage_class: type | None,
                  config: Mapping[str, Any]) -> StageCode:
        """A stage: its folder, its class (whose file is part of its code), its config."""
        self.stages[name] = StageCode(self, name, stage_dir, stage_class, config)
        return self.stages[name]

    def read_ahead(self, names: Iterable[str]) -> None:
        """Hash what the named stages can read now (before the archive is built)."""
        for name in names:
            if name in self.stages:
                self.stages[name].local()

    def save(self) -> None:
        self.memo.save()

    # -- shared by every stage --------------------------------------------------------
    def uploads(self) -> dict[str, str]:
        with self._lock:
            if self._uploads is None:
                listed = None
                if self.hook is not None:
                    listed = self.hook.list_shared_code(
                        pipeline_dir=self.pipeline_dir, settings=self.settings
                    )
                self._uploads = {
                    label: digest_value([[arcname, self.memo.digest(Path(path))]
                                         for arcname, path in sorted(files)])
                    for label, files in (listed or {}).items()
                }
            return self._uploads

    def imported_files(self, sources: list[Path], own: set[Path]) -> dict[str, str | None]:
        """Local modules the `sources` import, at any depth, that are not in `own`.

        A stage's own file may import from its own folder too (a job script runs with its
        folder first on the path); modules are looked up from the pipeline folder (where
        the stage runs, and jobs without a code archive) and relative to their package."""
        found: set[Path] = set()
        for path in sources:
            if path.suffix == ".py":
                found |= self._closure(path)
        return {self._shown(path): self.memo.digest(path) for path in sorted(found - own)}

    def _closure(self, start: Path) -> frozenset[Path]:
        """Every local module an own file imports, at any depth (once per run and file)."""
        cached = self._closures.get(start)
        if cached is None:
            seen = {start}
            queue = list(self._direct(start, True))
            while queue:
                module = queue.pop()
                if module not in seen:
                    seen.add(module)
                    queue.extend(self._direct(module, False))
            cached = self._closures[start] = frozenset(seen - {start})
        return cached

    def _direct(self, path: Path, is_own: bool) -> tuple[Path, ...]:
        key = (path, is_own)
        cached = self._edges.get(key)
        if cached is None:
            roots = [self.pipeline_dir, path.parent] if is_own else [self.pipeline_dir]
            cached = self._edges[key] = tuple(dict.fromkeys(
                module for statement in self.memo.imports(path)
                for module in self._resolve(path, statement, roots)
            ))
        return cached

    def _resolve(self, importer: Path, statement: Import, roots: list[Path]) -> list[Path]:
        level, module, names = statement
        parts = [part for part in module.split(".") if part]
        if level:
            base = importer.parent
            for _ in range(level - 1):
                base = base.parent
            return list(self._find(base, parts, names))
        # every root that has the module: a file left out would be a stale hit, one too
        # many only an extra run
        return [path for root in dict.fromkeys(roots) for path in self._find(root, parts, names)]

    def _find(self, base: Path, parts: list[str], names: tuple[str, ...]) -> tuple[Path, ...]:
        key = (str(base), ".".join(parts), names)
        cached = self._found.get(key)
        if cached is None:
            cached = self._found[key] = tuple(
                path for path in _module_files(base, parts, names) if self._inside(path)
            )
        return cached

    def _inside(self, path: Path) -> bool:
        real = path.resolve()
        return real == self.pipeline_dir or self.pipeline_dir in real.parents

    def _shown(self, path: Path) -> str:
        shown = self._names.get(path)
        if shown is None:
            try:
                shown = path.resolve().relative_to(self.pipeline_dir).as_posix()
            except ValueError:
                shown = str(path)
            self._names[path] = shown
        return shown

    def class_file(self, stage_class: type | None) -> Path | None:
        """The file that defines a stage's class: its stage.py, or an installed module."""
        if stage_class is None:
            return None
        if stage_class not in self._class_files:
            try:
                found: Path | None = Path(inspect.getfile(stage_class)).resolve()
            except (TypeError, OSError):
                found = None
            self._class_files[stage_class] = found
        return self._class_files[stage_class]


class StageCode:
    """One stage's readable files; computed once (`local()`), except Cypress files."""

    def __init__(self, files: CodeFiles, name: str, stage_dir: Path, stage_class: type | None,
                 config: Mapping[str, Any]):
        self.files, self.name, self.stage_dir = files, name, stage_dir
        self.stage_class = stage_class
        self.config = config
        self._lock = threading.Lock()
        self._local: dict[str, Any] | None = None

    def code_hash(self) -> str:
        return str(self.local()["code"])

    def read(self, client: Any) -> dict[str, dict[str, str | None]]:
        """The `imports`, `uploads` and `files` components, each by name (empty ones left
        out, so a stage that reads nothing more keeps the fingerprint it had before)."""
        local = self.local()
        files = dict(local["files"])
        for entry in local["cypress"]:
            files[entry] = client.table_fingerprint(entry) if client is not None else None
        groups = {"imports": local["imports"], "uploads": local["uploads"], "files": files}
        return {key: value for key, value in groups.items() if value}

    def local(self) -> dict[str, Any]:
        with self._lock:
            if self._local is None:
                self._local = self._compute()
            return self._local

    def _compute(self) -> dict[str, Any]:
        memo, stage_dir = self.files.memo, Path(self.stage_dir)
        scripts = _named_scripts(self.config)
        own = _own_files(stage_dir, self.files.class_file(self.stage_class), scripts)
        code = digest_value([[shown, memo.digest(path)] for shown, path in own])
        imports = self.files.imported_files([path for _, path in own], {p for _, p in own})
        names = {shown for shown, _ in own}
        has_jobs = bool(scripts) or any(s in names for s in DEFAULT_SCRIPTS.values())
        local_files: dict[str, str | None] = {}
        cypress = []
        for entry in _file_paths(self.config):
            if entry.startswith("//"):
                cypress.append(entry)
            else:
                path = Path(entry) if Path(entry).is_absolute() else self.files.pipeline_dir / entry
                local_files[entry] = memo.digest(path)
        for name, path in _checkpoint_paths(self.config, self.files.pipeline_dir):
            local_files[f"checkpoint {name}"] = (
                digest_value([[inner, memo.digest(file)] for inner, file in folder_entries(path)])
                if path.is_dir() else memo.digest(path))
        return {
            "code": code,
            "imports": imports,
            "uploads": self.files.uploads() if has_jobs else {},
            "files": local_files,
            "cypress": cypress,
        }


def _own_files(stage_dir: Path, stage_file: Path | None,
               scripts: list[str]) -> list[tuple[str, Path]]:
    """(name, path) of the stage's own files: names relative to its folder."""
    found: dict[str, Path] = {}
    if stage_file is not None:
        found[_name_in(stage_file, stage_dir)] = stage_file
    try:
        with os.scandir(stage_dir) as listing:
            top = {item.name: item for item in listing}
    except OSError:
        top = {}
    for name in ("stage.py", "requirements.txt"):
        item = top.get(name)
        if item is not None and item.is_file():
            found.setdefault(name, stage_dir / name)
    src = top.get("src")
    if src is not None and src.is_dir():
        walked: set[str] = set()
        for folder, dirs, files in os.walk(src.path, followlinks=True):
            real = os.path.realpath(folder)
            if real in walked:  # a symlink back up the tree
                dirs[:] = []
                continue
            walked.add(real)
            dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
            for name in files:
                if not name.endswith(_SKIPPED_SUFFIXES):
                    path = Path(folder, name)
                    if path.is_file():
                        found.setdefault(path.relative_to(stage_dir).as_posix(), path)
    for script in scripts:
        path = stage_dir / script
        if script not in found and path.is_file():
            found[script] = path
    return sorted(found.items())


def _name_in(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)


def _operation_sections(config: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    client = config.get("client") if isinstance(config, Mapping) else None
    sections = client.get("operations") if isinstance(client, Mapping) else None
    if not isinstance(sections, Mapping):
        return []
    return [section for section in sections.values() if isinstance(section, Mapping)]


def _named_scripts(config: Mapping[str, Any]) -> list[str]:
    scripts = []
    for section in _operation_sections(config):
        for key in _SCRIPT_KEYS:
            value = section.get(key)
            if isinstance(value, str) and value.strip():
                pure = PurePosixPath(value.replace("\\", "/"))
                if not pure.is_absolute() and ".." not in pure.parts:
                    scripts.append(str(pure))
    return scripts


def _file_paths(config: Mapping[str, Any]) -> list[str]:
    entries: dict[str, None] = {}
    for section in _operation_sections(config):
        value = section.get("file_paths")
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        entries.update((item, None) for item in items if isinstance(item, str) and item)
    return list(entries)


def _checkpoint_paths(config: Mapping[str, Any], pipeline_dir: Path) -> list[tuple[str, Path]]:
    """(name, path) of the stage's `checkpoints:`; the run checked them before it started."""
    value = config.get(KEY) if isinstance(config, Mapping) else None
    entries = named_entries(value) if value is not None else None
    return [(name, Path(item) if Path(item).is_absolute() else pipeline_dir / item)
            for name, item, _ in entries or [] if isinstance(item, str)]


def _module_files(base: Path, parts: list[str], names: tuple[str, ...]) -> list[Path]:
    """The files Python runs for `import a.b` (or `from a.b import names`) found from `base`:
    each package's __init__.py on the way, the module itself, and for a from-import the
    submodules among `names`. [] when `a` is not in `base`."""
    found: list[Path] = []
    folder = base
    for index, part in enumerate(parts):
        kind, path = _lookup(folder, part)
        if kind is None:
            return found if index else []
        if path is not None:
            found.append(path)
        if kind == "module":
            return found  # what follows is an attribute of the module
        folder = folder / part
    for name in names:
        kind, path = _lookup(folder, name)
        if path is not None and kind is not None:
            found.append(path)
    return found


def _lookup(folder: Path, name: str) -> tuple[str | None, Path | None]:
    """How `name` is found in `folder`, in the order Python's path finder looks: a package,
    a module, then a namespace package (a folder without __init__.py)."""
    package = folder / name
    init = package / "__init__.py"
    if init.is_file():
        return "package", init
    module = folder / f"{name}.py"
    if module.is_file():
        return "module", module
    if package.is_dir():
        return "namespace", None
    return None, None
