"""Hook implementations of the prod backend.

Loaded on every start of the command line, so it imports nothing heavy: ytsaurus-client is
imported only when a prod client is created or an operation runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yt_pipeline import hookimpl


@hookimpl
def ytp_create_client(mode: str, settings: Any, pipeline_dir: Path) -> Any:
    if mode != "prod":
        return None
    from yt_pipeline_prod.client import ProdClient
    from yt_pipeline_prod.preflight import check_reachable
    from yt_pipeline_prod.settings import load_prod_settings

    client = ProdClient(load_prod_settings(settings, Path(pipeline_dir)))
    check_reachable(client)
    return client


@hookimpl
def ytp_launch_operation(client: Any, spec: Any) -> Any:
    if getattr(client, "mode", None) != "prod":
        return None
    from yt_pipeline_prod.client import ProdClient

    if not isinstance(client, ProdClient):
        return None
    from yt_pipeline_prod.launcher import launch

    return launch(client, spec)
