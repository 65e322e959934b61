"""A table YQL wrote, then sorted by a sort operation: a strong sorted schema, kept by writes.

Cluster facts the fake applies (plugins/yt_prod/yt_pipeline_prod/fake/sorted_tables.py says
the same, with the sources, all in ytsaurus/ytsaurus):
- a sort into a table of strong schema leaves it that schema, sorted by the sort's columns
  (PrepareOutputTables in yt/yt/server/controller_agent/controllers/sort_controller.cpp);
- a later write without `sorted_by` keeps that sorted schema, an append locks the table
  exclusively (GetTableUploadOptions in yt/yt/ytlib/table_client/table_upload_options.cpp),
  and the writer refuses rows out of key order ("Sort order violation: %v > %v",
  yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp) or before the table's last row
  ("Output table %v is not sorted: ...");
- `concatenate` into it refuses a source that is not sorted by its key ("Chunk %v has less
  key columns than output schema": TNodeConcatenator in yt/yt/ytlib/api/native/
  client_cypress.cpp);
- YQL's own INSERT INTO keeps a sorted table sorted ("For a sorted table, YQL tries to
  preserve sorting by starting a sorted merge": YQL docs, INSERT INTO).
A table of weak schema (write_table's) has none of this: a write without `sorted_by` makes
it unsorted.
"""

from __future__ import annotations

import pytest
from prod_packages import build_package

from yt_pipeline.errors import BackendError, OperationFailed, QueryFailed
from yt_pipeline.operations import OperationSpec
from yt_pipeline_prod import plugin
from yt_pipeline_prod.reduce_inputs import sort_order

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

PASS_THROUGH = """
from ytjobs import read_rows, write_rows

write_rows(read_rows())
"""


def sort_in_place(prod_client, tmp_path, path, key):
    spec = OperationSpec(kind="sort", stage_name="s", name="sort", stage_dir=tmp_path,
                         pipeline_dir=tmp_path, input_tables=[path], output_tables=[path],
                         sort_by=key)
    plugin.launch_operation(prod_client, spec)


@pytest.fixture
def sorted_yql_table(prod_client, tmp_path):
    """//tmp/s: written by YQL (a strict schema), then sorted by k in place."""
    prod_client.run_yql("INSERT INTO `//tmp/s` WITH TRUNCATE "
                        "SELECT * FROM (VALUES (5, 'e'), (1, 'a'), (3, 'c')) AS t(k, v)")
    sort_in_place(prod_client, tmp_path, "//tmp/s", ["k"])
    assert sort_order(prod_client, "//tmp/s") == ["k"]
    return "//tmp/s"


def keys(fake_yt, path):
    return [row["k"] for row in fake_yt.rows(path)]


def test_write_table_keeps_the_order_of_a_sorted_yql_table(prod_client, fake_yt,
                                                          sorted_yql_table):
    table = sorted_yql_table
    with pytest.raises(BackendError, match=r"write_table //tmp/s: .*Sort order violation: "
                                           r"\[5\] > \[2\]"):
        prod_client.write_table(table, [{"k": 2, "v": "b"}], append=True)
    with pytest.raises(BackendError, match=r"write_table //tmp/s: .*Sort order violation: "
                                           r"\[9\] > \[7\]"):
        prod_client.write_table(table, [{"k": 9, "v": "i"}, {"k": 7, "v": "g"}], append=True)
    with pytest.raises(BackendError, match="Sort order violation"):
        prod_client.write_table(table, [{"k": 2, "v": "b"}, {"k": 1, "v": "a"}])
    assert keys(fake_yt, table) == [1, 3, 5]
    # after its last row, in order: taken, and the table is still sorted (a reduce reads it
    # as it is)
    prod_client.write_table(table, [{"k": 5, "v": "e2"}, {"k": 8, "v": "h"}], append=True)
    assert keys(fake_yt, table) == [1, 3, 5, 5, 8]
    assert sort_order(prod_client, table) == ["k"]


def test_a_table_of_weak_schema_is_unsorted_by_any_write(prod_client, fake_yt, tmp_path):
    prod_client.write_table("//tmp/w", [{"k": 5}, {"k": 1}])
    sort_in_place(prod_client, tmp_path, "//tmp/w", ["k"])
    prod_client.write_table("//tmp/w", [{"k": 0}], append=True)
    assert keys(fake_yt, "//tmp/w") == [1, 5, 0]
    assert sort_order(prod_client, "//tmp/w") == []


def test_an_operation_appending_out_of_order_to_a_sorted_yql_table_fails(
        prod_client, fake_yt, sorted_yql_table, tmp_path):
    package = build_package(tmp_path / ".build", {"s": {"src/mapper.py": PASS_THROUGH}})
    fake_yt.put_table("//tmp/new", [{"k": 0, "v": "z"}])
    spec = OperationSpec(kind="map", stage_name="s", name="map", stage_dir=tmp_path,
                         pipeline_dir=tmp_path, input_tables=["//tmp/new"],
                         output_tables=[sorted_yql_table], append=True,
                         mapper="src/mapper.py", code_package=package)
    with pytest.raises(OperationFailed, match="job outputs overlap with original table"):
        plugin.launch_operation(prod_client, spec)
    assert keys(fake_yt, sorted_yql_table) == [1, 3, 5]
    fake_yt.put_table("//tmp/new", [{"k": 7, "v": "g"}, {"k": 6, "v": "f"}])
    with pytest.raises(OperationFailed, match=r"Sort order violation: \[7\] > \[6\]"):
        plugin.launch_operation(prod_client, spec)
    fake_yt.put_table("//tmp/new", [{"k": 6, "v": "f"}, {"k": 7, "v": "g"}])
    plugin.launch_operation(prod_client, spec)
    assert keys(fake_yt, sorted_yql_table) == [1, 3, 5, 6, 7]
    assert sort_order(prod_client, sorted_yql_table) == ["k"]


def test_concatenate_into_a_sorted_yql_table_needs_sorted_sources(prod_client, fake_yt,
                                                                 sorted_yql_table):
    from yt.wrapper.errors import YtError

    prod_client.run_yql("INSERT INTO `//tmp/more` WITH TRUNCATE SELECT 9 AS k, 'i' AS v")
    with pytest.raises(YtError, match="has less key columns than output schema"):
        prod_client.yt().concatenate(["//tmp/more"], "<append=%true>//tmp/s")
    assert keys(fake_yt, sorted_yql_table) == [1, 3, 5]


def test_a_yql_insert_keeps_a_sorted_table_sorted_in_a_stage_too(prod_client, fake_yt,
                                                                sorted_yql_table):
    # YQL's own INSERT (no stage) merges the rows in
    prod_client.run_yql("INSERT INTO `//tmp/s` SELECT 2 AS k, 'b' AS v")
    assert keys(fake_yt, sorted_yql_table) == [1, 2, 3, 5]
    # a stage's INSERT is staged and put on the table at its commit: the same rows, sorted
    txn = prod_client.begin_transaction("stage s")
    try:
        txn.client.run_yql("INSERT INTO `//tmp/s` SELECT * FROM "
                           "(VALUES (4, 'd'), (0, 'z')) AS t(k, v)")
    except BaseException:
        txn.abort()
        raise
    txn.commit()
    assert fake_yt.rows(sorted_yql_table) == [
        {"k": 0, "v": "z"}, {"k": 1, "v": "a"}, {"k": 2, "v": "b"}, {"k": 3, "v": "c"},
        {"k": 4, "v": "d"}, {"k": 5, "v": "e"}]
    assert sort_order(prod_client, sorted_yql_table) == ["k"]
    assert [c["name"] for c in prod_client.yt().get("//tmp/s/@schema")] == ["k", "v"]


def test_a_stage_insert_of_integers_into_doubles_keeps_a_sorted_table_sorted(
        prod_client, fake_yt, tmp_path):
    # the rows are converted (an int64 staging column cannot join a double one) and sorted
    # in from a temporary table of the table's columns, which is removed after
    prod_client.run_yql("INSERT INTO `//tmp/d` WITH TRUNCATE "
                        "SELECT * FROM (VALUES (3, 0.5), (1, 1.5)) AS t(k, score)")
    sort_in_place(prod_client, tmp_path, "//tmp/d", ["k"])
    txn = prod_client.begin_transaction("stage s")
    try:
        txn.client.run_yql("INSERT INTO `//tmp/d` SELECT 2 AS k, 7 AS score")
    except BaseException:
        txn.abort()
        raise
    txn.commit()
    rows = fake_yt.rows("//tmp/d")
    assert rows == [{"k": 1, "score": 1.5}, {"k": 2, "score": 7.0}, {"k": 3, "score": 0.5}]
    assert isinstance(rows[1]["score"], float)
    assert sort_order(prod_client, "//tmp/d") == ["k"]
    storage = "//tmp/yt_wrapper/table_storage"
    left = [name for folder in prod_client.list(storage)
            for name in prod_client.list(f"{storage}/{folder}")] \
        if prod_client.exists(storage) else []
    assert prod_client.exists(storage)
    assert not [name for name in left if name.startswith("ytp-yql-append-")]


def test_a_sort_into_a_yql_table_keeps_its_schema_and_refuses_other_columns(
        prod_client, fake_yt, sorted_yql_table, tmp_path):
    fake_yt.put_table("//tmp/wide", [{"k": 4, "v": "d", "extra": 1}])
    spec = OperationSpec(kind="sort", stage_name="s", name="sort", stage_dir=tmp_path,
                         pipeline_dir=tmp_path, input_tables=["//tmp/wide"],
                         output_tables=[sorted_yql_table], sort_by=["k"])
    with pytest.raises(OperationFailed, match='Unknown column "extra" in strict schema'):
        plugin.launch_operation(prod_client, spec)
    assert keys(fake_yt, sorted_yql_table) == [1, 3, 5]
    fake_yt.put_table("//tmp/wide", [{"k": 4, "v": "d"}, {"k": 2, "v": "b"}])
    plugin.launch_operation(prod_client, spec)
    assert keys(fake_yt, sorted_yql_table) == [2, 4]
    assert [c["name"] for c in prod_client.yt().get("//tmp/s/@schema")] == ["k", "v"]


def test_a_sorted_table_of_no_schema_takes_no_yql_append_in_a_stage_either(
        prod_client, fake_yt, tmp_path):
    # a sort leaves a table write_table wrote a weak schema of its key columns (typed any,
    # not strict: TTableSchema::FromKeyColumns in the sort controller), which YQL does not
    # take for a schema: the stage's INSERT is refused as YQL refuses it outside a stage
    prod_client.write_table("//tmp/w", [{"k": 5, "v": "e"}, {"k": 1, "v": "a"}])
    sort_in_place(prod_client, tmp_path, "//tmp/w", ["k"])
    schema = prod_client.yt().get("//tmp/w/@schema")
    # read back with `required` and `type_v3` too (the "Data schema" page of the YTsaurus
    # docs: its schema of a table sorted by key1, key2)
    assert [dict(c) for c in schema] == [{"name": "k", "type": "any", "required": False,
                                          "type_v3": {"type_name": "optional",
                                                      "item": "yson"},
                                          "sort_order": "ascending"}]
    assert not schema.attributes["strict"]
    query = "INSERT INTO `//tmp/w` SELECT 2 AS k, 'b' AS v"
    with pytest.raises(QueryFailed, match="append is not allowed"):
        prod_client.run_yql(query)
    txn = prod_client.begin_transaction("stage s")
    try:
        with pytest.raises(QueryFailed, match="append is not allowed"):
            txn.client.run_yql(query)
    finally:
        txn.abort()
    assert keys(fake_yt, "//tmp/w") == [1, 5]
