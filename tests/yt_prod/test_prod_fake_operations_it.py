"""The fake proxy against YTsaurus's own integration tests of map, reduce and map_reduce
(yt/yt/tests/integration/tests/controller/test_map_operation.py, test_reduce_operation.py,
test_map_reduce_operation.py in ytsaurus/ytsaurus): each test here names the integration
test it follows and gives the rows, messages or job input that test expects of a cluster,
in JSON where the integration test reads YSON."""

from __future__ import annotations

import pytest
from test_prod_fake_inputs import run_raw, switch, write_sorted

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
