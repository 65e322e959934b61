"""The control rows a job's JSON input carries besides the table index, when the operation's
`job_io` asks for them: what the format writer writes and when is yt_pipeline.control_rows,
which dev writes its jobs' input with too. Here, the rows the fake reads know where they
were read (SourcedRow), for the row and range index control rows.
"""

from __future__ import annotations

from typing import Any

from yt_pipeline.control_rows import ControlAttributes, asked, control_line, job_io_key
from yt_pipeline.control_rows import InputWriter as _Writer

__all__ = ["ControlAttributes", "InputWriter", "SourcedRow", "asked", "control_line", "job_io_key",
           "sourced"]

Row = dict[str, Any]


class SourcedRow(dict):  # type: ignore[type-arg]
    """An input row that knows where it was read: its row index in its table and the index of
    its range among its path's ranges."""

    row_index: int
    range_index: int


def sourced(row: Row, row_index: int, range_index: int) -> SourcedRow:
    copy = SourcedRow(row)
    copy.row_index, copy.range_index = row_index, range_index
    return copy


class InputWriter(_Writer):
    """The writer, taking a row's row and range index from the row itself."""

    def before(self, table_index: int, row: Any, row_index: int | None = None,
               range_index: int | None = None) -> list[bytes]:
        if isinstance(row, SourcedRow):
            row_index, range_index = row.row_index, row.range_index
        return super().before(table_index, row, row_index, range_index)
