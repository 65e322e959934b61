"""A reduce whose inputs' schemas give a key column types that compare apart is refused
alike in both modes, before any job runs: a cluster's reduce controller refuses it while
preparing ("Sort columns have different types in input tables":
CheckInputTableSortColumnTypes, called by TReduceController::AdjustSortColumns in
yt/yt/server/controller_agent/controllers/sorted_controller.cpp), as the integration test
test_reduce_different_types (yt/yt/tests/integration/tests/controller/
test_reduce_operation.py) expects. Types of one physical type agree (int32 and int64:
GetPhysicalType in yt/yt/client/table_client/row_base.h; test_reduce_different_logical_types).
Dev ran such a reduce, ordering the int64 keys before the string ones."""

from __future__ import annotations

import pytest
from test_prod_dev_parity import ECHO, Backends

from yt_pipeline.errors import OperationFailed
from yt_pipeline_dev.launcher import launch as dev_launch

pytest.importorskip("duckdb", reason="YQL runs on DuckDB in dev and in the fake")


def _sorted_by_yql(both: Backends, path: str, values: str) -> None:
    """`path` written by YQL (a strict schema of the literal's types), sorted by k."""
    query = (f"INSERT INTO `{path}` WITH TRUNCATE SELECT * FROM (VALUES {values}) "
             "AS t(k, w) ORDER BY k")
    both.dev.run_yql(query)
    both.prod.run_yql(query)


@pytest.fixture
def both(tmp_path, prod_client, fake_yt):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/echo.py": ECHO})
    _sorted_by_yql(both, "//in/ints", "(1, 'a'), (2, 'b')")
    # an Int64 column: one physical type with Int32's
    _sorted_by_yql(both, "//in/more_ints", "(CAST(2 AS Int64), 'c')")
    _sorted_by_yql(both, "//in/strings", "('1', 'd')")
    return both


def test_a_key_column_of_two_types_is_refused(both):
    spec = both.spec("reduce", reducer="src/echo.py", input_tables=["//in/ints", "//in/strings"],
                     output_tables=["//out/lines"], reduce_by=["k"])
    told = []
    for run in (lambda: dev_launch(both.dev, spec), lambda: both.run_prod(spec)):
        with pytest.raises(OperationFailed) as caught:
            run()
        told.append(str(caught.value))
        assert "Sort columns have different types in input tables" in told[-1]
    # dev names the column and the tables, as the cluster's error attributes do
    assert ("column_name: k; input_table_1: //in/ints; type_1: optional<int32>; "
            "input_table_2: //in/strings; type_2: optional<string>") in told[0]
    assert not both.dev.exists("//out/lines")


def test_a_key_column_of_one_type_runs(both):
    spec = both.spec("reduce", reducer="src/echo.py",
                     input_tables=["//in/ints", "//in/more_ints"],
                     output_tables=["//out/lines"], reduce_by=["k"])
    both.run(spec)
    dev, prod = both.rows("//out/lines")
    assert dev == prod
    assert [row["line"] for row in prod if "$attributes" not in row["line"]] == [
        '{"k":1,"w":"a"}', '{"k":2,"w":"b"}', '{"k":2,"w":"c"}']


def test_the_check_is_off_when_the_spec_says_so(both):
    spec = both.spec("reduce", reducer="src/echo.py", input_tables=["//in/ints", "//in/strings"],
                     output_tables=["//out/lines"], reduce_by=["k"],
                     extra_spec={"validate_key_column_types": False})
    both.run(spec)
    dev, prod = both.rows("//out/lines")
    assert dev == prod
    assert [row["line"] for row in prod if "$attributes" not in row["line"]] == [
        '{"k":1,"w":"a"}', '{"k":2,"w":"b"}', '{"k":"1","w":"d"}']
