"""YT's limit on the weight of one row, as a table writer applies it.

A writer refuses a row whose data weight reaches the writer's `max_row_weight`, 16 MiB by
default: "Row weight is too large" (EErrorCode::RowWeightLimitExceeded, 308; ValidateRowWeight
in yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp, the default in TChunkWriterConfig,
yt/yt/ytlib/table_client/config.cpp). A row's weight is the sum of its values' (GetDataWeight
in yt/yt/client/table_client/unversioned_row.cpp): a string's bytes, 8 for a number, 1 for a
boolean, nothing for null, and a list or a map, kept as one YSON value, its binary YSON
length. write_table refuses the row; in a job, the job fails.
"""

from __future__ import annotations

from typing import Any

import yt.yson as yson

from yt_pipeline import column_types

#: the table writer's default max_row_weight
MAX_ROW_WEIGHT = 16 * 1024 * 1024
#: EErrorCode::RowWeightLimitExceeded (yt/yt/client/table_client/public.h)
ROW_WEIGHT_LIMIT_EXCEEDED = 308


def _yson_size(value: Any) -> int:
    return len(yson.dumps(value, yson_format="binary"))


def value_weight(value: Any) -> int:
    return column_types.value_weight(value, _yson_size)


def too_heavy(rows: list[dict[str, Any]], limit: int = MAX_ROW_WEIGHT) -> str | None:
    """The writer's refusal of the first row whose weight reaches `limit`, or None."""
    for row in rows:
        weight = sum(value_weight(value) for value in row.values())
        if weight >= limit:
            return f"Row weight is too large (row_weight {weight}, row_weight_limit {limit})"
    return None
