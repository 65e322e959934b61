"""A table of non-strict schema (`<strict=%false>[...]`) still types the columns it names:
every writer of the fake proxy checks them as a cluster's does, and lets other columns by.

Where a cluster does so: the table writer places a row's values by the schema's columns,
refuses a column the schema lacks only when it is strict ("Unknown column %Qv in strict
schema"), then validates every schema column's value (ValidateValueType), strict schema or
not (TSchemalessMultiChunkWriterBase::ReorderAndValidateRows in yt/yt/ytlib/table_client/
schemaless_chunk_writer.cpp). Operations write through the same writer: the integration
test test_infer_output_yt_8661_first (yt/yt/tests/integration/tests/controller/
test_merge_operation.py) merges string values into the uint64 column of a non-strict table
and the merge fails.
"""

from __future__ import annotations

import pytest
import yt.yson as yson
from test_prod_fake_inputs import run_raw
from test_prod_fake_operations_it import shell_job
from yt.wrapper.errors import YtError, YtResponseError

#: EErrorCode::SchemaViolation (yt/yt/client/table_client/public.h)
SCHEMA_VIOLATION = 307
NOT_UINT64 = 'Invalid type of column "x": expected type "uint64" or "null" but got "string"'


def non_strict_table(yt, path, rows=(), required=False):
    """A table of non-strict schema naming one column, `x` of type uint64."""
    schema = yson.to_yson_type([{"name": "x", "type": "uint64", "required": required}],
                               attributes={"strict": False})
    yt.create("table", path, recursive=True, attributes={"schema": schema})
    if rows:
        yt.write_table(path, list(rows), format="json")


def test_write_table_checks_a_non_strict_schemas_own_columns(prod_client, fake_yt):
    yt = prod_client.yt()
    non_strict_table(yt, "//t/ns", [{"x": 1}])
    with pytest.raises(YtResponseError, match=NOT_UINT64) as refused:
        yt.write_table("<append=%true>//t/ns", [{"x": 2}, {"x": "3"}], format="json")
    assert refused.value.error["code"] == SCHEMA_VIOLATION
    assert fake_yt.rows("//t/ns") == [{"x": 1}]
    # columns the schema does not name take any value, and the named one may be left out
    yt.write_table("<append=%true>//t/ns", [{"x": 2, "y": "text", "z": [1, {"a": None}]},
                                           {"y": 5}], format="json")
    assert fake_yt.rows("//t/ns") == [{"x": 1}, {"x": 2, "y": "text", "z": [1, {"a": None}]},
                                      {"y": 5}]
    assert bool(yt.get("//t/ns/@schema").attributes["strict"]) is False


def test_a_non_strict_schemas_required_column_takes_no_null(prod_client, fake_yt):
    yt = prod_client.yt()
    non_strict_table(yt, "//t/ns", required=True)
    with pytest.raises(YtResponseError, match='Required column "x" cannot have "null" value'):
        yt.write_table("//t/ns", [{"y": 1}], format="json")
    assert fake_yt.rows("//t/ns") == []


@pytest.mark.parametrize("mode", ["unordered", "ordered"])
def test_a_merge_into_a_non_strict_table_checks_its_columns(prod_client, fake_yt, mode):
    # test_infer_output_yt_8661_first: a weak table of string `x` and the non-strict table
    # merged into the latter `from_output` fail, and the table keeps its rows
    yt = prod_client.yt()
    non_strict_table(yt, "//t/schemaful", [{"x": i} for i in range(3)])
    fake_yt.put_table("//t/schemaless", [{"x": str(i)} for i in range(100, 103)])
    with pytest.raises(YtError, match=NOT_UINT64):
        yt.run_merge(["//t/schemaless", "//t/schemaful"], "//t/schemaful", mode=mode,
                     spec={"schema_inference_mode": "from_output"})
    assert fake_yt.rows("//t/schemaful") == [{"x": i} for i in range(3)]
    # values of the column's type, and other columns, are merged
    fake_yt.put_table("//t/schemaless", [{"x": 7, "y": "free"}])
    yt.run_merge(["//t/schemaless", "//t/schemaful"], "//t/schemaful", mode=mode,
                 spec={"schema_inference_mode": "from_output"})
    assert fake_yt.rows("//t/schemaful") == [{"x": 7, "y": "free"}] + \
        [{"x": i} for i in range(3)]


def test_a_sort_into_a_non_strict_table_checks_its_columns(prod_client, fake_yt):
    # a sort into a table of strong schema keeps it, sorted (TSortController::
    # PrepareOutputTables, sort_controller.cpp); the weak input is not compared with it,
    # its rows meet the writer
    yt = prod_client.yt()
    non_strict_table(yt, "//t/ns", [{"x": 1}])
    fake_yt.put_table("//t/w", [{"x": "b"}, {"x": "a"}])
    with pytest.raises(YtError, match=NOT_UINT64):
        yt.run_sort("//t/w", "//t/ns", sort_by=["x"])
    assert fake_yt.rows("//t/ns") == [{"x": 1}]
    fake_yt.put_table("//t/w", [{"x": 5, "y": "b"}, {"x": 4}])
    yt.run_sort("//t/w", "//t/ns", sort_by=["x"])
    assert fake_yt.rows("//t/ns") == [{"x": 4}, {"x": 5, "y": "b"}]
    assert bool(yt.get("//t/ns/@schema").attributes["strict"]) is False


def test_a_job_writing_into_a_non_strict_table_fails_on_a_named_columns_value(prod_client,
                                                                              fake_yt):
    # a job's table writer is the same writer: the job fails, and with it the operation
    yt = prod_client.yt()
    non_strict_table(yt, "//t/out")
    fake_yt.put_table("//t/in", [{"x": "not a number"}])
    info = run_raw(prod_client, "map", {
        "input_table_paths": ["//t/in"], "output_table_paths": ["//t/out"],
        "mapper": shell_job("cat"), "max_failed_job_count": 1})
    assert info["state"] == "failed", info
    assert NOT_UINT64 in str(info["result"]["error"])
    assert fake_yt.rows("//t/out") == []
    fake_yt.put_table("//t/in", [{"x": 3, "y": ["any", "value"]}])
    info = run_raw(prod_client, "map", {
        "input_table_paths": ["//t/in"], "output_table_paths": ["//t/out"],
        "mapper": shell_job("cat")})
    assert info["state"] == "completed", info
    assert fake_yt.rows("//t/out") == [{"x": 3, "y": ["any", "value"]}]


def test_a_non_strict_sorted_schema_is_strong_and_keeps_its_order(prod_client, fake_yt):
    # a schema given to a table is strong, strict or not (its @schema_mode); a write keeps a
    # strong schema and, a sorted one, writes with a sorted writer (GetTableUploadOptions in
    # yt/yt/client/table_client/table_upload_options.cpp looks at the schema mode alone)
    yt = prod_client.yt()
    schema = yson.to_yson_type([{"name": "k", "type": "int64", "sort_order": "ascending"}],
                               attributes={"strict": False})
    yt.create("table", "//t/s", recursive=True, attributes={"schema": schema})
    assert yt.get("//t/s/@schema_mode") == "strong"
    yt.write_table("//t/s", [{"k": 1, "v": "a"}, {"k": 3}], format="json")
    with pytest.raises(YtResponseError, match="Sort order violation"):
        yt.write_table("//t/s", [{"k": 2}, {"k": 1}], format="json")
    with pytest.raises(YtResponseError, match="Sort order violation"):
        yt.write_table("<append=%true>//t/s", [{"k": 2}], format="json")
    with pytest.raises(YtResponseError, match='YPath attribute "sorted_by" must be compatible '
                                              'with table schema for a "strong" schema mode'):
        yt.write_table("<sorted_by=[v]>//t/s", [{"k": 5, "v": "b"}], format="json")
    assert fake_yt.rows("//t/s") == [{"k": 1, "v": "a"}, {"k": 3}]
    yt.write_table("<append=%true>//t/s", [{"k": 3, "w": 1}, {"k": 4}], format="json")
    assert fake_yt.rows("//t/s") == [{"k": 1, "v": "a"}, {"k": 3}, {"k": 3, "w": 1}, {"k": 4}]
    assert yt.get("//t/s/@sorted_by") == ["k"]


# -- an input of strong schema compared with the output's before the operation runs ---------
# ValidateOutputSchemaCompatibility (operation_controller_detail.cpp) compares every input of
# strong schema mode, strict or not, with the output's strong schema, strict or not, by
# CheckTableSchemaCompatibilityImpl (yt/yt/client/table_client/check_schema_compatibility.cpp):
# a strict output takes no non-strict input; a non-strict output takes input columns it does
# not name; an output column a non-strict input does not name is refused.

def typed_table(yt, path, columns, rows, strict):
    schema = yson.to_yson_type([{"name": name, "type": kind} for name, kind in columns],
                               attributes={"strict": strict})
    yt.create("table", path, recursive=True, attributes={"schema": schema})
    if rows:
        yt.write_table(path, rows, format="json")


@pytest.mark.parametrize(("given", "taken", "reason"), [
    pytest.param(([("x", "uint64")], False), ([("x", "uint64"), ("y", "string")], True),
                 "Incompatible strictness: input schema is not strict while output schema is",
                 id="non-strict-into-strict"),
    pytest.param(([("x", "uint64")], False), ([("x", "uint64"), ("w", "string")], False),
                 'Column "w" is present in output schema and is missing in non-strict input '
                 "schema", id="output-column-unknown-to-the-input"),
    pytest.param(([("x", "string")], True), ([("x", "uint64")], False),
                 'Column "x" input type is incompatible with output type',
                 id="type-into-non-strict"),
])
def test_a_merge_compares_non_strict_schemas_before_it_runs(prod_client, fake_yt, given, taken,
                                                            reason):
    # refused before a row is read: rows the output's writer would take change nothing
    yt = prod_client.yt()
    typed_table(yt, "//t/in", given[0], [{"x": 1}] if given[0][0][1] == "uint64" else [],
                given[1])
    typed_table(yt, "//t/out", taken[0], [{"x": 0}], taken[1])
    with pytest.raises(YtError, match=reason):
        yt.run_merge(["//t/in"], "//t/out")
    assert fake_yt.rows("//t/out") == [{"x": 0}]


def test_a_non_strict_output_takes_input_columns_it_does_not_name(prod_client, fake_yt):
    yt = prod_client.yt()
    typed_table(yt, "//t/in", [("x", "uint64"), ("z", "int64")], [{"x": 1, "z": -1}], True)
    typed_table(yt, "//t/out", [("x", "uint64")], [], False)
    yt.run_merge(["//t/in"], "//t/out")
    assert fake_yt.rows("//t/out") == [{"x": 1, "z": -1}]
    assert bool(yt.get("//t/out/@schema").attributes["strict"]) is False
