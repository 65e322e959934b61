"""YQL through the fake query tracker."""

from __future__ import annotations

import pytest

from yt_pipeline.errors import QueryFailed

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")


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


def test_pool_and_max_row_weight_as_yt_framework_passes_them(prod_client, fake_yt):
    fake_yt.put_table("//tmp/src2", [{"n": 1}, {"n": 2}])
    rows = prod_client.run_yql("SELECT sum(n) AS s FROM `//tmp/src2`", pool="research",
                               max_row_weight="128M")
    assert rows == [{"s": 3}]
    [query] = fake_yt.state.queries.values()
    assert query.settings == {"pool": "research"}
    assert query.text.startswith('PRAGMA yt.MaxRowWeight = "128M";\n')
