"""A failed or aborted YQL query as a cluster's query tracker reports it, and prod's reading.

Where the shapes come from (ytsaurus/ytsaurus):
- a failed query's error is the yql agent's "Failed to run query" (attribute `query_id`:
  DoStartQuery in yt/yql/agent/yql_agent.cpp) around the YQL plugin's "There are some
  issues", whose inner errors are YQL's issues, nested as YQL nests them, each with its
  `severity` and its place in `start_position` (`row`, `column`), none in its message
  (IssuesToYtErrorYson in yt/yql/plugin/native/error_helpers.cpp);
- a failed query has no results: `result_count` is that of the results the engine gave,
  none on failure (TryWriteQueryState in yt/yt/server/query_tracker/handler_base.cpp);
- the tracker finishes a failed or aborted query with its error inside its own, "Query <id>
  failed" ("aborted"), attribute `query_id` (TQueryTracker::FinishQueryLoop in
  yt/yt/server/query_tracker/query_tracker.cpp); until then, `failing`, the query's error is
  the engine's as the handler wrote it (TQueryHandlerBase::OnQueryFailed, handler_base.cpp);
- `abort_query` makes a pending or running query `aborting`, with the error "Query was
  aborted by user %Qv with message %Qv" in the record's `abort_request` and no `error`
  (TQueryTrackerProxy::AbortQuery, yt/yt/server/query_tracker/query_tracker_proxy.cpp;
  PartialRecordToQuery, yt/yt/server/query_tracker/helpers.cpp, gives it as the query's
  `abort_request`), and the tracker ends it `aborted`, that error in "Query <id> aborted".
"""

from __future__ import annotations

import time

import pytest

from yt_pipeline.errors import QueryFailed
from yt_pipeline_prod.fake.yql_errors import issue, query_error
from yt_pipeline_prod.yql_issues import issues_line
from yt_pipeline_prod.yql_text import prepare

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

QUERY = "SELECT 1 AS a;\nSELECT k\n  FRM `//tmp/q`"


def test_the_fake_fails_a_query_with_its_yql_issues_as_a_cluster_does(prod_client, fake_yt):
    fake_yt.put_table("//tmp/q", [{"k": 1}])
    with pytest.raises(QueryFailed):
        prod_client.run_yql(QUERY)
    [query] = fake_yt.state.queries.values()
    info = prod_client.yt().get_query(query.id)
    assert info["state"] == "failed"
    assert info["result_count"] == 0  # the first SELECT's result is not kept
    # the tracker's own error, around the yql agent's (FinishQueryLoop, query_tracker.cpp)
    tracker = info["error"]
    assert (tracker["message"], dict(tracker["attributes"])) == (f"Query {query.id} failed",
                                                                 {"query_id": query.id})
    [error] = tracker["inner_errors"]
    assert (error["message"], dict(error["attributes"])) == ("Failed to run query",
                                                             {"query_id": query.id})
    [issues] = error["inner_errors"]
    assert issues["message"] == "There are some issues"
    [only] = issues["inner_errors"]
    # the place is in the text sent (a pragma and an INSERT line were added before it)
    sent = query.text.split("\n")
    row = sent.index("  FRM `//tmp/q`") + 1
    # the fake's words say the place again, as dev mode's do
    assert only["message"] == (f'syntax error at or near "`//tmp/q`" (line {row}, column 7 '
                               "of the query)")
    assert only["code"] == 30001
    assert dict(only["attributes"]) == {"severity": "S_ERROR",
                                        "start_position": {"row": row, "column": 7}}


def test_a_failing_query_shows_the_engines_error_until_the_tracker_finishes_it(prod_client,
                                                                              fake_yt):
    # `failing`: the handler wrote the engine's error (OnQueryFailed, handler_base.cpp);
    # `failed`: the tracker put it in its own (FinishQueryLoop, query_tracker.cpp)
    fake_yt.state.query_finishing_s = 1.0
    yt = prod_client.yt()
    query_id = yt.start_query("yql", "SELECT k FROM `//tmp/none`", settings={"cluster": "primary"})
    deadline = time.monotonic() + 10
    while yt.get_query(query_id)["state"] in ("pending", "running") and \
            time.monotonic() < deadline:
        time.sleep(0.02)
    failing = yt.get_query(query_id)
    assert failing["state"] == "failing"
    assert failing["error"]["message"] == "Failed to run query"
    while yt.get_query(query_id)["state"] == "failing" and time.monotonic() < deadline:
        time.sleep(0.05)
    failed = yt.get_query(query_id)
    assert failed["state"] == "failed"
    assert failed["error"]["message"] == f"Query {query_id} failed"
    assert failed["error"]["inner_errors"] == [failing["error"]]


def test_prod_names_the_issue_where_the_query_as_written_has_it(prod_client, fake_yt):
    fake_yt.put_table("//tmp/q", [{"k": 1}])
    with pytest.raises(QueryFailed) as failed:
        prod_client.run_yql(QUERY)
    message = str(failed.value)
    assert message.endswith(' failed: YQL: 3:7: syntax error at or near "`//tmp/q`" '
                            "(line 3, column 7 of the query)")
    assert "Failed to run query" not in message and "\n" not in message


def test_prod_gives_the_innermost_error_issues_and_leaves_out_warnings():
    # a type error as YQL nests it: the cause is under issues saying where YQL was
    query = "$x = 1;\nSELECT no_such, k\nFROM `//t`;\nSELECT 2 AS b, nope"
    prepared = prepare(query, "primary", "//r/1")
    sent = prepared.text.split("\n")

    def row(text: str) -> int:
        return sent.index(text) + 1

    error = query_error("q1", [
        issue("Pragma is deprecated", 1, 1, severity="S_WARNING",
              inner=[issue("an error under a warning is the warning's", 1, 1)]),
        issue("Type annotation", inner=[
            issue("At function: RemovePrefixMembers, At function: PersistableRepr",
                  row("SELECT no_such, k"), 1, inner=[
                      issue("Member not found: no_such", row("SELECT no_such, k"), 8),
                      # no place of its own: it is where the issue around it is
                      issue("Member   not found:\n k"),
                  ]),
        ]),
        issue("Member not found: nope", row("SELECT 2 AS b, nope"), 16),
        issue("Member not found: nope", row("SELECT 2 AS b, nope"), 16),  # said once
        # a place in the lines the backend added is no place in the query
        issue("Bad pragma", 1, 8),
    ])
    assert issues_line(error, prepared) == (
        "YQL: 2:8: Member not found: no_such; YQL: 2:1: Member not found: k; "
        "YQL: 4:16: Member not found: nope; Bad pragma")
    # an error with no YQL issue in it (the query failed before YQL saw it): none
    assert issues_line({"message": "Failed to run query", "inner_errors": [
        {"message": "Token cannot be issued, all attempts failed"}]},
        prepared) is None


def test_an_aborted_query_is_aborting_then_aborted(prod_client, fake_yt):
    fake_yt.state.query_delay_s = 1.0
    yt = prod_client.yt()
    query_id = yt.start_query("yql", "SELECT 1 AS a", settings={"cluster": "primary"})
    yt.abort_query(query_id, message="stop")
    info = yt.get_query(query_id)
    assert info["state"] == "aborting"
    # the abort is the record's abort_request until the tracker finishes the query; the
    # query has no error yet (AbortQuery, query_tracker_proxy.cpp; PartialRecordToQuery)
    assert info["abort_request"]["message"] == ('Query was aborted by user "root" with '
                                                'message "stop"')
    assert "error" not in info
    deadline = time.monotonic() + 10
    while yt.get_query(query_id)["state"] == "aborting" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert yt.get_query(query_id)["state"] == "aborted"
    assert yt.get_query(query_id)["result_count"] == 0
    # the tracker keeps the abort's message, inside "Query <id> aborted" (FinishQueryLoop,
    # yt/yt/server/query_tracker/query_tracker.cpp)
    error = yt.get_query(query_id)["error"]
    assert error["message"] == f"Query {query_id} aborted"
    assert error["attributes"]["query_id"] == query_id
    assert [inner["message"] for inner in error["inner_errors"]] == [
        'Query was aborted by user "root" with message "stop"']
    assert "abort_request" not in yt.get_query(query_id)  # no column of a finished query


STAGE = """
from yt_pipeline import BaseStage


class Report(BaseStage):
    def run(self, debug):
        self.deps.yt_client.run_yql(
            "INSERT INTO `//home/rep/out` WITH TRUNCATE\\n"
            "SELECT k,\\n    no_such\\nFROM `//home/rep/src`")
        return debug
"""


def _failed_stage_line(make_pipeline, fake_yt, run_cli, monkeypatch) -> tuple[str, str]:
    """The line a prod run prints for its YQL stage's failed query, and the query's id."""
    from yt_pipeline_prod.testing import TEST_PROD_OPTIONS, TEST_TOKEN

    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    fake_yt.put_table("//home/rep/src", [{"k": 1}])
    root = make_pipeline({
        "configs/secrets.env": f"YT_PROXY={fake_yt.url}\nYT_TOKEN={TEST_TOKEN}\n",
        "stages/report/stage.py": STAGE,
    }, config={"pipeline": {"mode": "prod", "prod": TEST_PROD_OPTIONS},
               "stages": {"enabled_stages": ["report"]}})
    result = run_cli("run", root)
    assert result.exit_code != 0
    (query,) = fake_yt.state.queries.values()
    assert query.state == "failed"
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith(f"error: stage report failed: YQL query {query.id} failed: "), \
        result.output
    return error, query.id


def test_a_failed_yql_stage_prints_the_yql_error_under_the_trackers(make_pipeline, fake_yt,
                                                                   run_cli, monkeypatch):
    # the error is "Query <id> failed" (FinishQueryLoop, query_tracker.cpp) around the yql
    # agent's, around YQL's issue: the line names the issue, and the query's id once
    line, query_id = _failed_stage_line(make_pipeline, fake_yt, run_cli, monkeypatch)
    # YQL's words for a column the table lacks, at the column (line 3 of the stage's query)
    assert line.endswith(f"YQL query {query_id} failed: YQL: 3:5: Member not found: "
                         "no_such"), line
    assert line.count(query_id) == 1, line


def test_a_yql_stage_failed_with_no_yql_issue_prints_the_engines_error(
        make_pipeline, fake_yt, run_cli, monkeypatch):
    # an error with no YQL issue in it is given whole, without the tracker's "Query <id>
    # failed" around it (FinishQueryLoop, query_tracker.cpp), which says the line's words
    from yt_pipeline_prod.fake.queries import QueryRunner

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(QueryRunner, "_statement", broken)
    line, query_id = _failed_stage_line(make_pipeline, fake_yt, run_cli, monkeypatch)
    # the fake's own error, raised here on purpose: not one for the fixture to raise
    broke, fake_yt.internal_errors[:] = list(fake_yt.internal_errors), []
    assert broke == ["the fake query broke: RuntimeError('boom')"]
    assert line.endswith(f"YQL query {query_id} failed: the fake query broke: "
                         "RuntimeError('boom')"), line
