"""Modules a yt-framework job imports that came with yt-framework's install but not with
yt-pipeline's. Dev jobs run under the Python that runs the pipeline, so a converted pipeline
whose job imports one fails on its first job; `migrate` says which to install instead."""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterable
from pathlib import Path

#: module -> how to get it (yt-framework 1.4 depends on omegaconf; its mappers load their
#: config with `OmegaConf.load(get_config_path())`)
FROM_YT_FRAMEWORK = {"omegaconf": "pip install 'yt-pipeline[compat]'"}


def module_installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def imported_at(tree: ast.AST, module: str) -> int | None:
    """The first line importing `module` (or a submodule of it), or None."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        if any(name == module or name.startswith(module + ".") for name in names):
            lines.append(node.lineno)
    return min(lines) if lines else None


def job_import_notes(root: Path, job_files: Iterable[Path]) -> list[str]:
    """`file:line: ...` for each job file importing a module of FROM_YT_FRAMEWORK that this
    Python lacks."""
    missing = {m: how for m, how in FROM_YT_FRAMEWORK.items() if not module_installed(m)}
    notes = []
    for path in job_files if missing else ():
        try:
            tree = ast.parse(path.read_bytes())
        except (OSError, SyntaxError, ValueError):
            continue  # migrate reports a file it cannot parse where it rewrites it
        for module, how in missing.items():
            line = imported_at(tree, module)
            if line is not None:
                notes.append(f"{path.relative_to(root)}:{line}: job code imports {module}, "
                             "which yt-framework installed and this Python lacks (dev jobs "
                             f"run under it): {how}; in prod the job's image needs it, "
                             "as before")
    return notes
