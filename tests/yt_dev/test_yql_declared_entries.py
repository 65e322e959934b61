"""The schema a YQL INSERT gives its table is kept in entries (yql_schema.declare) written
only when they change: an INSERT over a table of schema declares its file twice (the
table's schema kept by the write, then its own), and the same rows written again have their
entry by bytes already. An entry left as it is is made as new as a write would make it."""

from __future__ import annotations

import os
import time

import yt_pipeline_dev.yql_schema as yql_schema
from yt_pipeline_dev.yql_schema import BY_CONTENT, DECLARED_DIR, FOLDER_MARK, schema_of

QUERY = "INSERT INTO `//out` WITH TRUNCATE SELECT k, k * 2 AS d FROM `//t` ORDER BY k"


def test_an_entry_holding_the_schema_already_is_not_written_again(dev_client, monkeypatch):
    written = []
    real = yql_schema._write_text_atomic

    def recorded(path, text):
        if path.name != FOLDER_MARK:  # which folder its entries were made in
            written.append(path.parent.name)
        real(path, text)

    monkeypatch.setattr(yql_schema, "_write_text_atomic", recorded)
    dev_client.write_table("//t", [{"k": k} for k in range(3)])
    dev_client.run_yql(QUERY)
    kept = dev_client.root / DECLARED_DIR
    assert sorted(written) == sorted([kept.name, BY_CONTENT])
    by_bytes = next((kept / BY_CONTENT).glob("*.json"))
    before = by_bytes.stat()
    os.utime(by_bytes, (before.st_atime - 7200, before.st_mtime - 7200))
    written.clear()
    started = time.time()
    dev_client.run_yql(QUERY)
    # the new file's entry by identity only; the one by bytes is the same, made new
    assert written == [kept.name]
    assert by_bytes.stat().st_ino == before.st_ino
    assert by_bytes.stat().st_mtime >= started - 1
    table = dev_client.visible_file("//out")
    assert schema_of(dev_client.root, table) == [("k", "BIGINT"), ("d", "BIGINT")]
    assert list(dev_client.read_table("//out")) == [{"k": k, "d": 2 * k} for k in range(3)]


def test_an_entry_of_another_schema_is_replaced(dev_client):
    dev_client.write_table("//t", [{"k": k} for k in range(3)])
    dev_client.run_yql(QUERY)
    dev_client.run_yql("INSERT INTO `//out` WITH TRUNCATE SELECT k, CAST(k * 2 AS Double) AS d "
                       "FROM `//t` ORDER BY k")
    table = dev_client.visible_file("//out")
    assert schema_of(dev_client.root, table) == [("k", "BIGINT"), ("d", "DOUBLE")]
    assert list(dev_client.read_table("//out")) == [{"k": k, "d": 2.0 * k} for k in range(3)]
