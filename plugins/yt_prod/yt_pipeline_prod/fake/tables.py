"""Heavy commands: write_table/read_table in JSON format (json_rows), write_file/read_file.

A write takes a shared lock on the table or file when it appends and an exclusive one when
it overwrites (the "Implicit locks" section of the Transactions page of the Cypress docs).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from yt_pipeline_prod.fake import control_attributes
from yt_pipeline_prod.fake.branches import REMOVED, set_attribute, write_data, write_rows
from yt_pipeline_prod.fake.cypress import split_path
from yt_pipeline_prod.fake.cypress_commands import transaction_of
from yt_pipeline_prod.fake.json_keys import wrapped_row_error
from yt_pipeline_prod.fake.json_rows import dump_rows, parse_rows, stringifies
from yt_pipeline_prod.fake.protocol import Request, YtFakeError, path_attributes, plain
from yt_pipeline_prod.fake.row_weight import (
    ROW_WEIGHT_LIMIT_EXCEEDED,
    too_heavy,
    writer_limits,
)
from yt_pipeline_prod.fake.schema_compatibility import inferred_schema, schema_incompatibility
from yt_pipeline_prod.fake.sorted_tables import (
    path_schema,
    sorted_concatenation,
    strong_key,
    unique_keys,
    upload_key,
    violation_code,
    with_schema,
    write_refusal,
)
from yt_pipeline_prod.fake.yql_tables import (
    SCHEMA_VIOLATION,
    schema_violation,
    strict_columns,
    writer_columns,
)

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.state import FakeState


def require_json(fmt: Any, what: str) -> None:
    if str(fmt) != "json":
        raise YtFakeError(f"the fake proxy only speaks JSON for {what}, got format {fmt}")


def select_rows(rows: list[dict[str, Any]], attributes: dict[str, Any], sourced: bool = False
                ) -> list[dict[str, Any]]:
    """The rows a path's ranges and columns select; `sourced`: each as a SourcedRow knowing
    its row index and range index (control_attributes.py)."""
    picked = _positions(len(rows), path_ranges(attributes))
    columns = plain(attributes.get("columns"))
    selected = []
    for row_index, range_index in picked:
        row = rows[row_index]
        if columns is not None:
            row = {k: v for k, v in row.items() if k in columns}
        selected.append(control_attributes.sourced(row, row_index, range_index) if sourced
                        else row)
    return selected


def path_ranges(attributes: dict[str, Any]) -> list[Any]:
    """A path's ranges: its `ranges`, or the one range its top-level `lower_limit` and
    `upper_limit` make (kept for compatibility: TRichYPath::GetRanges in
    yt/yt/client/ypath/rich.cpp; ytsaurus-client sends one when it reads a path without
    ranges again from the row it stopped at, `_ReadTableRetriableState` in
    yt/wrapper/table_commands.py); no range: the whole table."""
    single = {limit: plain(attributes[limit]) for limit in ("lower_limit", "upper_limit")
              if attributes.get(limit) is not None}
    ranges = plain(attributes.get("ranges"))
    if single and ranges is not None:
        raise YtFakeError('YPath cannot be annotated with both multiple ("ranges" attribute) '
                          'and single ("lower_limit" or "upper_limit" attributes) ranges')
    return [single] if single else list(ranges or [])


def _positions(count: int, ranges: list[Any]) -> list[tuple[int, int]]:
    """(row index, range index) of each row the ranges select, in their order."""
    if not ranges:
        return [(index, 0) for index in range(count)]
    picked: list[tuple[int, int]] = []
    for range_index, item in enumerate(ranges):
        if any("row_index" not in (item.get(limit) or {"row_index": 0})
               for limit in ("exact", "lower_limit", "upper_limit")):
            # a key range selects by the table's sort order and YT's key comparison:
            # refused rather than answered with every row
            raise YtFakeError(f"the fake proxy reads row ranges only, not {item}")
        exact = (item.get("exact") or {}).get("row_index")
        if exact is not None:
            lower, upper = exact, exact + 1
        else:
            lower = (item.get("lower_limit") or {}).get("row_index", 0)
            upper = (item.get("upper_limit") or {}).get("row_index", count)
        # a range is the rows whose index is in it, a negative limit selecting from the
        # first row, not from the end as a Python slice does (the integration test
        # test_row_index_selector: `[#-1:#1]` reads row 0, `[#-10:#-5]` nothing)
        picked.extend((index, range_index)
                      for index in range(max(lower, 0), min(max(upper, 0), count)))
    return picked


def cmd_write_table(state: FakeState, request: Request) -> None:
    require_json(request.param("input_format"), "write_table")
    tx = transaction_of(request)
    text, attributes = path_attributes(request.param("path"))
    rows = parse_rows(request.body)
    wrapped = next((row for row in rows if "$value" in row), None)
    if wrapped is not None:
        raise YtFakeError(wrapped_row_error(wrapped))
    append = bool(attributes.get("append"))
    cypress = state.cypress
    with cypress.lock:
        path = cypress.resolve(split_path(text)[0], tx)
        node = cypress.get_node(path, tx)
        if node.type != "table":
            raise YtFakeError(f"{path} is a {node.type}, not a table")
        # the upload locks the table before any row reaches a writer (BeginUpload in
        # yt/yt/server/master/chunk_server/chunk_owner_node_proxy.cpp; the writer that
        # checks rows against the schema opens after it): a write conflicting with another
        # transaction's lock fails on the lock, whatever its rows. An append to a table of
        # strong sorted schema locks it exclusively (sorted_tables.py).
        # a path's own schema (`<schema=...>//t`): the write is an overwrite of that strong
        # schema, which its writer checks rows with and the table has after it
        # (GetTableUploadOptions, table_upload_options.cpp: `!path.GetAppend() &&
        # pathSchema`, called by TSchemalessTableWriter::DoOpen in yt/yt/ytlib/table_client/
        # schemaless_chunk_writer.cpp); refused with `append` or `sorted_by` (path_schema)
        given = path_schema(attributes)
        if given is not None:
            node = with_schema(node, given)
        key = upload_key(node, attributes)
        lock = "exclusive" if key or not append else "shared"
        cypress.take_lock(path, tx, lock)
        node = cypress.get_node(path, tx)  # the transaction's branch, the lock taken
        if given is not None:
            node = with_schema(node, given)
        # a non-strict schema's own columns too (writer_columns)
        refused = schema_violation(writer_columns(node), rows)
        if refused:
            raise YtFakeError(refused, code=SCHEMA_VIOLATION, path=path)
        # the writer weighs each row, and a sorted one (`key`) its key first (row_weight)
        row_limit, key_limit = writer_limits(plain(request.param("table_writer")))
        refused = too_heavy(rows, row_limit, key, key_limit)
        if refused:
            raise YtFakeError(refused, code=ROW_WEIGHT_LIMIT_EXCEEDED, path=path)
        # a table of strong sorted schema stays sorted: the rows must keep its order, and
        # repeat no key if its schema says unique_keys (sorted_tables.py)
        refused = write_refusal(node, rows, append, key, unique_keys(node))
        if refused:
            raise YtFakeError(refused, code=violation_code(refused), path=path)
        write_rows(cypress, path, rows, append, tx, lock=lock)
        if given is not None:
            set_attribute(cypress, path, "schema", given, tx, locked=True)
            set_attribute(cypress, path, "sorted_by", key or REMOVED, tx, locked=True)
            return
        # A write without `sorted_by` leaves a table of weak schema unsorted, an append
        # included: GetTableUploadOptions in yt/yt/ytlib/table_client/helpers.cpp resets
        # the key columns for both ("Old behaviour - reset key columns if there were any").
        if attributes.get("sorted_by"):
            set_attribute(cypress, path, "sorted_by", key, tx, locked=True)
        elif strong_key(node) is None:
            set_attribute(cypress, path, "sorted_by", REMOVED, tx, locked=True)


def cmd_read_table(state: FakeState, request: Request) -> tuple[bytes, dict[str, Any]]:
    require_json(request.param("output_format"), "read_table")
    tx = transaction_of(request)
    text, attributes = path_attributes(request.param("path"))
    cypress = state.cypress
    with cypress.lock:
        path = cypress.resolve(split_path(text)[0], tx)
        node = cypress.get_node(path, tx)
        if node.type != "table":
            raise YtFakeError(f"{path} is a {node.type}, not a table")
        rows = select_rows(list(node.rows), attributes, sourced=True)
    # a cluster's driver names the first row's index only when there are rows
    # (TReadTableCommand::DoExecute in yt/yt/client/driver/table_commands.cpp)
    meta: dict[str, Any] = {"approximate_row_count": len(rows)}
    if rows:
        first = rows[0]
        assert isinstance(first, control_attributes.SourcedRow)
        meta["start_row_index"] = first.row_index
    stringify = stringifies(request.param("output_format"))
    writer = _control_writer(request.param("control_attributes"))
    if writer is None:
        return dump_rows(rows, stringify), meta
    lines = []
    for row in rows:
        lines.extend(writer.before(0, row))
        lines.append(dump_rows([row], stringify))
    return b"".join(lines), meta


#: the control attributes read_table writes here (TControlAttributesConfig in yt/yt/client/
#: formats/config.h names them), by the name the command takes them by
READ_CONTROLS = ("enable_table_index", "enable_row_index", "enable_range_index")


def _control_writer(given: Any) -> control_attributes.InputWriter | None:
    """The writer of the control rows `control_attributes` asks a read for: the format
    writer's own rules (yt_pipeline.control_rows), the rows' table index 0; None for
    none asked."""
    asked = {key: value for key, value in (plain(given) or {}).items()
             if str(value).lower() == "true" or value is True}
    if not asked:
        return None
    others = sorted(set(asked) - set(READ_CONTROLS))
    if others:
        raise YtFakeError(f"the fake proxy's read_table does not write {', '.join(others)}")
    control = control_attributes.ControlAttributes(
        row_index="enable_row_index" in asked, range_index="enable_range_index" in asked)
    return control_attributes.InputWriter("enable_table_index" in asked, control, None)


def _flag(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def cmd_write_file(state: FakeState, request: Request) -> None:
    """Bytes written to a file. With `compute_md5` the file's `md5` is its bytes' MD5, an
    append's included while the file kept its MD5 (or had no bytes yet); a write without it
    leaves the file with no `md5` (test_compute_hash in yt/yt/tests/integration/tests/
    test_files.py). Appending with compute_md5 to bytes of no MD5 is refused there; the
    words here are the fake's own."""
    tx = transaction_of(request)
    text, attributes = path_attributes(request.param("path"))
    cypress = state.cypress
    append = bool(attributes.get("append"))
    with_md5 = _flag(request.param("compute_md5", False))
    with cypress.lock:
        path = cypress.resolve(split_path(text)[0], tx)
        node = cypress.get_node(path, tx)
        if node.type != "file":
            raise YtFakeError(f"{path} is a {node.type}, not a file")
        if with_md5 and append and node.data and "md5" not in node.attributes:
            raise YtFakeError(f"Cannot compute the MD5 of an append to {path}: its data has "
                              "no MD5 to continue from")
        written = write_data(cypress, path, request.body, append, tx)
        md5 = hashlib.md5(written.data).hexdigest() if with_md5 else REMOVED
        set_attribute(cypress, path, "md5", md5, tx, locked=True)


def cmd_read_file(state: FakeState, request: Request) -> tuple[bytes, dict[str, Any]]:
    tx = transaction_of(request)
    text, _ = path_attributes(request.param("path"))
    cypress = state.cypress
    with cypress.lock:
        path = cypress.resolve(split_path(text)[0], tx)
        node = cypress.get_node(path, tx)
        if node.type != "file":
            raise YtFakeError(f"{path} is a {node.type}, not a file")
        data = node.data
    offset = int(request.param("offset") or 0)
    length = request.param("length")
    if (length is not None and int(length) < 0) or offset < 0:
        # test_read_interval (test_files.py): `length=-1` is refused; the words are the
        # fake's own
        raise YtFakeError(f"Cannot read {path} from offset {offset} for length {length}: "
                          "neither may be negative")
    data = data[offset:] if length is None else data[offset:offset + int(length)]
    return data, {}


def cmd_concatenate(state: FakeState, request: Request) -> None:
    """The rows of the source tables, in order, written to the destination, which must
    exist (ytsaurus-client's `concatenate` creates it first): appended under
    `<append=%true>` (a shared lock), else replacing its rows (an exclusive one). The
    destination keeps its own schema and loses its sort order (the "concatenate" command
    of the Cypress commands page of the YTsaurus docs), unless that schema is strong and
    sorted: then the sources must be sorted by its key (sorted_tables.py)."""
    tx = transaction_of(request)
    text, attributes = path_attributes(request.param("destination_path"))
    cypress = state.cypress
    with cypress.lock:
        path = cypress.resolve(split_path(text)[0], tx)
        node = cypress.get_node(path, tx)
        if node.type not in ("table", "file"):
            raise YtFakeError(f"{path} is a {node.type}, neither a table nor a file")
        sources = []
        for source in request.param("source_paths") or []:
            source_text, _ = path_attributes(source)
            source_path = cypress.resolve(split_path(source_text)[0], tx)
            source_node = cypress.get_node(source_path, tx)
            if source_node.type != node.type:
                raise YtFakeError(f"{source_path} is a {source_node.type}, not a {node.type} "
                                  f"as the destination {path}")
            sources.append((source_path, source_node))
        append = bool(attributes.get("append"))
        if node.type == "file":
            # files too: ytsaurus-client's parallel write_file uploads the parts of a large
            # file (two chunks or more) and joins them with concatenate
            # (make_parallel_write_request in yt/wrapper/parallel_writer.py)
            write_data(cypress, path, b"".join(each.data for _, each in sources), append, tx)
            # joined chunks carry no MD5 (test_compute_hash in test_files.py)
            set_attribute(cypress, path, "md5", REMOVED, tx, locked=True)
            return
        rows = [row for _, each in sources for row in each.rows]
        destination_schema = node.attributes.get("schema")
        if destination_schema is not None:
            check_source_schemas(path, destination_schema, sources)
        # concatenate moves the sources' chunks as they are, converting nothing: rows a
        # table of strict schema would refuse from a writer cannot join it this way either
        refused = schema_violation(strict_columns(node), rows)
        if refused:
            raise YtFakeError(refused, code=SCHEMA_VIOLATION, path=path)
        # into a table of strong sorted schema: a sorted concatenation (sorted_tables.py)
        ordered = sorted_concatenation(node, sources, append)
        write_rows(cypress, path, rows if ordered is None else ordered, append, tx)
        if ordered is None:
            set_attribute(cypress, path, "sorted_by", REMOVED, tx, locked=True)
        if destination_schema is None:
            # a destination of weak schema takes the schema its inputs agree on
            schema = inferred_schema([None] * append + [each.attributes.get("schema")
                                                        for _, each in sources])
            if schema is not None:
                set_attribute(cypress, path, "schema", schema, tx, locked=True)


#: EErrorCode::IncompatibleSchemas (yt/yt/client/table_client/public.h)
INCOMPATIBLE_SCHEMAS = 316


def check_source_schemas(path: str, destination: Any, sources: list[tuple[str, Any]]) -> None:
    """A destination of strong schema takes sources whose schemas are fully compatible with
    it (schema_compatibility.py), in the words of TNodeConcatenator's schema checker
    (yt/yt/ytlib/table_client/schema_inferer.cpp) and CheckTableSchemaCompatibility."""
    for source_path, source in sources:
        why = schema_incompatibility(source.attributes.get("schema"), destination)
        if why is not None:
            cause = YtFakeError(why)
            raise YtFakeError(
                f"Schema of output table {path} is not compatible with schema of input "
                f"table {source_path}",
                inner_errors=[YtFakeError("Table schemas are incompatible",
                                          code=INCOMPATIBLE_SCHEMAS, inner_errors=[cause])])


HANDLERS = {
    "concatenate": cmd_concatenate,
    "write_table": cmd_write_table, "read_table": cmd_read_table,
    "write_file": cmd_write_file, "read_file": cmd_read_file,
}
