"""Large YQL results: every row of a SELECT that ends the query, a loud error otherwise.

The query tracker keeps at most `row_count_limit` rows of a result, 10,000 by default
(ytsaurus/ytsaurus yt/yt/server/query_tracker/config.cpp, `TEngineConfigBase`), and says so
in the result's `is_truncated` (handler_base.cpp, `ProcessRowset`); `get_query_result`
returns that flag and a per-result `error` (yt/yt/client/api/query_tracker_client.cpp,
`Serialize(TQueryResult)`), and ytsaurus-client's own `QueryResult.read_rows` refuses a
truncated result (yt/wrapper/query_commands.py).
"""

from __future__ import annotations

import pytest
from client_features import run_query_of

from yt_pipeline.errors import QueryFailed
from yt_pipeline_dev.client import DevClient

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

ROWS = [{"i": i, "half": i // 2} for i in range(25_000)]
THEN = ";\nINSERT INTO `//tmp/other` WITH TRUNCATE SELECT 1 AS a"


def test_the_fake_cuts_a_result_at_10000_rows_and_flags_it(prod_client, fake_yt):
    import yt.wrapper as yt
    from yt.common import YtError

    from yt_pipeline_prod.client import json_format

    fake_yt.put_table("//tmp/big", ROWS)
    query = run_query_of(yt)("yql", "PRAGMA yt.InferSchema; SELECT i FROM `//tmp/big`",
                         settings={"cluster": "primary"}, client=prod_client.yt())
    result = query.get_result(0)
    assert result.is_truncated()
    assert result.get_meta()["data_statistics"]["row_count"] == 10_000
    with pytest.raises(YtError, match="truncated"):
        result.read_rows(format=json_format())
    assert len(list(result.read_rows(validate_not_truncated=False, format=json_format()))) == 10_000


def test_a_select_of_25000_rows_returns_every_row_in_prod_as_in_dev(prod_client, fake_yt,
                                                                   tmp_path):
    dev = DevClient(tmp_path / ".dev")
    for client in (dev, prod_client):
        client.write_table("//tmp/big", ROWS)
    query = "SELECT i, half FROM `//tmp/big` WHERE i >= 0 ORDER BY i"
    from_dev, from_prod = dev.run_yql(query), prod_client.run_yql(query)
    assert len(from_prod) == 25_000 and from_prod == from_dev == ROWS
    # the rows went through a table of the result folder, which is removed once read
    [sent] = [q.text for q in fake_yt.state.queries.values()]
    assert "INSERT INTO `//tmp/yt_pipeline/yql_results/" in sent and 'EXPIRATION="1d"' in sent
    assert prod_client.list("//tmp/yt_pipeline/yql_results") == []


def test_a_truncation_that_cannot_be_avoided_fails_with_one_line(prod_client, fake_yt,
                                                                tmp_path):
    # statements after the SELECT: its rows can only come back as a query result
    dev = DevClient(tmp_path / ".dev")
    for client in (dev, prod_client):
        client.write_table("//tmp/big", ROWS)
        with pytest.raises(QueryFailed, match="keeps 10000 rows of a result") as failed:
            client.run_yql("SELECT i FROM `//tmp/big`" + THEN)
        assert "\n" not in str(failed.value)
    assert prod_client.run_yql("SELECT i FROM `//tmp/big` WHERE i < 3 ORDER BY i" + THEN) == [
        {"i": 0}, {"i": 1}, {"i": 2}]


def test_an_error_in_the_result_fails_loudly(prod_client, fake_yt):
    fake_yt.put_table("//tmp/small", [{"i": 1}])
    fake_yt.fail_next_result("Failed to save rowset")
    with pytest.raises(QueryFailed, match="result 0 failed: Failed to save rowset"):
        prod_client.run_yql("SELECT i FROM `//tmp/small`" + THEN)


@pytest.mark.parametrize("query, redirected", [
    ("SELECT 1 AS a", True),
    ("USE primary; $x = SELECT 1 AS a; SELECT * FROM $x; COMMIT;", True),
    ("SELECT 'a;b' AS s -- a comment; SELECT\n", True),
    ("SELECT 1 AS a INTO RESULT `named`", False),
    ("USE elsewhere; SELECT 1 AS a", False),
    ("SELECT 1 AS a; INSERT INTO `//t` SELECT 2 AS b", False),
    ("(SELECT 1 AS a) UNION ALL (SELECT 2 AS a)", False),
    ("INSERT INTO `//t` WITH TRUNCATE SELECT 1 AS a", False),
])
def test_which_final_select_is_written_to_a_table(query, redirected):
    from yt_pipeline_prod.yql_text import prepare

    prepared = prepare(query, "primary", "//r/1")
    assert (prepared.result_table == "//r/1") is redirected
    assert prepared.text.startswith("PRAGMA yt.InferSchema = '1000';\n")
    body = prepared.text.split("\n", 1)[1]
    if redirected:
        start = body.index("INSERT INTO `//r/1`")
        assert body[:start] + body[start:].split("\n", 1)[1] == query
    else:
        assert body == query


def test_a_position_in_a_cluster_error_is_given_in_the_query_as_written():
    # the prod backend adds a pragma line and an INSERT line before the last SELECT; YQL
    # places an issue at `<main>:line:column` of the text it was sent (TPosition in
    # yql/essentials/public/issue/yql_issue.h, ydb), which the user never saw
    from yt_pipeline_prod.yql_text import prepare

    query = "$x = 1;\nSELECT k,\n  s FRM `//t`"
    prepared = prepare(query, "primary", "//r/1", max_row_weight="16M")
    sent_line = prepared.text.split("\n").index("  s FRM `//t`") + 1
    message = f"<main>:{sent_line}:5: Error: mismatched input 'FRM'; <main>:1:1: Warning: x"
    assert prepared.in_query(message) == (
        "<main>:3:5: Error: mismatched input 'FRM'; <main>:1:1: Warning: x")
    # the fake query tracker's own line, placed the same way
    fake = f'YQL: {sent_line}:5: syntax error (line {sent_line}, column 5 of the query)'
    assert prepared.in_query(fake) == "YQL: 3:5: syntax error (line 3, column 5 of the query)"
    # the SELECT's first line, after the INSERT the backend put before it
    select = prepared.text.split("\n").index("SELECT k,") + 1
    assert prepared.in_query(f"<main>:{select}:8: Error") == "<main>:2:8: Error"


def test_commit_is_a_barrier_after_which_a_query_reads_what_it_wrote(prod_client, tmp_path):
    # the example of YQL's COMMIT page (ydb docs, yql/reference/syntax/commit.md): a table
    # written before COMMIT holds its rows for the statements after it; a cluster accepts
    # the word, which the fake gave to DuckDB ("cannot commit - no transaction is active")
    from yql_alike import dev_and_fake, same_rows

    both = dev_and_fake(prod_client, tmp_path, {"//tmp/mine": [{"i": 1}, {"i": 2}]})
    rows = same_rows(both, """
        INSERT INTO `//tmp/copied` WITH TRUNCATE SELECT i * 10 AS i FROM `//tmp/mine`;
        COMMIT;
        SELECT i FROM `//tmp/copied` ORDER BY i;""")
    assert rows == [{"i": 10}, {"i": 20}]
