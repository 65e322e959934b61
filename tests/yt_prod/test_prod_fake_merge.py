"""The fake proxy's merge operation, and YQL's append to a sorted table through it.

A merge of mode sorted takes sorted inputs only and sorts its output by merge_by (YTsaurus
docs, Merge: "mode = sorted — merges the input tables while maintaining sorting"); YQL
appends to a sorted table with such a merge of the table and its new rows, sorted alone
(ExecPublish in yt/yql/providers/yt/gateway/native/yql_yt_native.cpp), never a sort of the
whole table.
"""

from __future__ import annotations

import pytest
from test_prod_sorted_tables import sorted_yql_table  # noqa: F401 - fixture

from yt_pipeline_prod.reduce_inputs import sort_order

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")


def put_sorted(prod_client, path, rows, key):
    import yt.wrapper as ytw

    prod_client.yt().write_table(ytw.TablePath(path, sorted_by=key), rows, format="json")


def test_a_sorted_merge_merges_sorted_inputs_by_key(prod_client, fake_yt):
    put_sorted(prod_client, "//tmp/a", [{"k": 1, "t": "a"}, {"k": 4, "t": "a"}], ["k"])
    put_sorted(prod_client, "//tmp/b", [{"k": 1, "t": "b"}, {"k": 2, "t": "b"}], ["k"])
    prod_client.yt().run_merge(["//tmp/a", "//tmp/b"], "//tmp/out", mode="sorted")
    assert fake_yt.rows("//tmp/out") == [{"k": 1, "t": "a"}, {"k": 1, "t": "b"},
                                         {"k": 2, "t": "b"}, {"k": 4, "t": "a"}]
    assert sort_order(prod_client, "//tmp/out") == ["k"]


def test_a_sorted_merge_refuses_an_input_that_is_not_sorted(prod_client, fake_yt):
    from yt.wrapper.errors import YtError

    put_sorted(prod_client, "//tmp/a", [{"k": 1}], ["k"])
    fake_yt.put_table("//tmp/loose", [{"k": 3}, {"k": 0}])
    with pytest.raises(YtError, match="Input table //tmp/loose is not sorted"):
        prod_client.yt().run_merge(["//tmp/a", "//tmp/loose"], "//tmp/out", mode="sorted",
                                   spec={"merge_by": ["k"]})
    assert not prod_client.exists("//tmp/out") or fake_yt.rows("//tmp/out") == []
    # an ordered merge takes them as they are, table after table
    prod_client.yt().run_merge(["//tmp/a", "//tmp/loose"], "//tmp/out", mode="ordered")
    assert [row["k"] for row in fake_yt.rows("//tmp/out")] == [1, 3, 0]
    assert sort_order(prod_client, "//tmp/out") == []


def test_a_stage_insert_into_a_sorted_table_sorts_only_its_new_rows(
        prod_client, fake_yt, sorted_yql_table):  # noqa: F811 - fixture
    before = set(fake_yt.state.operations)
    txn = prod_client.begin_transaction("stage s")
    try:
        txn.client.run_yql("INSERT INTO `//tmp/s` SELECT * FROM "
                           "(VALUES (4, 'd'), (0, 'z')) AS t(k, v)")
    except BaseException:
        txn.abort()
        raise
    txn.commit()
    assert [row["k"] for row in fake_yt.rows("//tmp/s")] == [0, 1, 3, 4, 5]
    assert sort_order(prod_client, "//tmp/s") == ["k"]
    ran = [fake_yt.state.operations[op] for op in fake_yt.state.operations
           if op not in before]
    kinds = sorted(op.type for op in ran)
    assert kinds == ["merge", "sort"]
    sort = next(op for op in ran if op.type == "sort")
    inputs = [str(path) for path in sort.spec["input_table_paths"]]
    # the stage INSERT's staging table alone: its new rows
    assert len(inputs) == 1 and inputs[0].startswith("//tmp/yt_pipeline/yql_results/"), inputs
    merge = next(op for op in ran if op.type == "merge")
    assert merge.spec["mode"] == "sorted"
