"""A reduce over a sorted input read through a column selection that leaves out a key
column is refused alike in both modes, before any job runs: a cluster refuses it while
preparing, in the words of validateColumnFilter in TOperationControllerBase::
CheckInputTablesSorted (yt/yt/server/controller_agent/controllers/
operation_controller_detail.cpp), as the integration test test_column_filter
(yt/yt/tests/integration/tests/controller/test_reduce_operation.py) expects. Dev ran it,
grouping the rows by the columns it kept."""

from __future__ import annotations

import pytest
from test_prod_dev_parity import ECHO, Backends

from yt_pipeline.errors import OperationFailed
from yt_pipeline_dev.launcher import launch as dev_launch

pytest.importorskip("duckdb", reason="YQL runs on DuckDB in dev and in the fake")

REFUSED = 'Column filter for input table //in/t must include key column "v"'


@pytest.fixture
def both(tmp_path, prod_client, fake_yt):
    """//in/t in both modes: written by YQL (a strict schema, which dev keeps the sort order
    of), then sorted by k, v in place, as a user sorts it."""
    both = Backends(tmp_path, prod_client, fake_yt, {"src/echo.py": ECHO})
    query = ("INSERT INTO `//in/t` WITH TRUNCATE SELECT * FROM "
             "(VALUES (1, 2, 'a'), (1, 1, 'b'), (0, 5, 'c')) AS t(k, v, w)")
    both.dev.run_yql(query)
    both.prod.run_yql(query)
    both.run(both.spec("sort", input_tables=["//in/t"], output_tables=["//in/t"],
                       sort_by=["k", "v"]))
    return both


def test_a_column_selection_without_a_reduce_by_column_is_refused(both):
    spec = both.spec("reduce", reducer="src/echo.py", input_tables=["//in/t{k,w}"],
                     output_tables=["//out/lines"], reduce_by=["k", "v"])
    for run in (lambda: dev_launch(both.dev, spec), lambda: both.run_prod(spec)):
        with pytest.raises(OperationFailed) as caught:
            run()
        assert REFUSED in str(caught.value)
    assert not both.dev.exists("//out/lines")


def test_a_column_selection_that_keeps_the_key_runs(both):
    spec = both.spec("reduce", reducer="src/echo.py", input_tables=["//in/t{k,v}"],
                     output_tables=["//out/lines"], reduce_by=["k"])
    both.run(spec)
    dev, prod = both.rows("//out/lines")
    assert dev == prod
    assert [line["line"] for line in prod] == ['{"k":0,"v":5}', '{"k":1,"v":1}',
                                               '{"k":1,"v":2}']
