"""The stage model: `BaseStage`, what it is given (`StageDeps`, `StageContext`), `DebugContext`.

A stage is a class in `stages/<name>/stage.py` with a `run(debug) -> debug` method. Its
name is its folder's name, its configuration the folder's config.yaml. The constructor
takes `(deps, logger)` like the framework most users come from, so existing stages need
only their imports changed.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from yt_pipeline.config_files import unreadable_reason
from yt_pipeline.confignode import ConfigNode
from yt_pipeline.display import display_path
from yt_pipeline.errors import ConfigError
from yt_pipeline.interpolation import resolve as resolve_references
from yt_pipeline.logs import stage_logger
from yt_pipeline.yamlio import read_yaml_mapping

if TYPE_CHECKING:
    import pluggy

    from yt_pipeline.client import TableClient
    from yt_pipeline.config import PipelineConfig
    from yt_pipeline.packaging import CodePackage

#: the small dict carried from stage to stage (in a DAG, merged from all upstream stages)
DebugContext: TypeAlias = dict[str, Any]

STAGE_CONFIG_FILE = "config.yaml"


@dataclass
class StageContext:
    """Where a stage runs: its name and folder, the run, the mode, the plugins."""

    name: str
    stage_dir: Path
    pipeline_dir: Path
    mode: str = "dev"
    run_id: str = ""
    plugin_manager: pluggy.PluginManager | None = None
    code_package: CodePackage | None = None
    logger: logging.Logger | None = None
    config: ConfigNode | None = None
    deps: StageDeps | None = None
    #: operations started with `sync=False` and not waited for yet (see submitted.py)
    submitted: list[Any] = field(default_factory=list, repr=False)

    def fork(self, name: str | None = None, stage_dir: Path | None = None) -> StageContext:
        """A copy with another name or folder (yt-framework's `StageContext.fork`); its
        operations still belong to this stage."""
        return replace(self, name=self.name if name is None else name,
                       stage_dir=self.stage_dir if stage_dir is None else Path(stage_dir))


@dataclass
class StageDeps:
    """What a stage is given: the table client, the pipeline configuration, configs/."""

    yt_client: TableClient | None
    pipeline_config: PipelineConfig | None
    configs_dir: Path | None
    #: set by the runner for the stage being built; absent when a stage is made by hand
    stage_context: StageContext | None = field(default=None, repr=False)


def load_stage_config(stage_dir: Path, name: str, pipeline_dir: Path | None = None,
                      secrets: Collection[str] = ()) -> ConfigNode:
    """A stage's config.yaml as a ConfigNode; a stage without one has an empty config."""
    path = stage_dir / STAGE_CONFIG_FILE
    shown = display_path(path, pipeline_dir)
    problem = unreadable_reason(path)  # a folder, a link to nothing: no file to do without
    if problem is not None:
        raise ConfigError(problem, file=Path(display_path(stage_dir, pipeline_dir)) / path.name)
    if not path.is_file():  # a key read from it is then missing because the file is
        return ConfigNode({}, file=f"{shown} (no such file)", owner=name)
    data = read_yaml_mapping(path, display=shown, memo=pipeline_dir)
    return ConfigNode(resolve_references(data, shown, secrets), file=shown, owner=name)


class BaseStage:
    """Base class of every stage. Subclass it and implement `run`."""

    def __init__(self, deps: StageDeps, logger: logging.Logger | None = None) -> None:
        self.deps = deps
        given = getattr(deps, "stage_context", None)
        if given is None:
            stage_dir = Path(inspect.getfile(type(self))).resolve().parent
            given = StageContext(
                name=stage_dir.name,
                stage_dir=stage_dir,
                pipeline_dir=stage_dir.parent.parent,
            )
        self.name: str = given.name
        self._stage_dir = Path(given.stage_dir)
        self.logger = logger or given.logger or stage_logger(self.name)
        self.config: ConfigNode = given.config or load_stage_config(
            self._stage_dir, self.name, given.pipeline_dir
        )
        self._context = StageContext(
            name=self.name,
            stage_dir=self._stage_dir,
            pipeline_dir=given.pipeline_dir,
            mode=given.mode,
            run_id=given.run_id,
            plugin_manager=given.plugin_manager,
            code_package=given.code_package,
            logger=self.logger,
            config=self.config,
            deps=deps,
        )

    @property
    def stage_dir(self) -> Path:
        return self._stage_dir

    @property
    def context(self) -> StageContext:
        return self._context

    @property
    def config_file_display(self) -> str:
        return self.config.file or str(self._stage_dir / STAGE_CONFIG_FILE)

    def run(self, debug: DebugContext) -> DebugContext:
        raise NotImplementedError(f"stage {self.name} must implement run(self, debug)")
