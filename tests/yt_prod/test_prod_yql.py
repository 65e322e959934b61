"""YQL through the fake query tracker: tables without a schema, and the cluster a query names.

Cluster facts the fake applies, and where they were learned (ytsaurus/ytsaurus; the YQL
parts also in ydb-platform/ydb):
- a table without a schema is refused without `PRAGMA yt.InferSchema`, and an empty one
  even with it: yt/yql/providers/yt/provider/yql_yt_provider.cpp, `TYtTableDescription::
  Validate`;
- inferred columns are those with a non-null value in the first N rows:
  yt/yql/providers/yt/lib/infer_schema/infer_schema.cpp (`AddRow`, `InferSchemaFromSample`);
- N is 1 to 1000, 1 without a value, and InferSchema with ForceInferSchema is an error:
  yt/yql/providers/yt/common/yql_yt_settings.cpp; a static pragma set twice keeps its last
  value: yt/docs/en/yql/syntax/_includes/pragma_yt.md;
- no append to a table without a schema, nor with other columns:
  yt/yql/providers/yt/provider/yql_yt_datasink_type_ann.cpp (`checkLayout`);
- `settings["cluster"]` is the query's default cluster: yt/yql/plugin/native/plugin.cpp;
  without it, and with no default configured (yt/yql/agent/yql_agent.cpp sets none), a
  table without a cluster fails in YQL's translator: "No cluster name given and no default
  cluster is selected" (yql/essentials/sql/v1).
"""

from __future__ import annotations

import re

import pytest
from client_features import run_query_of

from yt_pipeline.errors import BackendError, QueryFailed
from yt_pipeline_dev.client import DevClient
from yt_pipeline_prod.testing import make_prod_client

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")


def raw_query(prod_client, text, settings=None):
    """The rows of a query sent as it is (no pragma, no cluster added), read the way the
    client's own `QueryResult.read_rows` does (it checks `is_truncated` first)."""
    import yt.wrapper as yt

    from yt_pipeline_prod.client import json_format

    query = run_query_of(yt)("yql", text, settings=settings, client=prod_client.yt())
    return [dict(row) for row in query.get_result(0).read_rows(format=json_format())]


def raw_error(prod_client, text, settings=None) -> str:
    from yt.wrapper.errors import YtError

    with pytest.raises(YtError) as failed:
        raw_query(prod_client, text, settings)
    return str(failed.value) + repr(getattr(failed.value, "inner_errors", ""))


def test_insert_select_then_select(prod_client, fake_yt):
    fake_yt.put_table("//tmp/src", [{"name": "a", "n": 1}, {"name": "b", "n": 5},
                                    {"name": "c", "n": 7}])
    rows = prod_client.run_yql(
        "USE primary;\n"
        "INSERT INTO `//tmp/out/big` WITH TRUNCATE\n"
        "SELECT name, n * 10 AS n10 FROM `//tmp/src` WHERE n > 2 ORDER BY name;"
    )
    assert rows == []
    assert fake_yt.rows("//tmp/out/big") == [{"name": "b", "n10": 50}, {"name": "c", "n10": 70}]
    assert prod_client.row_count("//tmp/out/big") == 2
    selected = prod_client.run_yql("SELECT count(*) AS c, sum(n10) AS s FROM `//tmp/out/big`")
    assert selected == [{"c": 2, "s": 120}]


def test_failed_query_raises_with_the_query_message(prod_client, fake_yt):
    fake_yt.put_table("//tmp/src", [{"name": "a"}])
    with pytest.raises(QueryFailed, match="no_such_column"):
        prod_client.run_yql("SELECT no_such_column FROM `//tmp/src`")
    with pytest.raises(QueryFailed, match="//tmp/absent"):
        prod_client.run_yql("SELECT * FROM `//tmp/absent`")


def test_pool_cluster_and_pragmas_sent_with_the_query(prod_client, fake_yt):
    fake_yt.put_table("//tmp/src2", [{"n": 1}, {"n": 2}])
    rows = prod_client.run_yql("INSERT INTO `//tmp/sum` WITH TRUNCATE "
                               "SELECT sum(n) AS s FROM `//tmp/src2`", pool="research",
                               max_row_weight="128M")
    assert rows == [] and fake_yt.rows("//tmp/sum") == [{"s": 3}]
    [query] = fake_yt.state.queries.values()
    assert query.settings == {"cluster": "primary", "pool": "research"}
    assert query.text.splitlines()[:2] == ['PRAGMA yt.MaxRowWeight = "128M";',
                                           "PRAGMA yt.InferSchema = '1000';"]


def test_the_fake_refuses_a_table_without_a_schema_unless_the_query_infers_one(prod_client,
                                                                               fake_yt):
    fake_yt.put_table("//tmp/plain", [{"a": 1}, {"a": 2, "b": "x"}, {"a": 3, "c": None}])
    on = {"cluster": "primary"}
    assert "does not have any scheme attribute supported by YQL" in raw_error(
        prod_client, "SELECT a FROM `//tmp/plain`", on)
    # one row by default: b is not a column
    assert "b" in raw_error(prod_client, "PRAGMA yt.InferSchema; SELECT b FROM `//tmp/plain`", on)
    rows = raw_query(prod_client, "PRAGMA yt.InferSchema = '2'; SELECT * FROM `//tmp/plain`", on)
    assert rows == [{"a": 1, "b": None}, {"a": 2, "b": "x"}, {"a": 3, "b": None}]
    # c holds only null in the rows looked at: it is not a column either
    assert "c" in raw_error(prod_client, "PRAGMA yt.InferSchema = '3'; SELECT c FROM `//tmp/plain`",
                            on)
    assert "up to 1000" in raw_error(
        prod_client, "PRAGMA yt.InferSchema = '1001'; SELECT a FROM `//tmp/plain`", on)
    assert "ForceInferSchema" in raw_error(
        prod_client, "PRAGMA yt.InferSchema; PRAGMA yt.ForceInferSchema; SELECT a FROM `//tmp/plain`",
        on)
    fake_yt.put_table("//tmp/empty", [])
    assert 'Cannot infer schema for table "//tmp/empty", table is empty' in raw_error(
        prod_client, "PRAGMA yt.InferSchema; SELECT COUNT(*) AS n FROM `//tmp/empty`", on)


def test_prod_infers_1000_rows_and_the_query_own_pragma_wins(prod_client, fake_yt):
    fake_yt.put_table("//tmp/late", [{"id": i, **({"b": i} if i == 999 else {})}
                                     for i in range(1001)])
    assert prod_client.run_yql("SELECT id FROM `//tmp/late` WHERE b IS NOT NULL") == [{"id": 999}]
    with pytest.raises(QueryFailed, match="b"):
        prod_client.run_yql("PRAGMA yt.InferSchema = '10'; SELECT b FROM `//tmp/late`")
    with pytest.raises(QueryFailed, match="1 to 1000 rows"):
        prod_client.run_yql("PRAGMA yt.InferSchema = '5000'; SELECT b FROM `//tmp/late`")
    # with ForceInferSchema the backend adds nothing (the two together are an error)
    assert prod_client.run_yql("PRAGMA yt.ForceInferSchema = '1000';\n"
                               "SELECT COUNT(b) AS n FROM `//tmp/late`") == [{"n": 1}]


def test_yql_appends_only_to_a_table_yql_wrote(prod_client, fake_yt):
    prod_client.write_table("//tmp/w", [{"x": 1}])
    with pytest.raises(QueryFailed, match="append is not allowed"):
        prod_client.run_yql("INSERT INTO `//tmp/w` SELECT 2 AS x")
    prod_client.run_yql("INSERT INTO `//tmp/y` WITH TRUNCATE SELECT 1 AS x")
    prod_client.run_yql("INSERT INTO `//tmp/y` SELECT 2 AS x")
    assert fake_yt.rows("//tmp/y") == [{"x": 1}, {"x": 2}]
    assert [c["name"] for c in prod_client.yt().get("//tmp/y/@schema")] == ["x"]
    with pytest.raises(QueryFailed, match="row type differs"):
        prod_client.run_yql("INSERT INTO `//tmp/y` SELECT 2 AS x, 3 AS z")


def test_a_yql_append_of_other_column_types_is_refused(prod_client, fake_yt):
    # YQL appends a row type that differs only where it converts it on its own (TryConvertTo
    # in the append check of yt/yql/providers/yt/provider/yql_yt_datasink_type_ann.cpp:
    # integers into a double column); a string into an int64 column is "row type differs".
    # In a stage the INSERT goes to a staging table concatenated to the table at the commit,
    # where YQL no longer looks: the backend checks the types itself. Dev: tests/yt_dev/
    # test_yql.py.
    prod_client.run_yql("INSERT INTO `//tmp/y` WITH TRUNCATE "
                        "SELECT CAST(1 AS Int64) AS x, 0.5 AS score")
    txn = prod_client.begin_transaction("stage s")
    try:
        for client in (prod_client, txn.client):
            with pytest.raises(QueryFailed, match=re.escape(
                    "row type differs from the written row type: Struct<x:Int64!=String>")):
                client.run_yql("INSERT INTO `//tmp/y` SELECT 'a' AS x, 1.5 AS score")
            with pytest.raises(QueryFailed, match=re.escape("Struct<x:Int64!=Double>")):
                client.run_yql("INSERT INTO `//tmp/y` SELECT 2.5 AS x, 1.5 AS score")
        # an integer for the double column is made a double, in a stage too (where the
        # staging table's int64 column cannot be concatenated to a double one)
        txn.client.run_yql("INSERT INTO `//tmp/y` SELECT 2 AS x, 3 AS score")
    finally:
        txn.commit()
    prod_client.run_yql("INSERT INTO `//tmp/y` SELECT 4 AS x, 5 AS score")
    rows = fake_yt.rows("//tmp/y")
    assert rows == [{"x": 1, "score": 0.5}, {"x": 2, "score": 3.0}, {"x": 4, "score": 5.0}]
    assert [type(row["score"]) for row in rows] == [float] * 3
    # concatenate converts nothing: a table's rows join a strict schema that way only when
    # its own schema is compatible with it (test_strong_output_schema_weak_input_schemas in
    # yt/yt/tests/integration/tests/test_concatenate.py; the fake's schema_compatibility.py)
    fake_yt.put_table("//tmp/ints", [{"x": 9, "score": 9}])
    with pytest.raises(Exception, match="Incompatible strictness: input schema is not strict "
                                        "while output schema is"):
        prod_client.yt().concatenate(["//tmp/ints"], "<append=%true>//tmp/y")


def test_the_fake_refuses_a_query_that_names_no_cluster(prod_client, fake_yt):
    fake_yt.put_table("//tmp/c", [{"a": 1}])
    text = "PRAGMA yt.InferSchema; SELECT a FROM `//tmp/c`"
    assert "No cluster name given and no default cluster is selected" in raw_error(
        prod_client, text)
    assert "Unknown cluster: elsewhere" in raw_error(prod_client, text, {"cluster": "elsewhere"})
    assert raw_query(prod_client, "USE primary; " + text) == [{"a": 1}]
    assert raw_query(prod_client, text.replace("`//", "primary.`//")) == [{"a": 1}]


def test_the_cluster_is_the_setting_or_read_once_from_the_cluster(fake_yt):
    client = make_prod_client(fake_yt)
    try:
        client.run_yql("SELECT 1 AS one")
        # read once: the name is not asked for again
        del fake_yt.state.cypress.base["//sys"].attributes["cluster_name"]
        client.run_yql("SELECT 2 AS two")
        assert [q.settings["cluster"] for q in fake_yt.state.queries.values()] == ["primary"] * 2
        fresh = make_prod_client(fake_yt)
        with pytest.raises(BackendError, match="set pipeline.prod.cluster"):
            fresh.run_yql("SELECT 3 AS three")
        fresh.settings.cluster = "primary"
        assert fresh.run_yql("SELECT 3 AS three") == [{"three": 3}]
        fresh.close()
    finally:
        client.close()


def test_late_columns_give_the_same_rows_in_dev_and_prod(prod_client, fake_yt, tmp_path):
    # the columns of a table without a schema are those of its first 1000 rows, in dev as
    # on the cluster: `city` first appears in row 1 and is a column, `late` first appears in
    # row 1500 and is not
    rows = [{"id": 0}] + [{"id": i, "city": f"c{i % 3}", **({"late": 1} if i == 1500 else {})}
                          for i in range(1, 2000)]
    dev = DevClient(tmp_path / ".dev")
    for client in (dev, prod_client):
        client.write_table("//tmp/people", rows)
    query = ("SELECT city, COUNT(*) AS n FROM `//tmp/people` WHERE city IS NOT NULL "
             "GROUP BY city ORDER BY city")
    expected = [{"city": "c0", "n": 666}, {"city": "c1", "n": 667}, {"city": "c2", "n": 666}]
    assert dev.run_yql(query) == prod_client.run_yql(query) == expected
    star = "SELECT * FROM `//tmp/people` WHERE id IN (0, 1500) ORDER BY id"
    assert dev.run_yql(star) == prod_client.run_yql(star) == [
        {"id": 0, "city": None}, {"id": 1500, "city": "c0"}]
    for client in (dev, prod_client):
        with pytest.raises(QueryFailed, match="late"):
            client.run_yql("SELECT late FROM `//tmp/people`")


def test_a_query_reading_what_its_stage_wrote_is_refused_not_answered_stale(prod_client,
                                                                             fake_yt):
    # The query tracker runs queries outside the stage's transaction: a query reading a table
    # the stage wrote before it would see the table as it was before the stage (the fake's
    # queries read committed tables too). Refused, naming the table, rather than answered
    # with the old rows.
    from yt_pipeline.errors import QueryFailed

    fake_yt.put_table("//tmp/t", [{"a": 0}])
    fake_yt.put_table("//tmp/other", [{"a": 5}])
    txn = prod_client.begin_transaction("stage s")
    stage = txn.client
    try:
        assert stage.run_yql("SELECT a FROM `//tmp/t`") == [{"a": 0}]  # nothing written yet
        stage.write_table("//tmp/t", [{"a": 1}, {"a": 2}])
        for query in ("SELECT a FROM `//tmp/t`", "SELECT * FROM RANGE(`//tmp`)",
                      "INSERT INTO `//tmp/u` WITH TRUNCATE SELECT a FROM `//tmp/t`"):
            with pytest.raises(QueryFailed, match="reads //tmp/t, which this stage wrote"):
                stage.run_yql(query)
        # other tables, and INSERTs into the table written (applied in the transaction), go on
        assert stage.run_yql("SELECT a FROM `//tmp/other`") == [{"a": 5}]
        stage.run_yql("INSERT INTO `//tmp/t` WITH TRUNCATE SELECT 3 AS a")
        # a table an INSERT of the stage filled whole is read from the INSERT's staging
        # table, which holds its rows as the stage sees them (the documented INSERT-then-
        # SELECT stage works on a cluster)
        assert stage.run_yql("SELECT a FROM `//tmp/t`") == [{"a": 3}]
        stage.run_yql("INSERT INTO `//tmp/y` WITH TRUNCATE SELECT 1 AS x")
        # (a CROSS JOIN filtered: YQL joins ON equalities only, core/yql_join_shape.py)
        assert stage.run_yql("SELECT x FROM `//tmp/y` AS y CROSS JOIN `//tmp/t` AS t "
                             "WHERE y.x < t.a") == [{"x": 1}]
        # ... until anything else writes it, or an INSERT appends to it
        stage.write_table("//tmp/y", [{"x": 2}], append=True)
        stage.run_yql("INSERT INTO `//tmp/t` SELECT 4 AS a")
        for table in ("//tmp/y", "//tmp/t"):
            with pytest.raises(QueryFailed, match=f"reads {table}, which this stage wrote"):
                stage.run_yql(f"SELECT * FROM `{table}`")
        assert list(stage.read_table("//tmp/t")) == [{"a": 3}, {"a": 4}]  # read_table sees it
    finally:
        txn.abort()
    assert fake_yt.rows("//tmp/t") == [{"a": 0}]
    with pytest.raises(KeyError):
        fake_yt.rows("//tmp/y")
    # the staging tables the stage read through are gone with it
    assert prod_client.list("//tmp/yt_pipeline/yql_results") == []


# -- a query the run stops waiting for ----------------------------------------------------
# The query tracker runs a query to its end whoever waits for it; only `abort_query` stops
# it (TQueryTrackerProxy::AbortQuery in yt/yt/server/query_tracker/query_tracker_proxy.cpp,
# which refuses a query no longer pending or running), and ytsaurus-client's own
# `Query.wait` aborts its query on KeyboardInterrupt (yt/wrapper/query_commands.py).

INSERT_ONE = "INSERT INTO `//tmp/stopped/out` WITH TRUNCATE SELECT 1 AS a;"


def _only_query(fake_yt):
    (query,) = fake_yt.state.queries.values()
    return query


def _settled(fake_yt, seconds=1.5):
    """Past the fake query's delay, so a query left running would have written by now."""
    import time

    time.sleep(seconds)
    fake_yt.wait_idle()


def test_closing_the_client_aborts_the_query_a_stage_thread_waits_for(prod_client, fake_yt):
    import threading
    import time

    fake_yt.state.query_delay_s = 1.0
    outcome: list[BaseException] = []

    def waiting() -> None:
        try:
            prod_client.run_yql(INSERT_ONE)
        except BaseException as error:  # noqa: BLE001 - the test looks at it
            outcome.append(error)

    thread = threading.Thread(target=waiting)
    thread.start()
    deadline = time.monotonic() + 10
    while not prod_client.running and time.monotonic() < deadline:
        time.sleep(0.01)  # started, and being waited for
    prod_client.close()  # what a Ctrl-C in the main thread does on the way out
    thread.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], QueryFailed), outcome
    assert "aborted" in str(outcome[0])
    _settled(fake_yt)
    query = _only_query(fake_yt)
    assert query.state == "aborted"
    assert "the yt-pipeline run waiting for it stopped" in \
        query.error["inner_errors"][0]["message"]
    # the abort's own words, not the tracker's "Query <id> aborted" around them
    # (FinishQueryLoop, yt/yt/server/query_tracker/query_tracker.cpp), which the line says
    assert str(outcome[0]) == (f'YQL query {query.id} aborted: Query was aborted by user '
                               '"root" with message "the yt-pipeline run waiting for it '
                               'stopped"')
    with pytest.raises(KeyError):
        fake_yt.rows("//tmp/stopped/out")  # the query wrote nothing


def test_an_interrupt_while_waiting_aborts_the_query(prod_client, fake_yt, monkeypatch):
    import time
    import types

    from yt_pipeline_prod import yql

    fake_yt.state.query_delay_s = 1.0

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    # the first pause between two polls is where the Ctrl-C lands
    monkeypatch.setattr(yql, "time", types.SimpleNamespace(sleep=interrupted,
                                                           monotonic=time.monotonic))
    with pytest.raises(KeyboardInterrupt):
        prod_client.run_yql(INSERT_ONE)
    monkeypatch.undo()
    assert fake_yt.calls["abort_query"] == 1
    _settled(fake_yt)
    assert _only_query(fake_yt).state == "aborted"
    with pytest.raises(KeyError):
        fake_yt.rows("//tmp/stopped/out")
    assert prod_client.running == {}


def test_the_fake_refuses_to_abort_a_finished_query(prod_client, fake_yt):
    from yt.wrapper.errors import YtError

    prod_client.run_yql(INSERT_ONE)
    assert fake_yt.rows("//tmp/stopped/out") == [{"a": 1}]
    query = _only_query(fake_yt)
    # a finished query has left the active queries TQueryTrackerProxy::AbortQuery looks in
    # (yt/yt/server/query_tracker/query_tracker_proxy.cpp)
    with pytest.raises(YtError, match="Query .* not found or is not running"):
        prod_client.yt().abort_query(query.id)
    assert query.state == "completed"


def test_double_quoted_and_escaped_strings_are_strings_in_dev_and_prod(prod_client, fake_yt,
                                                                        tmp_path):
    # YQL reads "text" as a string, as 'text', and both take backslash escapes
    # (https://ydb.tech/docs/en/yql/reference/syntax/lexer, "String literals"); DuckDB
    # would read "click" as a column and 'it\'s' as a broken literal
    rows = [{"user": "u1", "kind": "click"}, {"user": "u2", "kind": "view"}]
    dev = DevClient(tmp_path / ".dev")
    for client in (dev, prod_client):
        client.write_table("//tmp/events", rows)
    query = ("SELECT user, \"clicked\" AS what, 'it\\'s \"ok\"' AS note, \"a\\tb\" AS tab "
             "FROM `//tmp/events` WHERE kind = \"click\"")
    expected = [{"user": "u1", "what": "clicked", "note": "it's \"ok\"", "tab": "a\tb"}]
    assert dev.run_yql(query) == expected
    assert prod_client.run_yql(query) == expected
