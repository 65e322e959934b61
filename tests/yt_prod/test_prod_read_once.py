"""`list(client.read_table(path))` reads a prod table once: one read_table request, one
read transaction. list() asks for an iterator and then for the length, which read a pass
of its own, so a table was fetched from the cluster twice."""

from __future__ import annotations

ROWS = [{"id": i, "name": f"n{i}"} for i in range(300)]


def test_list_of_a_prod_table_reads_it_once(prod_client, fake_yt):
    fake_yt.put_table("//tmp/once", ROWS)
    fake_yt.reset_counters()
    assert list(prod_client.read_table("//tmp/once")) == ROWS
    assert fake_yt.calls["read_table"] == 1
    rows = prod_client.read_table("//tmp/once")
    assert len(rows) == len(ROWS) and rows[-1] == ROWS[-1] and list(rows) == ROWS
    assert fake_yt.calls["read_table"] == 2
