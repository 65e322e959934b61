"""A stage's client used after its transaction ended (committed or aborted) is refused in
dev as in prod, naming the call and the table: on a cluster every request in a finished
transaction fails with "No such transaction <id>" (the master's
TTransactionManager::GetTransactionOrThrow). Dev reported such a write written and lost its
rows, and said a read's table did not exist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from yt_pipeline.errors import BackendError, TableNotFound
from yt_pipeline_dev.client import DevClient


@pytest.fixture(params=["dev", "prod"])
def client(request, tmp_path):
    if request.param == "dev":
        return DevClient(tmp_path / "pipe" / ".dev")
    return request.getfixturevalue("prod_client")


def _commit(txn, tmp_path: Path) -> None:
    record = tmp_path / "record.json"
    token = txn.prepare(record)
    if token is not None:
        record.write_text(json.dumps(token))
    txn.commit()


@pytest.mark.parametrize("end", ["commit", "abort"])
def test_calls_of_an_ended_stage_are_refused_alike(client, tmp_path, end):
    client.write_table("//tmp/t", [{"a": 1}])
    txn = client.begin_transaction("stage s")
    stage = txn.client
    stage.write_table("//tmp/t", [{"a": 2}], append=True)
    _commit(txn, tmp_path) if end == "commit" else txn.abort()
    with pytest.raises(BackendError, match=r"(?i)write_table //tmp/w: .*no such transaction"):
        stage.write_table("//tmp/w", [{"b": 1}])
    with pytest.raises(BackendError, match=r"(?i)read_table //tmp/t: .*no such transaction"
                       ) as read:
        list(stage.read_table("//tmp/t"))
    assert not isinstance(read.value, TableNotFound)
    assert not client.exists("//tmp/w")
    assert list(client.read_table("//tmp/t")) == (
        [{"a": 1}, {"a": 2}] if end == "commit" else [{"a": 1}])


@pytest.mark.parametrize("end", ["commit", "abort"])
@pytest.mark.parametrize("columns", [None, ["a"]])
def test_rows_a_stage_read_are_refused_once_it_ended(client, tmp_path, end, columns):
    """Rows asked for once the stage ended, of a read it began (rows it returned unread, a
    loop of a thread it left running), are refused as prod refuses them (its reads end
    with the stage: table_reads.TableRead), not handed on in dev: a small table's rows, or
    a large one's rest."""
    client.write_table("//tmp/small", [{"a": 1}])
    client.write_table("//tmp/large", [{"a": n, "s": "x" * 100} for n in range(5000)])
    txn = client.begin_transaction("stage s")
    stage = txn.client
    stage.write_table("//tmp/small", [{"a": 2}], append=True)
    small = stage.read_columns("//tmp/small", columns)
    large = stage.read_columns("//tmp/large", columns)
    assert next(large)["a"] == 0
    _commit(txn, tmp_path) if end == "commit" else txn.abort()
    with pytest.raises(BackendError, match=r"read_table //tmp/small: .*no more rows"):
        list(small)
    seen = 0
    with pytest.raises(BackendError, match=r"read_table //tmp/large: .*no more rows"):
        for _ in large:
            seen += 1
    assert seen < 4999  # not read to its end


@pytest.mark.parametrize("end", ["commit", "abort"])
def test_looks_through_an_ended_stage_are_refused_alike(client, tmp_path, end):
    """`exists` and `list` are requests in the transaction too: a cluster refuses them once
    it has ended. Dev answered from the live tables, the fake proxy said the table did not
    exist (False): code that makes a table it finds missing went on in both."""
    client.write_table("//tmp/t", [{"a": 1}])
    txn = client.begin_transaction("stage s")
    stage = txn.client
    assert stage.exists("//tmp/t") and stage.list("//tmp") == ["t"]
    _commit(txn, tmp_path) if end == "commit" else txn.abort()
    with pytest.raises(BackendError, match=r"(?i)exists //tmp/t: .*no such transaction"):
        stage.exists("//tmp/t")
    with pytest.raises(BackendError, match=r"(?i)list //tmp: .*no such transaction"):
        stage.list("//tmp")
    assert client.exists("//tmp/t") and client.list("//tmp") == ["t"]
