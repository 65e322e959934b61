"""The titles of the transactions prod starts hold no secret. A cluster keeps a
transaction's `title` attribute where any user may read it (the transactions under
//sys/transactions, and the `winner_transaction` a lock conflict names to whoever meets it:
CheckLock in yt/yt/server/master/cypress_server/cypress_manager.cpp, ytsaurus), and a
write's title names its table, whose path a stage may build from a secret."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from prod_packages import build_package

from yt_pipeline import logs
from yt_pipeline.errors import BackendError, NetworkError, TableNotFound
from yt_pipeline_prod.client import ProdClient
from yt_pipeline_prod.settings import ProdSettings
from yt_pipeline_prod.testing import TEST_TOKEN, make_prod_client
from yt_pipeline_prod.upload import ensure_uploaded

KEY = "Zq7sekretK9xPLmW"


@pytest.fixture
def titles(fake_yt) -> list[str]:
    """The title of every transaction the fake proxy is asked to start, as it starts it."""
    cypress = fake_yt.state.cypress
    started: list[str] = []
    start = cypress.start

    def recording(parent: str | None, attributes: dict[str, Any], *args, **kwargs) -> str:
        started.append(str(attributes.get("title", "")))
        return start(parent, attributes, *args, **kwargs)

    cypress.start = recording
    logs.mask_secrets([KEY])
    try:
        yield started
    finally:
        logs.forget_secrets()
        cypress.start = start


def test_a_write_to_a_table_named_by_a_secret_titles_its_transaction_masked(prod_client,
                                                                           fake_yt, titles):
    prod_client.write_table(f"//tmp/by_key/{KEY}/rows", [{"a": 1}])
    assert fake_yt.rows(f"//tmp/by_key/{KEY}/rows") == [{"a": 1}]  # the table is the stage's
    written = [title for title in titles if title.startswith("yt-pipeline write ")]
    assert written == ["yt-pipeline write //tmp/by_key/***/rows"]
    assert not [title for title in titles if KEY in title]


def test_a_title_without_a_secret_is_kept(prod_client, titles):
    prod_client.write_table("//tmp/plain/rows", [{"a": 1}])
    assert "yt-pipeline write //tmp/plain/rows" in titles


# -- reads ------------------------------------------------------------------------------
# ytsaurus-client reads a table in a transaction it titles "Python wrapper: read <path>"
# (`make_read_request` in yt/wrapper/heavy_commands.py), holding a snapshot lock of the
# table and read by the locked node's id (`use_locked_node_id`); prod reads in one of its
# own instead (yt_pipeline_prod/table_reads.py), which must keep all that. A cluster lists
# a node's locks, with each one's transaction_id and mode, in its `@locks`
# (TNontemplateCypressNodeProxyBase::GetBuiltinAttribute in yt/yt/server/master/
# cypress_server/node_proxy_detail.cpp), and gives a transaction's title by its id
# (`get #<id>/@title`, as the queue agent's integration tests read a lock transaction's
# attributes): an onlooker sees them so. The reads go through `iter()`: `list()` of a
# TableRows asks its len() first, which reads the table a second time.

TABLE = f"//tmp/by_key/{KEY}/rows"
MASKED_READ = "yt-pipeline read //tmp/by_key/***/rows"
ROWS = [{"a": n, "b": f"v{n}"} for n in range(5)]


def no_transaction_left(fake_yt, within_s: float = 5.0) -> bool:
    """Whether every transaction has ended, waiting a little: a read dropped unclosed
    sends its abort from a thread of its own. No collection is run: a dropped read ends
    without one (test_prod_read_ends.py)."""
    deadline = time.monotonic() + within_s
    while fake_yt.transaction_count():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def read_lock(onlooker: Any, path: str) -> tuple[str, str]:
    """The one lock on `path` and the title of the transaction holding it."""
    [lock] = onlooker.get(path + "/@locks")
    assert lock["state"] == "acquired"
    return str(lock["mode"]), str(onlooker.get("#" + lock["transaction_id"] + "/@title"))


def test_a_full_read_of_a_table_named_by_a_secret_titles_its_transaction_masked(
        prod_client, fake_yt, titles):
    fake_yt.put_table(TABLE, ROWS)
    assert list(iter(prod_client.read_table(TABLE))) == ROWS
    assert titles == [MASKED_READ]
    assert fake_yt.transaction_count() == 0  # the read's ended with its stream
    assert prod_client.yt().get(TABLE + "/@locks") == []


def test_a_read_of_some_columns_is_titled_masked(prod_client, fake_yt, titles):
    fake_yt.put_table(TABLE, ROWS)
    assert list(iter(prod_client.read_columns(TABLE, ["b"]))) == [{"b": row["b"]} for row in ROWS]
    assert titles == [MASKED_READ]
    assert fake_yt.transaction_count() == 0


def test_a_read_holds_a_snapshot_lock_in_its_masked_transaction(prod_client, fake_yt,
                                                                  titles):
    fake_yt.put_table(TABLE, ROWS)
    onlooker = prod_client.new_yt()
    rows = prod_client.read_table(TABLE)
    assert next(rows) == ROWS[0]
    assert read_lock(onlooker, TABLE) == ("snapshot", MASKED_READ)
    assert list(rows) == ROWS[1:]
    assert onlooker.get(TABLE + "/@locks") == []
    assert fake_yt.transaction_count() == 0


def test_a_half_read_dropped_ends_its_transaction(prod_client, fake_yt, titles):
    fake_yt.put_table(TABLE, ROWS)
    onlooker = prod_client.new_yt()
    rows = prod_client.read_table(TABLE)
    assert next(rows) == ROWS[0]
    assert read_lock(onlooker, TABLE) == ("snapshot", MASKED_READ)
    del rows  # left half-read, never closed
    assert no_transaction_left(fake_yt)
    assert onlooker.get(TABLE + "/@locks") == []
    assert titles == [MASKED_READ]


def test_a_read_dropped_before_its_first_row_ends_its_transaction(prod_client, fake_yt,
                                                                  titles):
    fake_yt.put_table(TABLE, ROWS)
    rows = prod_client.read_table(TABLE)  # the first pass has begun: the lock is taken
    assert fake_yt.transaction_count() == 1
    del rows
    assert no_transaction_left(fake_yt)
    assert titles == [MASKED_READ]


def test_a_read_closed_half_way_ends_its_transaction(prod_client, fake_yt, titles):
    fake_yt.put_table(TABLE, ROWS)
    rows = prod_client.read_table(TABLE)
    assert next(rows) == ROWS[0]
    rows.close()
    assert fake_yt.transaction_count() == 0
    assert titles == [MASKED_READ]


def test_a_failing_read_ends_its_transaction(prod_client, fake_yt, titles):
    # the lock is taken, then the read request fails (retries are off in these tests)
    fake_yt.put_table(TABLE, ROWS)
    fake_yt.faults.fail_next("read_table", status=503)
    with pytest.raises(NetworkError, match="read_table //tmp/by_key/"):
        list(iter(prod_client.read_table(TABLE)))
    assert fake_yt.faults.fired["read_table"] == 1
    assert fake_yt.transaction_count() == 0
    assert titles == [MASKED_READ]
    assert list(iter(prod_client.read_table(TABLE))) == ROWS  # nothing left locked


def test_a_read_of_a_missing_table_ends_its_transaction(prod_client, fake_yt, titles):
    with pytest.raises(TableNotFound):
        prod_client.read_table(f"//tmp/by_key/{KEY}/missing")
    assert fake_yt.transaction_count() == 0
    assert titles == ["yt-pipeline read //tmp/by_key/***/missing"]


def test_a_retried_read_asks_again_in_its_transaction_by_the_locked_node(fake_yt, titles,
                                                                        monkeypatch):
    """The client's read retries go on (a 503 is retried), and the request sent again is
    made in the read's transaction, of the node it locked, as the client's own read
    makes it (`ReadIterator` and `make_read_request` in yt/wrapper/heavy_commands.py)."""
    from yt_pipeline_prod.fake import dispatch
    from yt_pipeline_prod.fake.cypress_commands import transaction_of

    asked: list[tuple[str | None, str]] = []
    handle = dispatch.HANDLERS["read_table"]

    def recording(state: Any, request: Any) -> Any:
        asked.append((transaction_of(request), str(request.param("path"))))
        return handle(state, request)

    monkeypatch.setitem(dispatch.HANDLERS, "read_table", recording)
    fake_yt.put_table(TABLE, ROWS)
    node_id = str(fake_yt.state.cypress.lookup(TABLE, None).id)
    retries = {"enable": True, "count": 3, "total_timeout": None,
               "backoff": {"policy": "constant_time", "constant_time": 10}}
    client = ProdClient(ProdSettings(proxy=fake_yt.url, token=TEST_TOKEN, retries=True,
                                     yt_config={"read_retries": retries,
                                                "proxy": {"retries": retries}}))
    try:
        started = {}
        start = fake_yt.state.cypress.start

        def noting(parent: str | None, attributes: dict[str, Any], *args, **kwargs) -> str:
            tx = start(parent, attributes, *args, **kwargs)
            started[tx] = str(attributes.get("title", ""))
            return tx

        fake_yt.state.cypress.start = noting
        fake_yt.faults.fail_next("read_table", status=503)
        assert list(iter(client.read_table(TABLE))) == ROWS
    finally:
        client.close()
    # the first request met the fault before the fake's handler; the one sent again was
    # answered, in the read's transaction, by the node's id
    assert fake_yt.faults.fired["read_table"] == 1
    [(transaction, path)] = asked
    assert started[str(transaction)] == MASKED_READ
    assert path == "#" + node_id
    assert fake_yt.transaction_count() == 0


def test_a_read_in_a_stage_nests_in_its_transaction(prod_client, fake_yt, titles):
    fake_yt.put_table(TABLE, ROWS)
    stage = prod_client.begin_transaction("stage s")
    rows = stage.client.read_table(TABLE)
    assert next(rows) == ROWS[0]
    onlooker = prod_client.new_yt()
    [lock] = onlooker.get(TABLE + "/@locks")
    assert onlooker.get("#" + lock["transaction_id"] + "/@parent_id") == stage.transaction_id
    # the stage wrote nothing: prepare commits it, closing the read left open first
    assert stage.prepare(Path("record")) is None
    assert fake_yt.transaction_count() == 0
    assert "stage s" in titles and MASKED_READ in titles


# -- the other calls whose transaction the client would title with a path --------------

def test_a_yql_append_in_a_stage_titles_its_read_and_its_write_masked(prod_client, fake_yt,
                                                                      titles):
    # integers into a double column: the staging table's rows are read, made doubles and
    # written to the table (yql._apply), where the client titles both with their paths
    target = f"//tmp/by_key/{KEY}/scores"
    prod_client.run_yql(f"INSERT INTO `{target}` WITH TRUNCATE "
                        "SELECT CAST(1 AS Int64) AS x, 0.5 AS score")
    stage = prod_client.begin_transaction("stage s")
    stage.client.run_yql(f"INSERT INTO `{target}` SELECT 2 AS x, 3 AS score")
    stage.commit()
    assert fake_yt.rows(target) == [{"x": 1, "score": 0.5}, {"x": 2, "score": 3.0}]
    assert "yt-pipeline write //tmp/by_key/***/scores" in titles
    assert [title for title in titles if title.startswith("yt-pipeline read ")]
    assert not [title for title in titles
                if KEY in title or title.startswith("Python wrapper")], titles
    assert fake_yt.transaction_count() == 0


def test_an_upload_to_a_build_folder_named_by_a_secret_titles_its_transaction_masked(
        fake_yt, tmp_path, titles):
    package = build_package(tmp_path / "a", {"s": {"src/mapper.py": "print('hi')\n"}})
    client = make_prod_client(fake_yt, build_folder=f"//home/{KEY}/build")
    target = ensure_uploaded(client, package)
    assert fake_yt.file_bytes(target) == package.archive_path.read_bytes()
    assert titles == [f"yt-pipeline upload //home/***/build/{package.remote_name}"]


def test_a_read_whose_transaction_is_no_longer_pinged_stops(fake_yt, titles):
    """The client's own read stops once its transaction's pinger failed ("Transaction
    pinger failed, read interrupted": `ReadIterator._iterator` in yt/wrapper/
    heavy_commands.py): the snapshot lock may be gone with the transaction."""
    fake_yt.put_table(TABLE, ROWS)
    client = ProdClient(ProdSettings(proxy=fake_yt.url, token=TEST_TOKEN, retries=False,
                                     yt_config={"transaction_sleep_period": 5,
                                                "transaction_timeout": 1500}))
    try:
        rows = client.read_table(TABLE)
        assert next(rows) == ROWS[0]
        deadline = time.monotonic() + 10
        while not fake_yt.calls["ping_transaction"] and time.monotonic() < deadline:
            time.sleep(0.05)  # the pinger's first ping, sent as it starts, was answered
        fake_yt.faults.ignore_pings("yt-pipeline read ")
        while not fake_yt.faults.fired["ping_transaction"] and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # the failed ping is noted once its answer is given up on
        with pytest.raises(BackendError) as caught:
            next(rows)
        # the path as given: errors are masked where they are shown
        assert str(caught.value) == (
            f"read_table {TABLE}: the read's transaction could not be pinged and has "
            "ended; the read stopped")
    finally:
        client.close()
    assert titles == [MASKED_READ]
    assert no_transaction_left(fake_yt)
