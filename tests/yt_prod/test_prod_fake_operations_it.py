"""The fake proxy against YTsaurus's own integration tests of map, reduce, map_reduce, merge
and vanilla (yt/yt/tests/integration/tests/controller/test_map_operation.py,
test_reduce_operation.py, test_map_reduce_operation.py, test_merge_operation.py,
test_vanilla_operation.py in ytsaurus/ytsaurus): each test here names the integration
test it follows and gives the rows, messages or job input that test expects of a cluster,
in JSON where the integration test reads YSON."""

from __future__ import annotations

import pytest
import yt.yson as yson
from test_prod_fake_inputs import run_as_given, run_raw, switch, write_sorted
from yt.wrapper.errors import YtResponseError
from yt_errors import messages, walk

from yt_pipeline.errors import BackendError
from yt_pipeline_prod.op_spec import job_format


def shell_job(command: str, **options) -> dict:
    return {"command": command, "format": job_format(), **options}


def control(name: str, value) -> str:
    # a control row as the JSON writer renders it (see switch)
    text = "true" if value is True else str(value)
    return f'{{"$attributes":{{"{name}":{text}}},"$value":null}}'


def job_input(fake_yt) -> list[list[str]]:
    """What each job read, its lines, from a job that copied its input to stderr."""
    return [job.stderr.decode().splitlines() for job in fake_yt.jobs]


def completed(info) -> None:
    assert info["state"] == "completed", info


def refused(info) -> list[str]:
    """The messages under a failed operation's error, none of its jobs run."""
    assert info["state"] == "failed", info
    return [error["message"] for error in info["result"]["error"]["inner_errors"]]


# -- control attributes (job_io: {control_attributes: ...}) ------------------------------
# What the format writer writes and when: TSchemalessFormatWriterBase::WriteControlAttributes,
# CheckKeySwitch and Close in yt/yt/client/formats/schemaless_writer_adapter.cpp.

def test_reduce_row_index_follows_each_table_switch(prod_client, fake_yt):
    # test_control_attributes_yson (test_reduce_operation.py): enable_row_index with two
    # inputs gives a row index after each table index; with one input, before the first row
    write_sorted(prod_client, "//tmp/in1", [{"key": 4, "value": 3}], ["key"])
    write_sorted(prod_client, "//tmp/in2", [{"key": 1, "value": 6}], ["key"])
    completed(run_raw(prod_client, "reduce", {
        "input_table_paths": ["//tmp/in1", "//tmp/in2"], "output_table_paths": [],
        "reduce_by": ["key"], "reducer": shell_job("cat >&2"), "job_count": 1,
        "job_io": {"control_attributes": {"enable_table_index": True,
                                          "enable_row_index": True}}}))
    completed(run_raw(prod_client, "reduce", {
        "input_table_paths": ["//tmp/in1"], "output_table_paths": [],
        "reduce_by": ["key"], "reducer": shell_job("cat >&2"), "job_count": 1,
        "job_io": {"control_attributes": {"enable_row_index": True}}}))
    assert job_input(fake_yt) == [
        [switch(1), control("row_index", 0), '{"key":1,"value":6}',
         switch(0), control("row_index", 0), '{"key":4,"value":3}'],
        [control("row_index", 0), '{"key":4,"value":3}'],
    ]


def test_reduce_key_switch_between_key_groups(prod_client, fake_yt):
    # test_key_switch_yson (test_reduce_operation.py): a key switch before each new key,
    # none before the first row
    write_sorted(prod_client, "//tmp/in", [{"key": "a", "value": ""}, {"key": "b", "value": ""},
                                           {"key": "b", "value": ""}], ["key"])
    completed(run_raw(prod_client, "reduce", {
        "input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
        "reduce_by": ["key"], "reducer": shell_job("cat 1>&2"), "job_count": 1,
        "job_io": {"control_attributes": {"enable_key_switch": True}}}))
    assert job_input(fake_yt) == [['{"key":"a","value":""}', control("key_switch", True),
                                   '{"key":"b","value":""}', '{"key":"b","value":""}']]
    assert not prod_client.yt().get("//tmp/out/@sorted")


def test_map_end_of_stream_after_the_last_row(prod_client, fake_yt):
    # test_end_of_stream (test_map_operation.py)
    fake_yt.put_table("//tmp/in1", [{"x": 1}])
    fake_yt.put_table("//tmp/in2", [{"x": 2}])
    completed(run_raw(prod_client, "map", {
        "input_table_paths": ["//tmp/in1", "//tmp/in2"], "output_table_paths": ["//tmp/out"],
        "mapper": shell_job("cat 1>&2"), "ordered": True, "job_count": 1,
        "job_io": {"control_attributes": {"enable_end_of_stream": True}}}))
    assert job_input(fake_yt) == [[switch(0), '{"x":1}', switch(1), '{"x":2}',
                                   control("end_of_stream", True)]]


def test_map_range_and_row_indexes_of_several_ranges(prod_client, fake_yt):
    # test_ordered_several_ranges (test_map_operation.py): each row with its table, range
    # and row index, every index written when it changes
    fake_yt.put_table("//tmp/t_in", [{"key": 0}, {"key": 1}, {"key": 2}])
    completed(run_raw(prod_client, "map", {
        "input_table_paths": [
            "<ranges=[{exact={row_index=0}};{exact={row_index=1}}]>//tmp/t_in",
            "<ranges=[{exact={row_index=2}}]>//tmp/t_in"],
        "output_table_paths": ["//tmp/t_out"], "ordered": True, "job_count": 1,
        "mapper": shell_job("cat >&2"), "max_failed_job_count": 1,
        "job_io": {"control_attributes": {"enable_range_index": True, "enable_row_index": True,
                                          "enable_table_index": True}}}))
    assert job_input(fake_yt) == [[
        switch(0), control("range_index", 0), control("row_index", 0), '{"key":0}',
        control("range_index", 1), control("row_index", 1), '{"key":1}',
        switch(1), control("range_index", 0), control("row_index", 2), '{"key":2}']]


@pytest.mark.parametrize("ranges, expected", [
    # a row index is written again only where the rows stop following each other
    ("[#0:#2,#3:#4]", [control("row_index", 0), '{"k":0}', '{"k":1}',
                       control("row_index", 3), '{"k":3}']),
])
def test_map_row_index_only_where_rows_skip(prod_client, fake_yt, ranges, expected):
    # test_range_index (test_map_operation.py) asks the same of a range's rows
    fake_yt.put_table("//tmp/t_in", [{"k": i} for i in range(4)])
    completed(run_raw(prod_client, "map", {
        "input_table_paths": ["//tmp/t_in" + ranges], "output_table_paths": [],
        "mapper": shell_job("cat >&2"), "job_count": 1,
        "job_io": {"control_attributes": {"enable_row_index": True}}}))
    assert job_input(fake_yt) == [expected]


def test_map_reduce_reducer_gets_key_switches_from_reduce_job_io(prod_client, fake_yt):
    # a map_reduce's reducer is a PartitionReduce job: its key switches compare reduce_by
    # (GetKeySwitchColumnCount in yt/yt/ytlib/job_proxy/job_spec_helper.cpp) and its
    # control attributes are reduce_job_io's (TMapReduceOperationSpec)
    fake_yt.put_table("//tmp/in", [{"k": 2}, {"k": 1}, {"k": 2}])
    completed(run_raw(prod_client, "map_reduce", {
        "input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
        "reduce_by": ["k"], "reducer": shell_job("cat >&2"), "partition_count": 1,
        "reduce_job_io": {"control_attributes": {"enable_key_switch": True}}}))
    assert job_input(fake_yt) == [['{"k":1}', control("key_switch", True), '{"k":2}', '{"k":2}']]


# -- a reduce's column filter ------------------------------------------------------------

def test_reduce_column_filter_must_keep_every_reduce_by_column(prod_client, fake_yt):
    # test_column_filter (test_reduce_operation.py): "All reduce by columns must be
    # included in column filter"; the controller's words are validateColumnFilter's in
    # TOperationControllerBase::CheckInputTablesSorted (operation_controller_detail.cpp)
    rows = [{"key": 0, "value": 0}, {"key": 0, "value": 0}, {"key": 0, "value": 1},
            {"key": 7, "value": 4}]
    write_sorted(prod_client, "//tmp/in1", rows, ["key", "value"])
    info = run_raw(prod_client, "reduce", {
        "input_table_paths": ["//tmp/in1{key}"], "output_table_paths": ["//tmp/out"],
        "reduce_by": ["key", "value"], "reducer": shell_job("cat")})
    assert refused(info) == ['Column filter for input table //tmp/in1 must include key '
                             'column "value"']
    assert not fake_yt.jobs
    # the column filter that keeps reduce_by runs, each job reading the key column only
    completed(run_raw(prod_client, "reduce", {
        "input_table_paths": ["//tmp/in1{key}[#2:]"], "output_table_paths": ["//tmp/out"],
        "reduce_by": ["key"], "reducer": shell_job("uniq")}))
    assert fake_yt.rows("//tmp/out") == [{"key": 0}, {"key": 7}]


def test_join_by_must_be_kept_by_a_foreign_tables_column_filter(prod_client, fake_yt):
    # the foreign tables are checked for join_by alike (AdjustSortColumns calls
    # CheckInputTablesSorted(join_by, IsForeign) in sorted_controller.cpp)
    write_sorted(prod_client, "//tmp/in", [{"key": 1, "v": 1}], ["key"])
    write_sorted(prod_client, "//tmp/f", [{"key": 1, "w": 2}], ["key"])
    info = run_raw(prod_client, "reduce", {
        "input_table_paths": ["//tmp/in", "<foreign=%true>//tmp/f{w}"],
        "output_table_paths": ["//tmp/out"], "reduce_by": ["key"], "join_by": ["key"],
        "reducer": shell_job("cat")})
    assert refused(info) == ['Column filter for input table //tmp/f must include key '
                             'column "key"']


# -- output paths the operation creates (<create=%true>) ---------------------------------

def test_map_creates_an_output_table_its_path_asks_for(prod_client, fake_yt):
    # test_auto_create (test_map_operation.py); TOperationControllerBase::CreateOutputTables
    # in operation_controller_detail.cpp creates them in the output transaction, the stderr
    # table in the debug one (see fake/created_outputs.py)
    yt = prod_client.yt()
    fake_yt.put_table("//tmp/t_input", [{"a": "b"}])
    info = run_as_given(prod_client, "map", {
        "input_table_paths": ["//tmp/t_input"], "output_table_paths": ["//tmp/t_output"],
        "mapper": shell_job("cat")})
    assert info["state"] == "failed"
    assert "//tmp/t_output" in str(info["result"]["error"])
    completed(run_as_given(prod_client, "map", {
        "input_table_paths": ["//tmp/t_input"],
        "output_table_paths": ["<create=true>//tmp/t_output"],
        "stderr_table_path": "<create=true>//tmp/stderr_table", "mapper": shell_job("cat")}))
    assert fake_yt.rows("//tmp/t_output") == [{"a": "b"}]
    assert yt.exists("//tmp/stderr_table")
    info = run_as_given(prod_client, "map", {
        "input_table_paths": ["//tmp/t_input"],
        "output_table_paths": ["<create=true>//tmp/t_output1"],
        "stderr_table_path": "<create=true>//tmp/stderr_table1",
        "mapper": shell_job("exit 1"), "max_failed_job_count": 1})
    assert info["state"] == "failed"
    assert not yt.exists("//tmp/t_output1")
    assert yt.exists("//tmp/stderr_table1")


# -- row_count_limit of an output path ----------------------------------------------------

def test_map_completes_once_the_limited_output_has_its_rows(prod_client, fake_yt):
    # test_map_row_count_limit_second_output (test_map_operation.py): five jobs of one row
    # each into the second table, limited to 3: the operation completes after three
    # (SafeOnJobCompleted's RegisterOutputRows in operation_controller_detail.cpp)
    fake_yt.put_table("//tmp/input", [{"key": f"{i:05d}", "value": "foo"} for i in range(5)])
    completed(run_raw(prod_client, "map", {
        "input_table_paths": ["//tmp/input"],
        "output_table_paths": ["//tmp/out_1", "<row_count_limit=3>//tmp/out_2"],
        "mapper": shell_job("cat >&4"), "job_count": 5, "max_failed_job_count": 1}))
    assert fake_yt.rows("//tmp/out_1") == []
    assert fake_yt.rows("//tmp/out_2") == [{"key": f"{i:05d}", "value": "foo"}
                                           for i in range(3)]
    assert len(fake_yt.jobs) == 3


@pytest.mark.parametrize("outputs, message", [
    # test_negative_row_count_limit (TRichYPath::GetRowCountLimit in
    # yt/yt/client/ypath/rich.cpp)
    (["<row_count_limit=-1>//tmp/output"], "Row count limit should be non-negative"),
    # test_multiple_row_count_limit (where the controller registers its output tables)
    (["<row_count_limit=1>//tmp/out_1", "<row_count_limit=1>//tmp/out_2"],
     "Only one output table with row_count_limit is supported"),
])
def test_map_refuses_a_row_count_limit_it_cannot_keep(prod_client, fake_yt, outputs, message):
    fake_yt.put_table("//tmp/input", [{"x": 1}])
    info = run_raw(prod_client, "map", {"input_table_paths": ["//tmp/input"],
                                        "output_table_paths": outputs,
                                        "mapper": shell_job("cat")})
    assert refused(info) == [message]
    assert not fake_yt.jobs


# -- the types of a reduce's key columns ---------------------------------------------------
# CheckInputTableSortColumnTypes, called by TReduceController::AdjustSortColumns
# (sorted_controller.cpp): a key column's types must share one physical type (GetPhysicalType
# in yt/yt/client/table_client/row_base.h), `any` passed over; join_by's in every input,
# reduce_by's in the primary ones (yt_pipeline.key_column_types)

def key_table(prod_client, path: str, columns: list, rows: list[dict]) -> None:
    """A table created with a schema of (name, type, is a key column) columns, and rows."""
    schema = [{"name": name, "type": kind, **({"sort_order": "ascending"} if key else {})}
              for name, kind, key in columns]
    yt = prod_client.yt()
    yt.create("table", path, attributes={"schema": schema})
    yt.write_table(path, rows, format="json")


ECHO_KEY_5 = shell_job("cat >/dev/null; echo '{\"key\":5}'")


@pytest.mark.parametrize("types, refused", [
    # test_reduce_different_types
    (["int64", "string"], ("//tmp/t0", "optional<int64>", "//tmp/t1", "optional<string>")),
    # test_reduce_with_any
    (["int64", "any"], None),
    # test_reduce_different_types_with_any: the any column is passed over, not a reference
    (["any", "int64", "string"], ("//tmp/t1", "optional<int64>", "//tmp/t2",
                                  "optional<string>")),
    # test_reduce_different_logical_types: int32 and int64 are both stored as int64
    (["int32", "int64"], None),
])
def test_reduce_key_columns_of_one_physical_type(prod_client, fake_yt, types, refused):
    paths = [f"//tmp/t{index}" for index in range(len(types))]
    for path, kind in zip(paths, types):
        key_table(prod_client, path, [("key", kind, True)], [{"key": 1 if kind != "string" else "1"}])
    info = run_raw(prod_client, "reduce", {
        "input_table_paths": paths, "output_table_paths": ["//tmp/out"], "reduce_by": ["key"],
        "reducer": ECHO_KEY_5})
    if refused is None:
        completed(info)
        assert fake_yt.rows("//tmp/out") == [{"key": 5}]
        return
    assert refused_with(info) == ("Sort columns have different types in input tables",
                                  dict(zip(("input_table_1", "type_1", "input_table_2",
                                            "type_2"), refused), column_name="key"))
    assert not fake_yt.jobs


def refused_with(info) -> tuple[str, dict]:
    """The message and attributes of a failed operation's one inner error."""
    (error,) = info["result"]["error"]["inner_errors"]
    assert info["state"] == "failed"
    return error["message"], error["attributes"]


def test_reduce_key_column_types_of_foreign_tables(prod_client, fake_yt):
    # test_reduce_with_foreign_table: a foreign table's subkey, no join_by column, is not
    # compared; test_reduce_with_foreign_table_fail: two primary tables' subkey is
    key_table(prod_client, "//tmp/t1", [("key", "any", True), ("subkey", "int64", True)],
              [{"key": 1, "subkey": 2}])
    key_table(prod_client, "//tmp/t2", [("key", "int64", True), ("subkey", "string", False)],
              [{"key": 1, "subkey": "2"}])
    key_table(prod_client, "//tmp/t3", [("key", "int64", True), ("subkey", "string", True)],
              [{"key": 1, "subkey": "3"}])
    spec = {"output_table_paths": ["//tmp/out"], "reduce_by": ["key", "subkey"],
            "join_by": ["key"], "reducer": ECHO_KEY_5}
    completed(run_raw(prod_client, "reduce", {
        "input_table_paths": ["//tmp/t1", "<foreign=%true>//tmp/t2"], **spec}))
    assert fake_yt.rows("//tmp/out") == [{"key": 5}]
    assert refused_with(run_raw(prod_client, "reduce", {
        "input_table_paths": ["//tmp/t1", "//tmp/t3", "<foreign=%true>//tmp/t2"], **spec})) == (
        "Sort columns have different types in input tables",
        {"column_name": "subkey", "input_table_1": "//tmp/t1", "type_1": "optional<int64>",
         "input_table_2": "//tmp/t3", "type_2": "optional<string>"})


def test_reduce_key_column_types_unchecked_when_the_spec_says_so(prod_client, fake_yt):
    # test_reduce_disable_check_key_column_types: validate_key_column_types false
    key_table(prod_client, "//tmp/t1", [("key", "int64", True)], [{"key": 5}])
    key_table(prod_client, "//tmp/t2", [("key", "string", True)], [{"key": "6"}])
    completed(run_raw(prod_client, "reduce", {
        "input_table_paths": ["//tmp/t1", "//tmp/t2"], "output_table_paths": ["//tmp/out"],
        "reduce_by": ["key"], "reducer": shell_job("cat >&2", enable_input_table_index=False),
        "validate_key_column_types": False, "job_count": 1}))
    assert job_input(fake_yt) == [['{"key":5}', '{"key":"6"}']]


# -- what the sort and map_reduce spec parsers refuse (start_operation fails) -------------
# the postprocessors of TSortOperationSpec and TMapReduceOperationSpec in
# yt/yt/ytlib/scheduler/config.cpp (fake/spec_postprocessors.py)

@pytest.mark.parametrize("kind, spec, message", [
    # test_empty_columns (test_sort_operation.py)
    ("sort", {"output_table_path": "//tmp/out", "sort_by": []},
     '"sort_by" option should be set in Sort operations'),
    # a map_reduce without sort_by or reduce_by
    ("map_reduce", {"output_table_paths": ["//tmp/out"], "reducer": shell_job("cat")},
     'At least one of the "sort_by" or "reduce_by" fields shold be specified'),
    # a map_reduce's reducer reads partitioned data, of no row or range index
    ("map_reduce", {"output_table_paths": ["//tmp/out"], "reduce_by": ["k"],
                    "reducer": shell_job("cat"), "mapper": shell_job("cat"),
                    "reduce_job_io": {"control_attributes": {"enable_row_index": True}}},
     '"row_index" control attribute is not supported by "reduce" jobs in map-reduce '
     'operation'),
    ("map_reduce", {"output_table_paths": ["//tmp/out"], "reduce_by": ["k"],
                    "reducer": shell_job("cat"),
                    "sort_job_io": {"control_attributes": {"enable_range_index": True}}},
     '"range_index" control attribute is not supported by "reduce_combiner" jobs in '
     'map-reduce operation'),
])
def test_spec_refused_when_the_operation_starts(prod_client, fake_yt, kind, spec, message):
    fake_yt.put_table("//tmp/in", [{"k": 1}])
    with pytest.raises(BackendError) as caught:
        run_raw(prod_client, kind, {"input_table_paths": ["//tmp/in"], **spec})
    assert message in str(caught.value)
    assert not fake_yt.jobs


# -- a sort into a table that has rows (test_sort_operation.py) ---------------------------

def sort_into(prod_client, output: str, sort_by: list[str]) -> dict:
    return run_as_given(prod_client, "sort", {"input_table_paths": ["//tmp/t_in"],
                                              "output_table_path": output, "sort_by": sort_by})


def test_sort_appends_after_the_rows_of_a_sorted_output(prod_client, fake_yt):
    # test_append_simple: with <append=true> the sorted rows follow the table's own, and
    # the table stays sorted by its key
    key_table(prod_client, "//tmp/t_out", [("key", "int64", True)], [{"key": 1}])
    fake_yt.put_table("//tmp/t_in", [{"key": 2}])
    completed(sort_into(prod_client, "<append=true>//tmp/t_out", ["key"]))
    assert fake_yt.rows("//tmp/t_out") == [{"key": 1}, {"key": 2}]
    assert prod_client.yt().get("//tmp/t_out/@sorted_by") == ["key"]


@pytest.mark.parametrize("columns, row, sort_by", [
    # test_append_different_key_columns: the table's key is shorter than sort_by
    ([("key", "int64", True), ("subkey", "int64", False)], {"key": 1, "subkey": 1},
     ["key", "subkey"]),
    # test_append_different_key_columns_2: longer
    ([("key", "int64", True), ("subkey", "int64", True)], {"key": 1, "subkey": 1}, ["key"]),
    # an unsorted table has no key at all
    ([("key", "int64", False)], {"key": 1}, ["key"]),
])
def test_sort_append_refused_under_another_key(prod_client, fake_yt, columns, row, sort_by):
    # TSortController::PrepareOutputTables (sort_controller.cpp) compares an appended
    # output's key columns with sort_by
    key_table(prod_client, "//tmp/t_out", columns, [row])
    fake_yt.put_table("//tmp/t_in", [{"key": 2, "subkey": 2}])
    info = sort_into(prod_client, "<append=true>//tmp/t_out", sort_by)
    assert info["state"] == "failed", info
    error = next(e for e in walk(info["result"]["error"])
                 if e["message"] == "sort_by is different from output table key columns")
    assert error["attributes"]["sort_by"] == sort_by
    assert error["attributes"]["output_table_key_columns"] == [
        name for name, _, key in columns if key]
    assert fake_yt.rows("//tmp/t_out") == [row]
    assert not fake_yt.jobs


def test_sort_overwrites_a_table_with_rows_without_append(prod_client, fake_yt):
    # test_sort_operation.py sorts into tables that held rows without append throughout;
    # the controller checks the key only for an append (PrepareOutputTables)
    key_table(prod_client, "//tmp/t_out", [("a", "int64", False)], [{"a": 9}])
    fake_yt.put_table("//tmp/t_in", [{"a": 2}, {"a": 1}])
    completed(sort_into(prod_client, "//tmp/t_out", ["a"]))
    assert fake_yt.rows("//tmp/t_out") == [{"a": 1}, {"a": 2}]


# -- computed columns (`expression` in a schema) ------------------------------------------

@pytest.mark.parametrize("column", [
    {"name": "h", "type": "uint64", "required": True, "expression": "farm_hash(k)"},
    {"name": "h", "type_v3": "uint64", "expression": "farm_hash(k)"},
])
def test_a_required_computed_column_is_refused(prod_client, fake_yt, column):
    # a computed column may not be required, nor a type_v3 that is no optional (Required
    # is !IsNullable): ValidateColumnSchema in yt/yt/client/table_client/schema.cpp
    with pytest.raises(YtResponseError) as caught:
        prod_client.yt().create("table", "//tmp/t", attributes={"schema": [
            {**column, "sort_order": "ascending"}, {"name": "k", "type": "int64"}]})
    assert messages(caught.value.error)[-3:] == [
        "New table schema is not valid", 'Error validating schema of column "h"',
        "Computed column cannot be required"]
    assert not prod_client.yt().exists("//tmp/t")


NOT_MODELLED = ('The fake YT proxy does not model computed columns: column "h" has the '
                'expression "farm_hash(k)", whose values a cluster computes on every write '
                "and the fake cannot")
COMPUTED = [{"name": "h", "type": "uint64", "sort_order": "ascending",
             "expression": "farm_hash(k)"},
            {"name": "k", "type": "int64", "sort_order": "ascending"}]


def test_a_table_with_a_computed_column_is_refused_as_not_modelled(prod_client, fake_yt):
    # a cluster checks the expression (ValidateComputedColumns in yt/yt/ytlib/table_client/
    # schema.cpp) and computes its values on every write; the fake evaluates no expression,
    # so it refuses the schema rather than keep rows without those values
    yt = prod_client.yt()
    with pytest.raises(YtResponseError) as caught:
        yt.create("table", "//tmp/t", attributes={"schema": COMPUTED})
    assert NOT_MODELLED in messages(caught.value.error)
    assert not yt.exists("//tmp/t")
    yt.create("table", "//tmp/t")
    with pytest.raises(YtResponseError) as caught:
        yt.write_table(f"<schema={yson_list(COMPUTED)}>//tmp/t", [{"k": 1}], format="json")
    assert NOT_MODELLED in messages(caught.value.error)
    assert fake_yt.rows("//tmp/t") == []


def test_an_operation_output_with_a_computed_column_is_refused(prod_client, fake_yt):
    fake_yt.put_table("//tmp/in", [{"k": 1}])
    info = run_raw(prod_client, "map", {
        "input_table_paths": ["//tmp/in"],
        "output_table_paths": [f"<schema={yson_list(COMPUTED)}>//tmp/t"],
        "mapper": shell_job("cat")})
    assert info["state"] == "failed"
    assert NOT_MODELLED in messages(info["result"]["error"])
    assert fake_yt.rows("//tmp/t") == []
    assert not fake_yt.jobs


def yson_list(columns: list[dict]) -> str:
    return yson.dumps(columns, yson_format="text").decode()


# -- vanilla (test_vanilla_operation.py) ---------------------------------------------------
# Every joblet gets the operation's next job index and its task's next task job index
# (TTask::ScheduleAllocation in yt/yt/server/controller_agent/controllers/task.cpp; the
# generator "increments each time a new job in this task is scheduled", task.h), so a job
# run again has new ones and keeps its cookie. A vanilla job is told its task's name
# (TVanillaTask::BuildJobEnvironment in controllers/vanilla_controller.cpp).

IDS_TO_STDERR = 'echo "$YT_TASK_NAME $YT_TASK_JOB_INDEX $YT_JOB_INDEX $YT_JOB_COOKIE" >&2'


def job_ids(fake_yt) -> list[list[str]]:
    """task name, task job index, job index and cookie of each job, as it printed them"""
    return [job.stderr.decode().split() for job in fake_yt.jobs]


def test_vanilla_task_job_index_counts_within_each_task(prod_client, fake_yt):
    # TestSchedulerVanillaCommands.test_task_job_index: the one job of `master` sees
    # YT_TASK_JOB_INDEX 0, the three of `slave` 0, 1 and 2; YT_JOB_INDEX counts them all
    info = run_raw(prod_client, "vanilla", {"tasks": {
        "master": shell_job(IDS_TO_STDERR, job_count=1),
        "slave": shell_job(IDS_TO_STDERR, job_count=3)}})
    completed(info)
    seen = job_ids(fake_yt)
    assert sorted((task, index) for task, index, _, _ in seen) == [
        ("master", "0"), ("slave", "0"), ("slave", "1"), ("slave", "2")]
    assert sorted(int(job_index) for _, _, job_index, _ in seen) == [0, 1, 2, 3]


def test_vanilla_job_run_again_has_a_new_task_job_index(prod_client, fake_yt):
    # TestSchedulerVanillaCommands.test_yt_job_cookie_in_env: the job of YT_JOB_INDEX 0
    # fails, and its cookie is seen twice; its second run is a new joblet of the task
    command = IDS_TO_STDERR + '; if [ "$YT_JOB_INDEX" = 0 ]; then exit 1; fi'
    info = run_raw(prod_client, "vanilla", {
        "tasks": {"task": shell_job(command, job_count=3)}, "max_failed_job_count": 2})
    completed(info)
    seen = job_ids(fake_yt)
    assert sorted(cookie for _, _, _, cookie in seen) == ["0", "0", "1", "2"]
    assert sorted(int(index) for _, index, _, _ in seen) == [0, 1, 2, 3]
    assert {index for _, index, _, cookie in seen if cookie == "0"} != {"0"}
    assert len({index for _, index, _, cookie in seen if cookie == "0"}) == 2


# -- merge (test_merge_operation.py) -------------------------------------------------------

@pytest.mark.parametrize("mode", ["unordered", "ordered", "sorted"])
def test_an_input_path_renaming_columns_is_refused_as_not_modelled(prod_client, fake_yt, mode):
    # TestSchedulerMergeCommands.test_rename_columns: a cluster merges //tmp/t2 read under
    # `<rename_columns={a2=a}>` as rows of `a`; the fake, not renaming, would write rows of
    # `a2` (or find the schemas incompatible), so it refuses the path instead
    yt = prod_client.yt()
    for path, column in (("//tmp/t1", "a"), ("//tmp/t2", "a2")):
        yt.create("table", path, attributes={
            "schema": [{"name": column, "type": "int64", "sort_order": "ascending"}]})
        yt.write_table(path, [{column: 1}, {column: 2}], format="json")
    yt.create("table", "//tmp/t_out")
    info = run_as_given(prod_client, "merge", {
        "input_table_paths": ["//tmp/t1", "<rename_columns={a2=a}>//tmp/t2"],
        "output_table_path": "//tmp/t_out", "mode": mode})
    assert info["state"] == "failed", info
    assert any("does not model rename_columns" in message
               for message in messages(info["result"]["error"])), info
    assert fake_yt.rows("//tmp/t_out") == []


# -- map_reduce (test_map_reduce_operation.py) ---------------------------------------------
# The TMapReduceOperationSpec postprocessor (yt/yt/ytlib/scheduler/config.cpp): reduce_by
# defaults to sort_by's columns; a mapper or reduce_combiner without a command is trivial
# (TOptionalUserJobSpec::IsNontrivial: Command != TString()), as if it were absent.

def test_map_reduce_commandless_mapper_passes_rows_through(prod_client, fake_yt):
    # TestSchedulerMapReduceCommands.test_commandless_user_job_spec: the mapper and the
    # reduce_combiner give only cpu_limit, and the output holds the input's rows
    fake_yt.put_table("//tmp/t_in", [{"key": i} for i in (2, 0, 1)])
    completed(run_raw(prod_client, "map_reduce", {
        "input_table_paths": ["//tmp/t_in"], "output_table_paths": ["//tmp/t_out"],
        "sort_by": ["key"], "reducer": shell_job("cat"),
        "mapper": {"cpu_limit": 1}, "reduce_combiner": {"cpu_limit": 1}}))
    assert fake_yt.rows("//tmp/t_out") == [{"key": 0}, {"key": 1}, {"key": 2}]
    assert [job.type for job in fake_yt.jobs] == ["reduce"]


def test_map_reduce_reduce_by_defaults_to_sort_by(prod_client, fake_yt):
    # a map_reduce of sort_by alone reduces by those columns: its reducer sees a key switch
    # between them (the postprocessor's `spec->ReduceBy = GetColumnNames(spec->SortBy)`)
    fake_yt.put_table("//tmp/in", [{"k": 2}, {"k": 1}, {"k": 2}])
    completed(run_raw(prod_client, "map_reduce", {
        "input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
        "sort_by": ["k"], "reducer": shell_job("cat >&2"), "partition_count": 1,
        "reduce_job_io": {"control_attributes": {"enable_key_switch": True}}}))
    assert job_input(fake_yt) == [['{"k":1}', control("key_switch", True), '{"k":2}', '{"k":2}']]


@pytest.mark.parametrize("spec, message", [
    # force_reduce_combiners with no reduce_combiner, or one without a command
    ({"force_reduce_combiners": True},
     'Found "force_reduce_combiners" without nontrivial "reduce_combiner" in operation spec'),
    ({"force_reduce_combiners": True, "reduce_combiner": {"cpu_limit": 1}},
     'Found "force_reduce_combiners" without nontrivial "reduce_combiner" in operation spec'),
    # test_map_output_table and test_sampling give mapper_output_table_count; its last
    # check: "There should be at least one non-mapper output table"
    ({"mapper_output_table_count": 1, "mapper": shell_job("cat")},
     'There should be at least one non-mapper output table; maybe you need "map" '
     'operation instead?'),
])
def test_map_reduce_spec_refused_when_it_starts(prod_client, fake_yt, spec, message):
    fake_yt.put_table("//tmp/in", [{"k": 1}])
    with pytest.raises(BackendError) as caught:
        run_raw(prod_client, "map_reduce", {
            "input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
            "sort_by": ["k"], "reducer": shell_job("cat"), **spec})
    assert message in str(caught.value)
    assert not fake_yt.jobs


@pytest.mark.parametrize("spec, refused", [
    # test_simple's force_reduce_combiners: a cluster runs the combiner over every
    # partition; the fake runs none, so it refuses rather than skip it
    ({"force_reduce_combiners": True, "reduce_combiner": shell_job("cat >/dev/null")},
     "does not model reduce combiners"),
    # test_map_output_table: the mapper's second stream goes to the first output table
    ({"mapper_output_table_count": 1, "mapper": shell_job("cat; echo '{\"a\":1}' >&4"),
      "output_table_paths": ["//tmp/out_map", "//tmp/out"]},
     "does not model mapper_output_table_count"),
])
def test_map_reduce_refused_as_not_modelled(prod_client, fake_yt, spec, refused):
    fake_yt.put_table("//tmp/in", [{"k": 1}])
    info = run_raw(prod_client, "map_reduce", {
        "input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
        "sort_by": ["k"], "reducer": shell_job("cat"), **spec})
    assert info["state"] == "failed", info
    assert any(refused in message for message in messages(info["result"]["error"])), info
    assert fake_yt.rows("//tmp/out") == []
    assert not fake_yt.jobs
