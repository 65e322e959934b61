"""What the installed ytsaurus-client offers, for tests that read the fake through it."""

from __future__ import annotations

from typing import Any

import pytest


def run_query_of(yt: Any) -> Any:
    """`yt.wrapper.run_query`, which ytsaurus-client has from 0.13.21 on (its
    yt/wrapper/client_api.py: 0.13.20 exports start_query and read_query_result only);
    the client itself runs YQL through those (yt_pipeline_prod.yql), so at 0.13.20 a test
    that reads the fake's answers the way run_query's QueryResult does is skipped."""
    run_query = getattr(yt, "run_query", None)
    if run_query is None:
        pytest.skip("ytsaurus-client before 0.13.21 has no yt.wrapper.run_query")
    return run_query
