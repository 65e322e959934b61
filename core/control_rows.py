"""The control rows a job's JSON input carries besides the table index, when the operation's
`job_io` asks for them (`spec: {job_io: {control_attributes: {enable_row_index: true}}}`),
written by dev and by the fake proxy alike.

What the job proxy's format writer writes, and when (TSchemalessFormatWriterBase in
yt/yt/client/formats/schemaless_writer_adapter.cpp, its state in schemaless_writer_adapter.h):

- before a row, `table_index` when its table differs from the last one written, then
  `range_index` when its range differs, then `row_index` when either of those was written or
  the row does not follow the last row (WriteControlAttributes); the last values start at the
  minimum i64, so the first row gets every one that is on. A row carries its range and row
  index only when the reader was asked for them (CreateTableReaderOptions copies job_io's
  control attributes into the reader's options), and the table index as the user job spec
  says (TUserJobSpec::InitEnableInputTableIndex overwrites job_io's enable_table_index);
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

#: the switches of job_io's control_attributes modelled here, by their spec names
CONTROL_KEYS = ("enable_row_index", "enable_range_index", "enable_key_switch",
                "enable_end_of_stream")


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

    @property
    def any(self) -> bool:
        return self.sourced or self.key_switch or self.end_of_stream


def _on(value: Any) -> bool:
    # a YSON boolean, or its text as YT's integration tests write it ("true")
    return str(value).lower() == "true" if isinstance(value, str) else bool(value)


def job_io_key(operation_type: str, phase: str) -> str:
    """The spec key whose control attributes the user job of `phase` ("map" or "reduce")
    reads: a map_reduce has one per stage (TMapReduceOperationSpec registers map_job_io,
    sort_job_io and reduce_job_io), a map or a reduce its job_io."""
    if operation_type == "map_reduce":
        return "map_job_io" if phase == "map" else "reduce_job_io"
    return "job_io"


def asked(spec: Any, key: str) -> ControlAttributes:
    """The control attributes the spec's `key` (job_io; map_job_io or reduce_job_io of a
    map_reduce: job_io_key) turns on."""
    job_io = spec.get(key) if isinstance(spec, dict) else None
    given = job_io.get("control_attributes") if isinstance(job_io, dict) else None
    given = given if isinstance(given, dict) else {}
    return ControlAttributes(*(_on(given.get(key)) for key in CONTROL_KEYS))


def control_line(name: str, value: Any) -> bytes:
    # The JSON writer renders an entity with attributes as {"$attributes":...,"$value":null}
    # (TJsonConsumerTest.ListFragmentWithEntity in yt/yt/core/json/unittests/writer_ut.cpp).
    text = "true" if value is True else str(int(value))
    return b'{"$attributes":{"%s":%s},"$value":null}\n' % (name.encode(), text.encode())


class InputWriter:
    """The control rows before each row of one job's input, as the format writer decides
    them (see the module's docstring). `key_of` gives a row's key, for key switches; a row
    is whatever the caller hands to it."""

    def __init__(self, with_table_index: bool, control: ControlAttributes,
                 key_of: Callable[[Any], Any] | None):
        self.with_table_index = with_table_index
        self.control = control
        self.key_of = key_of if control.key_switch else None
        self.row_controls = with_table_index or control.sourced
        # the last values written, None for the writer's initial minimum i64
        self.table: int | None = None
        self.range: int | None = None
        self.row: int | None = None
        self.key: Any = None
        self.has_key = False

    def before(self, table_index: int, row: Any, row_index: int | None = None,
               range_index: int | None = None) -> list[bytes]:
        """The control lines before `row`, read from input `table_index` at `row_index` of
        its table and in its path's range `range_index` (needed when those are asked)."""
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
            if range_index is None:
                raise TypeError("a range index was asked of a row read without one")
            if range_index != self.range:
                out.append(control_line("range_index", range_index))
                self.range, needs_row_index = range_index, True
        if self.control.row_index:
            if row_index is None:
                raise TypeError("a row index was asked of a row read without one")
            needs_row_index = needs_row_index or row_index != self.row
            self.row = row_index
            if needs_row_index:
                out.append(control_line("row_index", row_index))
        return out

    def after(self) -> list[bytes]:
        return [control_line("end_of_stream", True)] if self.control.end_of_stream else []
