"""Hook implementations of the prod backend: the `prod` mode.

Loaded on every start of the command line, so it imports nothing heavy: ytsaurus-client is
imported only when a prod client is created or an operation runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from yt_pipeline import hookimpl

if TYPE_CHECKING:
    from yt_pipeline.config import PipelineConfig
    from yt_pipeline.modes import ModeSpec
    from yt_pipeline.operations import OperationResult, OperationSpec
    from yt_pipeline_prod.client import ProdClient


def create_client(settings: PipelineConfig, pipeline_dir: Path) -> ProdClient:
    """A client of the cluster in secrets.env, checked to answer before any stage runs."""
    from yt_pipeline_prod.client import ProdClient
    from yt_pipeline_prod.preflight import check_reachable
    from yt_pipeline_prod.settings import load_prod_settings

    client = ProdClient(load_prod_settings(settings, Path(pipeline_dir)))
    client.pipeline_dir = Path(pipeline_dir)
    check_reachable(client)
    return client


def launch_operation(client: ProdClient, spec: OperationSpec) -> OperationResult:
    """A YT operation, in the stage's transaction."""
    from yt_pipeline_prod.launcher import launch

    return launch(client, spec)


@hookimpl
def ytp_register_modes() -> list[ModeSpec]:
    # imported here: commands that never ask for a mode (--help) do not load modes.py
    from yt_pipeline.modes import ModeSpec

    return [ModeSpec("prod", create_client, launch_operation,
                     description="a YTsaurus cluster through ytsaurus-client")]
