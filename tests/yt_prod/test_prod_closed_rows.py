"""`rows.close()` called inside a loop over a prod read's rows ends that loop at its next
step, as in dev (tests/yt_dev/test_closed_rows.py), and ends the read's transaction: the
response ytsaurus-client's read_table returns is a stream whose close() ends it
(`ResponseStream.close`, yt/wrapper/response_stream.py). The loop held a pass the close
never reached, and read on to the table's last row."""

from __future__ import annotations

import pytest

TABLE = "//tmp/closed_rows"
ROWS = [{"a": n, "pad": "x" * 100} for n in range(2000)]
STOP_AT = 3


def _loop_closing(rows) -> list[dict]:
    seen = []
    for row in rows:
        seen.append(row)
        if len(seen) == STOP_AT:
            rows.close()
    return seen


@pytest.mark.parametrize(("path", "first", "count"), [
    (TABLE, [0, 1, 2], len(ROWS)),
    (TABLE + "[#0:#1500]", [0, 1, 2], 1500),
    (TABLE + "[#0:#2,#5:#1500]", [0, 1, 5], 1497),
    (TABLE + "{a}", [0, 1, 2], len(ROWS)),
])
def test_a_loop_over_closed_rows_stops_at_its_next_step(prod_client, fake_yt, path, first,
                                                        count):
    fake_yt.put_table(TABLE, ROWS)
    rows = prod_client.read_table(path)
    assert [row["a"] for row in _loop_closing(rows)] == first
    assert fake_yt.transaction_count() == 0
    assert prod_client.yt().get(TABLE + "/@locks") == []
    assert len(list(rows)) == count  # a new loop is a new pass, read whole again


def test_a_loop_over_closed_columns_stops_at_its_next_step(prod_client, fake_yt):
    fake_yt.put_table(TABLE, ROWS)
    assert _loop_closing(prod_client.read_columns(TABLE, ["a"])) == [
        {"a": 0}, {"a": 1}, {"a": 2}]
    assert fake_yt.transaction_count() == 0


def test_a_loop_after_next_stops_when_the_rows_are_closed(prod_client, fake_yt):
    fake_yt.put_table(TABLE, ROWS)
    rows = prod_client.read_table(TABLE)
    assert next(rows) == ROWS[0]
    assert _loop_closing(rows) == ROWS[1:1 + STOP_AT]
    assert fake_yt.transaction_count() == 0


def test_a_loop_in_a_stage_stops_when_the_rows_are_closed(prod_client, fake_yt):
    fake_yt.put_table(TABLE, ROWS)
    stage = prod_client.begin_transaction("stage s")
    try:
        assert _loop_closing(stage.client.read_table(TABLE)) == ROWS[:STOP_AT]
        assert fake_yt.transaction_count() == 1  # the stage's own, its read ended
    finally:
        stage.abort()
    assert fake_yt.transaction_count() == 0


def test_a_loop_over_rows_kept_by_len_stops_when_they_are_closed(prod_client, fake_yt):
    fake_yt.put_table(TABLE, ROWS)
    rows = prod_client.read_table(TABLE)
    assert len(rows) == len(ROWS)  # read whole and kept
    assert _loop_closing(rows) == ROWS[:STOP_AT]
    assert list(rows) == ROWS
    assert fake_yt.transaction_count() == 0
