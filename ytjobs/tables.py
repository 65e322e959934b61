"""Several input and output tables: the control rows between a job's rows.

With more than one input table, YT puts a control row before the rows of each table in the
job's input (`{"$attributes":{"table_index":1},"$value":null}`), once at the start and again
wherever the table changes. `read_rows()` leaves them out; `read_indexed_rows()` turns them
into the index of the table each row comes from.

On the way out the same control row sends the rows after it to output table N. A job
starts on table 0; `switch_output(stream, n)` writes the switch only when the table changes.
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Iterator
from typing import Any, BinaryIO, Dict, Tuple

from ytjobs import tally
from ytjobs.codec import is_control, iter_rows, not_an_input_row, whole_stdin

Row = Dict[str, Any]
#: (table index, row); typing.Tuple: evaluated at import, and jobs may run Python 3.8
IndexedRow = Tuple[int, Row]

# The output table each stream writes to now. Keyed by the stream itself (weakly), so a new
# stream always starts on table 0, as a job's stdout does.
_current: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def table_switch(table_index: int) -> bytes:
    """The control line that sends the rows after it to output table `table_index`."""
    return b'{"$attributes":{"table_index":%d},"$value":null}\n' % table_index


def _index_of(table_index: Any) -> int:
    if type(table_index) is not int or table_index < 0:
        raise ValueError(f"table_index must be an int of 0 or more, not {table_index!r}")
    return table_index


def switch_output(stream: BinaryIO, table_index: int) -> None:
    """Send what is written to `stream` next to output table `table_index`."""
    index = _index_of(table_index)
    if _current.get(stream, 0) != index:
        line = table_switch(index)
        tally.add(stream, len(line), switches=1)
        stream.write(line)
        _current[stream] = index


def read_indexed_rows(stream: BinaryIO | None = None) -> Iterator[IndexedRow]:
    """(table index, row) for each input row (default: from stdin), in input order.

    The index is the position of the row's table in the operation's input tables. With one
    input table YT writes no control rows, and every index is 0.
    """
    index = 0
    rows = (iter_rows(stream, bad_line=not_an_input_row) if stream is not None
            else iter_rows(sys.stdin.buffer, bad_line=not_an_input_row, whole=whole_stdin()))
    for row in rows:
        if is_control(row):
            attributes = row["$attributes"]
            if isinstance(attributes, dict) and "table_index" in attributes:
                index = int(attributes["table_index"])
            continue
        yield index, row
