"""Finding stages: `stages/<name>/stage.py` in the pipeline folder, and installed packages
that publish stages in the entry-point group `yt_pipeline.stages`."""

from __future__ import annotations

import importlib.util
import inspect
import logging
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from yt_pipeline.digests import blake2b
from yt_pipeline.display import display_path
from yt_pipeline.errors import DiscoveryError

if TYPE_CHECKING:
    from yt_pipeline.stage import BaseStage

log = logging.getLogger(__name__)

STAGES_DIR = "stages"
STAGE_FILE = "stage.py"
STAGE_ENTRY_POINT_GROUP = "yt_pipeline.stages"


@dataclass(frozen=True)
class DiscoveredStage:
    """A stage class and where it came from."""

    name: str
    stage_class: type[BaseStage]
    stage_dir: Path
    origin: str


def stage_files(pipeline_dir: Path) -> list[Path]:
    root = pipeline_dir / STAGES_DIR
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob(f"*/{STAGE_FILE}") if not p.parent.name.startswith((".", "_")))


def _module_name(path: Path) -> str:
    # Unique per file, so two pipelines with a stage of the same name never share a module.
    digest = blake2b(str(path).encode(), digest_size=5).hexdigest()
    return f"_ytp_stage_{path.parent.name}_{digest}"


def _import_failed(failure: DiscoveryError, error: BaseException) -> DiscoveryError:
    """`failure` masked, to be raised without the stage module's `error` as its cause: an
    uncaught script's traceback prints a cause as it is, and a module's code may fail
    quoting a credential it read as it was imported. `error`'s traceback goes to the
    masked log at DEBUG, as a failed stage's does."""
    from yt_pipeline.logs import masked

    log.debug("%s", masked(str(failure)), exc_info=error)
    failure.args = (masked(str(failure)),)
    return failure


def load_stage_file(path: Path, pipeline_dir: Path) -> DiscoveredStage:
    """Import one stage.py and return its single BaseStage subclass."""
    from yt_pipeline.stage import BaseStage

    shown = display_path(path, pipeline_dir)
    module_name = _module_name(path.resolve())
    module = sys.modules.get(module_name)
    if module is None:
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise DiscoveryError("cannot be imported", file=shown)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            from yt_pipeline.masked_streams import masked_console

            # the module's own code runs: what it prints is masked, as in a run
            with masked_console():
                spec.loader.exec_module(module)
        except BaseException as exc:
            del sys.modules[module_name]
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            line = _error_line(exc, path)
            raise _import_failed(DiscoveryError(
                f"failed to import{line}: {exc.__class__.__name__}: {exc}".replace("\n", " "),
                file=shown,
            ), exc) from None
    classes = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, BaseStage)
        and obj is not BaseStage
        and obj.__module__ == module.__name__
    ]
    # a class of the file that another of its classes derives from is a base, not the stage
    # (`class Helper(BaseStage)` then `class Stage(Helper)`)
    leaves = [c for c in classes if not any(o is not c and issubclass(o, c) for o in classes)]
    if len(leaves) != 1:
        found = ", ".join(c.__name__ for c in classes) or "none"
        raise DiscoveryError(
            f"must define exactly one BaseStage subclass, found {len(classes)} ({found})",
            file=shown,
        )
    return DiscoveredStage(
        name=path.parent.name,
        stage_class=leaves[0],
        stage_dir=path.parent.resolve(),
        origin=shown,
    )


def discover_folder(pipeline_dir: Path) -> list[DiscoveredStage]:
    # Stage code may import the pipeline's own modules (the ones upload_modules ships).
    root = str(pipeline_dir.resolve())
    if root not in sys.path:
        sys.path.insert(0, root)
    paths = stage_files(pipeline_dir)
    if not paths:
        return []
    from yt_pipeline.masked_streams import masked_console

    # one masking of the console for all the imports: with a secret known, each starts
    # masking fds 1 and 2 (masked_fds) unless it is on already
    with masked_console():
        return [load_stage_file(path, pipeline_dir) for path in paths]


def discover_entry_points(wanted: set[str]) -> list[DiscoveredStage]:
    """Stages published by installed packages; only the ones the configuration names are
    imported, so an unrelated broken package costs nothing."""
    from yt_pipeline.entry_points import entry_points
    from yt_pipeline.stage import BaseStage

    found = []
    for ep in entry_points(group=STAGE_ENTRY_POINT_GROUP):
        if ep.name not in wanted:
            continue
        dist = getattr(ep, "dist", None)
        origin = f"entry point {ep.value}" + (f" ({dist.name} {dist.version})" if dist else "")
        try:
            cls = ep.load()
        except Exception as exc:
            raise _import_failed(DiscoveryError(
                f"installed stage {ep.name} ({ep.value}) failed to import: "
                f"{exc.__class__.__name__}: {exc}"
            ), exc) from None
        if not (inspect.isclass(cls) and issubclass(cls, BaseStage)):
            raise DiscoveryError(f"installed stage {ep.name} ({ep.value}) is not a BaseStage subclass")
        found.append(
            DiscoveredStage(
                name=ep.name,
                stage_class=cls,
                stage_dir=Path(inspect.getfile(cls)).resolve().parent,
                origin=origin,
            )
        )
    return found


def _error_line(exc: BaseException, path: Path) -> str:
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f" (line {exc.lineno})"
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if Path(frame.filename).resolve() == path.resolve():
            return f" (line {frame.lineno})"
    return ""

