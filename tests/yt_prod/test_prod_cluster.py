"""The same scenarios against a real cluster; run only where YT_PROXY and YT_TOKEN are set.

    YT_PROXY=my-cluster YT_TOKEN=... pytest tests/yt_prod -m cluster
"""

from __future__ import annotations

import os
import uuid

import pytest
from prod_packages import build_package

from yt_pipeline.errors import OperationFailed, QueryFailed, TableNotFound
from yt_pipeline.operations import OperationSpec, Resources
from yt_pipeline_prod.client import ProdClient
from yt_pipeline_prod.launcher import launch
from yt_pipeline_prod.settings import ProdSettings
from yt_pipeline_prod.upload import ensure_uploaded

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(not (os.environ.get("YT_PROXY") and os.environ.get("YT_TOKEN")),
                       reason="needs a real cluster: set YT_PROXY and YT_TOKEN"),
]

MAPPER = """
from ytjobs import read_rows, write_rows
write_rows({"id": r["id"], "twice": r["id"] * 2} for r in read_rows())
"""
FAILING = "import sys\nprint('cluster job failed on purpose', file=sys.stderr)\nsys.exit(2)\n"


@pytest.fixture
def cluster():
    root = f"//tmp/yt_pipeline_tests/{uuid.uuid4().hex[:12]}"
    client = ProdClient(ProdSettings(proxy=os.environ["YT_PROXY"], token=os.environ["YT_TOKEN"],
                                     build_folder=f"{root}/build", poll_interval_s=1.0))
    client.create_path(root)
    try:
        yield client, root
    finally:
        client.remove(root, recursive=True)
        client.close()


def _spec(kind, root, package, tmp_path, **fields):
    return OperationSpec(kind=kind, stage_name="s", name=kind, stage_dir=tmp_path,
                         pipeline_dir=tmp_path, code_package=package,
                         max_failed_job_count=1, **fields)


def test_tables_on_the_cluster(cluster):
    client, root = cluster
    table = f"{root}/t"
    client.write_table(table, [{"a": 1}])
    client.write_table(table, [{"a": 2}], append=True)
    assert list(client.read_table(table)) == [{"a": 1}, {"a": 2}]
    assert client.row_count(table) == 2 and client.exists(table)
    assert client.list(root) == ["t"]
    with pytest.raises(TableNotFound):
        client.read_table(f"{root}/missing")
    client.remove(table)
    assert not client.exists(table)


def test_upload_map_and_failure_on_the_cluster(cluster, tmp_path):
    client, root = cluster
    package = build_package(tmp_path / "b", {"s": {"src/mapper.py": MAPPER,
                                                   "src/failing.py": FAILING}})
    ensure_uploaded(client, package)
    fresh = ProdClient(client.settings)
    ensure_uploaded(fresh, package)  # already there: nothing to send
    client.write_table(f"{root}/in", [{"id": i} for i in range(5)])
    launch(client, _spec("map", root, package, tmp_path, input_tables=[f"{root}/in"],
                         output_tables=[f"{root}/out"], mapper="src/mapper.py",
                         resources=Resources(job_count=1, memory_limit_gb=1)))
    assert sorted(r["twice"] for r in client.read_table(f"{root}/out")) == [0, 2, 4, 6, 8]
    with pytest.raises(OperationFailed, match="failed on purpose"):
        launch(client, _spec("map", root, package, tmp_path, input_tables=[f"{root}/in"],
                             output_tables=[f"{root}/out2"], mapper="src/failing.py"))


def test_yql_on_the_cluster(cluster):
    client, root = cluster
    client.write_table(f"{root}/src", [{"n": 1}, {"n": 5}])
    client.run_yql(f"INSERT INTO `{root}/dst` WITH TRUNCATE SELECT n FROM `{root}/src` "
                   "WHERE n > 2;")
    assert list(client.read_table(f"{root}/dst")) == [{"n": 5}]


def test_yql_schemaless_tables_and_large_results_on_the_cluster(cluster):
    client, root = cluster
    client.write_table(f"{root}/wide", [{"id": 0}] + [{"id": i, "city": "x"}
                                                      for i in range(1, 25_000)])
    rows = client.run_yql(f"SELECT id, city FROM `{root}/wide` ORDER BY id")
    assert len(rows) == 25_000 and rows[:2] == [{"id": 0, "city": None}, {"id": 1, "city": "x"}]
    with pytest.raises(QueryFailed, match="keeps 10000 rows"):
        client.run_yql(f"SELECT id FROM `{root}/wide`;\n"
                       f"INSERT INTO `{root}/one` WITH TRUNCATE SELECT 1 AS a")
    with pytest.raises(QueryFailed, match="append is not allowed"):
        client.run_yql(f"INSERT INTO `{root}/wide` SELECT 1 AS id")


def test_a_sorted_yql_table_on_the_cluster(cluster, tmp_path):
    # what the fake's sorted_tables.py and row_weight.py claim (see test_prod_sorted_tables.py)
    from yt_pipeline.errors import BackendError
    from yt_pipeline_prod.reduce_inputs import sort_order

    client, root = cluster
    table = f"{root}/s"
    client.run_yql(f"INSERT INTO `{table}` WITH TRUNCATE "
                   "SELECT * FROM (VALUES (5, 'e'), (1, 'a'), (3, 'c')) AS t(k, v)")
    launch(client, _spec("sort", root, None, tmp_path, input_tables=[table],
                         output_tables=[table], sort_by=["k"]))
    assert sort_order(client, table) == ["k"]
    with pytest.raises(BackendError, match="is not sorted|Sort order violation"):
        client.write_table(table, [{"k": 2, "v": "b"}], append=True)
    client.run_yql(f"INSERT INTO `{table}` SELECT 2 AS k, 'b' AS v")
    txn = client.begin_transaction("stage s")
    try:
        txn.client.run_yql(f"INSERT INTO `{table}` SELECT 0 AS k, 'z' AS v")
    except BaseException:
        txn.abort()
        raise
    txn.commit()
    assert [row["k"] for row in client.read_table(table)] == [0, 1, 2, 3, 5]
    assert sort_order(client, table) == ["k"]
    with pytest.raises(BackendError, match="Row weight is too large"):
        client.write_table(f"{root}/heavy", [{"blob": "x" * (16 * 1024 * 1024)}])
