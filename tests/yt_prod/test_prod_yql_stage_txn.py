"""A YQL INSERT in a stage's transaction changes its table's rows and schema in that
transaction only: what the others read is the table as it was until the commit, and an
abort leaves it so. On a cluster the query runs outside the transaction into a staging
table, which the stage's transaction then copies or appends onto the table
(yt_pipeline_prod/yql.py); a master keeps a branched node's attributes, the schema among
them, as the transaction's own until it commits (the versioned attributes of test_attr_locks2
in yt/yt/tests/integration/cypress/test_cypress_locks.py)."""

from __future__ import annotations

import pytest

pytest.importorskip("duckdb", reason="YQL runs on DuckDB in the fake")

BEFORE = "INSERT INTO `//t/y` WITH TRUNCATE SELECT 1 AS a, 'x' AS b ORDER BY a"
INSIDE = ("INSERT INTO `//t/y` WITH TRUNCATE SELECT 5 AS a, 2.5 AS c "
          "UNION ALL SELECT 3 AS a, 1.5 AS c", "INSERT INTO `//t/y` SELECT 9 AS a, 0.5 AS c")


def shown(prod_client, path: str = "//t/y"):
    """The table as one outside the transaction reads it: columns and their sort order,
    rows, or None when there is no table."""
    if not prod_client.exists(path):
        return None
    schema = prod_client.declared_schema(path)
    columns = [(c["name"], c["type"], c.get("sort_order")) for c in schema["columns"]]
    return columns, prod_client.row_count(path)


@pytest.mark.parametrize("end", ["abort", "commit"])
@pytest.mark.parametrize("table_before", [False, True])
def test_a_stage_insert_reaches_the_table_at_its_commit_only(prod_client, fake_yt, tmp_path,
                                                            end, table_before):
    if table_before:
        prod_client.run_yql(BEFORE)
    before = shown(prod_client)
    if table_before:
        assert before == ([("a", "int32", "ascending"), ("b", "string", None)], 1)
    else:
        assert before is None
    txn = prod_client.begin_transaction("stage s")
    for query in INSIDE:
        txn.client.run_yql(query)
    written = ([("a", "int32", None), ("c", "double", None)], 3)
    assert shown(txn.client) == written  # the stage sees its writes
    assert shown(prod_client) == before  # the others do not, yet
    if end == "abort":
        txn.abort()
        assert shown(prod_client) == before
        if table_before:
            assert fake_yt.rows("//t/y") == [{"a": 1, "b": "x"}]
            assert prod_client.yt().get("//t/y/@sorted_by") == ["a"]
    else:
        txn.prepare(tmp_path / "record.json")
        txn.commit()
        assert shown(prod_client) == written
        assert sorted(row["a"] for row in fake_yt.rows("//t/y")) == [3, 5, 9]
        assert not prod_client.yt().exists("//t/y/@sorted_by")
