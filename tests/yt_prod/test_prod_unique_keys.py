"""Tables whose schema says `unique_keys`, on the fake proxy with the real ytsaurus-client.

Cluster facts (ytsaurus/ytsaurus):
- a master refuses `unique_keys` on a schema of no key columns: '"unique_keys" can only be
  true if key columns are present' (ValidateSchemaAttributes in yt/yt/client/table_client/
  schema.cpp, run by ValidateTableSchema on a new table's schema);
- the sorted writer refuses a row whose key equals the previous one's: "Duplicate key %v"
  (EErrorCode::UniqueKeyViolation, 306), and an append's first row is compared with the
  table's last key first (TSchemalessMultiChunkWriterBase::ValidateSortOrderAndUniqueness,
  `LastKey_ && IsFirstRow_`, with the table schema's IsUniqueKeys(), in yt/yt/ytlib/
  table_client/schemaless_chunk_writer.cpp);
- the controller refuses an operation's outputs that meet at one key (VerifySortedOutput in
  yt/yt/server/controller_agent/controllers/operation_controller_detail.cpp): "Output table
  %v contains duplicate keys: job outputs overlap with original table" for an append whose
  first output begins with the table's last key, "... job outputs have overlapping key
  ranges" for two jobs' outputs.
A refused write or operation leaves the table as it was.
"""

from __future__ import annotations

import pytest
import yt.wrapper as ytw
import yt.yson as yson
from prod_packages import build_package

from yt_pipeline.errors import OperationFailed
from yt_pipeline.operations import OperationSpec, Resources
from yt_pipeline_prod import launcher, plugin

COPY = """
from ytjobs import read_rows, write_rows
write_rows(read_rows())
"""

COLUMNS = [{"name": "k", "type": "int64", "sort_order": "ascending"},
           {"name": "v", "type": "string"}]


def create_unique(prod_client, path, columns=COLUMNS):
    prod_client.yt().create("table", path, attributes={"schema": yson.to_yson_type(
        columns, attributes={"strict": True, "unique_keys": True})})


def write(prod_client, path, rows, append=False):
    prod_client.yt().write_table(ytw.TablePath(path, append=append), rows, format="json")


def test_unique_keys_need_key_columns(prod_client, fake_yt):
    # ValidateSchemaAttributes (yt/yt/client/table_client/schema.cpp)
    with pytest.raises(Exception, match='"unique_keys" can only be true if key columns are '
                                        'present'):
        create_unique(prod_client, "//tmp/nokey", [{"name": "k", "type": "int64"}])
    assert not prod_client.yt().exists("//tmp/nokey")


def test_write_table_refuses_a_repeated_key(prod_client, fake_yt):
    # TSchemalessMultiChunkWriterBase::ValidateSortOrderAndUniqueness (schemaless_chunk_writer.cpp)
    create_unique(prod_client, "//tmp/u")
    write(prod_client, "//tmp/u", [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}])
    with pytest.raises(ytw.YtResponseError, match=r"Duplicate key \[3\]") as refused:
        write(prod_client, "//tmp/u", [{"k": 3, "v": "c"}, {"k": 3, "v": "d"}])
    assert refused.value.contains_code(306)  # EErrorCode::UniqueKeyViolation
    assert fake_yt.rows("//tmp/u") == [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}]


def test_an_append_refuses_the_table_s_last_key(prod_client, fake_yt):
    # the writer starts from the table's last key (`LastKey_ && IsFirstRow_`)
    create_unique(prod_client, "//tmp/u")
    write(prod_client, "//tmp/u", [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}])
    with pytest.raises(ytw.YtResponseError, match=r"Duplicate key \[2\]"):
        write(prod_client, "//tmp/u", [{"k": 2, "v": "x"}, {"k": 5, "v": "y"}], append=True)
    with pytest.raises(ytw.YtResponseError, match=r"Duplicate key \[6\]"):
        write(prod_client, "//tmp/u", [{"k": 6, "v": "x"}, {"k": 6, "v": "y"}], append=True)
    assert fake_yt.rows("//tmp/u") == [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}]
    write(prod_client, "//tmp/u", [{"k": 3, "v": "c"}], append=True)
    assert fake_yt.rows("//tmp/u") == [{"k": 1, "v": "a"}, {"k": 2, "v": "b"},
                                       {"k": 3, "v": "c"}]


def map_into_unique(prod_client, fake_yt, tmp_path, rows, *, job_count=None, append=False):
    package = build_package(tmp_path / ".build", {"s": {"src/mapper.py": COPY}})
    fake_yt.put_table("//tmp/in", rows)
    extra = {"output_table_paths": ["<append=%true>//tmp/out"]} if append else {}
    spec = OperationSpec(kind="map", stage_name="s", name="map", stage_dir=tmp_path,
                         pipeline_dir=tmp_path, input_tables=["//tmp/in"],
                         output_tables=["//tmp/out"], mapper="src/mapper.py",
                         code_package=package, resources=Resources(job_count=job_count),
                         extra_spec=extra)
    plugin.launch_operation(prod_client, spec)


OLD = [{"k": 0, "v": "old"}]


def test_a_job_writing_a_repeated_key_fails_the_operation(prod_client, fake_yt, tmp_path):
    # the job's sorted writer (ValidateSortOrderAndUniqueness)
    create_unique(prod_client, "//tmp/out")
    write(prod_client, "//tmp/out", OLD)
    with pytest.raises(OperationFailed, match=r"Duplicate key \[1\]"):
        map_into_unique(prod_client, fake_yt, tmp_path,
                        [{"k": 1, "v": "a"}, {"k": 1, "v": "b"}])
    assert fake_yt.rows("//tmp/out") == OLD


def test_jobs_meeting_at_one_key_fail_the_operation(prod_client, fake_yt, tmp_path):
    # VerifySortedOutput (operation_controller_detail.cpp): two jobs, [1, 2] and [2, 3]
    create_unique(prod_client, "//tmp/out")
    write(prod_client, "//tmp/out", OLD)
    with pytest.raises(OperationFailed, match=r"Output table //tmp/out contains duplicate "
                                              r"keys: job outputs have overlapping key ranges"):
        map_into_unique(prod_client, fake_yt, tmp_path,
                        [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}, {"k": 2, "v": "c"},
                         {"k": 3, "v": "d"}], job_count=2)
    assert fake_yt.rows("//tmp/out") == OLD


def test_an_operation_appending_the_table_s_last_key_fails(prod_client, fake_yt, tmp_path,
                                                           monkeypatch):
    # VerifySortedOutput: the first output's min key equal to the table's last key
    monkeypatch.setattr(launcher, "check_spec", lambda spec: None)
    create_unique(prod_client, "//tmp/out")
    write(prod_client, "//tmp/out", OLD)
    with pytest.raises(OperationFailed, match=r"Output table //tmp/out contains duplicate "
                                              r"keys: job outputs overlap with original table"):
        map_into_unique(prod_client, fake_yt, tmp_path, [{"k": 0, "v": "a"}, {"k": 4, "v": "b"}],
                        append=True)
    assert fake_yt.rows("//tmp/out") == OLD
    map_into_unique(prod_client, fake_yt, tmp_path, [{"k": 1, "v": "a"}, {"k": 4, "v": "b"}],
                    append=True)
    assert fake_yt.rows("//tmp/out") == OLD + [{"k": 1, "v": "a"}, {"k": 4, "v": "b"}]


# A sort's output schema is the table's made sorted by sort_by (TSortController::
# PrepareOutputTables in yt/yt/server/controller_agent/controllers/sort_controller.cpp:
# ToSorted(Spec->SortBy)), unique when every old key column is among the sort's columns
# (TTableSchema::ToSorted in yt/yt/client/table_client/schema.cpp: `UniqueKeys_ &&
# oldKeyColumnCount == GetKeyColumnCount()`); its writer refuses two rows of one key with
# "Duplicate key %v" (ValidateSortOrderAndUniqueness in schemaless_chunk_writer.cpp).

def unique_of(prod_client, path):
    return bool(prod_client.yt().get(path + "/@schema").attributes["unique_keys"])


def test_a_sort_into_a_unique_table_refuses_a_repeated_key(prod_client, fake_yt):
    create_unique(prod_client, "//tmp/out")
    write(prod_client, "//tmp/out", OLD)
    fake_yt.put_table("//tmp/in", [{"k": 2, "v": "b"}, {"k": 1, "v": "a"}, {"k": 2, "v": "c"}])
    with pytest.raises(ytw.YtOperationFailedError, match=r"Duplicate key \[2\]"):
        prod_client.yt().run_sort("//tmp/in", "//tmp/out", sort_by=["k"])
    assert fake_yt.rows("//tmp/out") == OLD
    assert unique_of(prod_client, "//tmp/out")


def test_a_sort_keeps_unique_keys_only_with_every_key_column(prod_client, fake_yt):
    create_unique(prod_client, "//tmp/out")
    fake_yt.put_table("//tmp/in", [{"k": 1, "v": "b"}, {"k": 1, "v": "a"}])
    # by (k, v): still unique, of (k, v)
    prod_client.yt().run_sort("//tmp/in", "//tmp/out", sort_by=["k", "v"])
    assert fake_yt.rows("//tmp/out") == [{"k": 1, "v": "a"}, {"k": 1, "v": "b"}]
    assert unique_of(prod_client, "//tmp/out")
    # by v alone: unique no more, and a repeated v is taken
    fake_yt.put_table("//tmp/in", [{"k": 2, "v": "a"}, {"k": 1, "v": "a"}])
    prod_client.yt().run_sort("//tmp/in", "//tmp/out", sort_by=["v"])
    assert fake_yt.rows("//tmp/out") == [{"k": 2, "v": "a"}, {"k": 1, "v": "a"}]
    assert not unique_of(prod_client, "//tmp/out")


def test_a_sorted_merge_into_a_unique_table_refuses_a_repeated_key(prod_client, fake_yt):
    # a sorted merge keeps the output's strong sorted schema (TSortedMergeController::
    # PrepareOutputTables in sorted_controller.cpp), whose writer refuses a repeated key
    create_unique(prod_client, "//tmp/out")
    write(prod_client, "//tmp/out", OLD)
    for name, rows in (("a", [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}]),
                       ("b", [{"k": 2, "v": "c"}, {"k": 3, "v": "d"}])):
        create_unique(prod_client, f"//tmp/{name}")
        write(prod_client, f"//tmp/{name}", rows)
    with pytest.raises(ytw.YtOperationFailedError, match=r"Duplicate key \[2\]"):
        prod_client.yt().run_merge(["//tmp/a", "//tmp/b"], "//tmp/out", mode="sorted")
    assert fake_yt.rows("//tmp/out") == OLD
    write(prod_client, "//tmp/b", [{"k": 3, "v": "d"}])
    prod_client.yt().run_merge(["//tmp/a", "//tmp/b"], "//tmp/out", mode="sorted")
    assert fake_yt.rows("//tmp/out") == [{"k": 1, "v": "a"}, {"k": 2, "v": "b"},
                                         {"k": 3, "v": "d"}]
    assert unique_of(prod_client, "//tmp/out")


def test_a_sorted_merge_into_a_table_of_no_schema_takes_the_inputs_unique_keys(prod_client,
                                                                                fake_yt):
    # an output of weak schema takes the first input's schema made sorted by the merge's
    # columns, unique keys with it (TSortedMergeController::PrepareOutputTables in
    # sorted_controller.cpp: InferSchemaFromInput(PrimarySortColumns_), whose output schema
    # is `->ToSorted(sortColumns)->ToSortedStrippedColumnAttributes()` of the first input's,
    # in operation_controller_detail.cpp), and its writer then refuses a repeated key
    for name, rows in (("a", [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}]),
                       ("b", [{"k": 2, "v": "c"}, {"k": 3, "v": "d"}])):
        create_unique(prod_client, f"//tmp/{name}")
        write(prod_client, f"//tmp/{name}", rows)
    fake_yt.put_table("//tmp/out", OLD)
    with pytest.raises(ytw.YtOperationFailedError, match=r"Duplicate key \[2\]"):
        prod_client.yt().run_merge(["//tmp/a", "//tmp/b"], "//tmp/out", mode="sorted")
    assert fake_yt.rows("//tmp/out") == OLD
    prod_client.yt().run_merge(["//tmp/a"], "//tmp/out", mode="sorted")
    assert fake_yt.rows("//tmp/out") == [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}]
    schema = prod_client.yt().get("//tmp/out/@schema")
    assert unique_of(prod_client, "//tmp/out") and schema.attributes["strict"]
    assert [(c["name"], c["type"], c.get("sort_order")) for c in schema] == \
        [("k", "int64", "ascending"), ("v", "string", None)]


# An output path may carry the table's schema (`<schema=...>//t`): the write is an overwrite
# of strong schema, that one, which the table has after it (GetTableUploadOptions in
# yt/yt/ytlib/table_client/table_upload_options.cpp: `!path.GetAppend() && pathSchema`), so
# a schema of unique keys there refuses a repeated key as the table's own would; with
# `append` the path is refused ('YPath attributes "append" and "schema" are not compatible').

def unique_path(path, columns=COLUMNS):
    return ytw.TablePath(path, schema=yson.to_yson_type(
        columns, attributes={"strict": True, "unique_keys": True}))


def test_a_sort_into_a_path_of_unique_keys_refuses_a_repeated_key(prod_client, fake_yt):
    fake_yt.put_table("//tmp/out", OLD)
    fake_yt.put_table("//tmp/in", [{"k": 2, "v": "b"}, {"k": 1, "v": "a"}, {"k": 2, "v": "c"}])
    with pytest.raises(ytw.YtOperationFailedError, match=r"Duplicate key \[2\]"):
        prod_client.yt().run_sort("//tmp/in", unique_path("//tmp/out"), sort_by=["k"])
    assert fake_yt.rows("//tmp/out") == OLD
    assert not prod_client.yt().get("//tmp/out/@schema").attributes["unique_keys"]
    fake_yt.put_table("//tmp/in", [{"k": 2, "v": "b"}, {"k": 1, "v": "a"}])
    prod_client.yt().run_sort("//tmp/in", unique_path("//tmp/out"), sort_by=["k"])
    assert fake_yt.rows("//tmp/out") == [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}]
    assert unique_of(prod_client, "//tmp/out")
    assert prod_client.yt().get("//tmp/out/@sorted_by") == ["k"]


def test_a_merge_into_a_path_of_unique_keys_refuses_a_repeated_key(prod_client, fake_yt):
    fake_yt.put_table("//tmp/out", OLD)
    fake_yt.put_table("//tmp/in", [{"k": 1, "v": "a"}, {"k": 1, "v": "b"}])
    with pytest.raises(ytw.YtOperationFailedError, match=r"Duplicate key \[1\]"):
        prod_client.yt().run_merge("//tmp/in", unique_path("//tmp/out"), mode="ordered")
    assert fake_yt.rows("//tmp/out") == OLD
    with pytest.raises(ytw.YtError, match='YPath attributes "append" and "schema" are not '
                                          'compatible'):
        path = unique_path("//tmp/out")
        path.attributes["append"] = True
        prod_client.yt().run_merge("//tmp/in", path, mode="ordered")
    assert fake_yt.rows("//tmp/out") == OLD


def test_a_map_into_a_path_of_unique_keys_refuses_a_repeated_key(prod_client, fake_yt,
                                                                 tmp_path, monkeypatch):
    # the job's writer (ValidateSortOrderAndUniqueness) with the path's schema
    monkeypatch.setattr(launcher, "check_spec", lambda spec: None)
    fake_yt.put_table("//tmp/out", OLD)
    package = build_package(tmp_path / ".build", {"s": {"src/mapper.py": COPY}})

    def run(rows):
        fake_yt.put_table("//tmp/in", rows)
        spec = OperationSpec(kind="map", stage_name="s", name="map", stage_dir=tmp_path,
                             pipeline_dir=tmp_path, input_tables=["//tmp/in"],
                             output_tables=["//tmp/out"], mapper="src/mapper.py",
                             code_package=package,
                             extra_spec={"output_table_paths": [unique_path("//tmp/out")]})
        plugin.launch_operation(prod_client, spec)

    with pytest.raises(OperationFailed, match=r"Duplicate key \[1\]"):
        run([{"k": 1, "v": "a"}, {"k": 1, "v": "b"}])
    assert fake_yt.rows("//tmp/out") == OLD
    run([{"k": 1, "v": "a"}, {"k": 2, "v": "b"}])
    assert fake_yt.rows("//tmp/out") == [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}]
    assert unique_of(prod_client, "//tmp/out")


def test_write_table_to_a_path_of_unique_keys_refuses_a_repeated_key(prod_client, fake_yt):
    # write_table's writer opens with the path's schema too (TSchemalessTableWriter::DoOpen
    # in yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp calls GetTableUploadOptions
    # with the rich path): the table is overwritten as one of that schema, whose writer
    # refuses a repeated key ("Duplicate key %v", 306) and rows out of key order, and which
    # the table has after it. (Dev's write_table takes no path attributes: such a path is
    # refused there as InvalidTablePath, as prod's client refuses it.)
    fake_yt.put_table("//tmp/t", OLD)
    with pytest.raises(ytw.YtResponseError, match=r"Duplicate key \[1\]") as refused:
        prod_client.yt().write_table(unique_path("//tmp/t"),
                                     [{"k": 1, "v": "a"}, {"k": 1, "v": "b"}], format="json")
    assert refused.value.contains_code(306)  # EErrorCode::UniqueKeyViolation
    with pytest.raises(ytw.YtResponseError, match=r"Sort order violation: \[2\] > \[1\]"):
        prod_client.yt().write_table(unique_path("//tmp/t"),
                                     [{"k": 2, "v": "a"}, {"k": 1, "v": "b"}], format="json")
    assert fake_yt.rows("//tmp/t") == OLD
    assert not prod_client.yt().get("//tmp/t/@schema").attributes["unique_keys"]
    rows = [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}]
    prod_client.yt().write_table(unique_path("//tmp/t"), rows, format="json")
    assert fake_yt.rows("//tmp/t") == rows
    assert unique_of(prod_client, "//tmp/t")
    assert prod_client.yt().get("//tmp/t/@sorted_by") == ["k"]
    # the table's own schema now: an append of its last key is refused
    with pytest.raises(ytw.YtResponseError, match=r"Duplicate key \[2\]"):
        write(prod_client, "//tmp/t", [{"k": 2, "v": "c"}], append=True)
    assert fake_yt.rows("//tmp/t") == rows
