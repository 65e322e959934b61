"""The hooks of yt-pipeline.

Every hook is called with keyword arguments. Built-in behaviour (stage discovery from the
pipeline folder) is itself a plugin registered with `trylast`, so a third-party plugin
implementing the same hook wins. Implement hooks with `yt_pipeline.hookimpl`, with the
parameter names and types below (a subset of the parameters is fine). The pipeline's
resolved configuration is called `settings` in every hook that receives it.

The host calls them through `yt_pipeline.hookcalls`; docs/writing-a-plugin.md has a row for
each (a test checks that every hook here has its row and its tests).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from yt_pipeline.client import TableClient
    from yt_pipeline.config import PipelineConfig
    from yt_pipeline.discovery import DiscoveredStage
    from yt_pipeline.events import RunInfo, StageOutcome
    from yt_pipeline.modes import ModeSpec
    from yt_pipeline.operations import OperationResult, OperationSpec
    from yt_pipeline.packaging import CodePackage

PROJECT = "yt_pipeline"
hookspec = pluggy.HookspecMarker(PROJECT)


#: `config` was this argument's name in `ytp_discover_stages` before it was made the same
#: as in the other hooks; an implementation that still asks for it gets the same object,
#: and a warning when it is registered
_CONFIG_RENAMED = DeprecationWarning(
    "ytp_discover_stages: the argument `config` is now called `settings` (as in the other "
    "hooks); `config` will be removed"
)


@hookspec(warn_on_impl_args={"config": _CONFIG_RENAMED})
def ytp_discover_stages(
    pipeline_dir: Path, settings: PipelineConfig, config: PipelineConfig
) -> list[DiscoveredStage]:
    """Find stages.

    Receives the pipeline folder and its resolved configuration (`config` is the old name of
    `settings`, deprecated). Returns a list of `DiscoveredStage` (name, class, folder, where
    it came from); every implementation's list is collected. The built-in one scans
    `stages/*/stage.py`; another reads the entry-point group `yt_pipeline.stages`. When two
    sources name the same stage, the pipeline folder wins.
    """


@hookspec
def ytp_register_modes() -> list[ModeSpec]:
    """Register modes (where tables live and operations run).

    Returns a list of `yt_pipeline.modes.ModeSpec`: a name (what `pipeline.mode` says), a
    factory `create_client(settings, pipeline_dir)` and a launcher
    `launch_operation(client, spec)`. The configuration accepts exactly the registered
    modes. yt_dev registers `dev`, yt_prod `prod`; when two plugins register one name, the
    one called first (registered later, or `tryfirst`) wins.
    """


@hookspec(firstresult=True)
def ytp_create_client(mode: str, settings: PipelineConfig, pipeline_dir: Path) -> TableClient | None:
    """Create the table client for a mode, instead of the mode's own factory.

    Receives the mode (`dev`, `prod`, or a plugin's own), the resolved configuration and the
    pipeline folder. Returns a client implementing `yt_pipeline.client.TableClient`, or None
    to leave it to the factory the mode was registered with (`ytp_register_modes`); the
    first non-None answer is used. For wrapping or replacing a registered mode's client: a
    new mode is added with `ytp_register_modes`.
    """


@hookspec(firstresult=True)
def ytp_package_code(
    pipeline_dir: Path, settings: PipelineConfig, stages: list[DiscoveredStage]
) -> CodePackage | None:
    """Build the code archive jobs run from.

    Receives the pipeline folder, the configuration and the enabled stages. Returns a
    `CodePackage` (archive path, content hash, wrapper scripts) or None when there is
    nothing to package (no stage has job code).
    """


@hookspec(firstresult=True)
def ytp_list_shared_code(
    pipeline_dir: Path, settings: PipelineConfig
) -> dict[str, list[tuple[str, Path]]] | None:
    """List what every job finds in the code archive besides its own stage, without
    building it: the job-side helpers and what `upload_modules` and `upload_paths` add.

    Receives the pipeline folder and the configuration. Returns, for each place the files
    come from (`ytjobs`, `pipeline.upload_paths[0] helpers`, ...), the files as (name in
    the archive, local path); None when this plugin builds no archive. The cache hashes
    them, so a changed helper module runs again the stages whose jobs can import it.
    Raises `PackagingError` for a configuration the archive could not be built from.
    """


@hookspec(firstresult=True)
def ytp_launch_operation(client: TableClient, spec: OperationSpec) -> OperationResult | None:
    """Run one operation (map, reduce, map_reduce, sort, vanilla) instead of the mode's own
    launcher, and wait for it.

    Receives the stage's client and the operation spec. Returns an `OperationResult`, or
    None to leave it to the launcher the pipeline's mode was registered with. Raises
    `OperationFailed` when a job fails; the output table must then be left as it was. Called
    inside the stage: whatever it raises fails the stage.
    """


@hookspec
def ytp_pipeline_started(run: RunInfo) -> None:
    """A run is starting; `run.stages` lists the stages it will consider, in plan order."""


@hookspec
def ytp_pipeline_finished(run: RunInfo, outcomes: list[StageOutcome], success: bool) -> None:
    """A run ended (successfully or not) with these stage outcomes."""


@hookspec
def ytp_before_stage(run: RunInfo, stage: str) -> None:
    """A stage is about to run (after the cache and conditions decided it must).

    Like every lifecycle hook, called from the runner's scheduling thread, never from the
    stage's worker thread; the stage waits until every implementation has returned, so what
    a hook does or logs comes before the stage's own work. A lifecycle hook that raises
    ends the run with an error naming its plugin; it never fails a stage, and this one,
    which had not started, does not run (`not run: plugin NAME failed`).
    """


@hookspec
def ytp_after_stage(run: RunInfo, stage: str, outcome: StageOutcome) -> None:
    """A stage ended: succeeded, was skipped, or came from the cache."""


@hookspec
def ytp_on_stage_error(run: RunInfo, stage: str, error: BaseException, attempt: int) -> None:
    """A stage raised. Called for every failed attempt, before any retry."""


@hookspec
def ytp_add_commands(cli: click.Group) -> None:
    """Add subcommands to the `yt-pipeline` command (`cli.add_command(...)`)."""


def all_hook_names() -> list[str]:
    return sorted(name for name in globals() if name.startswith("ytp_"))


def describe(name: str) -> str | None:
    doc: str | None = globals()[name].__doc__
    return doc
