"""`rows.close()` called inside a loop over the rows ends that loop at its next step, as a
closed generator does (ytsaurus-client's read_table response: `ResponseStream.close` in
yt/wrapper/response_stream.py ends the stream it reads). The loop held a pass the close
never reached, and went on to the table's last row; a pass read in blocks would still
have handed out the rest of the block it was in."""

from __future__ import annotations

import pytest

from yt_pipeline_dev.client import READ_CHUNK
from ytjobs.codec import iter_blocks

# rows large enough that the table spans many read blocks
ROWS = [{"a": n, "pad": "x" * 100} for n in range(5000)]
STOP_AT = 3


def _loop_closing(rows, stop_at: int = STOP_AT) -> list[dict]:
    seen = []
    for row in rows:
        seen.append(row)
        if len(seen) == stop_at:
            rows.close()
    return seen


@pytest.mark.parametrize("path", ["//t/rows", "//t/rows[#0:#4000]", "//t/rows[#0:#2,#5:#4000]",
                                  "//t/rows{a}"])
def test_a_loop_over_closed_rows_stops_at_its_next_step(dev_client, path):
    dev_client.write_table("//t/rows", ROWS)
    rows = dev_client.read_table(path)
    seen = _loop_closing(rows)
    assert [row["a"] for row in seen] == [0, 1, 2 if "#2," not in path else 5]
    # a new loop is a new pass, read whole again
    assert len(list(rows)) == {"//t/rows[#0:#4000]": 4000,
                               "//t/rows[#0:#2,#5:#4000]": 3997}.get(path, len(ROWS))


def test_a_loop_over_closed_columns_stops_at_its_next_step(dev_client):
    dev_client.write_table("//t/rows", ROWS)
    seen = _loop_closing(dev_client.read_columns("//t/rows", ["a"]))
    assert seen == [{"a": 0}, {"a": 1}, {"a": 2}]


def test_a_loop_after_next_stops_when_the_rows_are_closed(dev_client):
    # next() began the pass; the loop goes on with that same pass
    dev_client.write_table("//t/rows", ROWS)
    rows = dev_client.read_table("//t/rows")
    assert next(rows) == ROWS[0]
    assert _loop_closing(rows) == ROWS[1:1 + STOP_AT]


def test_a_loop_in_a_stage_stops_when_the_rows_are_closed(dev_client):
    dev_client.write_table("//t/rows", ROWS)
    txn = dev_client.begin_transaction("stage s")
    try:
        assert _loop_closing(txn.client.read_table("//t/rows")) == ROWS[:STOP_AT]
    finally:
        txn.abort()


def test_a_loop_closed_at_a_block_s_last_row_stops(dev_client):
    # the close falls between two blocks: the next block is not begun either
    dev_client.write_table("//t/rows", ROWS)
    handle, _ = dev_client.open_table("//t/rows")
    first_block = len(next(iter_blocks(handle, READ_CHUNK, close=True)))
    assert 0 < first_block < len(ROWS)
    seen = _loop_closing(dev_client.read_table("//t/rows"), stop_at=first_block)
    assert seen == ROWS[:first_block]


def test_a_loop_over_rows_kept_by_len_stops_when_they_are_closed(dev_client):
    dev_client.write_table("//t/rows", ROWS)
    rows = dev_client.read_table("//t/rows")
    assert len(rows) == len(ROWS)  # read whole and kept
    assert _loop_closing(rows) == ROWS[:STOP_AT]
    assert list(rows) == ROWS
