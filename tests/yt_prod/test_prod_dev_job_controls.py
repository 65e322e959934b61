"""An operation's `spec: {job_io: {control_attributes: ...}}` in both modes: the jobs read
the same control rows in dev as on the fake proxy, which writes them as a cluster's format
writer does (yt_pipeline/control_rows.py: TSchemalessFormatWriterBase's
WriteControlAttributes, CheckKeySwitch and Close in yt/yt/client/formats/
schemaless_writer_adapter.cpp). Dev gave its jobs none of them. What dev cannot give (a
reducer's row indexes) is refused in dev before any job runs.

Output path attributes (`<row_count_limit=3>//t`, `<create=true>//t`) cannot be given at
all: both modes refuse them in the operation's own tables and under `spec:`.
"""

from __future__ import annotations

import pytest
from test_prod_dev_parity import ECHO, ORDERS, USERS, Backends

from yt_pipeline.errors import ConfigError
from yt_pipeline.operation_config import failing, read_section
from yt_pipeline_dev.launcher import launch as dev_launch

READER = """
from ytjobs import read_indexed_rows, write_row

for table, row in read_indexed_rows():
    write_row({"table": table, **row})
"""


def control(name: str, value) -> str:
    text = "true" if value is True else str(value)
    return f'{{"$attributes":{{"{name}":{text}}},"$value":null}}'


def job_io(*names: str) -> dict:
    return {"job_io": {"control_attributes": {f"enable_{name}": True for name in names}}}


@pytest.fixture
def both(tmp_path, prod_client, fake_yt):
    return Backends(tmp_path, prod_client, fake_yt,
                    {"src/echo.py": ECHO, "src/reader.py": READER})


def lines(both: Backends, table: str = "//out/lines") -> list[str]:
    dev, prod = both.rows(table)
    assert dev == prod, (dev, prod)
    return [row["line"] for row in prod]


def test_a_map_reads_range_and_row_indexes_and_the_end_of_stream(both):
    # test_ordered_several_ranges and test_end_of_stream (yt/yt/tests/integration/tests/
    # controller/test_map_operation.py): the table index, then the range index when the
    # range changes, then the row index when either was written or the rows skip; the end
    # of the stream after the last row
    both.put("//in/t", [{"k": i} for i in range(4)])
    both.put("//in/u", [{"k": 9}])
    both.run(both.spec("map", mapper="src/echo.py",
                       input_tables=["//in/t[#0:#2,#3:#4]", "//in/u"],
                       output_tables=["//out/lines"],
                       extra_spec=job_io("row_index", "range_index", "end_of_stream")))
    assert lines(both) == [
        control("table_index", 0), control("range_index", 0), control("row_index", 0),
        '{"k":0}', '{"k":1}',
        control("range_index", 1), control("row_index", 3), '{"k":3}',
        control("table_index", 1), control("range_index", 0), control("row_index", 0),
        '{"k":9}', control("end_of_stream", True)]


def test_a_map_of_one_whole_table_gets_one_row_index(both):
    # with one input no table index (InitEnableInputTableIndex); the rows follow each
    # other, so one row index before the first; a map has no key, so no key switch
    # (GetKeySwitchColumnCount in yt/yt/ytlib/job_proxy/job_spec_helper.cpp)
    both.put("//in/t", [{"k": i} for i in range(3)])
    both.run(both.spec("map", mapper="src/echo.py", input_tables=["//in/t[#1:]"],
                       output_tables=["//out/lines"], extra_spec=job_io("row_index",
                                                                         "key_switch")))
    assert lines(both) == [control("row_index", 1), '{"k":1}', '{"k":2}']


def test_ytjobs_readers_skip_the_control_rows(both):
    both.put("//in/t", [{"k": 0}, {"k": 1}])
    both.put("//in/u", [{"k": 2}])
    both.run(both.spec("map", mapper="src/reader.py", input_tables=["//in/t[#1:]", "//in/u"],
                       output_tables=["//out/rows"],
                       extra_spec=job_io("row_index", "range_index", "end_of_stream")))
    dev, prod = both.rows("//out/rows")
    assert dev == prod == [{"table": 0, "k": 1}, {"table": 1, "k": 2}]


@pytest.mark.parametrize("sorted_input", [True, False])
def test_a_reduce_reads_key_switches_between_its_keys(both, sorted_input):
    # test_key_switch_yson (test_reduce_operation.py): a key switch before each new key,
    # none before the first row. An unsorted input makes prod run a map_reduce, whose
    # reducer reads as reduce_job_io says (TMapReduceOperationSpec in yt/yt/ytlib/
    # scheduler/config.cpp has no job_io): prod sent job_io there, and the reducer got none
    rows = [{"key": "b", "n": 1}, {"key": "a", "n": 2}, {"key": "b", "n": 3}]
    both.put("//in/t", rows)
    if sorted_input:
        both.run(both.spec("sort", input_tables=["//in/t"], output_tables=["//in/t"],
                           sort_by=["key"]))
    both.run(both.spec("reduce", reducer="src/echo.py", input_tables=["//in/t"],
                       output_tables=["//out/lines"], reduce_by=["key"], sort_by=["key"],
                       extra_spec=job_io("key_switch", "end_of_stream")))
    assert lines(both) == ['{"key":"a","n":2}', control("key_switch", True),
                           '{"key":"b","n":1}', '{"key":"b","n":3}',
                           control("end_of_stream", True)]


def test_a_key_switch_comes_before_the_table_switch(both):
    # CheckKeySwitch runs before WriteControlAttributes for each row
    both.put("//in/users", USERS)
    both.put("//in/orders", ORDERS)
    both.run(both.spec("reduce", reducer="src/echo.py",
                       input_tables=["//in/users", "//in/orders"],
                       output_tables=["//out/lines"], reduce_by=["user"], sort_by=["user"],
                       extra_spec=job_io("key_switch")))
    got = lines(both)
    assert got[:5] == [control("table_index", 0), '{"user":"u1","name":"Al"}',
                       control("table_index", 1), '{"user":"u1","order":3}',
                       '{"user":"u1","order":2}']
    assert got[5:8] == [control("key_switch", True), control("table_index", 0),
                        '{"user":"u2","name":"Bo"}']


@pytest.mark.parametrize("kind, key", [("reduce", "job_io"), ("map_reduce", "reduce_job_io")])
@pytest.mark.parametrize("name", ["row_index", "range_index"])
def test_a_reducers_row_indexes_are_refused_in_dev_before_any_job(both, kind, key, name):
    both.put("//in/t", [{"key": "a"}])
    spec = both.spec(kind, reducer="src/echo.py", input_tables=["//in/t"],
                     output_tables=["//out/lines"], reduce_by=["key"],
                     mapper="src/echo.py" if kind == "map_reduce" else None,
                     extra_spec={key: job_io(name)["job_io"]})
    with pytest.raises(ConfigError) as caught:
        dev_launch(both.dev, spec)
    message = str(caught.value)
    assert f"spec.{key}.control_attributes.enable_{name}: dev does not give" in message
    assert "\n" not in message
    assert not both.dev.exists("//out/lines")
    assert not list((both.root / ".dev").rglob("*.stderr"))  # no job ran


@pytest.mark.parametrize("path, hint", [
    ("<row_count_limit=3>//out/t", "keeps every job's rows"),
    ("<create=true>//out/t", "created for you"), ("<create=%true>//out/t", "created for you")])
def test_output_path_attributes_are_refused_in_both_modes(both, tmp_path, path, hint):
    # Refused by yt_pipeline.table_paths.parse, which both the configuration's check
    # (operation_config.table_list) and each backend's launch (operations.check_spec) run;
    # under spec:, output_table_paths is refused by spec_keys.ROW_KEYS and
    # operation_config.check_spec_tables
    both.put("//in/t", [{"k": 1}])
    spec = both.spec("map", mapper="src/echo.py", input_tables=["//in/t"], output_tables=[path])
    for run in (lambda: dev_launch(both.dev, spec), lambda: both.run_prod(spec)):
        with pytest.raises(ConfigError, match="table path attributes are not supported") as met:
            run()
        assert hint in str(met.value)
    fail = failing("s", "stages/s/config.yaml", "client.operations.map")
    with pytest.raises(ConfigError, match="table path attributes are not supported") as caught:
        read_section({"input_table": "//in/t", "output_table": path}, None, "map",
                     tmp_path, fail)
    assert caught.value.key == "client.operations.map.output_table"
    with pytest.raises(ConfigError) as caught:
        read_section({"input_table": "//in/t", "output_table": "//out/t",
                      "spec": {"output_table_paths": [path]}}, None, "map", tmp_path, fail)
    assert caught.value.key == "client.operations.map.spec.output_table_paths"
    assert not both.dev.exists("//out/t") and not both.prod.exists("//out/t")
