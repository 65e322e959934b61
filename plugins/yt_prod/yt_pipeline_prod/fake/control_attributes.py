"""The control rows a job's JSON input carries besides the table index, when the operation's
`job_io` asks for them (`{control_attributes: {enable_row_index: %true, ...}}`).

What the job proxy's format writer writes, and when (TSchemalessFormatWriterBase in
yt/yt/client/formats/schemaless_writer_adapter.cpp, its state in schemaless_writer_adapter.h):

- before a row, `table_index` when its table differs from the last one written, then
  `range_index` when its range differs, then `row_index` when either of those was written or
  the row does not follow the last row (WriteControlAttributes); the last values start at the
  minimum i64, so the first row gets every one that is on. A row carries its range and row
  index only when the reader was asked for them (CreateTableReaderOptions
  copies job_io's control attributes into the reader's options), and the table index as the user job spec says
  (TUserJobSpec::InitEnableInputTableIndex overwrites job_io's enable_table_index);
- `key_switch` before a row whose key differs from the previous row's (CheckKeySwitch), the
  key being the first GetKeySwitchColumnCount columns: none for a map, join_by's for a
  reduce with one, else reduce_by's (TJobSpecHelper in yt/yt/ytlib/job_proxy/
  job_spec_helper.cpp);
- `end_of_stream` once the input has ended (Close).

A row's range is its place among its path's ranges (0 for a path with none) and its row
index its place in the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]


@dataclass(frozen=True)
class ControlAttributes:
    row_index: bool = False
    range_index: bool = False
    key_switch: bool = False
    end_of_stream: bool = False

    @property
    def sourced(self) -> bool:
        """Whether the job's rows must know their range and row index."""
        return self.row_index or self.range_index


def asked(spec: Any, job_io_key: str) -> ControlAttributes:
    """The control attributes the spec's `job_io_key` (job_io; map_job_io or reduce_job_io
    of a map_reduce) turns on."""
    job_io = spec.get(job_io_key) or {}
    given = (job_io.get("control_attributes") if isinstance(job_io, dict) else None) or {}

    def on(name: str) -> bool:
        value = given.get(name)
        # a YSON boolean, or its text as the integration tests write it ("true")
        return str(value).lower() == "true" if isinstance(value, str) else bool(value)

    return ControlAttributes(on("enable_row_index"), on("enable_range_index"),
                             on("enable_key_switch"), on("enable_end_of_stream"))


class SourcedRow(dict):  # type: ignore[type-arg]
    """An input row that knows where it was read: its row index in its table and the index of
    its range among its path's ranges."""

    row_index: int
    range_index: int


def sourced(row: Row, row_index: int, range_index: int) -> SourcedRow:
    copy = SourcedRow(row)
    copy.row_index, copy.range_index = row_index, range_index
    return copy


def control_line(name: str, value: Any) -> bytes:
    # The JSON writer renders an entity with attributes as {"$attributes":...,"$value":null}
    # (TJsonConsumerTest.ListFragmentWithEntity in yt/yt/core/json/unittests/writer_ut.cpp).
    text = "true" if value is True else str(int(value))
    return b'{"$attributes":{"%s":%s},"$value":null}\n' % (name.encode(), text.encode())


class InputWriter:
    """Writes one job's input: each row with the control rows before it, as the format
    writer decides them (see the module's docstring)."""

    def __init__(self, with_table_index: bool, control: ControlAttributes,
                 key_of: Callable[[Row], Any] | None):
        self.with_table_index = with_table_index
        self.control = control
        self.key_of = key_of if control.key_switch else None
        self.row_controls = with_table_index or control.row_index or control.range_index
        # the last values written, None for the writer's initial minimum i64
        self.table: int | None = None
        self.range: int | None = None
        self.row: int | None = None
        self.key: Any = None
        self.has_key = False

    def before(self, table_index: int, row: Row) -> list[bytes]:
        out = []
        if self.key_of is not None:
            key = self.key_of(row)
            if self.has_key and key != self.key:
                out.append(control_line("key_switch", True))
            self.key, self.has_key = key, True
        if not self.row_controls:
            return out
        if self.row is not None:
            self.row += 1
        needs_row_index = False
        if self.with_table_index and table_index != self.table:
            out.append(control_line("table_index", table_index))
            self.table, needs_row_index = table_index, True
        if self.control.range_index:
            range_index = _source(row).range_index
            if range_index != self.range:
                out.append(control_line("range_index", range_index))
                self.range, needs_row_index = range_index, True
        if self.control.row_index:
            row_index = _source(row).row_index
            needs_row_index = needs_row_index or row_index != self.row
            self.row = row_index
            if needs_row_index:
                out.append(control_line("row_index", row_index))
        return out

    def after(self) -> list[bytes]:
        return [control_line("end_of_stream", True)] if self.control.end_of_stream else []


def _source(row: Row) -> SourcedRow:
    if not isinstance(row, SourcedRow):
        raise TypeError("a row index was asked of a row read without one")
    return row
