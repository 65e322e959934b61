"""A second loop over the rows `read_table` returned is a new pass over the table, whatever
took the first: a `for` loop, or `list()`, `sorted()` and `tuple()`, which ask for a length
to size their result. The length they ask for took the pass they were given at once, and
kept its rows for every later loop: the table rewritten between two `list(rows)` gave the
second the rows from before, where two `for` loops saw the new rows."""

from __future__ import annotations

import pytest

from yt_pipeline_dev.client import DevClient

ROWS = [{"a": n} for n in range(3)]
MORE = [{"a": 9}]


@pytest.fixture(params=["dev", "prod"])
def client(request, tmp_path):
    if request.param == "dev":
        return DevClient(tmp_path / "pipe" / ".dev")
    return request.getfixturevalue("prod_client")


@pytest.mark.parametrize("take", [list, tuple, sorted], ids=["list", "tuple", "sorted"])
def test_a_loop_after_the_table_changed_reads_it_again(client, take):
    client.write_table("//tmp/t", ROWS)
    rows = client.read_table("//tmp/t")
    assert list(take(rows, **({"key": lambda row: row["a"]} if take is sorted else {}))) == ROWS
    client.write_table("//tmp/t", MORE, append=True)
    assert [row for row in rows] == ROWS + MORE
    client.write_table("//tmp/t", MORE)
    assert list(rows) == MORE
    assert len(rows) == 1 and rows[0] == MORE[0]  # asked for itself, the length keeps them
    client.write_table("//tmp/t", ROWS)
    assert list(rows) == MORE


def test_the_length_list_asked_for_is_not_taken_twice(client):
    """The rows a loop's pass gave for the length are that loop's: indexing afterwards reads
    a pass of its own, and the loop still gets every row."""
    client.write_table("//tmp/t", ROWS)
    rows = client.read_table("//tmp/t")
    loop = iter(rows)
    assert len(rows) == len(ROWS)
    assert rows[1] == ROWS[1]
    assert list(loop) == ROWS
