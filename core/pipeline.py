"""`BasePipeline` and `DefaultPipeline`: configuration, stages, client, code, run.

`DefaultPipeline` discovers `stages/*/stage.py`; a pipeline.py with
`DefaultPipeline.main()` behaves like `yt-pipeline run` on its own folder.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

from yt_pipeline.config import PipelineConfig, load_config
from yt_pipeline.errors import ConfigError
from yt_pipeline.hookcalls import PluginHooks
from yt_pipeline.logs import mask_secrets
from yt_pipeline.plugins import get_plugin_manager
from yt_pipeline.registry import StageRegistry
from yt_pipeline.result import PipelineResult
from yt_pipeline.stage import BaseStage, load_stage_config

if TYPE_CHECKING:
    from yt_pipeline.client import TableClient
    from yt_pipeline.confignode import ConfigNode
    from yt_pipeline.packaging import CodePackage
    from yt_pipeline.runner import RunOptions
    from yt_pipeline.units import RunTarget


class BasePipeline:
    """A pipeline folder with its configuration, stages, table client and code archive.

    Subclasses register stages in `setup()` with `set_stage_registry()`.
    """

    def __init__(
        self,
        config: PipelineConfig | None = None,
        pipeline_dir: str | Path | None = None,
        log_level: int = logging.INFO,
        *,
        plugin_manager: pluggy.PluginManager | None = None,
    ) -> None:
        self.plugin_manager = plugin_manager or get_plugin_manager()
        if config is None:
            from yt_pipeline.modes import mode_names

            config = load_config(pipeline_dir or Path.cwd(),
                                 modes=mode_names(self.plugin_manager))
        self.config = config
        # its stages are imported below (setup), and run code of their own then, before any
        # run masked the secrets: what they print, and an error they fail with, is masked
        mask_secrets(config.secret_values())
        self.pipeline_dir = Path(pipeline_dir or config.pipeline_dir).resolve()
        self.pipeline_name = self.pipeline_dir.name
        #: warnings already given about this pipeline's configuration (given once per run)
        self.warned: set[str] = set()
        self.configs_dir = config.configs_dir
        self.hooks = PluginHooks(self.plugin_manager)
        self.logger = logging.getLogger(f"yt_pipeline.{type(self).__name__}")
        self._stage_registry: StageRegistry | None = None
        self._client: TableClient | None = None
        self.code_package: CodePackage | None = None
        self.setup()

    # -- set-up -----------------------------------------------------------------------
    def setup(self) -> None:
        """Register stages: `self.set_stage_registry(StageRegistry().add_stage(...))`."""

    def set_stage_registry(self, registry: StageRegistry) -> None:
        self._stage_registry = registry

    @property
    def stage_registry(self) -> StageRegistry:
        if self._stage_registry is None:
            raise ConfigError(
                f"{type(self).__name__}.setup() must call set_stage_registry(); "
                "or use DefaultPipeline, which finds stages/*/stage.py"
            )
        return self._stage_registry

    @property
    def mode(self) -> str:
        return self.config.mode

    # -- stages -----------------------------------------------------------------------
    def stage_order(self) -> list[str]:
        """The enabled stages in an order that runs each after what it needs (a chain: its
        own order); every name checked, the graph checked for cycles."""
        from yt_pipeline.stage_units import stage_graph

        return stage_graph(self)[0].order()

    def stage_config(self, name: str) -> ConfigNode:
        entry = self.stage_registry.get_entry(name)
        return load_stage_config(entry.stage_dir, name, self.pipeline_dir,
                                 secrets=self.config.secrets)

    def make_stage(self, name: str, run_id: str = "", config: ConfigNode | None = None,
                   client: TableClient | None = None) -> BaseStage:
        """The stage, given `client` (its transaction's in a run; default: `self.yt`)."""
        from yt_pipeline.runner import stage_deps_for

        deps = stage_deps_for(self, name, run_id, config, client)
        cls = self.stage_registry.get_stage(name)
        return cls(deps, deps.stage_context.logger if deps.stage_context else None)

    # -- backend ----------------------------------------------------------------------
    @property
    def yt(self) -> TableClient:
        """The table client of the configured mode, created on first use."""
        if self._client is None:
            from yt_pipeline.modes import create_client

            self._client = create_client(self.plugin_manager, self.mode, self.config,
                                         self.pipeline_dir,
                                         source=self.config.source_of("pipeline.mode"))
        return self._client

    def package_code(self) -> CodePackage | None:
        entries = [self.stage_registry.get_entry(n) for n in self.stage_order()]
        self.code_package = self.hooks.package_code(
            pipeline_dir=self.pipeline_dir, settings=self.config, stages=entries
        )
        return self.code_package

    # -- running ----------------------------------------------------------------------
    def run_target(self) -> RunTarget:
        """The pipeline as the runner sees it: its graph and one unit per stage."""
        from yt_pipeline.stage_units import stage_target

        return stage_target(self)

    def run(self, options: RunOptions | None = None) -> PipelineResult:
        """Run the pipeline; when it fails, raise its failure (a StageFailed, or a
        PluginHookFailed naming a plugin), with `.result` and `.resume_hint`."""
        from yt_pipeline.runner import Runner

        # configuration and graph errors before any work; the archive is built once the run
        # holds its lock, so a run refused because another is going leaves .build alone
        runner = Runner(self, options, prepare=self.package_code)
        if not getattr(options, "dry_run", False):  # a plan needs no cluster, nor credentials
            self.yt  # noqa: B018 - a missing backend plugin is a setup error, not a stage failure
        try:
            result = runner.run()
        except KeyboardInterrupt as interrupt:
            # Ctrl-C or SIGTERM: uncaught, a script ends as a function-step one does, with
            # one line that says how to go on and SIGTERM's exit code (uncaught.py), not a
            # traceback of the scheduler's wait and exit code 1
            from yt_pipeline.term_signal import after_end_line, after_the_end, by_sigterm
            from yt_pipeline.uncaught import one_line_if_uncaught

            if after_the_end(interrupt):  # the run had finished: nothing to resume
                one_line_if_uncaught(interrupt, after_end_line(interrupt))
            else:
                how = "interrupted by SIGTERM" if by_sigterm(interrupt) else "interrupted"
                one_line_if_uncaught(interrupt, f"{how}; to resume: {type(self).__name__}"
                                                "(...).run(RunOptions(resume=True))")
            raise
        return result.raise_for_failure()

    def close(self) -> None:
        from yt_pipeline.client import close_client

        if self._client is not None:
            close_client(self._client)
            self._client = None

    @classmethod
    def main(cls, argv: list[str] | None = None) -> None:
        """`python pipeline.py [options]`: the same as `yt-pipeline run` on this folder."""
        from yt_pipeline.cli import main as cli_main

        script = Path(sys.argv[0]).resolve()
        pipeline_dir = script.parent if script.is_file() else Path.cwd()
        args = list(sys.argv[1:] if argv is None else argv)
        cli_main(["run", str(pipeline_dir), *args], pipeline_class=cls, config_base=pipeline_dir)


class DefaultPipeline(BasePipeline):
    """A pipeline whose stages are found by the discovery hook (stages/*/stage.py and
    installed stage packages)."""

    def setup(self) -> None:
        registry = StageRegistry()
        for entry in self.hooks.discover_stages(pipeline_dir=self.pipeline_dir,
                                                settings=self.config):
            # A stage in the pipeline folder wins over one of the same name elsewhere.
            in_folder = entry.stage_dir.parent.parent == self.pipeline_dir
            if in_folder or not registry.has_stage(entry.name):
                registry.add(entry)
        self.set_stage_registry(registry)
