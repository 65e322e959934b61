"""YT's limits on the weight of one row and of its key, as a table writer applies them.

A writer refuses a row whose data weight reaches the writer's `max_row_weight`, 16 MiB by
default: "Row weight is too large" (EErrorCode::RowWeightLimitExceeded, 308; ValidateRowWeight
in yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp, the default in TChunkWriterConfig,
yt/yt/ytlib/table_client/config.cpp). A row's weight is 1 and its values' (UpdateDataWeight
there; GetDataWeight in yt/yt/client/table_client/unversioned_row.cpp): a string's bytes, 8
for a number, 1 for a boolean, nothing for null, and a list or a map, kept as one YSON value,
its binary YSON length. write_table refuses the row; in a job, the job fails. A sorted writer
first weighs the key the same way (1 and the key values) against `max_key_weight`, 16 KiB by
default: "Key weight is too large" (ValidateKeyWeight, the same code). A write's
`table_writer` may set both limits, within what TChunkWriterConfig accepts: max_row_weight
from 5 MiB to MaxRowWeightLimit (128 MiB), max_key_weight above 0 up to MaxKeyWeightLimit
(256 KiB, yt/yt/client/table_client/public.h).
"""

from __future__ import annotations

from typing import Any

import yt.yson as yson

from yt_pipeline import column_types
from yt_pipeline_prod.fake.protocol import YtFakeError

#: the table writer's default max_row_weight, and the bounds of one a write may set
MAX_ROW_WEIGHT = 16 * 1024 * 1024
ROW_WEIGHT_BOUNDS = (5 * 1024 * 1024, 128 * 1024 * 1024)
#: the bounds of a max_key_weight a write may set (the default is column_types')
KEY_WEIGHT_BOUNDS = (1, 256 * 1024)
#: EErrorCode::RowWeightLimitExceeded (yt/yt/client/table_client/public.h)
ROW_WEIGHT_LIMIT_EXCEEDED = 308


def _yson_size(value: Any) -> int:
    return len(yson.dumps(value, yson_format="binary"))


def value_weight(value: Any) -> int:
    return column_types.value_weight(value, _yson_size)


def row_weight(row: dict[str, Any]) -> int:
    """A row's weight as a writer counts it (column_types.row_weight), a list or a map as
    its binary YSON."""
    return column_types.row_weight(row, _yson_size)


def key_weight(row: dict[str, Any], key: list[str]) -> int:
    """A row's key weight as a sorted writer counts it (column_types.key_weight), a list or
    a map in a key column as its binary YSON, as row_weight weighs it: the writer weighs
    key values and the others with one GetDataWeight (UpdateDataWeight)."""
    return column_types.key_weight(row, key, _yson_size)


def check_key_weight(row: dict[str, Any], key: list[str],
                     limit: int = column_types.MAX_KEY_WEIGHT) -> None:
    """column_types.HeavyKey when the row's key weighs `limit` or more (key_weight)."""
    column_types.check_key_weight(row, key, limit, _yson_size)


def too_heavy(rows: list[dict[str, Any]], limit: int = MAX_ROW_WEIGHT,
              key: list[str] | None = None,
              key_limit: int = column_types.MAX_KEY_WEIGHT) -> str | None:
    """The writer's refusal of the first row whose weight reaches `limit` or, for a sorted
    writer (`key`), whose key's weight reaches `key_limit` (checked first); or None."""
    for row in rows:
        if key:
            weight = key_weight(row, key)
            if weight >= key_limit:
                return (f"Key weight is too large (key_weight {weight}, key_weight_limit "
                        f"{key_limit})")
        weight = row_weight(row)
        if weight >= limit:
            return f"Row weight is too large (row_weight {weight}, row_weight_limit {limit})"
    return None


def writer_limits(table_writer: Any) -> tuple[int, int]:
    """The (max_row_weight, max_key_weight) of a write's `table_writer` option, the
    defaults where it says nothing; YtFakeError for a value TChunkWriterConfig refuses
    (the words are the fake's)."""
    given = dict(table_writer or {})
    limits = []
    for name, default, (low, high) in (
            ("max_row_weight", MAX_ROW_WEIGHT, ROW_WEIGHT_BOUNDS),
            ("max_key_weight", column_types.MAX_KEY_WEIGHT, KEY_WEIGHT_BOUNDS)):
        value = given.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise YtFakeError(f'Error parsing table_writer: "{name}" must be from {low} to '
                              f"{high}, got {value!r}")
        limits.append(value)
    return limits[0], limits[1]
