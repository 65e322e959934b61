"""The columns of a .dev table for DuckDB, as YQL on a cluster sees the same table.

A table YQL wrote has a schema: its columns are kept under .dev/.cache/yql_columns by the
identity of the table file (`declare`), and by its bytes for a copy of the folder, and hold
while the file is the one that query wrote or a later write to it (`keep_schema`: a table
keeps its schema when rows are written to it, as on a cluster). Any other table
(write_table, operation outputs) has none, and YQL infers its columns from its first rows
(yt_pipeline.yql_rules).

The types of those columns are DuckDB's, as it finds them in every row (sample_size=-1):
given a sample's types, DuckDB silently converts a value whose type changes late (1.5 read
as 2). For a million rows that pass costs several times the query itself, so a query first
reads a table with the types of a sample, each value checked (yql_checked), and learns them
from every row only when a check fails or a type cannot be checked. Types learned are kept
in .dev/.cache/, keyed by the file's identity (inode, size, modification time in ns). Every
write replaces a table file by a rename or appends to it, so any change to a table gives a
new identity; a staged file being appended to in place keeps the one it had before the
append until the append ends (`identity_held`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from yt_pipeline.column_types import as_stored_text
from yt_pipeline.digests import blake2b
from yt_pipeline.errors import RefusedByCluster
from yt_pipeline.yamlio import write_file_atomic
from yt_pipeline_dev.content_digest import identity_of, sha256_of
from yt_pipeline_dev.schema_fast_check import all_fit
from yt_pipeline_dev.staging import TXN_DIR
from ytjobs.codec import iter_rows, loads_line

CACHE_DIR = Path(".cache") / "yql_schemas"
#: how a column with no value but null is given to read_json
NULL_TYPES = ('"NULL"', "NULL")


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


#: staged files being appended to in place, each with the identity it had before the append
_held: dict[Path, str] = {}


def identity(path: Path) -> str:
    held = _held.get(path)
    if held is not None:
        return held
    return identity_of(path.stat())


@contextmanager
def identity_held(table_file: Path) -> Iterator[None]:
    """While an append writes `table_file` in place (txn._appending_in_place), its schema
    is the one of the file before the append: looked up by the identity of the growing
    file, the table had none, and another thread of the stage found it unsorted and of
    no schema (a sort reading it failed on inputs of strict and non-strict schemas)."""
    _held[table_file] = identity(table_file)
    try:
        yield
    finally:
        del _held[table_file]


class SchemaCache:
    """Column types learned from every row of a table file, kept by the file's identity;
    DuckDB's work runs on the connection the caller gives, which may open that file."""

    def __init__(self, root: Path):
        self.folder = root / CACHE_DIR
        self.root = root

    def columns(self, table_file: Path, connection: Any) -> list[tuple[str, str]]:
        """(name, DuckDB type) of every column of a non-empty table file, from every row."""
        cached = self.cached(table_file)
        if cached is not None:
            return cached
        key = identity(table_file)
        columns = self._learn(table_file, connection)
        self._store(self._entry(table_file), {"identity": key, "columns": columns})
        return columns

    def cached(self, table_file: Path) -> list[tuple[str, str]] | None:
        """The columns learned from every row of the file as it is now, if they were."""
        data = load_entry(self._entry(table_file))
        if data is None or data.get("identity") != identity(table_file):
            return None
        # as_stored_text: an entry may have been kept before text stopped being read as dates
        return [(name, as_stored_text(kind)) for name, kind in data["columns"]]

    def sampled(self, table_file: Path, rows: int, connection: Any,
                copy: Path | None = None) -> dict[str, str]:
        """The DuckDB type of each column in the first `rows` rows of a table file.

        With `copy` (a file the connection may open), those rows are copied there and
        DuckDB describes the copy: the same rows give the same types, and DuckDB, given
        the whole table, reads far more of it than the sample (40 ms against 6 ms on a
        million rows)."""
        source = table_file
        if copy is not None and _copy_first_lines(table_file, copy, rows):
            source = copy
        described = connection.execute(
            f"DESCRIBE SELECT * FROM read_json({sql_literal(str(source))}, "
            f"format='newline_delimited', sample_size={int(rows)})").fetchall()
        return {str(row[0]): as_stored_text(str(row[1])) for row in described}

    def read_sql(self, table_file: Path, columns: list[tuple[str, str]]) -> str:
        """A read_json call with the columns given, so DuckDB need not learn them."""
        listed = ", ".join(f"{sql_literal(name)}: {sql_literal(_readable(kind))}"
                           for name, kind in columns)
        return (f"read_json({sql_literal(str(table_file))}, format='newline_delimited', "
                f"columns={{{listed}}})")

    def _learn(self, table_file: Path, connection: Any) -> list[tuple[str, str]]:
        described = connection.execute(
            f"DESCRIBE SELECT * FROM read_json({sql_literal(str(table_file))}, "
            "format='newline_delimited', sample_size=-1)").fetchall()
        return [(str(row[0]), as_stored_text(str(row[1]))) for row in described]

    def _entry(self, table_file: Path) -> Path:
        relative = str(table_file.resolve().relative_to(self.root.resolve()))
        name = blake2b(relative.encode("utf-8", "surrogateescape"), digest_size=20)
        return self.folder / (name.hexdigest() + ".json")

    def _store(self, entry: Path, data: dict[str, Any]) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_text_atomic(entry, json.dumps(data))
        except OSError:
            pass  # a cache that cannot be written only costs time next query


#: a sample bigger than this is described in the table itself rather than copied
SAMPLE_COPY_BYTES = 64 << 20


def _copy_first_lines(table_file: Path, copy: Path, count: int) -> bool:
    """Write the first `count` lines of `table_file` to `copy`; False (and no copy) when
    they are too big to be worth copying."""
    taken, size = [], 0
    with table_file.open("rb") as handle:
        for line in handle:
            taken.append(line)
            size += len(line)
            if size > SAMPLE_COPY_BYTES:
                return False
            if len(taken) >= count:
                break
    copy.write_bytes(b"".join(taken))
    return True


class FirstRows(list[dict[str, Any]]):
    """The rows of a table file's first lines, and how many of those lines held none."""

    def __init__(self, rows: Iterable[dict[str, Any]] = (), lines: int = 0):
        super().__init__(rows)
        #: the lines read: all there are when fewer than were asked for
        self.lines = lines

    @property
    def skipped(self) -> int:
        """Lines blank or holding no object."""
        return self.lines - len(self)


def first_rows(table_file: Path, count: int) -> FirstRows:
    """The rows of the first `count` lines of a table file."""
    rows = FirstRows()
    with table_file.open("rb") as handle:
        for line in handle:
            if rows.lines >= count:
                break
            rows.lines += 1
            if line.strip():
                row = loads_line(line)
                if isinstance(row, dict):
                    rows.append(row)
    return rows


def load_entry(entry: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # missing or damaged
    return data if isinstance(data, dict) else None


def _readable(kind: str) -> str:
    return "JSON" if kind in NULL_TYPES else kind


# -- the schema a YQL write gives its table ----------------------------------------------------

#: where the columns YQL gave its tables are kept, one file per table file's identity: the
#: identity (inode, size, mtime) follows a staged file renamed over its table at a stage's
#: commit, and any other write to the table makes a new identity, which has no schema
DECLARED_DIR = Path(".cache") / "yql_columns"
#: the same columns kept by the file's bytes (size and SHA-256), for a file whose identity
#: changed without a write: a `.dev` folder copied (`cp -r`) or restored from an archive
#: gives every file a new inode and modification time, and its tables lost their schemas
BY_CONTENT = "by_content"
#: the identity of the `.dev` folder the entries were made in: another one says the folder
#: is a copy, whose table files are then matched to their entries by their bytes, once.
#: Only then: in the folder itself a file of new identity was written (a table removed and
#: written again with the same rows has no schema, as on a cluster)
FOLDER_MARK = "folder"


def declared_file(root: Path, table_file: Path) -> Path:
    return root / DECLARED_DIR / f"{identity(table_file)}.json"


def _content_file(root: Path, table_file: Path, size: int) -> Path:
    digest = sha256_of(table_file)
    return root / DECLARED_DIR / BY_CONTENT / f"{size}-{digest}.json"


def _write_entry(entry: Path, data: dict[str, Any]) -> None:
    """Keep `data` in `entry`: left as it is when it holds them already, only made as new
    as a write would make it (prune_declared goes by its age). An INSERT over a table of
    schema declares its file twice, the table's schema kept (keep_schema) then its own, and
    a table written again with the same rows has its entry by bytes already: each write is
    a temporary file renamed, some ms each."""
    text = json.dumps(data)
    try:
        if entry.read_text(encoding="utf-8") == text:
            os.utime(entry)
            return
    except OSError:
        pass  # none yet (or unreadable): written
    _write_text_atomic(entry, text)


class DeclaredColumns(list[tuple[str, str]]):
    """The columns (name, DuckDB type) YQL gave a table, the names of those it made
    required (their YQL type is not Optional: yql_required), which take no null, and
    whether the schema says unique_keys (unique_keys.py), and the hidden sort columns that
    hold presort bytes (yql_presort: text of one character a byte, which a cluster's JSON
    read refuses when they are no UTF-8; `presorted_of`), and the text columns YQL wrote
    as Utf8 (yql_utf8), of YT type `utf8`, which DuckDB keeps as VARCHAR (`utf8_of`)."""

    def __init__(self, columns: Iterable[tuple[str, str]], required: Iterable[str] = (),
                 unique_keys: bool = False, presorted: Iterable[str] = (),
                 utf8: Iterable[str] = ()):
        super().__init__(columns)
        self.required = frozenset(required)
        self.unique_keys = unique_keys
        self.presorted = frozenset(presorted)
        self.utf8 = frozenset(utf8)


def required_of(columns: list[tuple[str, str]] | None) -> frozenset[str]:
    """The required columns of a declared schema (none for plain (name, type) pairs)."""
    return getattr(columns, "required", frozenset())


def presorted_of(columns: list[tuple[str, str]] | None) -> frozenset[str]:
    """The columns of a declared schema holding presort bytes (DeclaredColumns)."""
    return getattr(columns, "presorted", frozenset())


def utf8_of(columns: list[tuple[str, str]] | None) -> frozenset[str]:
    """The columns of a declared schema of YT type `utf8` (DeclaredColumns)."""
    return getattr(columns, "utf8", frozenset())


def yt_types(columns: list[tuple[str, str]]) -> dict[str, str]:
    """The YT type of each column of a declared schema: its DuckDB type's, `utf8` for a
    column YQL wrote as Utf8 (a VARCHAR too)."""
    from yt_pipeline.column_types import yt_column_type

    utf8 = utf8_of(columns)
    return {name: "utf8" if name in utf8 else yt_column_type(kind) for name, kind in columns}


def declare(root: Path, table_file: Path, columns: list[tuple[str, str]],
            key: list[str] | None = None) -> None:
    """Record the columns YQL gave the table (its required ones, of DeclaredColumns,
    too), and the key a sort then gave it (its strict schema sorted, sorted_schema.py),
    for the file as it is now: by its identity, read at each query, and by its bytes,
    read when the folder was copied."""
    _follow_a_copy(root)
    data: dict[str, Any] = {"columns": columns}
    if required_of(columns):
        data["required"] = sorted(required_of(columns))
    if presorted_of(columns):
        data["presorted"] = sorted(presorted_of(columns))
    if utf8_of(columns):
        data["utf8"] = sorted(utf8_of(columns))
    if key:
        data["sorted_by"] = list(key)
    _write_entry(declared_file(root, table_file), data)
    # a transaction's staged file gets its entry by bytes once, when the transaction is
    # prepared (`declare_by_content`): hashing the whole file at each append made a stage
    # appending a row at a time to a table of schema pay for the table each time
    if table_file.parent.parent != root / TXN_DIR:
        declare_by_content(root, table_file, data)


def declare_by_content(root: Path, table_file: Path, data: dict[str, Any] | None = None
                       ) -> None:
    """Key the schema declared for `table_file` (`data`, else its entry by identity) by
    the file's bytes too, for a copy of the folder to find it (`_follow_a_copy`)."""
    data = data if data is not None else load_entry(declared_file(root, table_file))
    if data is not None:
        size = table_file.stat().st_size
        _write_entry(_content_file(root, table_file, size), data)


def declared(root: Path, table_file: Path) -> list[tuple[str, str]] | None:
    """The columns YQL gave the table, if the file is still the one it wrote (or a copy of
    it); None when the table has no schema (never written by YQL, or written since by
    something else)."""
    return declared_with_key(root, table_file)[0]


def declared_with_key(root: Path, table_file: Path
                      ) -> tuple[DeclaredColumns | None, list[str]]:
    """The columns (as `declared`) and the key (as `declared_key`, [] for none) of one
    version of the table file, looked up once: FileNotFoundError when it is gone. (Looked
    up one after the other, a table replaced or removed between the two had the columns
    of one version and the key of the next, or none.)"""
    _follow_a_copy(root)
    data = load_entry(declared_file(root, table_file))
    if data is None:
        return None, []
    columns = DeclaredColumns([(str(name), str(kind)) for name, kind in data["columns"]],
                              data.get("required") or (), bool(data.get("unique_keys")),
                              data.get("presorted") or (), data.get("utf8") or ())
    return columns, [str(column) for column in data.get("sorted_by") or []]


def declared_key(root: Path, table_file: Path | None) -> list[str] | None:
    """The key columns of a table whose strict schema a sort made sorted; None for any
    other table (or a missing file)."""
    if table_file is None or not table_file.exists():
        return None
    _follow_a_copy(root)
    data = load_entry(declared_file(root, table_file))
    key = data.get("sorted_by") if data else None
    return [str(column) for column in key] if key else None


def _follow_a_copy(root: Path) -> None:
    """In a copy of a `.dev` folder, key each table file's columns by its new identity."""
    from yt_pipeline_dev.paths import TABLE_SUFFIX

    kept = root / DECLARED_DIR
    mark = kept / FOLDER_MARK
    status = root.stat()
    here = f"{status.st_dev}-{status.st_ino}"
    try:
        made_in = mark.read_text(encoding="utf-8")
    except OSError:
        made_in = None
    if made_in == here:
        return
    if made_in is not None:  # copied: a table file whose bytes have an entry gets it back
        sizes = {entry.name.split("-", 1)[0] for entry in (kept / BY_CONTENT).glob("*.json")}
        for table_file in _table_files(root, TABLE_SUFFIX):
            try:
                size = table_file.stat().st_size
                if str(size) not in sizes:
                    continue  # no entry of its size
                data = load_entry(_content_file(root, table_file, size))
            except FileNotFoundError:
                continue  # removed meanwhile by a run sharing the folder
            if data is not None:
                _write_entry(declared_file(root, table_file), data)
    try:
        # whole or not at all: another run reading a half-written mark took the folder
        # for a copy of another one
        _write_text_atomic(mark, here)
    except OSError:
        pass  # a read-only copy: matched by bytes again next time


def _table_files(root: Path, suffix: str) -> Iterator[Path]:
    """The table files under `root`, not those of its hidden folders (the cache, staged
    writes): os.walk passes over a folder removed while it walks (a transaction's, by a run
    sharing the folder), where Path.rglob raised FileNotFoundError."""
    for folder, names, files in os.walk(root):
        at_top = Path(folder) == root
        if at_top:
            names[:] = [name for name in names if not name.startswith(".")]
        for name in files:
            if name.endswith(suffix) and not (at_top and name.startswith(".")):
                yield Path(folder) / name


def _write_text_atomic(path: Path, text: str) -> None:
    """Write `path` whole or not at all, through a temporary file of this writer's own:
    named by the process alone, two threads of one run (parallel stages) wrote one
    temporary file at once, and one put the other's half-written file in place. A cache
    entry, not forced to disk (a lost one is learned again)."""
    write_file_atomic(path, text, durable=False, mode=0o644)


def schema_of(root: Path, table_file: Path | None) -> list[tuple[str, str]] | None:
    """The columns YQL gave a table file, if any (None for a missing file)."""
    if table_file is None or not table_file.exists():
        return None
    return declared(root, table_file)


def keep_schema(root: Path, columns: list[tuple[str, str]] | None, target: Path | None,
                key: list[str] | None = None) -> None:
    """A write made `target`: the schema its table had (`schema_of` before), sorted by `key`
    if it was, goes with it, as a cluster's table keeps its schema when rows are written to
    it (only a YQL `INSERT ... WITH TRUNCATE` gives it another, and a removed table has
    none)."""
    if columns is not None and target is not None and target.exists():
        declare(root, target, columns, key)


def refused_row(columns: list[tuple[str, str]] | None, table_file: Path,
                start: int = 0, stored_doubles: frozenset[str] = frozenset()
                ) -> tuple[int, str] | None:
    """(row number, the cluster's words) for the first row of `table_file` from byte
    `start` (where an append's rows begin) the schema YQL gave the table refuses, or None.
    `stored_doubles`: columns whose non-finite texts are doubles dev kept so (yql_doubles),
    for rows a sort moves from tables of such columns: a cluster checks their values.

    A cluster keeps a table's strict schema through every write, an overwrite too
    (GetTableUploadOptions in yt/yt/client/table_client/table_upload_options.cpp), and its
    table writer refuses a column the schema lacks ("Unknown column %Qv in strict schema":
    yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp) or a value of another type than
    its column's, or null in a required one (yt_pipeline.column_types)."""
    if columns is None:
        return None
    from yt_pipeline import column_types

    types = column_types.SchemaColumns(yt_types(columns), required_of(columns))
    if all_fit(types, table_file, start):  # a typed decode: a tenth of the look below
        return None
    with table_file.open("rb") as handle:
        handle.seek(start)
        for number, row in enumerate(iter_rows(handle, drop_control=True), 1):
            if stored_doubles:
                row = column_types.as_doubles(row, stored_doubles)
            refused = column_types.refused_row(types, row)
            if refused is not None:
                return number, refused
    return None


def refuse_rows_off_schema(columns: list[tuple[str, str]] | None, table_file: Path,
                           path: str, start: int = 0,
                           stored_doubles: frozenset[str] = frozenset()) -> None:
    """RowOffSchema when a row written to table `path` (from byte `start` of its file)
    does not fit its strict schema (one a YQL INSERT or create_path gave it); rows are
    numbered from the first one written. Not retried, as prod's schema violation is not
    (yt_pipeline_prod.failures.PERMANENT_CODES): the same rows are refused again."""
    found = refused_row(columns, table_file, start, stored_doubles)
    if found is not None:
        number, refused = found
        assert columns is not None
        raise RowOffSchema(
            f"write to {path}: row {number}: {refused}: the table's strict schema "
            f"({', '.join(name for name, _ in columns)}) stays through later writes, as on "
            "a cluster. Write rows that fit it, remove the table first, or write it with "
            "INSERT ... WITH TRUNCATE", refused)


class RowOffSchema(RefusedByCluster):
    """A row its table's strict schema refuses; `refused` holds the cluster's words alone
    (what an operation's error says, where a write's names the row and the way out)."""

    def __init__(self, message: str, refused: str):
        super().__init__(message)
        self.refused = refused


#: the entries a folder may hold before `prune_declared` looks for stale ones
PRUNE_ABOVE = 64
#: an entry younger than this is never removed: the write it was made for may still be
#: under way (a staged file about to be renamed over its table)
PRUNE_AFTER_S = 3600


def prune_declared(root: Path, now: float) -> int:
    """Remove the kept schemas of table files that are gone; return how many.

    Each write of a table with a schema keeps it under a new identity and new bytes
    (`declare`), and the entries of the versions before stay: a stage appending a row 400
    times left 800 files. An entry by identity is stale when no file under `root` has that
    identity, one by bytes when no file has its size; only entries older than
    PRUNE_AFTER_S go, and only when no transaction is under way (a file being renamed from
    its transaction's folder to its table's could be missed by the walk)."""
    from yt_pipeline_dev.staging import TXN_DIR

    kept = root / DECLARED_DIR
    # (path, what keeps it) of each entry, by os.scandir: Path objects for 40,000 entries
    # took a third of the time
    try:
        # `<identity>.json` (a name ".json" has no suffix: Path.suffix)
        by_identity = [(e.path, e.name[:-5]) for e in _listed(kept)
                       if e.name.endswith(".json") and e.name != ".json"]
    except OSError:
        return 0
    try:
        # `<size>-<digest>.json`
        by_bytes = [(e.path, e.name.split("-", 1)[0]) for e in _listed(kept / BY_CONTENT)
                    if e.name.endswith(".json")]
    except OSError:
        by_bytes = []  # none kept by bytes yet
    if len(by_identity) + len(by_bytes) <= PRUNE_ABOVE:
        return 0
    if any((root / TXN_DIR).glob("*")):
        return 0
    identities, sizes = set(), set()
    top = str(root)
    for folder, names, files in os.walk(top):
        if folder == top:
            # a schema is kept for a table file of a table's folder or a transaction's
            # (declare is given visible_file's or a staged one): dev's other folders at the
            # top hold none, and walking them stat'ed every file of each kept sandbox (a
            # user's whole code tree) and of the cache with its entries at each run's start
            names[:] = [name for name in names if not name.startswith(".") or name == TXN_DIR]
        for name in files:
            try:
                status = os.stat(os.path.join(folder, name), follow_symlinks=False)
            except OSError:
                continue
            identities.add(identity_of(status))
            sizes.add(str(status.st_size))
    removed = 0
    stale = [path for path, key in by_identity if key not in identities]
    stale += [path for path, key in by_bytes if key not in sizes]
    for entry in stale:
        try:
            if os.stat(entry).st_mtime < now - PRUNE_AFTER_S:
                os.unlink(entry)
                removed += 1
        except OSError:
            continue
    return removed


def _listed(folder: Path) -> list[os.DirEntry[str]]:
    with os.scandir(folder) as found:
        return list(found)
