"""A prod table read ends its transaction (and the snapshot lock it holds) as soon as the
rows are dropped, whatever was left unread, and without waiting for the cyclic garbage
collector (table_reads.py).

A client's code may keep an exception in a reference cycle with the frame that caught it:
ytsaurus-client's `_get_availability_error` (yt/wrapper/schema/helpers.py) appends the
error of its skiff check to a list local to the frame the error's traceback holds, as
yt.wrapper is imported (on a process's first read, when nothing imported it before). A
frame held so keeps every frame below it on the stack, each with its locals, until the
cycle is collected: a frame that held the read then kept its transaction open as long.
The tests make such a cycle in the client's `lock` request and run with the collector off.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TABLE = "//tmp/read_ends"
ROWS = [{"a": n} for n in range(5)]


def _check_leaving_a_cycle() -> None:
    """What `_get_availability_error` does: an error caught and kept in a list of the frame
    its own traceback holds."""
    errors = []
    try:
        raise ValueError("skiff bindings are not available")
    except ValueError as error:
        errors.append(error)


@pytest.fixture
def cyclic_lock(monkeypatch) -> Iterator[None]:
    """Each `lock` request of the client leaves such a cycle behind, with the collector
    off while the test runs."""
    import yt.wrapper.http_driver as http_driver

    send = http_driver.make_request_with_retries

    def sending(method: str, url: str | None = None, **kwargs: Any) -> Any:
        if str(url).endswith("/lock"):
            _check_leaving_a_cycle()
        return send(method, url, **kwargs)

    monkeypatch.setattr(http_driver, "make_request_with_retries", sending)
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def transactions_left(fake_yt, expected: int = 0, within_s: float = 5.0) -> int:
    """The transactions still alive once those of dropped reads ended, which they do from
    a thread of their own (waiting for no more than `expected`); no garbage collection is
    run."""
    deadline = time.monotonic() + within_s
    while fake_yt.transaction_count() > expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return int(fake_yt.transaction_count())


def test_a_read_dropped_before_its_first_row_ends_without_a_collection(
        prod_client, fake_yt, cyclic_lock):
    fake_yt.put_table(TABLE, ROWS)
    rows = prod_client.read_table(TABLE)
    assert fake_yt.transaction_count() == 1
    assert [lock["mode"] for lock in prod_client.yt().get(TABLE + "/@locks")] == ["snapshot"]
    del rows
    assert transactions_left(fake_yt) == 0
    assert prod_client.yt().get(TABLE + "/@locks") == []


def test_a_later_pass_dropped_before_its_first_row_ends_without_a_collection(
        prod_client, fake_yt, cyclic_lock):
    fake_yt.put_table(TABLE, ROWS)
    rows = prod_client.read_table(TABLE)
    assert list(iter(rows)) == ROWS
    assert fake_yt.transaction_count() == 0
    again = iter(rows)  # a second pass: a read of its own
    assert fake_yt.transaction_count() == 1
    del again
    assert transactions_left(fake_yt) == 0
    assert list(iter(rows)) == ROWS  # the rows can still be read again


def test_a_read_half_done_and_dropped_ends_without_a_collection(prod_client, fake_yt,
                                                                cyclic_lock):
    fake_yt.put_table(TABLE, ROWS)
    rows = prod_client.read_table(TABLE)
    assert [next(rows), next(rows)] == ROWS[:2]
    del rows
    assert transactions_left(fake_yt) == 0


def test_a_read_a_stage_drops_before_its_first_row_ends_before_the_stage(prod_client,
                                                                         fake_yt):
    # the stage keeps its open reads only to close those still held when it commits: one
    # dropped ends at once, not with the stage (holding its snapshot lock, its client, its
    # connection and its transaction's pinger thread until then)
    fake_yt.put_table(TABLE, ROWS)
    stage = prod_client.begin_transaction("stage s")
    for _ in range(3):
        stage.client.read_table(TABLE)  # the rows never asked for
    kept = stage.client.read_table(TABLE)
    assert next(kept) == ROWS[0]
    assert transactions_left(fake_yt, 2) == 2  # the stage's and the read it still holds
    assert [lock["mode"] for lock in prod_client.yt().get(TABLE + "/@locks")] == ["snapshot"]
    assert stage.prepare(Path("record")) is None  # it wrote nothing: committed now
    assert fake_yt.transaction_count() == 0
    assert prod_client.yt().get(TABLE + "/@locks") == []


def test_rows_asked_for_after_their_stage_ended_are_refused(fake_yt):
    # the stage's commit closes the reads it left open; the client's stream, closed, then
    # ends early without an error (its ReadIterator's generator closed), after the rows
    # it had parsed: a read used after its stage must fail, not give part of the table
    from yt_pipeline.errors import BackendError
    from yt_pipeline_prod.client import ProdClient
    from yt_pipeline_prod.settings import ProdSettings
    from yt_pipeline_prod.testing import TEST_TOKEN

    client = ProdClient(ProdSettings(proxy=fake_yt.url, token=TEST_TOKEN, retries=False,
                                     yt_config={"read_buffer_size": 1000,
                                                "transaction_sleep_period": 5}))
    try:
        fake_yt.put_table(TABLE, [{"a": n, "pad": "x" * 300} for n in range(100)])
        stage = client.begin_transaction("stage s")
        rows = stage.client.read_table(TABLE)
        assert next(rows)["a"] == 0
        assert stage.prepare(Path("record")) is None  # committed, its read closed
        with pytest.raises(BackendError) as caught:
            list(iter(rows))
        assert str(caught.value) == (
            f"read_table {TABLE}: the read was closed before its last row (a read in a "
            "stage ends with the stage); no more rows were read")
        assert fake_yt.transaction_count() == 0
    finally:
        client.close()


def test_rows_closed_before_their_first_row_end_their_read_at_once(prod_client, fake_yt):
    # a generator closed before it started runs no `finally`: the read ended only with its
    # finalizer, from a thread, a moment later (or never, should the process exit first)
    fake_yt.put_table(TABLE, ROWS)
    rows = prod_client.read_table(TABLE)
    assert fake_yt.transaction_count() == 1
    rows.close()
    assert fake_yt.transaction_count() == 0
    assert prod_client.yt().get(TABLE + "/@locks") == []
    assert list(iter(rows)) == ROWS  # a new pass reads the table again
