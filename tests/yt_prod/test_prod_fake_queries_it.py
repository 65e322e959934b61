"""The fake query tracker against YTsaurus's own: its errors, results and stages.

Each test names what it follows: the query tracker's integration tests (ytsaurus/ytsaurus
yt/yt/tests/integration/queries/test_mock.py and environment/__init__.py), the tracker's
proxy (yt/yt/server/query_tracker/query_tracker_proxy.cpp) and the client's serializer
(yt/yt/client/api/query_tracker_client.cpp).
"""

from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

SETTINGS = {"cluster": "primary"}
MISSING_ID = "1-2-3-4"


def _finished(yt, query_id: str) -> str:
    for _ in range(500):
        state = yt.get_query(query_id, attributes=["state"])["state"]
        if state in ("completed", "failed", "aborted"):
            return str(state)
        time.sleep(0.02)
    raise AssertionError(f"query {query_id} did not finish")


def _error_of(call, code: int) -> dict:
    """The error of `code` the call raised (the client may wrap the proxy's), else the
    one it raised."""
    from yt.common import YtError

    with pytest.raises(YtError) as raised:
        call()
    error = raised.value.find_matching_error(code=code) or raised.value
    return {"code": error.code, "message": error.message}


def test_an_unknown_query_is_query_not_found(prod_client, fake_yt):
    # LookupQuery, query_tracker_proxy.cpp: QueryNotFound (3901, yt/yt/client/
    # query_tracker_client/public.h), "Query %v is not found neither in active nor in
    # finished query tables"
    yt = prod_client.yt()
    error = _error_of(lambda: yt.get_query(MISSING_ID), 3901)
    assert error["code"] == 3901
    assert error["message"] == (f"Query {MISSING_ID} is not found neither in active nor in "
                                "finished query tables")


def test_a_missing_result_is_query_result_not_found(prod_client, fake_yt):
    # TQueryTrackerProxy::GetQueryResult / ReadQueryResult: a result not in
    # finished_query_results is QueryResultNotFound (3902), "Query %v result %v not found or
    # is expired"
    yt = prod_client.yt()
    query_id = str(yt.start_query("yql", "SELECT 1 AS a", settings=SETTINGS))
    assert _finished(yt, query_id) == "completed"
    for call in (lambda: yt.get_query_result(query_id, result_index=1),
                 lambda: yt.read_query_result(query_id, result_index=1, format="json")):
        error = _error_of(call, 3902)
        assert error["code"] == 3902
        assert error["message"] == f"Query {query_id} result 1 not found or is expired"


def test_a_result_has_its_schema(prod_client, fake_yt):
    # test_complete (test_mock.py): get_query_result gives the result's schema, each column
    # with type, type_v3 and required, besides data_statistics and is_truncated
    # (Serialize(TQueryResult), query_tracker_client.cpp)
    yt = prod_client.yt()
    query_id = str(yt.start_query("yql", "SELECT 1 AS a, 'x' AS b", settings=SETTINGS))
    assert _finished(yt, query_id) == "completed"
    meta = yt.get_query_result(query_id, result_index=0)
    assert [column["name"] for column in meta["schema"]] == ["a", "b"]
    assert all({"type", "type_v3", "required"} <= set(column) for column in meta["schema"])
    assert not meta["is_truncated"] and meta["data_statistics"]["row_count"] == 1
    assert "error" not in meta


def test_reading_a_failed_result_raises_its_own_error(prod_client, fake_yt):
    # test_complete (test_mock.py): read_query_result of a result with an error raises that
    # error (`THROW_ERROR record.Error`, TQueryTrackerProxy::ReadQueryResult), its code
    # included
    from yt.common import YtError

    yt = prod_client.yt()
    query_id = str(yt.start_query("yql", "SELECT 1 AS a", settings=SETTINGS))
    assert _finished(yt, query_id) == "completed"
    # the result error test_complete plants through its mock engine
    error = {"code": 42, "message": "Mock query execution error",
             "attributes": {"some_attr": "some_value"}, "inner_errors": []}
    fake_yt.state.queries[query_id].results[0].error = error
    assert yt.get_query_result(query_id, result_index=0)["error"]["code"] == 42
    with pytest.raises(YtError) as raised:
        yt.read_query_result(query_id, result_index=0, format="json")
    matched = raised.value.find_matching_error(code=42)
    assert matched is not None and matched.message == "Mock query execution error"
    assert matched.attributes["some_attr"] == "some_value"


def test_a_finished_query_cannot_be_aborted_as_it_is_not_running(prod_client, fake_yt):
    # TQueryTrackerProxy::AbortQuery looks the query up among the active queries only: a
    # finished one is "not found or is not running" (QueryNotFound, 3901)
    yt = prod_client.yt()
    query_id = str(yt.start_query("yql", "SELECT 1 AS a", settings=SETTINGS))
    assert _finished(yt, query_id) == "completed"
    error = _error_of(lambda: yt.abort_query(query_id), 3901)
    assert error["code"] == 3901
    assert error["message"] == f"Query {query_id} not found or is not running"
    assert yt.get_query(query_id, attributes=["state"])["state"] == "completed"


def test_an_unknown_stage_is_refused(prod_client, fake_yt):
    # the test cluster has the one stage `production` (query_tracker_environment,
    # yt/yt/tests/integration/queries/environment/__init__.py); another is "not found in
    # cluster directory" (TConnection::GetQueryTrackerStage, yt/yt/ytlib/api/native/
    # connection.cpp), and no query is started
    from yt.common import YtError
    from yt.wrapper.query_commands import start_query

    yt = prod_client.yt()
    with pytest.raises(YtError) as raised:
        start_query("yql", "SELECT 1 AS a", settings=SETTINGS, stage="testing", client=yt)
    assert raised.value.contains_text('Query tracker stage "testing" is not found')
    assert fake_yt.state.queries == {}
    # the stage every command defaults to is there
    query_id = str(start_query("yql", "SELECT 1 AS a", settings=SETTINGS, client=yt))
    assert _finished(yt, query_id) == "completed"


def test_a_read_takes_a_row_range_and_columns(prod_client, fake_yt):
    # TQueryTrackerProxy::ReadQueryResult (query_tracker_proxy.cpp): lower_row_index and
    # upper_row_index slice the rows, each clamped to the rows there are; `columns` keeps
    # those named that the result has, in the order named, once (FilterRowsetColumns).
    # ytsaurus-client's read_query_result sends none of them: a raw request does.
    from yt.wrapper.driver import make_request

    yt = prod_client.yt()
    query_id = str(yt.start_query(
        "yql", "SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, 'c')) AS t(x, y) ORDER BY x",
        settings=SETTINGS))
    assert _finished(yt, query_id) == "completed"

    def read(**options) -> list[dict]:
        params = {"query_id": query_id, "result_index": 0, "stage": "production",
                  "output_format": "json", **options}
        text = make_request("read_query_result", params, use_heavy_proxy=True, client=yt)
        return [json.loads(line) for line in text.decode().splitlines() if line]

    assert [row["x"] for row in read(lower_row_index=1)] == [2, 3]
    assert [row["x"] for row in read(lower_row_index=1, upper_row_index=2)] == [2]
    assert [row["x"] for row in read(upper_row_index=10)] == [1, 2, 3]
    assert read(lower_row_index=5) == []
    assert read(lower_row_index=2, upper_row_index=1) == []
    assert read(columns=["y", "missing", "y"], upper_row_index=2) == [{"y": "a"}, {"y": "b"}]
