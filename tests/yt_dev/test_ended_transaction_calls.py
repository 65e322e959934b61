"""A call through the client of a stage whose transaction has ended (committed or aborted)
is refused, as a cluster refuses a request in a transaction it no longer has ("No such
transaction <id>": the master's TTransactionManager::GetTransactionOrThrow). Stage code
can make one: a thread the stage started and did not wait for, a client kept for later.

Dev took such a write as a new start of the transaction: it made the transaction's folder
again and staged the rows there, reported them written, and no commit ever applied them
(rows lost without an error, where prod's write fails). A read named a table that exists
"not found", or read on as if the stage still ran."""

from __future__ import annotations

import pytest
from txn_helpers import commit

from yt_pipeline.errors import BackendError, TableNotFound
from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.staging import TXN_DIR

ROWS = [{"x": 1}, {"x": 2}]


@pytest.fixture
def live(tmp_path) -> DevClient:
    client = DevClient(tmp_path / ".dev")
    client.write_table("//data/a", ROWS)
    return client


def _no_transaction_left(client: DevClient) -> bool:
    folder = client.root / TXN_DIR
    return not folder.is_dir() or not any(folder.iterdir())


@pytest.mark.parametrize("end", ["commit", "abort"])
def test_a_write_after_the_stage_ended_is_refused_not_lost(live, tmp_path, end):
    txn = live.begin_transaction("stage s")
    stage = txn.client
    stage.write_table("//data/a", [{"x": 3}], append=True)
    commit(txn, tmp_path) if end == "commit" else txn.abort()
    kept = [{"x": 1}, {"x": 2}, {"x": 3}] if end == "commit" else ROWS
    with pytest.raises(BackendError, match=r"write_table //data/b: no such transaction"):
        stage.write_table("//data/b", [{"y": 1}])
    with pytest.raises(BackendError, match=r"write_table //data/a: no such transaction"):
        stage.write_table("//data/a", [{"x": 4}], append=True)
    with pytest.raises(BackendError, match=r"remove //data/a: no such transaction"):
        stage.remove("//data/a")
    with pytest.raises(BackendError, match=r"create_path //data/f: no such transaction"):
        stage.create_path("//data/f")
    assert not live.exists("//data/b") and not live.exists("//data/f")
    assert list(live.read_table("//data/a")) == kept
    assert _no_transaction_left(live)  # nothing staged for a commit that never comes


def test_a_read_after_the_stage_ended_says_so_rather_than_not_found(live, tmp_path):
    txn = live.begin_transaction("stage s")
    stage = txn.client
    stage.write_table("//data/a", [{"x": 3}])
    assert list(stage.read_table("//data/a")) == [{"x": 3}]
    commit(txn, tmp_path)
    with pytest.raises(BackendError, match=r"read_table //data/a: no such transaction") as got:
        stage.read_table("//data/a")
    assert not isinstance(got.value, TableNotFound)
    with pytest.raises(BackendError, match=r"read_table //data/a: no such transaction"):
        stage.read_columns("//data/a", ["x"])
    assert list(live.read_table("//data/a")) == [{"x": 3}]


def test_a_read_after_a_stage_that_wrote_nothing_ended_is_refused(live):
    """A stage that only read has no folder: its transaction ended all the same, and a read
    through its client read the live table on, where a cluster refuses it."""
    txn = live.begin_transaction("stage s")
    stage = txn.client
    assert list(stage.read_table("//data/a")) == ROWS
    txn.abort()
    with pytest.raises(BackendError, match=r"read_table //data/a: no such transaction"):
        list(stage.read_table("//data/a"))


@pytest.mark.parametrize("append", [False, True])
def test_a_write_under_way_as_its_transaction_is_aborted_says_so(live, append):
    # the run's end aborts a stage's transaction still open (run_operations.py), from the
    # main thread, while the stage may be writing in it: the write failed on dev's own
    # file, gone with the transaction's folder, where a cluster names the transaction
    txn = live.begin_transaction("stage s")
    stage = txn.client
    if append:  # a second append writes the staged file in place
        stage.write_table("//data/a", [{"x": 3}], append=True)

    def rows():
        yield {"x": 4}
        txn.abort()  # the run ends meanwhile
        yield {"x": 5}

    with pytest.raises(BackendError, match=r"write_table //data/a: no such transaction"):
        stage.write_table("//data/a", rows(), append=append)
    assert list(live.read_table("//data/a")) == ROWS
    assert _no_transaction_left(live)
