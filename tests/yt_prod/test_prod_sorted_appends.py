"""Appending to a sorted table with `sorted_by` in the path, on the fake proxy (the
pipeline's own writes carry no path attributes; test_prod_dev_sorted_tables.py has those,
in both modes).

Cluster facts (ytsaurus/ytsaurus):
- GetTableUploadOptions (yt/yt/ytlib/table_client/table_upload_options.cpp) decides how a
  write treats the table: without `sorted_by` in the path, a strong sorted schema is kept
  (so the write is a sorted one) and a weak one is reset to no key columns; with
  `sorted_by`, the write is a sorted one by those columns, which must be the key of a
  strong schema (ValidateKeyColumnsEqual: 'YPath attribute "sorted_by" must be compatible
  with table schema for a "strong" schema mode') or, appending to a non-empty table of weak
  schema, a prefix of its key columns (ValidateAppendKeyColumns: "Key columns mismatch
  while trying to append sorted data into a non-empty table").
- write_table's sorted append starts its writer from the table's last key
  (GetTableUploadParams: `fetch_last_key` for an append to a sorted schema, in
  yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp) and checks the first row against
  that key before any other row (TSchemalessMultiChunkWriterBase::
  ValidateSortOrderAndUniqueness: `LastKey_ && IsFirstRow_`), in the words of any row out of
  order: "Sort order violation: <last key> > <first key>".
"""

from __future__ import annotations

import pytest
import yt.wrapper as ytw
from prod_packages import build_package

from yt_pipeline.errors import OperationFailed
from yt_pipeline.operations import OperationSpec
from yt_pipeline_prod import launcher, plugin
from yt_pipeline_prod.reduce_inputs import sort_order

pytest.importorskip("duckdb", reason="YQL runs on DuckDB in dev and in the fake")

COPY = """
from ytjobs import read_rows, write_rows
write_rows(read_rows())
"""


def weak_sorted(prod_client, fake_yt, tmp_path, path="//tmp/w"):
    """`path` written by write_table (a weak schema), then sorted by k: keys 1, 3, 5."""
    prod_client.write_table(path, [{"k": 5, "v": "e"}, {"k": 1, "v": "a"}, {"k": 3, "v": "c"}])
    spec = OperationSpec(kind="sort", stage_name="s", name="sort", stage_dir=tmp_path,
                         pipeline_dir=tmp_path, input_tables=[path], output_tables=[path],
                         sort_by=["k"])
    plugin.launch_operation(prod_client, spec)
    assert sort_order(prod_client, path) == ["k"]
    return path


def sorted_append(prod_client, path, rows, sorted_by):
    prod_client.yt().write_table(ytw.TablePath(path, append=True, sorted_by=sorted_by), rows,
                                 format="json")


def keys(fake_yt, path):
    return [row["k"] for row in fake_yt.rows(path)]


def test_a_sorted_append_to_a_table_of_weak_schema_keeps_its_order(prod_client, fake_yt,
                                                                   tmp_path):
    # `sorted_by` makes the write a sorted one (GetTableUploadOptions: append, sorted_by,
    # weak: TTableSchema::FromKeyColumns(sorted_by)), checked as any sorted write
    table = weak_sorted(prod_client, fake_yt, tmp_path)
    with pytest.raises(Exception, match=r"Sort order violation: \[5\] > \[2\]"):
        sorted_append(prod_client, table, [{"k": 2, "v": "b"}], ["k"])
    with pytest.raises(Exception, match=r"Sort order violation: \[9\] > \[7\]"):
        sorted_append(prod_client, table, [{"k": 9, "v": "i"}, {"k": 7, "v": "g"}], ["k"])
    assert keys(fake_yt, table) == [1, 3, 5]
    assert sort_order(prod_client, table) == ["k"]
    sorted_append(prod_client, table, [{"k": 5, "v": "e2"}, {"k": 8, "v": "h"}], ["k"])
    assert keys(fake_yt, table) == [1, 3, 5, 5, 8]
    assert sort_order(prod_client, table) == ["k"]


def test_a_sorted_append_must_keep_the_key_columns_of_a_table_of_weak_schema(
        prod_client, fake_yt, tmp_path):
    table = weak_sorted(prod_client, fake_yt, tmp_path)
    mismatch = "Key columns mismatch while trying to append sorted data into a non-empty table"
    with pytest.raises(Exception, match=mismatch):
        sorted_append(prod_client, table, [{"k": 9, "v": "z"}], ["v"])
    # an unsorted table has no key columns: no `sorted_by` is a prefix of them
    prod_client.write_table("//tmp/plain", [{"k": 1}])
    with pytest.raises(Exception, match=mismatch):
        sorted_append(prod_client, "//tmp/plain", [{"k": 2}], ["k"])
    assert keys(fake_yt, table) == [1, 3, 5] and keys(fake_yt, "//tmp/plain") == [1]
    assert sort_order(prod_client, table) == ["k"]
    assert sort_order(prod_client, "//tmp/plain") == []


def test_sorted_by_must_be_the_key_of_a_strong_schema(prod_client, fake_yt):
    prod_client.run_yql("INSERT INTO `//tmp/s` WITH TRUNCATE "
                        "SELECT * FROM (VALUES (1, 'a'), (3, 'c')) AS t(k, v)")
    prod_client.yt().run_sort("//tmp/s", sort_by=["k"])
    words = 'YPath attribute "sorted_by" must be compatible with table schema'
    with pytest.raises(Exception, match=words):
        sorted_append(prod_client, "//tmp/s", [{"k": 4, "v": "a"}], ["v"])
    with pytest.raises(Exception, match=words):
        prod_client.yt().write_table(ytw.TablePath("//tmp/s", sorted_by=["k", "v"]),
                                     [{"k": 4, "v": "a"}], format="json")
    assert keys(fake_yt, "//tmp/s") == [1, 3]
    assert sort_order(prod_client, "//tmp/s") == ["k"]


def test_an_operation_appending_by_other_key_columns_fails(prod_client, fake_yt, tmp_path,
                                                           monkeypatch):
    # the launch refuses attributes in a path; lifted, the fake does what the controller
    # does with such an output path (GetTableUploadOptions while preparing output tables)
    monkeypatch.setattr(launcher, "check_spec", lambda spec: None)
    table = weak_sorted(prod_client, fake_yt, tmp_path)
    fake_yt.put_table("//tmp/in", [{"k": 9, "v": "a"}])
    package = build_package(tmp_path / ".build", {"s": {"src/mapper.py": COPY}})
    spec = OperationSpec(kind="map", stage_name="s", name="map", stage_dir=tmp_path,
                         pipeline_dir=tmp_path, input_tables=["//tmp/in"],
                         output_tables=[table], mapper="src/mapper.py", code_package=package,
                         extra_spec={"output_table_paths":
                                     [f"<append=%true;sorted_by=[v]>{table}"]})
    with pytest.raises(OperationFailed, match="Key columns mismatch while trying to append"):
        plugin.launch_operation(prod_client, spec)
    assert keys(fake_yt, table) == [1, 3, 5]
    assert sort_order(prod_client, table) == ["k"]
