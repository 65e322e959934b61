"""Key columns and output tables given twice: the scheduler refuses such a spec while
parsing it (yt_pipeline_prod/fake/spec_lists.py names its checks: ValidateSortColumns,
ValidateKeyColumns, ValidateOutputTablePaths in ytsaurus/ytsaurus), so start_operation
fails on a stock cluster. The fake proxy refuses it in the same words, and an operation
configured so is refused before anything starts, in both modes alike."""

from __future__ import annotations

import pytest
from prod_packages import build_package

from yt_pipeline.errors import ConfigError, YtPipelineError
from yt_pipeline.operations import OperationSpec, check_spec
from yt_pipeline_prod import plugin

COPY = """
from ytjobs import read_rows, write_rows

write_rows(read_rows())
"""


@pytest.fixture
def package(tmp_path):
    return build_package(tmp_path / ".build", {"clean": {"src/copy.py": COPY}})


def start_raw(prod_client, kind, spec):
    from yt.wrapper.driver import make_formatted_request

    return make_formatted_request("start_operation", {"operation_type": kind, "spec": spec},
                                  format=None, client=prod_client.yt())


def refused_by_fake(prod_client, kind, spec) -> str:
    import yt.wrapper as yt

    with pytest.raises(yt.YtError) as caught:
        start_raw(prod_client, kind, spec)
    return str(caught.value)


# -- the fake proxy refuses what the scheduler refuses ------------------------------------

def test_the_fake_refuses_a_sort_column_given_twice(prod_client, fake_yt):
    fake_yt.put_table("//tmp/in", [{"a": 1}])
    message = refused_by_fake(prod_client, "sort", {
        "input_table_paths": ["//tmp/in"], "output_table_path": "//tmp/in",
        "sort_by": ["a", "a"]})
    assert 'Duplicate sort column name "a"' in message
    assert not fake_yt.state.operations


def test_the_fake_refuses_a_reduce_column_given_twice(prod_client, fake_yt):
    fake_yt.put_table("//tmp/in", [{"a": 1}])
    message = refused_by_fake(prod_client, "reduce", {
        "input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
        "reduce_by": ["a", "a"], "reducer": {"command": "cat"}})
    assert 'Duplicate sort column name "a"' in message


def test_the_fake_refuses_a_map_reduce_key_column_given_twice(prod_client, fake_yt):
    # with no sort_by the map_reduce's reduce_by is checked by ValidateKeyColumns
    fake_yt.put_table("//tmp/in", [{"a": 1}])
    message = refused_by_fake(prod_client, "map_reduce", {
        "input_table_paths": ["//tmp/in"], "output_table_paths": ["//tmp/out"],
        "reduce_by": ["a", "a"], "reducer": {"command": "cat"}})
    assert 'Duplicate key column name "a"' in message


def test_the_fake_refuses_an_output_table_given_twice(prod_client, fake_yt):
    import yt.wrapper as yt

    fake_yt.put_table("//tmp/in", [{"a": 1}])
    out = yt.TablePath("//tmp/out", append=False)
    message = refused_by_fake(prod_client, "map", {
        "input_table_paths": ["//tmp/in"], "output_table_paths": [out, out],
        "mapper": {"command": "cat"}})
    assert "Duplicate entries in output_table_paths are not allowed" in message
    assert not fake_yt.state.operations


def test_the_fake_takes_one_table_twice_with_other_attributes(prod_client, fake_yt):
    # ValidateOutputTablePaths compares whole paths: only equal entries are refused there
    import yt.wrapper as yt

    fake_yt.put_table("//tmp/in", [{"a": 1}])
    start_raw(prod_client, "map", {
        "input_table_paths": ["//tmp/in"], "mapper": {"command": "cat"},
        "output_table_paths": [yt.TablePath("//tmp/out", append=False),
                               yt.TablePath("//tmp/out", append=True)]})
    fake_yt.wait_idle()


# -- prod sends none of them ----------------------------------------------------------------

def map_spec(package, tmp_path, **fields):
    values = {"kind": "map", "stage_name": "clean", "name": "copy",
              "stage_dir": tmp_path / "stages" / "clean", "pipeline_dir": tmp_path,
              "code_package": package, "input_tables": ["//tmp/in"],
              "output_tables": ["//tmp/out"], "mapper": "src/copy.py"}
    values.update(fields)
    return OperationSpec(**values)


def refused(prod_client, spec) -> str:
    with pytest.raises(YtPipelineError) as caught:
        plugin.launch_operation(prod_client, spec)
    return str(caught.value)


def test_an_output_table_listed_twice_is_refused_before_the_run(prod_client, fake_yt,
                                                                 package, tmp_path):
    fake_yt.put_table("//tmp/in", [{"a": 1}])
    spec = map_spec(package, tmp_path, output_tables=["//tmp/out", "//tmp/out"])
    message = refused(prod_client, spec)
    assert "output_tables: //tmp/out is listed twice" in message
    assert fake_yt.calls["start_operation"] == 0


@pytest.mark.parametrize("kind, fields", [
    ("sort", {"sort_by": ["a", "a"], "output_tables": ["//tmp/sorted"]}),
    ("reduce", {"reduce_by": ["a", "a"], "reducer": "src/copy.py", "mapper": None}),
    ("reduce", {"reduce_by": ["a"], "sort_by": ["a", "b", "a"], "reducer": "src/copy.py",
                "mapper": None}),
])
def test_a_key_column_listed_twice_is_refused_before_the_run(prod_client, fake_yt, package,
                                                             tmp_path, kind, fields):
    fake_yt.put_table("//tmp/in", [{"a": 1, "b": 2}])
    spec = map_spec(package, tmp_path, kind=kind, **fields)
    message = refused(prod_client, spec)
    assert "column a is listed twice" in message
    assert fake_yt.calls["start_operation"] == 0


def test_the_spec_check_both_modes_run_refuses_repeats(package, tmp_path):
    with pytest.raises(ConfigError, match="output_tables: //tmp/out is listed twice"):
        check_spec(map_spec(package, tmp_path, output_tables=["//tmp/out", "//tmp/out"]))
    with pytest.raises(ConfigError, match="join_by: column k is listed twice"):
        check_spec(map_spec(package, tmp_path, kind="reduce", mapper=None,
                            reducer="src/copy.py", reduce_by=["k"], join_by=["k", "k"],
                            input_tables=["//tmp/in", "<foreign=%true>//tmp/f"]))


@pytest.mark.parametrize("section, line", [
    ({"output_tables": ["//out/t", "//out/u", "//out/t"]},
     "stages/m/config.yaml: client.operations.map.output_tables: stage m: //out/t is listed "
     "twice: an operation writes each output table once"),
    ({"output_table": "//out/t", "sort_by": ["k", "v", "k"]},
     "stages/m/config.yaml: client.operations.map.sort_by: stage m: column k is listed twice"),
    ({"output_table": "//out/t", "reduce_by": ["k", "k"]},
     "stages/m/config.yaml: client.operations.map.reduce_by: stage m: column k is listed "
     "twice"),
])
def test_a_section_with_a_repeat_is_refused_when_the_configuration_is_read(tmp_path, section,
                                                                          line):
    from yt_pipeline.operation_config import failing, read_section

    fail = failing("m", "stages/m/config.yaml", "client.operations.map")
    with pytest.raises(ConfigError) as caught:
        read_section({"input_table": "//in/t", **section}, None, "map", tmp_path, fail)
    assert str(caught.value) == line
