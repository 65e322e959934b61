"""Dev YQL reads a table with the types of its first rows, checked on every row read
(yql_checked): a query must give exactly what it gives with the types learned from every
row, whatever a later row holds and whatever the query stops early on.

The oracle is the same executor with no type checkable, which learns every table's types
from every row (DuckDB's read_json with sample_size=-1); the sample is cut to 4 rows so that
"late" is cheap to reach.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import yt_pipeline_dev.yql_duckdb as yql_duckdb
from yt_pipeline.errors import QueryFailed
from yt_pipeline_dev.yql_schema import CACHE_DIR, schema_of

SAMPLE = 4


@pytest.fixture
def small_sample(monkeypatch):
    monkeypatch.setattr(yql_duckdb, "SAMPLE_ROWS", SAMPLE)


def _outcome(client, query, target=None):
    """What a query gives: its rows as JSON text (1 and 1.0 differ), the rows and declared
    columns of the table it wrote, or its error."""
    try:
        rows = yql_duckdb.run_query(client, query)
    except QueryFailed as failed:
        return ("failed", str(failed))
    written = None
    if target is not None:
        table = client.visible_file(target)
        written = (table.read_text(), schema_of(client.root, table))
    return ("rows", json.dumps(rows, sort_keys=True), written)


def _both(client, monkeypatch, query):
    """(checked, learned from every row) for a query; an INSERT writes //out."""
    target = "//out" if "//out" in query else None
    checked = _outcome(client, query, target)
    for entry in (client.root / CACHE_DIR).glob("*.json"):
        entry.unlink()  # the oracle learns afresh, and does not lend the checked run types
    with monkeypatch.context() as patched:
        patched.setattr(yql_duckdb, "checkable", lambda kind: False)
        learned = _outcome(client, query, target)
    for entry in (client.root / CACHE_DIR).glob("*.json"):
        entry.unlink()
    return checked, learned


QUERIES = [
    "SELECT * FROM `//t` ORDER BY k",
    "SELECT a FROM `//t` WHERE k = 0",           # the late row filtered out
    "SELECT a FROM `//t` LIMIT 1",                # may stop before the late row
    "SELECT k, a FROM `//t` ORDER BY k LIMIT 2",
    "SELECT COUNT(*) AS n, MAX(a) AS m FROM `//t`",
    "SELECT a, COUNT(*) AS n FROM `//t` GROUP BY a ORDER BY n, k_max",
    "SELECT a + 1 AS a1 FROM `//t` WHERE k < 2",
    "SELECT b || 'x' AS bx FROM `//t` WHERE k = 1",
    "INSERT INTO `//out` WITH TRUNCATE SELECT a, b FROM `//t` WHERE k < 3",
    # an empty side: DuckDB may not read //t at all, yet the table's types are declared
    "INSERT INTO `//out` WITH TRUNCATE SELECT t.a FROM `//t` AS t JOIN (SELECT 1 AS one) AS c "
    "ON c.one = 2",
    "INSERT INTO `//out` WITH TRUNCATE SELECT a FROM `//t` WHERE k < 0",
    "SELECT t.a FROM `//t` AS t, (SELECT 1 AS x WHERE false) AS e",
    "INSERT INTO `//out` WITH TRUNCATE SELECT t.a FROM `//t` AS t, "
    "(SELECT 1 AS x WHERE false) AS e",
    "SELECT a FROM `//t` WHERE EXISTS (SELECT 1) AND k = 0",
]

_LATE = [1.5, 2.0, "x", "5", "2024-01-01", True, False, None, {"m": 1}, [1, 2], 9, -3, 10**18]
_FIRST = {"int": lambda k: k, "negative": lambda k: -k - 1, "float": lambda k: k + 0.5,
          "text": lambda k: f"v{k}",
          "bool": lambda k: k % 2 == 0, "date": lambda k: f"2024-01-0{k % 9 + 1}"}


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind_a=st.sampled_from(sorted(_FIRST)), kind_b=st.sampled_from(sorted(_FIRST)),
       rows=st.integers(min_value=1, max_value=12),
       late_at=st.integers(min_value=0, max_value=12),
       late_a=st.sampled_from(_LATE), late_b=st.sampled_from(_LATE),
       query=st.sampled_from(QUERIES))
def test_a_query_gives_what_types_from_every_row_give(
        tmp_path_factory, monkeypatch, kind_a, kind_b, rows, late_at, late_a, late_b, query):
    from yt_pipeline_dev.client import DevClient

    monkeypatch.setattr(yql_duckdb, "SAMPLE_ROWS", SAMPLE)
    client = DevClient(tmp_path_factory.mktemp("checked") / ".dev")
    table = [{"k": k, "a": _FIRST[kind_a](k), "b": _FIRST[kind_b](k)} for k in range(rows)]
    if late_at < rows:
        table[late_at] = {**table[late_at], "a": late_a, "b": late_b}
    client.write_table("//t", table)
    query = query.replace("k_max", "MAX(k)")
    checked, learned = _both(client, monkeypatch, query)
    assert checked == learned


#: YQL infers a table's columns from its first row only: a column whose later rows hold
#: another kind of value is not Yson (yt_pipeline.yql_yson), and is read with DuckDB's type
FIRST_ROW = "PRAGMA yt.InferSchema = '1'; "


def test_a_late_double_is_read_as_every_row_has_it(dev_client, monkeypatch, small_sample):
    # the filter keeps only an early row, yet the column is DOUBLE: 1.0, not 1
    dev_client.write_table("//t", [{"k": k, "a": 1.5 if k == 10 else k} for k in range(20)])
    query = FIRST_ROW + "SELECT a FROM `//t` WHERE k = 1"
    assert dev_client.run_yql(query) == [{"a": 1.0}]
    assert json.dumps(dev_client.run_yql(query)) == '[{"a": 1.0}]'
    assert json.dumps(dev_client.run_yql(FIRST_ROW + "SELECT a FROM `//t` LIMIT 1")) == \
        '[{"a": 0.0}]'


def test_a_late_number_in_a_text_column_is_not_read_as_text(dev_client, small_sample):
    # every row holds text but one: DuckDB's type for the column is JSON, so the text comes
    # back with its quotes, as the column is read with types learned from every row
    dev_client.write_table("//t", [{"k": k, "s": 5 if k == 9 else f"s{k}"} for k in range(12)])
    assert dev_client.run_yql(FIRST_ROW + "SELECT s FROM `//t` WHERE k = 0") == [{"s": '"s0"'}]


def test_types_that_hold_in_every_row_are_not_learned(dev_client, small_sample):
    # the whole table passes the checks: nothing is kept in .dev/.cache (no full pass ran)
    dev_client.write_table("//t", [{"k": k, "a": k * 0.5, "s": f"s{k}", "f": k % 2 == 0}
                                   for k in range(50)])
    assert dev_client.run_yql("SELECT SUM(k) AS n, SUM(a) AS a, MAX(s) AS s, "
                              "COUNT(*) FILTER (WHERE f) AS f FROM `//t`") == [
        {"n": 1225, "a": 612.5, "s": "s9", "f": 25}]
    assert not list((dev_client.root / CACHE_DIR).glob("*.json"))
    dev_client.write_table("//t", [{"k": 1, "a": "late"}], append=True)
    # the query reads `a`, whose late text fails its check (a column of numbers and text is
    # Yson, which YQL compares with nothing: counted, not compared)
    assert dev_client.run_yql("SELECT COUNT(a) AS n FROM `//t`") == [{"n": 51}]
    assert len(list((dev_client.root / CACHE_DIR).glob("*.json"))) == 1  # learned once


def test_an_error_with_sampled_types_is_the_error_of_the_learned_ones(dev_client, small_sample):
    # with the sample's type (BOOLEAN) `->>` does not apply; with every row's (JSON) it does
    dev_client.write_table("//t", [{"k": k, "f": 7 if k == 8 else True} for k in range(10)])
    assert dev_client.run_yql(FIRST_ROW + "SELECT f ->> '$' AS f FROM `//t` WHERE k = 8") == [
        {"f": "7"}]


@pytest.mark.parametrize("query", [
    "INSERT INTO `//out` WITH TRUNCATE SELECT a FROM `//t` WHERE false",
    "INSERT INTO `//out` WITH TRUNCATE SELECT t.a FROM `//t` AS t, "
    "(SELECT 1 AS x WHERE false) AS e",
])
def test_an_empty_insert_declares_the_types_of_every_row(dev_client, small_sample, query):
    # DuckDB need not read a row to know the result is empty, so no check ran: the schema
    # the table gets must still be that of every row (DOUBLE), not the sample's (BIGINT)
    dev_client.write_table("//t", [{"k": k, "a": 1.5 if k == 10 else k} for k in range(20)])
    dev_client.run_yql(FIRST_ROW + query)
    assert schema_of(dev_client.root, dev_client.visible_file("//out")) == [("a", "DOUBLE")]
    assert dev_client.visible_file("//out").read_bytes() == b""


def test_integers_of_both_signs_are_declared_as_every_row_gives(dev_client, small_sample):
    # DuckDB reads integers of one sign as BIGINT and of both as HUGEINT: a late negative
    # after non-negative first rows changes the type the INSERT declares
    dev_client.write_table("//t", [{"k": k, "a": -3 if k == 9 else k} for k in range(10)])
    dev_client.run_yql("INSERT INTO `//out` WITH TRUNCATE SELECT a FROM `//t` WHERE k < 3")
    assert schema_of(dev_client.root, dev_client.visible_file("//out")) == [("a", "HUGEINT")]
    dev_client.write_table("//n", [{"k": k, "a": -k - 1} for k in range(10)])
    dev_client.run_yql("INSERT INTO `//out` WITH TRUNCATE SELECT a FROM `//n` WHERE k < 3")
    assert schema_of(dev_client.root, dev_client.visible_file("//out")) == [("a", "BIGINT")]
    assert dev_client.run_yql("SELECT SUM(a) AS s FROM `//n`") == [{"s": -55}]
