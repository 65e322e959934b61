"""The types of a table's first rows are described on a copy of those rows
(yql_schema.SchemaCache.sampled): the same types as DuckDB finds sampling the table itself,
the copy one of the files the statement's connection may open, removed after the query."""

from __future__ import annotations

import pytest

import yt_pipeline_dev.yql_schema as yql_schema
from yt_pipeline_dev.yql_duckdb import Executor
from yt_pipeline_dev.yql_engine import engine
from yt_pipeline_dev.yql_sandbox import restricted_connection

TABLES = {
    "few rows": [{"a": 1, "b": "x", "c": 1.5, "d": True}],
    "late change after the sample": [{"a": i, "s": f"u{i}"} for i in range(1500)]
    + [{"a": 0.5, "s": 7}],
    "dates and nulls": [{"day": f"2024-01-0{i % 9 + 1}", "n": None, "t": "12:00:00"}
                        for i in range(1200)],
    "mixed early": [{"v": 1}, {"v": "text"}, {"v": 2.5}, {"w": [1, 2]}, {"m": {"k": 1}}],
}


@pytest.mark.parametrize("name", list(TABLES))
def test_the_copy_is_described_as_the_table_is(dev_client, tmp_path, name):
    dev_client.write_table("//t", TABLES[name])
    table = dev_client.visible_file("//t")
    copy = tmp_path / "sample.jsonl"
    schemas = yql_schema.SchemaCache(dev_client.root)
    duckdb = engine()
    connection = restricted_connection(duckdb, [str(table), str(copy)])
    try:
        whole = schemas.sampled(table, 1000, connection)
        assert schemas.sampled(table, 1000, connection, copy) == whole
    finally:
        connection.close()
    assert len(copy.read_bytes().splitlines()) == min(1000, len(TABLES[name]))


def test_a_sample_too_big_to_copy_is_described_in_the_table(dev_client, tmp_path,
                                                          monkeypatch):
    monkeypatch.setattr(yql_schema, "SAMPLE_COPY_BYTES", 10)
    dev_client.write_table("//t", [{"a": i} for i in range(50)])
    table, copy = dev_client.visible_file("//t"), tmp_path / "sample.jsonl"
    connection = restricted_connection(engine(), [str(table)])  # the copy: not open
    try:
        schemas = yql_schema.SchemaCache(dev_client.root)
        assert schemas.sampled(table, 1000, connection, copy) == {"a": "BIGINT"}
    finally:
        connection.close()
    assert not copy.exists()


def test_samples_are_removed_after_each_query(dev_client):
    dev_client.write_table("//t", [{"a": i, "b": f"x{i}"} for i in range(2000)])
    executor = Executor(dev_client)
    for _ in range(2):  # one executor, two queries: each makes and removes its samples
        assert executor.run("SELECT SUM(a) AS s FROM `//t`") == [{"s": sum(range(2000))}]
        assert work_folders(dev_client.root) == []
    executor.run("INSERT INTO `//u` WITH TRUNCATE SELECT a FROM `//t` WHERE a < 3")
    assert [r["a"] for r in dev_client.read_table("//u")] == [0, 1, 2]
    assert work_folders(dev_client.root) == []


def work_folders(root):
    """The samples' folders under dev root `root`: claimed work folders in `.sort/`
    (sort_work.py), once folders of `.cache`."""
    return [*(root / ".cache").glob("yql-sample-*"), *(root / ".sort").glob("*")]
