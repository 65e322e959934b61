"""A table's declared schema through the client (`declared_schema`), in dev and in prod on
the fake proxy, and the `@schema` the fake serves, in a cluster's shape."""

from __future__ import annotations

import pytest

from yt_pipeline.errors import TableNotFound
from yt_pipeline_dev.client import DevClient

# no ORDER BY: one by k would leave the table sorted by k (test_prod_yql_sorted_inserts)
QUERY = ("PRAGMA yt.InferSchema = '1000'; INSERT INTO `//tmp/c` WITH TRUNCATE "
         "SELECT k, COUNT(*) AS n FROM `//tmp/q` GROUP BY k")
DECLARED = {"strict": True, "unique_keys": False, "columns": [
    {"name": "k", "type": "int64", "required": False},
    # COUNT(*) is a Uint64, not Optional: a required column (test_prod_yql_required_columns)
    {"name": "n", "type": "uint64", "required": True}]}


@pytest.fixture
def both(prod_client, tmp_path):
    dev = DevClient(tmp_path / ".dev")
    for client in (dev, prod_client):
        client.write_table("//tmp/q", [{"k": 1}, {"k": 1}, {"k": 2}])
        client.run_yql(QUERY)
    return dev, prod_client


def test_the_fake_serves_schema_as_a_cluster_reads_it(both):
    # "When reading a schema, both attributes are always returned: type and type_v3", with
    # `strict` and `unique_keys` on the list: the "Data schema" page of the YTsaurus docs
    # (yt/docs/en/_includes/user-guide/storage/static-schema.md, its `get //tmp/table_2/
    # @schema` example); an optional column's type_v3 is optional<T> ("Data types" page)
    _, prod = both
    schema = prod.yt().get("//tmp/c/@schema")
    assert dict(schema.attributes) == {"strict": True, "unique_keys": False}
    assert [dict(column) for column in schema] == [
        {"name": "k", "type": "int64", "required": False,
         "type_v3": {"type_name": "optional", "item": "int64"}},
        {"name": "n", "type": "uint64", "required": True, "type_v3": "uint64"}]
    # a table write_table created: `<strict=%false; unique_keys=%false>[]` (same page)
    empty = prod.yt().get("//tmp/q/@schema")
    assert (list(empty), dict(empty.attributes)) == ([], {"strict": False,
                                                          "unique_keys": False})


def test_declared_schema_is_the_same_in_dev_and_prod(both):
    dev, prod = both
    assert dev.declared_schema("//tmp/c") == prod.declared_schema("//tmp/c") == DECLARED
    # write_table's table declares nothing
    assert dev.declared_schema("//tmp/q") is None
    assert prod.declared_schema(table_path="//tmp/q") is None
    for client in (dev, prod):
        with pytest.raises(TableNotFound):
            client.declared_schema("//tmp/nope")


def test_a_sorted_yql_table_shows_its_key(both, tmp_path):
    from test_prod_sorted_tables import sort_in_place

    _, prod = both
    sort_in_place(prod, tmp_path, "//tmp/c", ["n"])
    assert prod.declared_schema("//tmp/c")["columns"] == [
        {"name": "n", "type": "uint64", "required": True, "sort_order": "ascending"},
        {"name": "k", "type": "int64", "required": False}]
