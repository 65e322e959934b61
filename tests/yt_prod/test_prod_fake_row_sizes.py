"""The fake's table sizes (row_sizes.py): summed once per rows list of a large table, and
summed again for the new list a write gives the table."""

from __future__ import annotations

from yt_pipeline_prod.fake import row_sizes as module
from yt_pipeline_prod.fake.row_weight import row_weight


def test_a_large_tables_sizes_are_summed_once_per_rows_list(monkeypatch):
    summed: list[int] = []

    def counted(row):
        summed.append(1)
        return row_weight(row)

    monkeypatch.setattr(module, "row_weight", counted)
    rows = [{"k": i, "v": "x" * (i % 7)} for i in range(module.KEPT_FROM_ROWS)]
    first = module.row_sizes(rows)
    assert first.data_weight == sum(row_weight(row) for row in rows)
    assert len(summed) == len(rows)
    assert module.row_sizes(rows) is first
    assert len(summed) == len(rows)  # not summed again
    appended = rows + [{"k": -1, "v": "yyyy"}]  # what an append gives the table
    after = module.row_sizes(appended)
    assert after.data_weight == first.data_weight + row_weight(appended[-1])
    assert after.size > first.size


def test_a_small_tables_sizes_are_summed_every_time_and_not_kept():
    rows = [{"k": 1}]
    assert module.row_sizes(rows) == module.row_sizes(rows)
    assert module.row_sizes(rows) is not module.row_sizes(rows)
    assert all(kept is not rows for kept, _ in module._kept.values())
