"""One quick request before a prod run starts: a wrong proxy address or token is reported in
seconds, not after the minutes of retries ytsaurus-client spends on every later request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from yt_pipeline.errors import BackendError, ClusterUnavailable
from yt_pipeline_prod.failures import translated
from yt_pipeline_prod.settings import deep_merge

if TYPE_CHECKING:
    from yt_pipeline_prod.client import ProdClient

#: a few attempts a second apart (a blip is not a wrong address), each waiting briefly
QUICK = {
    "proxy": {
        "retries": {"enable": True, "count": 3, "total_timeout": None,
                    "backoff": {"policy": "constant_time", "constant_time": 1000}},
        "request_timeout": 10_000,
        "connect_timeout": 5_000,
    },
}


def check_reachable(client: ProdClient) -> None:
    """Raise a one-line ClusterUnavailable (exit code 3) unless the cluster answers: no
    stage has run, and nothing about the pipeline is wrong."""
    import yt.wrapper as yt

    from yt_pipeline_prod.client_log import route_client_log

    route_client_log()
    settings = client.settings
    config = deep_merge(settings.client_config(), QUICK)
    quick = yt.YtClient(proxy=client.proxy, token=settings.token, config=config)
    try:
        with translated(client, "check the YT proxy before the run"):
            quick.exists("//sys")
    except BackendError as error:  # NetworkError included
        raise ClusterUnavailable(str(error)) from None
