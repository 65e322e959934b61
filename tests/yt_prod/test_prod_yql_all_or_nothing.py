"""A YQL query that fails leaves every table it writes as it was, those its earlier INSERTs
wrote included, in dev and on the fake query tracker alike, and in a stage's transaction
in prod. A cluster runs the whole query in one transaction: "By default, the entire YQL
query is executed within a single transaction" (ydb/docs/en/core/yql/reference/syntax/
commit.md in ydb-platform/ydb), COMMIT only ordering its parts; a failure or an abort ends
it without a commit (the Transactions page of the YTsaurus docs: an aborted transaction's
changes are discarded)."""

from __future__ import annotations

import pytest
from yql_alike import FAILING, NEW_FOLDER_FIRST, dev_and_fake, written_by_failing

from yt_pipeline.errors import QueryFailed

pytest.importorskip("duckdb", reason="YQL runs on DuckDB in dev and in the fake")

tables = written_by_failing


def without_folder(seen: dict[str, object]) -> dict[str, object]:
    return {path: what for path, what in seen.items() if path != "//tmp/new listed"}


@pytest.fixture
def both(prod_client, tmp_path):
    """Dev and the fake, each with a table of no schema to read and two tables YQL wrote
    (one sorted)."""
    return dev_and_fake(prod_client, tmp_path, {"//tmp/src": [{"i": 1}]}, query=(
        "INSERT INTO `//tmp/typed` WITH TRUNCATE SELECT 'a' AS s;\nCOMMIT;\n"
        "INSERT INTO `//tmp/kept` WITH TRUNCATE SELECT 'a' AS s ORDER BY s;"))


@pytest.mark.parametrize("case", sorted(FAILING))
def test_a_failed_query_leaves_its_tables_as_they_were_in_dev_and_on_the_fake(both, case):
    query, error = FAILING[case]
    dev, prod = both
    before = tables(dev)
    assert before == tables(prod)
    assert before["//tmp/kept"][0] == [{"s": "a"}]
    assert before["//tmp/first"] is None and before["//tmp/new listed"] is False
    for client in both:
        with pytest.raises(QueryFailed) as failed:
            client.run_yql(NEW_FOLDER_FIRST + query)
        assert error in str(failed.value)
        assert tables(client) == before


def test_an_aborted_query_leaves_the_tables_it_wrote_as_they_were(both, fake_yt,
                                                                    monkeypatch):
    """Aborted after its first INSERT: the YQL plugin's Abort stops the program, and its
    transaction ends without a commit."""
    from yt_pipeline_prod.fake import queries

    dev, prod = both
    before = tables(prod)
    statement = queries.QueryRunner._statement

    def aborted_after_the_first(runner, connection, text, scratch):
        statement(runner, connection, text, scratch)
        if queries.parse_insert(text):  # not a PRAGMA prod puts first
            with runner.state.lock:
                runner.query.state = "aborting"

    monkeypatch.setattr(queries.QueryRunner, "_statement", aborted_after_the_first)
    with pytest.raises(QueryFailed) as failed:
        prod.run_yql("INSERT INTO `//tmp/first` WITH TRUNCATE SELECT i FROM `//tmp/src`;\n"
                     "INSERT INTO `//tmp/kept` SELECT 'b' AS s;")
    assert "aborted" in str(failed.value)
    assert tables(prod) == before
    with pytest.raises(KeyError):
        fake_yt.rows("//tmp/first")
    assert fake_yt.rows("//tmp/kept") == [{"s": "a"}]


@pytest.mark.parametrize("case", ["commit between", "row type"])
def test_a_failed_query_in_a_stage_leaves_nothing_the_stage_commits(prod_client, fake_yt,
                                                                   tmp_path, case):
    """The stage catches the failure and goes on to commit: none of the query's INSERTs
    reaches a table. In a stage each INSERT goes to a staging table, which the stage's
    transaction then puts on its table (yt_pipeline_prod/yql.py): the appends YQL would
    refuse are refused there, after the query has ended well, and the INSERTs put on
    before one refused are dropped with the transaction nested in the stage's they were
    put on in."""
    query, error = FAILING[case]
    prod_client.write_table("//tmp/src", [{"i": 1}])
    prod_client.run_yql("INSERT INTO `//tmp/typed` WITH TRUNCATE SELECT 'a' AS s;\nCOMMIT;\n"
                        "INSERT INTO `//tmp/kept` WITH TRUNCATE SELECT 'a' AS s ORDER BY s;")
    before = tables(prod_client)
    txn = prod_client.begin_transaction("stage s")
    with pytest.raises(QueryFailed) as failed:
        txn.client.run_yql(query)
    assert error in str(failed.value)
    # (a folder a table of the stage goes in is made outside its transaction, by design:
    # client.create_folder_of)
    assert without_folder(tables(txn.client)) == without_folder(before)
    txn.client.write_table("//tmp/other", [{"o": 1}])  # the stage's own write
    txn.prepare(tmp_path / "record.json")
    txn.commit()
    assert without_folder(tables(prod_client)) == without_folder(before)
    assert fake_yt.rows("//tmp/other") == [{"o": 1}]
    assert fake_yt.rows("//tmp/kept") == [{"s": "a"}]
