"""A table's sizes (`data_weight`, and the bytes standing for its chunks' sizes), worked
out once per rows list of a large table.

A write gives a node a new rows list and never changes one in place (cypress.Node), so the
sizes of a list hold for as long as any version holds that list: a client polling a table
of 100k rows, or the snapshots sharing its rows (branches.branch_copy), sum them once
instead of on every `get` of an attribute. Small tables are summed every time, cheaply, and
nothing is kept for them.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from yt_pipeline_prod.fake.row_weight import row_weight

#: tables of fewer rows are summed on every request
KEPT_FROM_ROWS = 10_000
#: how many large rows lists keep their sizes (the oldest looked at goes first)
KEPT_LISTS = 16


@dataclass(frozen=True)
class RowSizes:
    #: the rows' weights as the writer summed them (row_weight)
    data_weight: int
    #: the rows' JSON bytes, what the fake gives as the compressed and uncompressed sizes
    size: int


_kept: OrderedDict[int, tuple[list[dict[str, Any]], RowSizes]] = OrderedDict()
_lock = threading.Lock()


def _summed(rows: list[dict[str, Any]]) -> RowSizes:
    return RowSizes(data_weight=sum(row_weight(row) for row in rows),
                    size=sum(len(json.dumps(row)) for row in rows))


def row_sizes(rows: list[dict[str, Any]]) -> RowSizes:
    if len(rows) < KEPT_FROM_ROWS:
        return _summed(rows)
    key = id(rows)
    with _lock:
        # the list itself is kept with its sizes, so its id is not reused while kept
        found = _kept.get(key)
        if found is not None and found[0] is rows:
            _kept.move_to_end(key)
            return found[1]
    sizes = _summed(rows)
    with _lock:
        _kept[key] = (rows, sizes)
        while len(_kept) > KEPT_LISTS:
            _kept.popitem(last=False)
    return sizes
