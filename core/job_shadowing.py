"""Warn about a job file named like a standard module the job needs.

A job runs `python3 <script>`, so the script's folder comes first on sys.path: a file there
called `copy.py` or `json.py` is what `import copy` loads anywhere in the job, the standard
library's own imports included. The job then fails far from the cause (a circular import,
an AttributeError in the standard library, or a crash in C code that gets a half-loaded
module), so both backends name the file before an operation's jobs start.

Only names the job's imports need are warned of: the script's imports, followed through
the standard library's sources (their module-level imports) and through ytjobs, which also
loads msgspec or orjson where they are installed (ytjobs/shadowing.py). Jobs run Python
3.8: a name of a module added later is nobody's standard module there.
"""

from __future__ import annotations

import ast
import functools
import logging
import sys
import sysconfig
import threading
from pathlib import Path

import ytjobs
from yt_pipeline.job_runtime import NEWER_MODULES
from yt_pipeline.job_syntax import CLUSTER_PYTHON
from yt_pipeline.operations import OperationSpec
from ytjobs.shadowing import ENGINE_MODULES

log = logging.getLogger("yt_pipeline.jobs")

#: standard modules of Python 3.8 that this Python has too (underscored ones are internal)
STDLIB = frozenset(name for name in sys.stdlib_module_names
                   if not name.startswith("_") and name not in NEWER_MODULES)
_STDLIB_DIR = sysconfig.get_paths()["stdlib"]
_YTJOBS_DIR = Path(ytjobs.__file__).resolve().parent

_warned: set[tuple[Path, int]] = set()
_warned_lock = threading.Lock()


def _imported(tree: ast.AST, package: str, *, module_level: bool) -> set[str]:
    """Modules the absolute imports in `tree` name (their top name), and the submodules of
    `package` its relative imports name (dotted); with `module_level`, only the imports run
    as the module loads (not inside a function or a class)."""
    names: set[str] = set()
    todo = list(ast.iter_child_nodes(tree))
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 1 and package:
            modules = [node.module] if node.module else [a.name for a in node.names]
            names.update(f"{package}.{module}" for module in modules)
        if module_level and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                              ast.ClassDef)):
            continue
        todo.extend(ast.iter_child_nodes(node))
    return names


def _file_imports(path: Path, package: str = "", module_level: bool = False) -> set[str]:
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, ValueError, SyntaxError):
        return set()
    return _imported(tree, package, module_level=module_level)


@functools.cache
def _stdlib_imports(name: str) -> frozenset[str]:
    """What the standard module `name` (dotted for a submodule) imports as it loads."""
    base = Path(_STDLIB_DIR, *name.split("."))
    for path, package in ((base.with_suffix(".py"), name.rpartition(".")[0]),
                          (base / "__init__.py", name)):
        if path.is_file():
            return frozenset(_file_imports(path, package, module_level=True))
    return frozenset()  # built in, or a compiled extension: imports nothing we can see


@functools.lru_cache(maxsize=1)
def _ytjobs_imports() -> frozenset[str]:
    found = set(ENGINE_MODULES)  # loaded by msgspec or orjson where they are installed
    for path in _YTJOBS_DIR.rglob("*.py"):
        found |= {n for n in _file_imports(path) if "." not in n}
    return frozenset(found)


def needed_by(script: Path) -> dict[str, str]:
    """Standard modules the job of `script` loads, each with the module that imports it
    (`script` itself for its own imports)."""
    needed: dict[str, str] = {}
    seen: set[str] = set()
    todo = [(name, script.name) for name in sorted(_file_imports(script))]
    while todo:
        name, importer = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        top = name.split(".")[0]
        if name == "ytjobs":
            todo += [(n, "ytjobs") for n in sorted(_ytjobs_imports())]
            continue
        if top not in STDLIB:
            continue
        needed.setdefault(top, importer)
        todo += [(n, name) for n in sorted(_stdlib_imports(name))]
    return needed


def _modules_in(folder: Path) -> dict[str, Path]:
    """The modules and packages a folder on sys.path offers, by name."""
    found = {p.stem: p for p in folder.glob("*.py")}
    found.update({p.parent.name: p.parent for p in folder.glob("*/__init__.py")})
    return found


def shadowing(spec: OperationSpec) -> list[tuple[Path, str, str]]:
    """(file, standard module, its importer) for each file of a job script's folder that a
    job would load instead of a standard module it needs."""
    stage_dir = Path(spec.stage_dir)
    found: dict[Path, tuple[str, str]] = {}
    for script in sorted({stage_dir / s for s in (spec.mapper, spec.reducer, spec.script)
                          if s}):
        if not script.is_file():
            continue
        # only a file named like a standard module costs the walk through the imports
        named = {n: p for n, p in _modules_in(script.parent).items() if n in STDLIB}
        needed = needed_by(script) if named else {}
        for name, path in sorted(named.items()):
            if name in needed:
                found.setdefault(path, (name, needed[name]))
    return [(path, name, importer) for path, (name, importer) in sorted(found.items())]


def warn_shadowing(spec: OperationSpec) -> None:
    """Log one warning per job file named like a standard module the job needs."""
    for path, name, importer in shadowing(spec):
        try:
            seen = (path, path.stat().st_mtime_ns)
        except OSError:
            continue
        with _warned_lock:
            if seen in _warned:
                continue
            _warned.add(seen)
        pipeline_dir = Path(spec.pipeline_dir)
        shown = path.relative_to(pipeline_dir) if path.is_relative_to(pipeline_dir) else path
        log.warning("%s: named like the standard module %s, which the job needs (%s imports "
                    "it): the script's folder comes first on sys.path, so every `import %s` "
                    "in the job (python3 %d.%d's own too) loads this file; rename it",
                    shown, name, importer, name, *CLUSTER_PYTHON)
