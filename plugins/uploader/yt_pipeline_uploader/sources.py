"""What goes into the archive and under which name: ytjobs, the stages, `upload_modules`
and `upload_paths`, with the rules that keep the archive's layout unambiguous and its
contents inside the pipeline folder."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from yt_pipeline.errors import PackagingError
from yt_pipeline.requirement_lines import requirement_names
from yt_pipeline.stage import STAGE_CONFIG_FILE
from yt_pipeline_uploader.jobcode import JobScript
from yt_pipeline_uploader.leaks import is_secret_name
from yt_pipeline_uploader.private import NOTHING_PRIVATE, Private
from yt_pipeline_uploader.walk import SKIPPED_DIRS, Source

STAGES_TARGET = "stages"
JOBS_PACKAGE = "ytjobs"
RESERVED_TARGETS = frozenset({STAGES_TARGET, JOBS_PACKAGE})
REQUIREMENTS_FILE = "requirements.txt"


def jobs_package_source() -> Source:
    """The job-side helpers, from wherever `import ytjobs` finds them."""
    import ytjobs

    folder = Path(ytjobs.__file__).resolve().parent
    return Source(folder, JOBS_PACKAGE, "ytjobs", folder, folder)


def stage_sources(
    pipeline_dir: Path, name: str, stage_dir: Path, scripts: list[JobScript]
) -> list[Source]:
    """src/, config.yaml, requirements.txt and any job script kept outside src/."""
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise PackagingError(f"stage {name!r}: not a usable folder name in the archive")
    stage_dir = stage_dir.resolve()
    # A stage of the pipeline folder may link to shared code elsewhere in that folder.
    inside = stage_dir == pipeline_dir or pipeline_dir in stage_dir.parents
    root = pipeline_dir if inside else stage_dir
    origin = f"stage {name}"
    wanted = ["src", STAGE_CONFIG_FILE, REQUIREMENTS_FILE]
    wanted += [s.script for s in scripts if PurePosixPath(s.script).parts[0] not in wanted]
    sources = []
    for relative in dict.fromkeys(wanted):
        path = stage_dir / relative
        if path.exists() or path.is_symlink():
            if relative == REQUIREMENTS_FILE and path.is_file():
                # a line pip cannot read fails every job of the stage once it starts on a
                # cluster: found here, before anything runs, in both modes
                for _ in requirement_names(path):
                    pass
            target = f"{STAGES_TARGET}/{name}/{relative}"
            sources.append(Source(path, target, origin, root, root))
    return sources


def module_sources(pipeline_dir: Path, names: list[str], key: str) -> list[Source]:
    """Each module of `upload_modules`, found the way an import would find it (the
    pipeline folder first): a package's folder, or a single module file."""
    sources = []
    for index, name in enumerate(names):
        where = f"{key}[{index}]"
        parts = name.split(".")
        if not all(part.isidentifier() for part in parts):
            raise PackagingError(f"{where}: {name!r} is not a module name")
        if parts[0] in RESERVED_TARGETS:
            raise PackagingError(f"{where}: module {name} would replace the archive's {parts[0]}/")
        spec = _find_module(pipeline_dir, parts)
        if spec is None:
            raise PackagingError(
                f"{where}: module {name} cannot be imported (not in the pipeline folder "
                "nor installed)"
            )
        target = "/".join(parts)
        locations = list(spec.submodule_search_locations or [])
        if locations:
            if len(locations) != 1:
                raise PackagingError(
                    f"{where}: {name} is a namespace package spread over {len(locations)} "
                    "folders; name its parts instead"
                )
            folder = Path(locations[0]).resolve()
            sources.append(Source(folder, target, where, folder, folder))
        elif spec.origin and spec.origin.endswith(".py") and Path(spec.origin).is_file():
            file = Path(spec.origin).resolve()
            sources.append(Source(file, f"{target}.py", where, file.parent, file.parent))
        else:
            raise PackagingError(
                f"{where}: module {name} is not Python source ({spec.origin}); only packages "
                "and .py modules can be uploaded"
            )
        sources.extend(_parent_inits(spec.name, parts, pipeline_dir, where))
    return sources


def _find_module(pipeline_dir: Path, parts: list[str]) -> Any:
    """Locate a module without importing it; the pipeline folder wins over installed ones,
    as it does for the stages, which run with that folder first on sys.path."""
    finder = importlib.machinery.PathFinder
    try:
        spec = finder.find_spec(parts[0], [str(pipeline_dir)]) or importlib.util.find_spec(parts[0])
        for depth in range(1, len(parts)):
            if spec is None or not spec.submodule_search_locations:
                return None
            spec = finder.find_spec(
                ".".join(parts[: depth + 1]), list(spec.submodule_search_locations)
            )
    except (ImportError, ValueError):
        return None
    return spec


def _parent_inits(full_name: str, parts: list[str], pipeline_dir: Path, where: str) -> list[Source]:
    """`a/__init__.py` for module `a.b`, so `import a.b` works from the archive."""
    sources = []
    for depth in range(1, len(parts)):
        spec = _find_module(pipeline_dir, parts[:depth])
        init = Path(spec.origin) if spec is not None and spec.origin else None
        if init is not None and init.name == "__init__.py" and init.is_file():
            init = init.resolve()
            target = "/".join(parts[:depth]) + "/__init__.py"
            sources.append(Source(init, target, where, init.parent, init.parent))
    return sources


def path_sources(pipeline_dir: Path, items: list[Any], key: str,
                 private: Private = NOTHING_PRIVATE) -> list[Source]:
    """Each entry of `upload_paths`: a path inside the pipeline folder, and its target;
    never one of the `private` paths (run state, dev tables) nor inside one."""
    sources = []
    for index, item in enumerate(items):
        where = f"{key}[{index}]"
        if isinstance(item, str):
            given, target = item, None
        elif isinstance(item, Mapping) and isinstance(item.get("source"), str):
            given, target = item["source"], item.get("target")
        else:
            raise PackagingError(f"{where}: must be a path or {{source, target}}, got {item!r}")
        path = _inside(pipeline_dir, given, where)
        inside = private.reason(path)
        if inside is not None:
            shown = inside.relative_to(pipeline_dir) if pipeline_dir in inside.parents else inside
            raise PackagingError(f"{where}: source {given} is {'inside ' if inside != path else ''}"
                                 f"{shown}, which holds run state, dev tables or secrets and "
                                 "is never packed")
        if target in (None, ""):
            last = PurePosixPath(given.replace("\\", "/")).name
            target = last if last not in ("", "..") else path.name
        sources.append(Source(path, check_target(target, where), where, pipeline_dir, pipeline_dir))
    return sources


def _inside(pipeline_dir: Path, given: str, where: str) -> Path:
    if "\x00" in given:
        raise PackagingError(f"{where}: source {given!r} holds a NUL byte; no file has that name")
    path = Path(given).expanduser()
    path = path if path.is_absolute() else pipeline_dir / path
    real = path.resolve()
    if real != pipeline_dir and pipeline_dir not in real.parents:
        raise PackagingError(
            f"{where}: source {given} is outside the pipeline folder {pipeline_dir}"
            + (f" (it leads to {real})" if path.is_symlink() else "")
        )
    if not real.exists():
        raise PackagingError(f"{where}: source {given} does not exist")
    never = [p for p in real.relative_to(pipeline_dir).parts if p in SKIPPED_DIRS]
    if never:
        raise PackagingError(
            f"{where}: source {given} is inside {never[0]}/, which is never packed"
        )
    if is_secret_name(path.name) or is_secret_name(real.name):
        raise PackagingError(f"{where}: source {given} is a secrets file; it is never packed")
    return real


def check_target(target: Any, where: str) -> str:
    if not isinstance(target, str):
        raise PackagingError(f"{where}: target must be a path, got {target!r}")
    pure = PurePosixPath(target.replace("\\", "/"))
    parts = [p for p in pure.parts if p != "."]
    if pure.is_absolute() or ".." in parts or not parts or "\x00" in target:
        raise PackagingError(
            f"{where}: target {target!r} must be a relative path inside the archive"
        )
    if parts[0] in RESERVED_TARGETS:
        raise PackagingError(
            f"{where}: target {target!r} is reserved (the archive keeps stages/ and ytjobs/ "
            "for itself)"
        )
    return "/".join(parts)


def check_distinct_targets(sources: list[Source]) -> list[Source]:
    """One target, one source: a second source for a taken target is a conflict (the
    same source listed twice is merely dropped)."""
    taken: dict[str, Source] = {}
    kept = []
    for source in sources:
        first = taken.get(source.target)
        if first is None:
            taken[source.target] = source
            kept.append(source)
        elif first.path.resolve() != source.path.resolve():
            raise PackagingError(
                f"{source.origin}: target {source.target!r} is also the target of "
                f"{first.origin} ({first.path}); two sources cannot share one target"
            )
    return kept
