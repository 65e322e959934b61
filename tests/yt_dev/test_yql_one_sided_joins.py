"""LEFT SEMI JOIN and LEFT ONLY JOIN in dev, as on a cluster, on one key and on two.

Source: yt/docs/en/yql/syntax/join.md (ytsaurus/ytsaurus): LEFT SEMI keeps the left table's
rows that have a pair in the right one, LEFT ONLY those that have none, with the left
table's columns alone, each left row once however many pairs it has. A NULL key is equal
to nothing (a row of one has no pair). Dev refused both ("LEFT ONLY JOIN is not supported
in dev mode").
"""

from __future__ import annotations

import pytest

pytest.importorskip("duckdb", reason="dev runs YQL on DuckDB")


@pytest.fixture
def dev(dev_client):
    dev_client.create_path("//in/orders", "table", schema=[
        {"name": "id", "type": "int64"}, {"name": "user", "type": "string"},
        {"name": "day", "type": "int64"}])
    dev_client.write_table("//in/orders", [
        {"id": 1, "user": "ann", "day": 1}, {"id": 2, "user": "ann", "day": 2},
        {"id": 3, "user": "bob", "day": 1}, {"id": 4, "user": None, "day": 1}])
    dev_client.create_path("//in/visits", "table", schema=[
        {"name": "user", "type": "string"}, {"name": "day", "type": "int64"},
        {"name": "page", "type": "string"}])
    # ann visited twice on day 1: her order of day 1 is still kept once
    dev_client.write_table("//in/visits", [
        {"user": "ann", "day": 1, "page": "a"}, {"user": "ann", "day": 1, "page": "b"},
        {"user": "cid", "day": 1, "page": "c"}, {"user": None, "day": 1, "page": "n"}])
    return dev_client


@pytest.mark.parametrize(("join", "ids"), [
    ("LEFT SEMI JOIN `//in/visits` AS v ON o.user = v.user", [1, 2]),
    ("LEFT SEMI JOIN `//in/visits` AS v ON o.user = v.user AND o.day = v.day", [1]),
    ("LEFT SEMI JOIN `//in/visits` AS v USING (user, day)", [1]),
    ("LEFT ONLY JOIN `//in/visits` AS v ON o.user = v.user", [3, 4]),
    ("LEFT ONLY JOIN `//in/visits` AS v ON o.user = v.user AND o.day = v.day", [2, 3, 4]),
    ("LEFT ONLY JOIN `//in/visits` AS v USING (user)", [3, 4]),
])
def test_one_sided_joins_keep_each_left_row_once_with_its_columns(dev, join, ids):
    dev.run_yql(f"INSERT INTO `//out/j` WITH TRUNCATE SELECT o.* FROM `//in/orders` AS o {join}")
    rows = sorted(dev.read_table("//out/j"), key=lambda r: r["id"])
    assert [r["id"] for r in rows] == ids
    assert all(set(r) == {"id", "user", "day"} for r in rows)
    assert [c["name"] for c in dev.declared_schema("//out/j")["columns"]] == [
        "id", "user", "day"]


def test_a_right_semi_join_is_still_refused_by_name(dev):
    from yt_pipeline.errors import QueryFailed

    with pytest.raises(QueryFailed, match="RIGHT SEMI JOIN is not supported in dev mode"):
        dev.run_yql("SELECT v.* FROM `//in/orders` AS o RIGHT SEMI JOIN `//in/visits` AS v "
                    "ON o.user = v.user")
