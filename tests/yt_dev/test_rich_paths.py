"""Rich YPaths in an operation's inputs, in dev: the rows and columns a cluster would feed
the jobs (YTsaurus docs, YPath: "Column selection" keeps only the named columns, "Row
ranges" `[#from:#to]` the rows from `from` up to, not including, `to`, ranges in the order
written)."""

from __future__ import annotations

import pytest

from yt_pipeline.errors import ConfigError
from yt_pipeline.operation_config import failing, read_section
from yt_pipeline.spec_keys import check_spec_section
from yt_pipeline_dev.launcher import launch

COPY = """
    from ytjobs import read_rows, write_rows
    write_rows(read_rows())
"""
ROWS = [{"id": i, "k": i % 3, "name": f"n{i}"} for i in range(10)]


@pytest.mark.parametrize("path, expected", [
    ("//in/t{id,name}", [{"id": i, "name": f"n{i}"} for i in range(10)]),
    ("//in/t[#2:#5]", ROWS[2:5]),
    ("//in/t[#7]", ROWS[7:8]),
    ("//in/t[#8:,:#1]", ROWS[8:] + ROWS[:1]),
    ("//in/t{id}[#1:#3]", [{"id": 1}, {"id": 2}]),
])
def test_map_reads_what_the_path_selects(dev_client, stages, path, expected):
    stages("m", {"src/mapper.py": COPY})
    dev_client.write_table("//in/t", ROWS)
    spec = stages.spec("map", "m", job_count=2, input_tables=[path],
                       output_tables=["//out/t"], mapper="src/mapper.py")
    launch(dev_client, spec)
    assert list(dev_client.read_table("//out/t")) == expected
    # the table itself is untouched
    assert list(dev_client.read_table("//in/t")) == ROWS


def test_reduce_groups_the_selected_rows(dev_client, stages):
    stages("r", {"src/reducer.py": """
        from ytjobs import groups, read_rows, write_rows
        for k, rows in groups(read_rows(), "k"):
            rows = list(rows)
            write_rows([{"k": k, "ids": [r["id"] for r in rows],
                         "cols": sorted({c for r in rows for c in r})}])
    """})
    dev_client.write_table("//in/t", ROWS)
    spec = stages.spec("reduce", "r", input_tables=["//in/t{k,id}[#0:#6]"],
                       output_tables=["//out/t"], reducer="src/reducer.py", reduce_by=["k"],
                       sort_by=["k"])
    launch(dev_client, spec)
    assert [(r["k"], sorted(r["ids"]), r["cols"]) for r in dev_client.read_table("//out/t")] \
        == [(0, [0, 3], ["id", "k"]), (1, [1, 4], ["id", "k"]), (2, [2, 5], ["id", "k"])]


def test_a_key_range_is_refused_when_launched(dev_client, stages):
    stages("m", {"src/mapper.py": COPY})
    dev_client.write_table("//in/t", ROWS)
    spec = stages.spec("map", "m", input_tables=["//in/t[(1):(5)]"],
                       output_tables=["//out/t"], mapper="src/mapper.py")
    with pytest.raises(ConfigError) as caught:
        launch(dev_client, spec)
    assert str(caught.value) == (
        "stage m: operation map: input_tables: only row ranges (#from:#to) are supported, got "
        "[(1):(5)] in '//in/t[(1):(5)]': key ranges depend on the table's sort order; filter "
        "the rows in the job or in YQL")
    assert not dev_client.exists("//out/t")


@pytest.mark.parametrize("key, path, message", [
    ("input_table", "//in/t[(1):(5)]", r"only row ranges \(#from:#to\) are supported, got "
                                       r"\[\(1\):\(5\)\]"),
    ("input_table", "<columns=[a]>//in/t", "table path attributes are not supported"),
    ("output_table", "<append=%true>//out/t", "use the operation's append: key"),
    ("output_table", "//out/t{a}", "an output table takes no column selection or row range"),
])
def test_unsupported_modifiers_are_refused_at_config_load(stages, key, path, message):
    stage_dir = stages("m", {"src/mapper.py": COPY})
    config = {"input_table": "//in/t", "output_table": "//out/t", key: path}
    fail = failing("m", "stages/m/config.yaml", "client.operations.map")
    with pytest.raises(ConfigError, match=message) as caught:
        read_section(config, "map", "map", stage_dir, fail)
    assert caught.value.file == "stages/m/config.yaml"
    assert caught.value.key == f"client.operations.map.{key}"
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("config, line", [
    # a reduce's foreign tables take a join_by, in the cluster's words (join_keys.py)
    ({"input_tables": ["//in/a", "<foreign=%true>//in/b"]},
     "stages/m/config.yaml: client.operations.reduce.join_by: stage m: It is required to "
     "specify join_by when using foreign tables"),
    ({"input_tables": ["//in/a", "<foreign=%true;append=%true>//in/b"], "join_by": ["k"]},
     "stages/m/config.yaml: client.operations.reduce.input_tables: stage m: table path "
     "attributes are not supported ('<foreign=%true;append=%true>//in/b'): a foreign table "
     "is written <foreign=%true>//table, with no other attribute (and the reduce's join_by)"),
    ({"output_tables": ["<sorted_by=[k]>//out/t"]},
     "stages/m/config.yaml: client.operations.reduce.output_tables: stage m: table path "
     "attributes are not supported ('<sorted_by=[k]>//out/t'): sorted outputs are not "
     "supported: sort the table with run_sort afterwards"),
    ({"sort_by": ["k", {"name": "t", "sort_order": "descending"}]},
     "stages/m/config.yaml: client.operations.reduce.sort_by: stage m: sort order "
     "'descending' is not supported: give column names, which sort ascending"),
    # the key names the section's input key (input_table here)
    ({"join_by": ["k"]},
     "stages/m/config.yaml: client.operations.reduce.input_table: stage m: At least one "
     "foreign input table is required when join_by is specified: mark it in input_tables as "
     "<foreign=%true>//table"),
    # the same keys given as raw YT spec keys: prod would send them and dev ignore them
    ({"spec": {"join_by": ["k"], "input_table_paths": ["//in/t", "<foreign=%true>//in/b"]}},
     "stages/m/config.yaml: client.operations.reduce.spec.join_by: stage m: join_by changes "
     "the rows the jobs get or write, which dev does not model, so neither mode takes it: "
     "write the section's own join_by key and mark the foreign tables in input_tables "
     "(<foreign=%true>//table), which both modes run"),
    ({"spec": {"input_table_paths": ["//in/t", "<foreign=%true>//in/b"]}},
     "stages/m/config.yaml: client.operations.reduce.spec.input_table_paths: stage m: "
     "input_table_paths changes the rows the jobs get or write, which dev does not model, so "
     "neither mode takes it: write the section's own input_tables key, which both modes run"),
    ({"spec": {"enable_key_guarantee": False}},
     "stages/m/config.yaml: client.operations.reduce.spec.enable_key_guarantee: stage m: "
     "enable_key_guarantee changes the rows the jobs get or write, which dev does not model, "
     "so neither mode takes it: a key's rows always reach one job, as on a cluster by "
     "default"),
    ({"spec": {"reducer": {"tmpfs_path": ".", "input_format": "yson"}}},
     "stages/m/config.yaml: client.operations.reduce.spec.reducer.input_format: stage m: "
     "input_format changes the rows the jobs get or write, which dev does not model, so "
     "neither mode takes it: jobs read and write JSON lines in both modes, which ytjobs "
     "reads and writes"),
    ({"spec": {"reducer": {"enable_input_table_index": True}}},
     "stages/m/config.yaml: client.operations.reduce.spec.reducer.enable_input_table_index: "
     "stage m: enable_input_table_index changes the rows the jobs get or write, which dev "
     "does not model, so neither mode takes it: a job's input carries table switches "
     "exactly when the operation reads more than one table, in both modes"),
    ({"spec": ["join_by"]},
     "stages/m/config.yaml: client.operations.reduce.spec: stage m: must be a mapping of YT "
     "operation spec keys"),
])
def test_reduce_options_not_run_here_are_refused_in_one_line(stages, config, line):
    stage_dir = stages("m", {"src/reducer.py": COPY})
    section = {"input_table": "//in/t", "output_table": "//out/t", "reduce_by": ["k"],
               **config}
    fail = failing("m", "stages/m/config.yaml", "client.operations.reduce")
    with pytest.raises(ConfigError) as caught:
        read_section(section, "reduce", "reduce", stage_dir, fail)
    assert str(caught.value) == line


def test_spec_keys_that_only_schedule_are_kept_for_prod(stages):
    # title, time_limit, a job's tmpfs: how a cluster runs the jobs, not their rows
    stage_dir = stages("m", {"src/reducer.py": COPY})
    spec = {"title": "t", "time_limit": 60000, "reducer": {"tmpfs_path": "."}}
    section = {"input_table": "//in/t", "output_table": "//out/t", "reduce_by": ["k"],
               "spec": spec}
    fail = failing("m", "stages/m/config.yaml", "client.operations.reduce")
    assert read_section(section, "reduce", "reduce", stage_dir, fail).reduce_by == ["k"]
    assert check_spec_section(spec, fail) == spec


def test_a_join_reduce_section_reads_its_foreign_tables_and_join_by(stages):
    stage_dir = stages("m", {"src/reducer.py": COPY})
    section = {"input_tables": ["<foreign=%true>//in/hosts", "//in/urls"],
               "output_table": "//out/t", "reduce_by": ["host", "url"], "join_by": "host"}
    fail = failing("m", "stages/m/config.yaml", "client.operations.reduce")
    read = read_section(section, "reduce", "reduce", stage_dir, fail)
    assert (read.inputs, read.join_by) == (section["input_tables"], ["host"])


@pytest.mark.parametrize("kind, config, line", [
    ("map", {"input_tables": ["//in/a", "<foreign=%true>//in/b"]},
     "stages/m/config.yaml: client.operations.map.input_tables: stage m: foreign tables and "
     "join_by are a reduce's only, not a map's"),
    ("reduce", {"output_tables": ["<foreign=%true>//out/t"], "join_by": ["k"],
                "input_tables": ["//in/a", "<foreign=%true>//in/b"]},
     "stages/m/config.yaml: client.operations.reduce.output_tables: stage m: an output table "
     "cannot be foreign: '<foreign=%true>//out/t'"),
    ("reduce", {"join_by": [{"name": "k", "sort_order": "descending"}],
                "input_tables": ["//in/a", "<foreign=%true>//in/b"]},
     "stages/m/config.yaml: client.operations.reduce.join_by: stage m: sort order "
     "'descending' is not supported: give column names, which sort ascending"),
])
def test_join_keys_out_of_place_are_refused_in_one_line(stages, kind, config, line):
    stage_dir = stages("m", {"src/reducer.py": COPY, "src/mapper.py": COPY})
    section = {"input_table": "//in/t", "output_table": "//out/t", "reduce_by": ["k"],
               **config}
    if kind == "map":
        del section["reduce_by"]
    fail = failing("m", "stages/m/config.yaml", f"client.operations.{kind}")
    with pytest.raises(ConfigError) as caught:
        read_section(section, kind, kind, stage_dir, fail)
    assert str(caught.value) == line
