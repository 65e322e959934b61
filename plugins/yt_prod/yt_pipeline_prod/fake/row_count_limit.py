"""An output path's `row_count_limit` (`<row_count_limit=3>//t`): the operation completes
early once its completed jobs have written that many rows to the table.

What a cluster does with it (yt/yt/server/controller_agent/controllers/
operation_controller_detail.cpp, and TRichYPath::GetRowCountLimit in
yt/yt/client/ypath/rich.cpp):
- a negative limit is refused ("Row count limit should be non-negative"), and so is a
  second output table with a limit ("Only one output table with row_count_limit is
  supported", where the controller registers its output tables), before any job runs;
- each completed map or reduce job adds the rows it wrote to that table, and once they
  reach the limit the operation completes, interrupted, with the rows of the jobs completed
  so far: all of each such job's rows, so the table may hold more than the limit
  (SafeOnJobCompleted's RegisterOutputRows; the integration tests
  test_map_row_count_limit_second_output, test_multiple_row_count_limit and
  test_negative_row_count_limit in yt/yt/tests/integration/tests/controller/
  test_map_operation.py).

The fake runs jobs one after another, so "completed so far" is the jobs run so far.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yt_pipeline_prod.fake.protocol import YtFakeError

NEGATIVE = "Row count limit should be non-negative"
SECOND = "Only one output table with row_count_limit is supported"


@dataclass
class RowCountLimit:
    table_index: int
    limit: int
    written: int = 0

    def add(self, outputs: dict[int, list[Any]]) -> bool:
        """Count a completed job's rows; True once the limit is reached."""
        self.written += len(outputs.get(self.table_index, []))
        return self.written >= self.limit


def limit_of(attributes_by_table: list[dict[str, Any]]) -> RowCountLimit | None:
    """The limit the output paths' attributes set, refused as the cluster refuses it."""
    found: RowCountLimit | None = None
    for index, attributes in enumerate(attributes_by_table):
        given = attributes.get("row_count_limit")
        if given is None:
            continue
        limit = int(given)
        if limit < 0:
            raise YtFakeError(NEGATIVE, row_count_limit=limit)
        if found is not None:
            raise YtFakeError(SECOND)
        found = RowCountLimit(index, limit)
    return found
