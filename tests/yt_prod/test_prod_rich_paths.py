"""Rich YPaths in an operation's inputs, through the real client and the fake proxy.

The spec carries the path as the configuration wrote it (`"//t{id,k}[#1:#4]"`, a string);
a cluster's scheduler parses that syntax itself: Deserialize(TRichYPath&, INodePtr)
normalizes the path (yt/yt/client/ypath/rich.cpp), and the jobs then read only the
selected columns and rows (YTsaurus docs, YPath: "Column selection", "Row ranges").
"""

from __future__ import annotations

import pytest
from prod_packages import build_package

from yt_pipeline.operations import OperationSpec
from yt_pipeline_prod import plugin

COPY = """
from ytjobs import read_rows, write_rows
write_rows(read_rows())
"""
REDUCER = """
from ytjobs import groups, read_rows, write_rows
for key, rows in groups(read_rows(), "k"):
    rows = list(rows)
    write_rows([{"k": key, "ids": sorted(r["id"] for r in rows),
                 "cols": sorted({c for r in rows for c in r})}])
"""
ROWS = [{"id": i, "k": i % 3, "name": f"n{i}"} for i in range(10)]


@pytest.fixture
def package(tmp_path):
    return build_package(tmp_path / ".build", {
        "clean": {"src/mapper.py": COPY, "src/reducer.py": REDUCER}})


def spec_for(kind, package, tmp_path, **fields):
    return OperationSpec(kind=kind, stage_name="clean", name=kind,
                         stage_dir=tmp_path / "stages" / "clean", pipeline_dir=tmp_path,
                         code_package=package, **fields)


@pytest.mark.parametrize("path, expected", [
    ("//tmp/in{id,name}", [{"id": i, "name": f"n{i}"} for i in range(10)]),
    ("//tmp/in[#2:#5]", ROWS[2:5]),
    ("//tmp/in{id}[#8:,:#1]", [{"id": 8}, {"id": 9}, {"id": 0}]),
])
def test_map_reads_what_the_path_selects(prod_client, fake_yt, package, tmp_path, path,
                                         expected):
    fake_yt.put_table("//tmp/in", ROWS)
    plugin.launch_operation(prod_client, spec_for(
        "map", package, tmp_path, input_tables=[path], output_tables=["//tmp/out"],
        mapper="src/mapper.py"))
    assert fake_yt.rows("//tmp/out") == expected
    assert fake_yt.specs[-1]["input_table_paths"] == [path]


def test_reduce_of_an_unsorted_selection(prod_client, fake_yt, package, tmp_path):
    # the sort order is read from the table, not from the path with its selectors
    fake_yt.put_table("//tmp/in", ROWS)
    plugin.launch_operation(prod_client, spec_for(
        "reduce", package, tmp_path, input_tables=["//tmp/in{k,id}[#0:#6]"],
        output_tables=["//tmp/out"], reducer="src/reducer.py", reduce_by=["k"],
        sort_by=["k"]))
    assert fake_yt.rows("//tmp/out") == [
        {"k": 0, "ids": [0, 3], "cols": ["id", "k"]},
        {"k": 1, "ids": [1, 4], "cols": ["id", "k"]},
        {"k": 2, "ids": [2, 5], "cols": ["id", "k"]}]
