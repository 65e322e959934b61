"""YQL through the query tracker: `start_query(engine="yql")`, wait, read the result."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from yt_pipeline.errors import QueryFailed
from yt_pipeline_prod.failures import scrub, summary, translated

if TYPE_CHECKING:
    from yt_pipeline_prod.client import ProdClient

FINISHED = ("completed", "failed", "aborted", "draft")


def run_yql(client: ProdClient, query: str, pool: str | None = None,
            max_row_weight: str | None = None) -> list[dict[str, Any]]:
    """Run a query and wait; return the rows of its last result (none for INSERT)."""
    from yt_pipeline_prod.client import json_format

    yt = client.yt()
    if max_row_weight:
        query = f'PRAGMA yt.MaxRowWeight = "{max_row_weight}";\n{query}'
    with translated(client, "YQL query"):
        query_id = str(yt.start_query("yql", query, settings={"pool": pool} if pool else None))
    info: dict[str, Any] = {}
    while True:
        with translated(client, f"YQL query {query_id}"):
            info = dict(yt.get_query(query_id, attributes=["state", "error", "result_count"]))
        if str(info.get("state")) in FINISHED:
            break
        time.sleep(client.settings.poll_interval_s)
    state = str(info.get("state"))
    if state != "completed":
        reason = summary(info["error"]) if info.get("error") else f"the query was {state}"
        raise QueryFailed(scrub(f"YQL query {query_id} {state}: {reason}",
                                client.secret_values()))
    count = int(info.get("result_count") or 0)
    if not count:
        return []
    with translated(client, f"YQL query {query_id} result"):
        return [dict(row) for row in yt.read_query_result(query_id, result_index=count - 1,
                                                          format=json_format())]
