"""Hook implementations of the dev backend: the `dev` mode. Kept import-light: modules load
on first use."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from yt_pipeline import hookimpl

if TYPE_CHECKING:
    from yt_pipeline.config import PipelineConfig
    from yt_pipeline.events import RunInfo
    from yt_pipeline.modes import ModeSpec
    from yt_pipeline.operations import OperationResult, OperationSpec
    from yt_pipeline_dev.client import DevClient

__version__ = "0.1.0"


def _root(settings: PipelineConfig, pipeline_dir: Path) -> Path:
    from yt_pipeline_dev.paths import dev_root

    dev_dir = settings.get("pipeline.dev_dir", ".dev")
    return dev_root(pipeline_dir, dev_dir, settings.source_of("pipeline.dev_dir"))


def create_client(settings: PipelineConfig, pipeline_dir: Path) -> DevClient:
    """The dev client: tables under the pipeline's `pipeline.dev_dir` (.dev)."""
    from yt_pipeline import yql_wait
    from yt_pipeline_dev.client import DevClient

    return DevClient(_root(settings, pipeline_dir), hidden_env=settings.secrets,
                     secret_values=settings.secret_values(),
                     yql_timeout_s=yql_wait.configured(settings))


def launch_operation(client: DevClient, spec: OperationSpec) -> OperationResult:
    """An operation as local processes in a sandbox under .dev."""
    from yt_pipeline_dev.launcher import launch

    return launch(client, spec)


@hookimpl
def ytp_register_modes() -> list[ModeSpec]:
    # imported here: commands that never ask for a mode (--help) do not load modes.py
    from yt_pipeline.modes import ModeSpec

    return [ModeSpec("dev", create_client, launch_operation,
                     description="tables as JSON lines under .dev/, jobs as local processes")]


@hookimpl
def ytp_pipeline_finished(run: RunInfo) -> None:
    """The run leaves no sandbox moved aside for removal (later_removal): what is left of
    their removals is waited for here."""
    import sys

    removal = sys.modules.get("yt_pipeline_dev.later_removal")
    if removal is not None:  # imported by a launch: no operation ran otherwise
        removal.wait()


@hookimpl
def ytp_pipeline_started(run: RunInfo) -> None:
    """DuckDB's process is started when a stage queries (yql_engine). Temporary
    files and transactions a killed run left behind (its writes never became tables) are
    removed: the run holds the dev lock, so no other run of this folder is
    writing; transactions of other pipelines sharing the folder are alive (flock) or not.
    So are the table locks of those transactions (txnlocks.drop_stale): a dead one's go,
    and the folders of their sorts (sort_work.sweep)."""
    if run.mode != "dev" or run.settings is None:
        return
    from yt_pipeline_dev.query_stages import stages_query

    if stages_query(run.pipeline_dir, run.stages):
        from yt_pipeline_dev import yql_engine

        yql_engine.prepare()
    from yt_pipeline_dev import later_removal, sort_work
    from yt_pipeline_dev.atomic import remove_leftovers
    from yt_pipeline_dev.recovery import sweep
    from yt_pipeline_dev.txnlocks import drop_stale
    from yt_pipeline_dev.yql_schema import prune_declared

    root = _root(run.settings, run.pipeline_dir)
    remove_leftovers(root, before=run.started_at)
    later_removal.sweep(root)
    sort_work.sweep(root)
    sweep(root)
    drop_stale(root)
    prune_declared(root, now=run.started_at)
