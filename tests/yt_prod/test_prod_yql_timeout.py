"""pipeline.yql_timeout_s: a stage waits so long for one YQL query, then aborts it.

The fake holds a query running for `query_delay_s` before its first statement (the hook
the interrupt tests use). What the fake's query tracker does with an abort is
TQueryTrackerProxy::AbortQuery's (yt/yt/server/query_tracker/query_tracker_proxy.cpp):
`aborting`, then `aborted` once its engine stopped; the states that end a wait are those
ytsaurus-client's `QueryState.is_finished` names (yt/wrapper/query_commands.py).
"""

from __future__ import annotations

import logging
import time

import pytest

from yt_pipeline import yql_wait
from yt_pipeline.errors import QueryFailed
from yt_pipeline_prod.testing import TEST_PROD_OPTIONS, TEST_TOKEN

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

STAGE = """
from yt_pipeline import BaseStage


class Summary(BaseStage):
    def run(self, debug):
        self.deps.yt_client.run_yql(
            "INSERT INTO `//home/slow/out` WITH TRUNCATE SELECT n * 2 AS n FROM `//home/slow/src`")
        return debug
"""


def _settled_state(fake_yt, query, seconds=10.0):
    """The query's state once the fake's runner has stopped (`aborting` turns `aborted`)."""
    deadline = time.monotonic() + seconds
    while query.state == "aborting" and time.monotonic() < deadline:
        time.sleep(0.02)
    fake_yt.wait_idle()
    return query.state


def _tables_under(fake_yt, folder):
    cypress = fake_yt.state.cypress
    return [path for path in cypress.paths(None) if path.startswith(folder + "/")
            and cypress.lookup(path, None).type == "table"]


def test_a_query_running_past_the_limit_is_aborted_and_fails_its_stage(
        make_pipeline, fake_yt, run_cli, monkeypatch):
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    fake_yt.put_table("//home/slow/src", [{"n": 1}, {"n": 2}])
    fake_yt.state.query_delay_s = 60.0  # a query stuck in its pool's queue
    root = make_pipeline({
        "configs/secrets.env": f"YT_PROXY={fake_yt.url}\nYT_TOKEN={TEST_TOKEN}\n",
        "stages/summary/stage.py": STAGE,
    }, config={"pipeline": {"mode": "prod", "yql_timeout_s": 0.5, "prod": TEST_PROD_OPTIONS},
               "stages": {"enabled_stages": ["summary"]}})
    started = time.monotonic()
    result = run_cli("run", root)
    assert time.monotonic() - started < 30  # not the fake's 60 s, nor forever
    assert result.exit_code != 0
    (query,) = fake_yt.state.queries.values()
    lines = [line for line in result.output.splitlines()
             if f"YQL query {query.id} aborted, still running after" in line]
    assert lines, result.output
    assert lines[0].endswith(": pipeline.yql_timeout_s is 0.5 s (raise it, or set it to null "
                             "to wait without a limit)"), lines[0]
    waited = float(lines[0].split("still running after ")[1].split(" s:")[0])
    assert 0.5 <= waited < 10
    assert fake_yt.calls["abort_query"] == 1
    assert _settled_state(fake_yt, query) == "aborted"
    # the tracker keeps the message prod gave inside "Query <id> aborted" (FinishQueryLoop)
    assert "pipeline.yql_timeout_s" in query.error["inner_errors"][0]["message"]
    with pytest.raises(KeyError):  # nothing written, and no staging table left behind
        fake_yt.rows("//home/slow/out")
    assert _tables_under(fake_yt, "//tmp/yt_pipeline/yql_results") == []
    assert TEST_TOKEN not in result.output


def test_a_query_waited_for_long_is_told_of_now_and_then(prod_client, fake_yt, monkeypatch,
                                                          caplog):
    monkeypatch.setattr(yql_wait, "PROGRESS_EVERY_S", 0.2)
    fake_yt.state.query_delay_s = 1.0
    prod_client.settings.yql_timeout_s = None  # no limit: waited for to its end
    with caplog.at_level(logging.INFO, logger="yt_pipeline.prod.yql"):
        assert prod_client.run_yql("SELECT 5 AS a") == [{"a": 5}]
    (query,) = fake_yt.state.queries.values()
    told = [record.getMessage() for record in caplog.records
            if record.name == "yt_pipeline.prod.yql"]
    assert len(told) >= 2, told
    assert all(line.startswith(f"YQL query {query.id} still running after ")
               and line.endswith(" s (pipeline.yql_timeout_s: no limit)") for line in told), told
    assert query.state == "completed"


def test_a_query_that_ends_within_the_limit_is_not_aborted(prod_client, fake_yt):
    fake_yt.state.query_delay_s = 0.3
    prod_client.settings.yql_timeout_s = 20.0
    assert prod_client.run_yql("SELECT 6 AS a") == [{"a": 6}]
    assert fake_yt.calls["abort_query"] == 0


def test_the_limit_outside_a_stage_aborts_the_query_too(prod_client, fake_yt):
    fake_yt.state.query_delay_s = 60.0
    prod_client.settings.yql_timeout_s = 0.3
    with pytest.raises(QueryFailed, match=r"^YQL query \S+ aborted, still running after "
                                          r"\d+\.\d s: pipeline\.yql_timeout_s is 0\.3 s"):
        prod_client.run_yql("INSERT INTO `//tmp/late/out` WITH TRUNCATE SELECT 1 AS a")
    (query,) = fake_yt.state.queries.values()
    assert _settled_state(fake_yt, query) == "aborted"
    with pytest.raises(KeyError):
        fake_yt.rows("//tmp/late/out")
    assert prod_client.running == {}


@pytest.mark.parametrize("value", [0, -5, ".inf", "'soon'", 2_592_001])
def test_a_limit_that_is_no_number_of_seconds_is_refused_by_name(make_pipeline, run_cli,
                                                                 value):
    root = make_pipeline({"stages/summary/stage.py": STAGE},
                         config={"pipeline": {"mode": "dev"},
                                 "stages": {"enabled_stages": ["summary"]}})
    result = run_cli("run", root, "--set", f"pipeline.yql_timeout_s={value}")
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert errors[0].startswith(
        "error: --set pipeline.yql_timeout_s: pipeline.yql_timeout_s: must be a number of "
        "seconds (more than 0, at most 2,592,000), or null to wait without a limit, got ")


def test_prod_reads_the_limit_and_null_for_none(make_pipeline):
    from yt_pipeline.config import load_config
    from yt_pipeline_prod.settings import load_prod_settings

    root = make_pipeline({"configs/secrets.env": "YT_PROXY=localhost:1\nYT_TOKEN=abcd-token\n"},
                         config={"pipeline": {"mode": "prod"}, "stages": {}})
    for given, expected in ((None, yql_wait.DEFAULT_YQL_TIMEOUT_S), ("90", 90.0),
                            ("null", None)):
        overrides = [] if given is None else [f"pipeline.yql_timeout_s={given}"]
        settings = load_prod_settings(load_config(root, overrides=overrides), root)
        assert settings.yql_timeout_s == expected


# A query whose engine has ended is `completing` or `failing` until the tracker finishes it
# (handler_base.cpp, query_tracker.cpp); the tracker refuses to abort it (TQueryTrackerProxy::
# AbortQuery takes pending and running queries only). The fake holds that state for
# `query_finishing_s`.

def test_a_query_completing_at_the_limit_is_waited_for_and_its_rows_read(prod_client,
                                                                         fake_yt):
    fake_yt.state.query_finishing_s = 1.5
    prod_client.settings.yql_timeout_s = 0.4
    assert prod_client.run_yql("SELECT 7 AS a UNION ALL SELECT 8 AS a") == [{"a": 7},
                                                                             {"a": 8}]
    (query,) = fake_yt.state.queries.values()
    assert query.state == "completed"
    assert fake_yt.calls["abort_query"] == 0


def test_an_insert_completing_at_the_limit_puts_its_rows_on_the_table(prod_client, fake_yt):
    fake_yt.put_table("//home/fin/src", [{"n": 1}, {"n": 2}])
    fake_yt.state.query_finishing_s = 1.5
    prod_client.settings.yql_timeout_s = 0.4
    prod_client.run_yql("INSERT INTO `//home/fin/out` WITH TRUNCATE "
                        "SELECT n * 10 AS n FROM `//home/fin/src`")
    assert sorted(row["n"] for row in fake_yt.rows("//home/fin/out")) == [10, 20]
    assert fake_yt.calls["abort_query"] == 0


def test_a_query_failing_at_the_limit_fails_with_its_own_error(prod_client, fake_yt):
    fake_yt.state.query_finishing_s = 1.5
    prod_client.settings.yql_timeout_s = 0.4
    with pytest.raises(QueryFailed) as failed:
        prod_client.run_yql("SELECT * FROM `//home/fin/missing`")
    (query,) = fake_yt.state.queries.values()
    assert str(failed.value).startswith(f"YQL query {query.id} failed: "), str(failed.value)
    assert "//home/fin/missing" in str(failed.value)
    assert yql_wait.KEY not in str(failed.value)
    assert query.state == "failed"
    assert fake_yt.calls["abort_query"] == 0


def test_an_abort_the_tracker_refuses_at_the_limit_is_asked_again(prod_client, fake_yt):
    # "Cannot abort query because its state is being changed at the moment; please try
    # again" (TQueryTrackerProxy::AbortQuery): the query runs on until an abort is taken
    fake_yt.state.query_delay_s = 60.0
    fake_yt.state.abort_conflicts = 1
    prod_client.settings.yql_timeout_s = 0.3
    with pytest.raises(QueryFailed, match=r"^YQL query \S+ aborted, still running after "):
        prod_client.run_yql("SELECT 1 AS a")
    (query,) = fake_yt.state.queries.values()
    assert fake_yt.calls["abort_query"] == 2
    assert _settled_state(fake_yt, query) == "aborted"


def test_a_query_the_tracker_never_lets_abort_fails_its_stage_saying_so(prod_client,
                                                                        fake_yt):
    from yt_pipeline_prod.yql import ABORT_ATTEMPTS

    fake_yt.state.query_delay_s = 60.0
    fake_yt.state.abort_conflicts = ABORT_ATTEMPTS
    prod_client.settings.yql_timeout_s = 0.3
    with pytest.raises(QueryFailed) as failed:
        prod_client.run_yql("SELECT 1 AS a")
    (query,) = fake_yt.state.queries.values()
    assert str(failed.value).startswith(
        f"YQL query {query.id} still running, and the query tracker refused to abort it "
        "after "), str(failed.value)
    assert fake_yt.calls["abort_query"] == ABORT_ATTEMPTS
    assert query.state == "running"
