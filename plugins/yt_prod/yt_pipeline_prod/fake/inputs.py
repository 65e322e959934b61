"""What the jobs of a fake operation read: the input tables, checked and fed as YT feeds them.

Facts from the YTsaurus sources and docs, each where it is used:
- table index control rows: when they are on (TUserJobSpec::InitEnableInputTableIndex in
  yt/yt/ytlib/scheduler/config.cpp) and where they go (WriteControlAttributes in
  yt/yt/client/formats/schemaless_writer_adapter.cpp);
- a reduce's input must be sorted by its key (TOperationControllerBase::
  CheckInputTablesSorted in yt/yt/server/controller_agent/controllers/
  operation_controller_detail.cpp), read through a column selection that keeps the key
  (yt_pipeline.key_filters), and reduce_by must start sort_by (the sorted and sort
  controllers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from yt_pipeline.key_filters import left_out_key_column
from yt_pipeline_prod.fake.control_attributes import ControlAttributes, InputWriter
from yt_pipeline_prod.fake.cypress import split_path
from yt_pipeline_prod.fake.json_rows import dump_rows
from yt_pipeline_prod.fake.protocol import YtFakeError, path_attributes, plain
from yt_pipeline_prod.fake.tables import select_rows

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.cypress import Cypress

Row = dict[str, Any]
#: a row and the index of its input table
Item = tuple[int, Row]
NO_CONTROL = ControlAttributes()


@dataclass
class InputTable:
    path: str
    sorted_by: list[str]
    rows: list[Row] = field(default_factory=list)
    #: a reduce's foreign table (`<foreign=%true>//t`: foreign.py)
    foreign: bool = False
    #: how many ranges the path selects (`//t[#1:#2,#5:#6]`: 2), 0 for the whole table
    range_count: int = 0
    #: the table's `schema` attribute (a strong schema: one a YQL write gave it), or None
    schema: Any = None
    #: the columns the path selects (`//t{a,b}`), None for all
    columns: list[str] | None = None


def read_inputs(cypress: Cypress, tx: str | None, paths: list[Any], sourced: bool = False
                ) -> list[InputTable]:
    """The input tables' rows; `sourced`: each knowing its row and range index, for the
    control rows that need them (control_attributes.py)."""
    tables = []
    for item in paths:
        text, attributes = path_attributes(rich_path(item))
        if "rename_columns" in attributes:
            # a cluster reads such a table under the new column names, its schema renamed
            # too (test_rename_columns in yt/yt/tests/integration/tests/controller/
            # test_merge_operation.py); ignored, the fake would read other rows than it
            raise YtFakeError("the fake proxy does not model rename_columns on an input "
                              f"path: {text}")
        path = cypress.resolve(split_path(text)[0], tx)
        node = cypress.get_node(path, tx)
        if node.type != "table":
            raise YtFakeError(f"{path} is a {node.type}, not a table")
        sorted_by = [str(c) for c in node.attributes.get("sorted_by") or []]
        tables.append(InputTable(path, sorted_by, select_rows(list(node.rows), attributes, sourced),
                                 foreign=bool(attributes.get("foreign")),
                                 range_count=len(plain(attributes.get("ranges")) or []),
                                 schema=node.attributes.get("schema"),
                                 columns=_selected(attributes.get("columns"))))
    return tables


def _selected(columns: Any) -> list[str] | None:
    return None if columns is None else [str(column) for column in columns]


def rich_path(item: Any) -> Any:
    """A path of the spec as the scheduler reads it: a string's YPath syntax (`//t{a,b}`,
    `//t[#1:#5]`, `<append=%true>//t`) parsed into attributes, as Deserialize(TRichYPath&,
    INodePtr) does by normalizing the path (yt/yt/client/ypath/rich.cpp). ytsaurus-client's
    own parser of that syntax gives the same attributes."""
    from yt.ypath import parse_ypath

    if not isinstance(item, str) or not item.startswith(("<", "//")):
        return item
    parsed = parse_ypath(item)
    for name, value in dict(getattr(item, "attributes", {}) or {}).items():
        parsed.attributes.setdefault(name, value)
    return parsed


def items_of(tables: list[InputTable]) -> list[Item]:
    """Every row with its table index, table after table (the order a merge keeps)."""
    return [(index, row) for index, table in enumerate(tables) for row in table.rows]


def table_index_enabled(user_job: dict[str, Any], input_count: int) -> bool:
    """Whether the job's input carries table index control rows: as the user job spec's
    `enable_input_table_index` says, and when it says nothing, exactly when there is more
    than one input table (InitEnableInputTableIndex: `inputTableCount != 1`)."""
    given = user_job.get("enable_input_table_index")
    if given is not None:
        return bool(given)
    return input_count != 1


def job_stdin(items: list[Item], with_index: bool, stringify: bool = False,
              control: ControlAttributes = NO_CONTROL,
              key_of: Callable[[Row], Any] | None = None) -> bytes:
    """A job's input as JSON lines, written as its format says (json_rows), each row after
    the control rows the writer puts before it (control_attributes.InputWriter): with the
    table index on, one before the first row and wherever the table changes; the others as
    the spec's job_io asks. `key_of`: a row's key, for key switches."""
    writer = InputWriter(with_index, control, key_of)
    out = []
    for index, row in items:
        out.extend(writer.before(index, row))
        out.append(dump_rows([row], stringify))
    out.extend(writer.after())
    return b"".join(out)


def _columns(columns: list[str]) -> str:
    return "[" + ", ".join(columns) + "]"


def check_sorted_inputs(tables: list[InputTable], spec: dict[str, Any]) -> None:
    """Refuse a reduce whose inputs are not sorted by sort_by (or reduce_by), or are read
    through a column selection that leaves out one of its columns (table by table, each
    checked for both), with YT's messages, then one whose reduce_by does not start its
    sort columns."""
    reduce_by = [str(c) for c in spec.get("reduce_by") or []]
    key = [str(c) for c in spec.get("sort_by") or []] or reduce_by
    for table in tables:
        if not table.sorted_by:
            raise YtFakeError(f"Input table {table.path} is not sorted")
    for table in tables:
        if table.sorted_by[: len(key)] != key:
            raise YtFakeError(
                f"Input table {table.path} is sorted by columns {_columns(table.sorted_by)} "
                f"that are not compatible with the requested columns {_columns(key)}")
        refused = left_out_key_column(table.path, table.columns, key)
        if refused:
            raise YtFakeError(refused)
    if key[: len(reduce_by)] != reduce_by:
        raise YtFakeError("Reduce sort columns are not compatible with sort columns",
                          reduce_by=reduce_by, sort_by=key)


def check_map_reduce_keys(spec: dict[str, Any]) -> None:
    reduce_by = [str(c) for c in spec.get("reduce_by") or []]
    sort_by = [str(c) for c in spec.get("sort_by") or []] or reduce_by
    if sort_by[: len(reduce_by)] != reduce_by:
        raise YtFakeError(f"Reduce columns {_columns(reduce_by)} are not compatible with sort "
                          f"columns {_columns(sort_by)}")
