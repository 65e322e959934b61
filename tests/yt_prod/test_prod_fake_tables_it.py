"""The fake proxy against YTsaurus's own integration tests of tables: what the class
TestTables of yt/yt/tests/integration/tests/test_tables.py (ytsaurus/ytsaurus) asserts a
cluster answers, asked through ytsaurus-client. Each test names the integration test it
follows, and the source that says why where the integration test alone does not.
"""

from __future__ import annotations

import pytest
import yt.yson as yson
from yt.wrapper.errors import YtError, YtResponseError
from yt_errors import messages

KEY_LIMIT = 16 * 1024  # max_key_weight's default (TChunkWriterConfig, ytlib config.cpp)


def _write(yt, path, rows, **options):
    yt.write_table(path, rows, format="json", **options)


def _read(yt, path):
    return list(yt.read_table(path, format="json"))


def test_data_weight_counts_each_row_from_one(yt):
    # test_simple: {"b": "hello"} weighs 6, and two more rows of 3 and 7 make 16 (the
    # writer's UpdateDataWeight starts each row at 1: schemaless_chunk_writer.cpp)
    yt.create("table", "//tmp/t")
    assert yt.get("//tmp/t/@data_weight") == 0
    _write(yt, "//tmp/t", [{"b": "hello"}])
    assert yt.get("//tmp/t/@data_weight") == 6
    _write(yt, "<append=true>//tmp/t", [{"b": "2", "a": "1"}, {"x": "10", "y": "20", "a": "30"}])
    assert yt.get("//tmp/t/@data_weight") == 16
    assert _read(yt, "//tmp/t") == [{"b": "hello"}, {"b": "2", "a": "1"},
                                    {"x": "10", "y": "20", "a": "30"}]


def test_a_writers_limits_are_its_table_writer_options(yt, fake_yt):
    # test_malformed_table_data: a table_writer with max_row_weight 2 fails the write (a
    # TChunkWriterConfig takes 5 MiB to 128 MiB: config.cpp), and so does a sorted write
    # whose key weighs max_key_weight or more ("Key weight is too large", ValidateKeyWeight
    # in schemaless_chunk_writer.cpp); the table is left as it was
    _write(yt, "//tmp/t", [{"a": "kept"}])
    with pytest.raises(YtResponseError, match="max_row_weight"):
        _write(yt, "//tmp/t", [{"a": "long_string"}], table_writer={"max_row_weight": 2})
    with pytest.raises(YtResponseError, match=r"Key weight is too large \(key_weight 12, "
                                              r"key_weight_limit 2\)"):
        _write(yt, "<sorted_by=[a]>//tmp/t", [{"a": "long_string"}],
               table_writer={"max_key_weight": 2})
    assert fake_yt.rows("//tmp/t") == [{"a": "kept"}]
    assert not yt.get("//tmp/t/@sorted")
    # a row that weighs less than its own limit is written
    _write(yt, "//tmp/t", [{"a": "x" * 7}], table_writer={"max_row_weight": 5 * 1024 * 1024})
    assert fake_yt.rows("//tmp/t") == [{"a": "x" * 7}]


def test_a_sorted_write_refuses_a_key_of_16_kib_with_its_one(yt, fake_yt):
    # the default max_key_weight (16 KiB) applies to write_table's sorted writer as to a
    # sort: a key weighs 1 and its values (UpdateDataWeight), so 16383 bytes are too many
    _write(yt, "//tmp/t", [{"k": "kept"}])
    with pytest.raises(YtResponseError, match=r"Key weight is too large \(key_weight 16384"):
        _write(yt, "<sorted_by=[k]>//tmp/t", [{"k": "x" * (KEY_LIMIT - 1)}])
    assert fake_yt.rows("//tmp/t") == [{"k": "kept"}]
    _write(yt, "<sorted_by=[k]>//tmp/t", [{"k": "x" * (KEY_LIMIT - 2)}])
    assert yt.get("//tmp/t/@sorted_by") == ["k"]


def test_a_list_in_a_key_column_weighs_its_binary_yson_as_in_a_row(yt, fake_yt):
    # the sorted writer weighs a key value with the GetDataWeight it weighs any value with
    # (TUnversionedChunkWriterBase::UpdateDataWeight in schemaless_chunk_writer.cpp): a
    # list, kept as one YSON value, weighs its binary YSON (40 small integers: 122 bytes,
    # where their JSON text is 81), so with the key's 1 this key weighs 123
    key = [1] * 40
    _write(yt, "//tmp/t", [{"k": "kept"}])
    with pytest.raises(YtResponseError, match=r"Key weight is too large \(key_weight 123, "
                                              r"key_weight_limit 100\)"):
        _write(yt, "<sorted_by=[k]>//tmp/t", [{"k": key}], table_writer={"max_key_weight": 100})
    assert fake_yt.rows("//tmp/t") == [{"k": "kept"}]
    _write(yt, "<sorted_by=[k]>//tmp/t", [{"k": key}], table_writer={"max_key_weight": 124})
    assert fake_yt.rows("//tmp/t") == [{"k": key}]
    # a sort's writer too, against the default 16 KiB: 6000 integers weigh 18002 bytes
    # (12001 of JSON text)
    _write(yt, "//tmp/s", [{"k": [1] * 6000}])
    with pytest.raises(YtError, match=r"Key weight is too large.* weighs 18003 bytes"):
        yt.run_sort("//tmp/s", sort_by=["k"])
    assert not yt.get("//tmp/s/@sorted")


def test_negative_row_indexes_select_from_the_first_row(yt):
    # test_row_index_selector: `[#-1:#1]` is row 0, `[#-10:#-5]` nothing (not Python's
    # slices from the end)
    _write(yt, "//tmp/t", [{"a": 0}, {"b": 1}, {"c": 2}, {"d": 3}])
    assert _read(yt, "//tmp/t[#-1:#1]") == [{"a": 0}]
    assert _read(yt, "//tmp/t[#-10:#-5]") == []
    assert _read(yt, "//tmp/t[#-10:#2]") == [{"a": 0}, {"b": 1}]
    assert _read(yt, "//tmp/t[#3:#1]") == []
    assert _read(yt, "//tmp/t[#1:#2,#3:#4]") == [{"b": 1}, {"d": 3}]


def test_a_copy_to_itself_or_inside_itself_is_refused_and_nothing_removed(yt, fake_yt):
    # test_copy_to_the_same_table; the words are TNontemplateCypressNodeProxyBase::Copy's
    # (cypress_node_proxy.cpp), checked on the deepest existing node of the destination,
    # before `force` removes anything (test_copy_force_overlapping_2 of test_cypress.py)
    yt.create("table", "//tmp/d/t", recursive=True)
    _write(yt, "//tmp/d/t", [{"a": "b"}])
    for force in (False, True):
        with pytest.raises(YtResponseError, match="Cannot copy or move a node to itself"):
            yt.copy("//tmp/d/t", "//tmp/d/t", force=force)
        with pytest.raises(YtResponseError, match="Cannot copy or move a node to itself"):
            yt.move("//tmp/d/t", "//tmp/d/t", force=force)
    assert fake_yt.rows("//tmp/d/t") == [{"a": "b"}]
    with pytest.raises(YtResponseError, match="Cannot copy or move a node to itself"):
        yt.copy("//tmp/d", "//tmp/d/inner")
    with pytest.raises(YtResponseError, match="Cannot copy or move a node to its descendant"):
        yt.move("//tmp/d", "//tmp/d/t", force=True)
    assert yt.list("//tmp/d") == ["t"] and fake_yt.rows("//tmp/d/t") == [{"a": "b"}]


def test_removing_an_attribute_keeps_the_node(yt, fake_yt):
    # test_replication_factor_updates: `remove //t/@replication_factor` fails and the table
    # stays; a custom attribute is removed alone, an unknown one is not found unless
    # `force` (TSupportsAttributes::DoRemoveAttribute in yt/yt/core/ytree/ypath_detail.cpp)
    _write(yt, "//tmp/t", [{"a": 1}])
    yt.create("table", "//tmp/t2", attributes={"replication_factor": 2})
    with pytest.raises(YtResponseError, match='Attribute "replication_factor" cannot be removed'):
        yt.remove("//tmp/t2/@replication_factor")
    with pytest.raises(YtResponseError, match='Attribute "row_count" cannot be removed'):
        yt.remove("//tmp/t/@row_count")
    assert yt.get("//tmp/t2/@replication_factor") == 2
    yt.set("//tmp/t/@note", {"team": "data"})
    yt.remove("//tmp/t/@note")
    assert not yt.exists("//tmp/t/@note")
    assert fake_yt.rows("//tmp/t") == [{"a": 1}]
    with pytest.raises(YtResponseError, match='Attribute "note" is not found') as missing:
        yt.remove("//tmp/t/@note")
    assert missing.value.is_resolve_error()
    yt.remove("//tmp/t/@note", force=True)
    yt.set("//tmp/t/@expiration_time", "2100-01-01T00:00:00Z")
    yt.remove("//tmp/t/@expiration_time")  # a builtin attribute a remove may take away
    assert not yt.exists("//tmp/t/@expiration_time") and yt.exists("//tmp/t")


def test_a_replication_factor_is_not_set_inside_a_transaction(yt):
    # test_replication_factor_updates: ValidateNoTransaction in TChunkOwnerNodeProxy::
    # SetBuiltinAttribute (chunk_owner_node_proxy.cpp)
    yt.create("table", "//tmp/t")
    with yt.Transaction():
        with pytest.raises(YtResponseError) as refused:
            yt.set("//tmp/t/@replication_factor", 2)
    assert messages(refused.value.error) == ['Error setting builtin attribute "replication_factor"',
                                        "Operation cannot be performed in transaction"]
    yt.set("//tmp/t/@replication_factor", 2)
    assert yt.get("//tmp/t/@replication_factor") == 2


def test_sorted_by_takes_sort_columns_as_maps(yt):
    # test_append_sorted_simple and its kin give sorted_by as {name; sort_order} maps; an
    # ascending one is its name. The fake keeps ascending tables only, so a descending
    # column is refused rather than written as ascending.
    _write(yt, "<sorted_by=[{name=a;sort_order=ascending};b]>//tmp/t",
           [{"a": 0, "b": 0}, {"a": 0, "b": 1}, {"a": 1, "b": 0}])
    assert yt.get("//tmp/t/@sorted_by") == ["a", "b"]
    assert [c["name"] for c in yt.get("//tmp/t/@schema")] == ["a", "b"]
    _write(yt, "<append=true;sorted_by=[{name=a;sort_order=ascending}]>//tmp/t",
           [{"a": 1, "b": 0}, {"a": 2, "b": 0}])
    assert yt.get("//tmp/t/@sorted_by") == ["a"] and yt.get("//tmp/t/@row_count") == 5
    with pytest.raises(YtResponseError, match="descending"):
        _write(yt, "<sorted_by=[{name=a;sort_order=descending}]>//tmp/t", [{"a": 1}])
    with pytest.raises(YtResponseError, match="descending"):
        yt.create("table", "//tmp/keys", attributes={"schema": [
            {"name": "a", "type": "any", "sort_order": "ascending"},
            {"name": "b", "type": "any", "sort_order": "descending"}]})
    assert yt.get("//tmp/t/@row_count") == 5 and not yt.exists("//tmp/keys")


def test_a_schemas_own_attributes_are_read_through_its_path(yt):
    # test_sorted_unique: get("//tmp/table/@schema/@unique_keys")
    schema = yson.to_yson_type([{"name": "key", "type": "int64", "sort_order": "ascending"}],
                               attributes={"unique_keys": True})
    yt.create("table", "//tmp/t", attributes={"schema": schema})
    assert yson.dumps(yt.get("//tmp/t/@schema/@unique_keys")) == b"%true"
    assert yt.get("//tmp/t/@schema/0/name") == "key"


def test_a_paths_schema_a_cluster_refuses_fails_the_write(yt, fake_yt):
    # test_schemaful_write: `<schema=[{name=key;...};{name=key;...}]>` (two columns of one
    # name) is refused, and the table keeps its rows and weak schema
    _write(yt, "//tmp/t", [{"key": 1}])
    with pytest.raises(YtResponseError) as refused:
        _write(yt, "<schema=[{name=key; type=int64};{name=key; type=string}]>//tmp/t", [])
    assert 'Duplicate column name "key" in table schema' in messages(refused.value.error)
    assert fake_yt.rows("//tmp/t") == [{"key": 1}]
    assert yt.get("//tmp/t/@schema_mode") == "weak"
    _write(yt, "<schema=[{name=key; type=int64; sort_order=ascending}]>//tmp/t",
           [{"key": 0}, {"key": 1}])
    assert yt.get("//tmp/t/@schema_mode") == "strong" and _read(yt, "//tmp/t") == [
        {"key": 0}, {"key": 1}]


def test_a_jobs_sorted_writer_weighs_its_rows_keys(prod_client, yt, fake_yt):
    # a job writing into a sorted output (a path's sorted_by, or a strong sorted schema)
    # writes with a sorted writer, which weighs each row's key first (UpdateDataWeight): a
    # key of 16 KiB fails the job as it fails write_table
    from test_prod_fake_inputs import run_raw
    from test_prod_fake_operations_it import shell_job

    fake_yt.put_table("//tmp/in", [{"k": "x" * (KEY_LIMIT - 1)}])
    info = run_raw(prod_client, "map", {
        "input_table_paths": ["//tmp/in"], "output_table_paths": ["<sorted_by=[k]>//tmp/out"],
        "mapper": shell_job("cat"), "max_failed_job_count": 1})
    assert info["state"] == "failed", info
    assert "Key weight is too large (key_weight 16384, key_weight_limit 16384)" in \
        str(info["result"]["error"])
    assert fake_yt.rows("//tmp/out") == []
    fake_yt.put_table("//tmp/in", [{"k": "x" * (KEY_LIMIT - 2)}])
    info = run_raw(prod_client, "map", {
        "input_table_paths": ["//tmp/in"], "output_table_paths": ["<sorted_by=[k]>//tmp/out"],
        "mapper": shell_job("cat")})
    assert info["state"] == "completed", info
    assert yt.get("//tmp/out/@sorted_by") == ["k"]
