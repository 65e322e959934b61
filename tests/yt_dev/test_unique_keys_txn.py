"""A dev table of unique keys written in a stage's transaction: the flag stays with the
table through a refused append made in place and through the commit (an append to it takes
an exclusive lock, so no commit rebases it), and later writes are still refused as a
cluster refuses them ("Duplicate key %v": TSchemalessMultiChunkWriterBase::
ValidateSortOrderAndUniqueness in yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp, an
append's first row compared with the table's last key, `LastKey_ && IsFirstRow_`)."""

from __future__ import annotations

import pytest
import yt.yson as yson
from txn_helpers import commit

from yt_pipeline.errors import BackendError
from yt_pipeline_dev.client import DevClient

SCHEMA = yson.to_yson_type([{"name": "k", "type": "int64", "sort_order": "ascending"},
                            {"name": "v", "type": "string"}],
                           attributes={"strict": True, "unique_keys": True})


def rows(client: DevClient, path: str) -> list[dict]:
    return list(client.read_table(path))


def test_a_refused_append_in_place_keeps_the_table_unique(tmp_path):
    live = DevClient(tmp_path / ".dev")
    txn = live.begin_transaction("stage")
    stage = live.in_transaction(txn)
    stage.create_path("//t/u", "table", schema=SCHEMA)
    stage.write_table("//t/u", [{"k": 1, "v": "a"}])
    stage.write_table("//t/u", [{"k": 2, "v": "b"}], append=True)
    # the second append writes the staged file in place, cut back when refused
    with pytest.raises(BackendError, match=r"Duplicate key \[2\]"):
        stage.write_table("//t/u", [{"k": 2, "v": "c"}], append=True)
    assert rows(stage, "//t/u") == [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}]
    assert stage.declared_schema("//t/u")["unique_keys"] is True
    with pytest.raises(BackendError, match=r"Duplicate key \[2\]"):
        stage.write_table("//t/u", [{"k": 2, "v": "d"}], append=True)
    commit(txn, tmp_path)
    assert live.declared_schema("//t/u")["unique_keys"] is True
    with pytest.raises(BackendError, match=r"Duplicate key \[2\]"):
        live.write_table("//t/u", [{"k": 2, "v": "e"}], append=True)
    assert rows(live, "//t/u") == [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}]
