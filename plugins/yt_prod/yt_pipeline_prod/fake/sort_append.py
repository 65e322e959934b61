"""A sort that appends to its output table (`<append=%true>`): the sorted rows follow the
table's own, which stays sorted, so the table's key columns must be the sort's `sort_by`.

TSortController::PrepareOutputTables in yt/yt/server/controller_agent/controllers/
sort_controller.cpp refuses the operation otherwise, before any job runs: its output's upload
schema (that of a strong table; for a weak one the key of its `sorted_by`, none when it is
unsorted, as GetTableUploadOptions in yt/yt/ytlib/table_client/table_upload_options.cpp
gives it) must have exactly `sort_by` as its key columns. Without `append` a sort overwrites
the table whatever it held.
"""

from __future__ import annotations

from typing import Any

from yt_pipeline_prod.fake.cypress import Node
from yt_pipeline_prod.fake.protocol import YtFakeError

KEY_MISMATCH = "sort_by is different from output table key columns"


def check_sort_append(node: Node, path: str, attributes: dict[str, Any],
                      sort_by: list[str]) -> None:
    """YtFakeError, in the controller's words, for a sort appending under another key."""
    if not attributes.get("append"):
        return
    key = [str(column) for column in node.attributes.get("sorted_by") or []]
    if key != sort_by:
        raise YtFakeError(KEY_MISMATCH, output_table_path=path, output_table_key_columns=key,
                          sort_by=sort_by)
