"""Modules a yt-framework job imports that came with yt-framework's install but not with
yt-pipeline's. Dev jobs run under the Python that runs the pipeline, so a converted pipeline
whose job imports one fails on its first job; `migrate` says which to install instead."""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterable
from pathlib import Path

#: module -> how to get it: the dependencies of yt-framework 1.4 (its pyproject.toml:
#: omegaconf, ytsaurus-client, boto3, botocore, duckdb, PyYAML) that yt-pipeline does not
#: install itself. Its mappers load their config with `OmegaConf.load(get_config_path())`;
#: job code keeps checkpoints or reads tables with `yt.wrapper`, lists S3 with boto3.
FROM_YT_FRAMEWORK = {
    "omegaconf": "pip install 'yt-pipeline[compat]'",
    "yt": "pip install ytsaurus-client",
    "boto3": "pip install boto3",
    "botocore": "pip install botocore",
    "duckdb": "pip install duckdb",
}
#: modules of ours a job imports whose calls need one of FROM_YT_FRAMEWORK (ytjobs.checkpoint
#: reaches Cypress with yt.wrapper, imported on its first call): module -> (what it needs,
#: the module of FROM_YT_FRAMEWORK that provides it)
NEEDS = {"ytjobs.checkpoint": ("yt.wrapper", "yt")}


def module_installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def imported_at(tree: ast.AST, module: str) -> int | None:
    """The first line importing `module` (or a submodule of it), or None."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from ytjobs import checkpoint` imports the submodule
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        else:
            continue
        if any(name == module or name.startswith(module + ".") for name in names):
            lines.append(node.lineno)
    return min(lines) if lines else None


def job_import_notes(root: Path, job_files: Iterable[Path]) -> list[str]:
    """`file:line: ...` for each job file importing a module of FROM_YT_FRAMEWORK that this
    Python lacks, or a module of NEEDS whose calls need one; in the order of the lines."""
    missing = {m: how for m, how in FROM_YT_FRAMEWORK.items() if not module_installed(m)}
    # what a job may import -> the words naming what it lacks, and how to get it
    wanted = {m: ("", how) for m, how in missing.items()}
    wanted.update({ours: (f", whose calls need {what}", missing[source])
                   for ours, (what, source) in NEEDS.items() if source in missing})
    notes = []
    for path in job_files if missing else ():
        try:
            tree = ast.parse(path.read_bytes())
        except (OSError, SyntaxError, ValueError):
            continue  # migrate reports a file it cannot parse where it rewrites it
        found = []
        for module, (needs, how) in wanted.items():
            line = imported_at(tree, module)
            if line is not None:
                found.append((line, f"{path.relative_to(root)}:{line}: job code imports "
                                    f"{module}{needs}, which yt-framework installed and this "
                                    f"Python lacks (dev jobs run under it): {how}; in prod "
                                    "the job's image needs it, as before"))
        notes += [note for _, note in sorted(found)]
    return notes
