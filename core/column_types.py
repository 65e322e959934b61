"""Which values a cluster's table writer accepts in a column of a schema, for both backends
(dev's YQL tables and the fake proxy's); a non-strict schema's columns are checked as a
strict one's (SchemaColumns.strict), other columns pass.

A table a YQL INSERT wrote keeps that strict schema through later writes, and the writer
refuses a value whose type is not the column's, and null in a required column (a YQL
column is optional unless yql_required finds its type is not).
The one conversion a writer makes by default is between int64 and uint64, when the value
fits; an integer is not turned into a double, nor anything into a string.

Sources (ytsaurus/ytsaurus): `ValidateValueType` in yt/yt/client/table_client/
unversioned_row.cpp ("Invalid type of column %Qv: expected type %Qlv or %Qlv but got %Qlv",
EErrorCode::SchemaViolation), `TTypeConversionConfig` in yt/yt/client/table_client/config.cpp
(only `enable_integral_type_conversion` defaults to true) and `TValueConsumerBase` in
yt/yt/client/table_client/value_consumer.cpp (the conversion and its overflow errors); the
same defaults in the "Formats" page of the YTsaurus docs (type conversion options).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from yt_pipeline.yson_size import yson_size

#: DuckDB column types and the YT column types a YQL write gives them; any other is `any`.
#: An integer keeps its width and sign: YQL writes an Int32 column as int32, a Uint8 one
#: as uint8 (RowSpecYqlTypeToYtType in yt/yql/providers/yt/lib/schema/schema.cpp,
#: ydb-platform/ydb, whatever the native type flags). A HUGEINT stands for an Int64
#: (yql_operators). DuckDB reads a literal such as 0.5 as a DECIMAL, which YQL reads as a
#: Double, and the engines give its values as floats.
YQL_COLUMN_TYPES = {"BIGINT": "int64", "INTEGER": "int32", "SMALLINT": "int16",
                    "TINYINT": "int8", "HUGEINT": "int64", "UBIGINT": "uint64",
                    "UINTEGER": "uint32", "USMALLINT": "uint16", "UTINYINT": "uint8",
                    "DOUBLE": "double", "FLOAT": "float", "DECIMAL": "double",
                    "BOOLEAN": "boolean", "VARCHAR": "string",
                    # YQL's Date, Datetime and Timestamp (yql_times)
                    "DATE": "date", "TIMESTAMP_S": "datetime", "TIMESTAMP": "timestamp",
                    # and its Interval, microseconds either way (yql_times)
                    "INTERVAL": "interval"}
#: YT's time types: an unsigned count of days, seconds or microseconds since 1970, which
#: the writer takes as an integer, with the integral conversion of uint64 (yql_times)
_TIME_TYPES = ("date", "datetime", "timestamp")
#: the values each time type holds, both ends included: days, seconds and microseconds
#: before 2106-01-01, an interval's microseconds either way (DateUpperBound and
#: GetLogicalTypeMax/Min in yt/yt/client/table_client/validate_logical_type-inl.h, whose
#: ValidateIntegerRange refuses a value "out of allowed range [min, max]")
_DAYS = 49673
TIME_RANGES = {"date": (0, _DAYS - 1), "datetime": (0, _DAYS * 86400 - 1),
               "timestamp": (0, _DAYS * 86400 * 10 ** 6 - 1),
               "interval": (-(_DAYS * 86400 * 10 ** 6 - 1), _DAYS * 86400 * 10 ** 6 - 1)}

#: the finite values a float column holds: a 32-bit float's, both ends included
FLOAT_RANGE = (-3.4028234663852886e38, 3.4028234663852886e38)

_INT64 = (-(2 ** 63), 2 ** 63)
_UINT64 = (0, 2 ** 64)
#: each YT integer type's range (start, end): int8 to int32 and uint8 to uint32 are kept
#: as 64-bit values, in the range of their type
INTEGER_RANGES = {f"{sign}int{bits}": ((-(2 ** (bits - 1)), 2 ** (bits - 1)) if sign == ""
                                       else (0, 2 ** bits))
                  for sign in ("", "u") for bits in (8, 16, 32, 64)}


#: the DuckDB type a YQL query reads a narrow integer column of a table's schema as
NARROW_INTEGERS = {"int8": "TINYINT", "int16": "SMALLINT", "int32": "INTEGER",
                   "uint8": "UTINYINT", "uint16": "USMALLINT", "uint32": "UINTEGER"}


#: and the types a reader takes otherwise: a `float` column's values are read as doubles
#: (YT keeps them so), and YQL reads the column as a Float; the JSON reader takes an int64
#: or uint64 column holding a value near or past BIGINT's ends as a HUGEINT, where YQL
#: reads an Int64 or a Uint64 (a CAST of one names its type: yql_cast_rules)
_NARROW_TYPES = {**NARROW_INTEGERS, "float": "FLOAT", "int64": "BIGINT", "uint64": "UBIGINT"}


def narrowed_select(yt_types: dict[str, str], sql: str, quote: Callable[[str], str]) -> str:
    """A table expression reading `sql` (a table's stored rows, whose integers a reader
    takes as 64-bit, its floats as doubles) with its narrow columns (name: YT type) in
    their own type, as YQL reads a column of its schema."""
    narrowed = [f"CAST({quote(name)} AS {_NARROW_TYPES[kind]}) AS {quote(name)}"
                for name, kind in yt_types.items() if kind in _NARROW_TYPES]
    if not narrowed:
        return sql
    return f"(SELECT * REPLACE ({', '.join(narrowed)}) FROM {sql})"


#: the types DuckDB's JSON reader gives a string whose text looks like a date, a time or a
#: UUID, alone or inside a list or struct type
_TEXT_TAKEN_FOR = re.compile(r"(?<![\w\"])(?:TIMESTAMP WITH TIME ZONE|TIME WITH TIME ZONE|"
                             r"TIMESTAMP_NS|TIMESTAMP_MS|TIMESTAMP_S|TIMESTAMP|DATE|TIME|UUID)"
                             r"(?![\w\"])")


def as_stored_text(duckdb_type: str) -> str:
    """A type DuckDB learned from a table's JSON rows, with what it took for a date, time or
    UUID read as the text it is. A string value of a table without a schema is a String to
    YQL whatever it holds (a YSON string is a String: TStreamSchemaInferer::AddRow in
    yt/yql/providers/yt/lib/infer_schema/infer_schema.cpp, ydb-platform/ydb); DuckDB's
    guess gave a "2024-01-05" column's values as counts of days, and refused
    String::Contains on an ISO time."""
    return _TEXT_TAKEN_FOR.sub("VARCHAR", duckdb_type)


#: the DuckDB type of a NULL literal (`SELECT NULL AS note`): YQL's Null type
NULL_KINDS = ('"NULL"', "NULL")


def yt_column_type(duckdb_type: str) -> str:
    """The YT type of a column YQL wrote from a DuckDB column of this type. A NULL literal's
    column is of YQL's Null type, which YQL writes as `null` (the query tracker's
    NativeYtTypeCompatibility includes "null": DefaultGatewaySettings in
    yt/yql/plugin/config.cpp; RowSpecYqlTypeToYtNativeType in
    yt/yql/providers/yt/lib/schema/schema.cpp, ydb-platform/ydb)."""
    if duckdb_type in NULL_KINDS:
        return "null"
    return YQL_COLUMN_TYPES.get(duckdb_type.split("(")[0].strip().upper(), "any")


def value_type(value: Any) -> str:
    """The YT value type a client sends for this Python value (bool before int: a bool is
    an int to Python, a boolean to YT; an integer past int64 goes as uint64)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int64" if _INT64[0] <= value < _INT64[1] else "uint64"
    if isinstance(value, float):
        return "double"
    if isinstance(value, (str, bytes)):
        return "string"
    return "any"  # a list or a map: a composite value


def refused_value(column: str, column_type: str, value: Any) -> str | None:
    """What the table writer says of `value` in `column` of type `column_type`, or None
    when it is written."""
    got = value_type(value)
    if got == "uint64" and value >= _UINT64[1]:
        # no YT integer holds it: the format's parser refuses it, whatever the column
        return f'Integer out of the int64 and uint64 ranges in column "{column}"'
    if got == "null" or column_type == "any" or got == column_type:
        return None
    if column_type == "utf8" and got == "string":
        # a utf8 column takes a string of valid UTF-8 (ValidateSimpleLogicalType<Utf8> in
        # yt/yt/client/table_client/validate_logical_type-inl.h): bytes that are not, or a
        # text holding a lone surrogate (bytes a reader kept by surrogateescape), are not
        return None if _valid_utf8(value) else "Not a valid utf8 string"
    if column_type == "float" and got == "double":
        # a float column keeps doubles, a finite one within a float's range (YT's
        # ValidateSimpleLogicalType<Float> in yt/yt/client/table_client/
        # validate_logical_type-inl.h: infinities and NaN pass)
        if not math.isfinite(value) or FLOAT_RANGE[0] <= value <= FLOAT_RANGE[1]:
            return None
        return (f"Value {value} is out of allowed range [{FLOAT_RANGE[0]}, {FLOAT_RANGE[1]}] "
                f'in column "{column}" of type "float"')
    if column_type in _TIME_TYPES and got in ("int64", "uint64") and value >= 0 or \
            column_type == "interval" and got == "int64":
        low, high = TIME_RANGES[column_type]
        if low <= value <= high:
            return None
        return (f"Value {value} is out of allowed range [{low}, {high}] in column "
                f'"{column}" of type "{column_type}"')
    if column_type in INTEGER_RANGES and got in ("int64", "uint64"):
        low, high = INTEGER_RANGES[column_type]
        if low <= value < high:
            return None  # enable_integral_type_conversion, on by default
        if column_type not in ("int64", "uint64"):
            return (f'Value {value} is out of the range of type "{column_type}" in column '
                    f'"{column}"')
        if value < 0:
            return f'Unable to convert negative int64 to uint64 in column "{column}"'
        return f'Unable to convert uint64 to int64 in column "{column}": it overflows'
    return (f'Invalid type of column "{column}": expected type "{column_type}" or "null" '
            f'but got "{got}"')


def _valid_utf8(value: str | bytes) -> bool:
    try:
        if isinstance(value, bytes):
            value.decode("utf-8")
        else:
            value.encode("utf-8")
    except UnicodeError:
        return False
    return True


class SchemaColumns(dict[str, str]):
    """The columns of a schema (name: YT type), which of them are required (`required:
    true`, a type_v3 that is not optional: a YQL write's COUNT or literal column,
    yql_required), and whether the schema is strict (a non-strict one takes columns it does
    not name, but its own columns' values are checked all the same)."""

    def __init__(self, types: dict[str, str], required: Iterable[str] = (),
                 strict: bool = True):
        super().__init__(types)
        self.required = frozenset(required)
        self.strict = strict


def refused_row(columns: dict[str, str], row: dict[str, Any]) -> str | None:
    """What the table writer says of the first value of `row` a schema of these columns
    (name: YT type, in the schema's order) refuses, a column it lacks included when it is
    strict (SchemaColumns.strict; a plain dict is), a null in a required column
    (SchemaColumns) too; None when it takes the row.

    The writer (ReorderAndValidateRows in yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp,
    ytsaurus/ytsaurus) first places the row's values by column, refusing one the schema
    lacks, and fills each schema column the row leaves out with null; it then checks every
    schema column's value in the schema's order (ValidateValueType in
    yt/yt/client/table_client/unversioned_row.cpp). So a required column left out is refused
    as its null: "Required column %v cannot have %Qlv value" (the column named by
    GetDiagnosticNameString, "%Qv" of its name).

    A non-strict schema's writer goes the same way but keeps a column the schema lacks
    after its own ones, unchecked ("Unknown column" is raised only for `IsStrict()`); its own
    columns' values are validated as a strict schema's are (ValidateValueType for every
    schema column, whatever the strictness)."""
    required: frozenset[str] = getattr(columns, "required", frozenset())
    strict: bool = getattr(columns, "strict", True)
    for name, value in row.items():
        # an integer no YT type holds: the format's parser refuses it before any writer
        if value_type(value) == "uint64" and value >= _UINT64[1]:
            return refused_value(name, columns.get(name, "any"), value)
    for name in row:
        if strict and name not in columns:
            return f'Unknown column "{name}" in strict schema'
    for name, column_type in columns.items():
        value = row.get(name)
        if value is None and name in required:
            return f'Required column "{name}" cannot have "null" value'
        refused = refused_value(name, column_type, value)
        if refused is not None:
            return refused
    return None


class IncomparableKey(ValueError):
    """A sort or a reduce compared a key column's list or map value with another value."""


class HeavyKey(ValueError):
    """A sort wrote a row whose key weighs as much as the limit or more."""


#: a sorted table writer's default limit on the weight of a row's key (max_key_weight in
#: TChunkWriterConfig, yt/yt/ytlib/table_client/config.cpp: Default(16_KB))
MAX_KEY_WEIGHT = 16 * 1024


def value_weight(value: Any, encoded_size: Callable[[Any], int] = yson_size) -> int:
    """A value's data weight as YT counts it (GetDataWeight in yt/yt/client/table_client/
    unversioned_row.cpp): a string's bytes, 8 for a number, 1 for a boolean, nothing for
    null; a list or a map, kept as one encoded value, the size `encoded_size` gives it (its
    binary YSON by default: yson_size)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 1
    if isinstance(value, (int, float)):
        return 8
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, bytes):
        return len(value)
    return encoded_size(value)


#: what a table writer counts for a row besides its values: TUnversionedChunkWriterBase::
#: UpdateDataWeight (yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp) starts the row's
#: weight at 1, then adds its key columns' values (the key weight it checks against
#: max_key_weight), then the other values (the row weight it checks against max_row_weight,
#: and what the table's data_weight sums)
ROW_WEIGHT_BASE = 1


def row_weight(row: dict[str, Any], encoded_size: Callable[[Any], int] = yson_size) -> int:
    """A row's weight as a table writer counts it: 1, and its values' data weights."""
    return ROW_WEIGHT_BASE + sum(value_weight(value, encoded_size) for value in row.values())


def key_weight(row: dict[str, Any], columns: Sequence[str],
               encoded_size: Callable[[Any], int] = yson_size) -> int:
    """A row's key weight as a sorted writer counts it: 1, and its key values' weights.
    The writer weighs a key value as any other (UpdateDataWeight calls GetDataWeight for
    the key columns and the rest alike), so a list or a map in a key column weighs what
    `encoded_size` gives it, as in row_weight."""
    return ROW_WEIGHT_BASE + sum(value_weight(row.get(column), encoded_size)
                                 for column in columns)


def check_key_weight(row: dict[str, Any], columns: Sequence[str],
                     limit: int = MAX_KEY_WEIGHT,
                     encoded_size: Callable[[Any], int] = yson_size) -> None:
    """HeavyKey when the row's key (its `columns`) weighs `limit` or more: a sorted writer
    refuses it, "Key weight is too large" (ValidateKeyWeight in yt/yt/ytlib/table_client/
    schemaless_chunk_writer.cpp, `weight < MaxKeyWeight` passes; the weight is key_weight's),
    so a sort writing it fails."""
    weight = key_weight(row, columns, encoded_size)
    if weight >= limit:
        raise HeavyKey(f"Key weight is too large: the key [{', '.join(columns)}] of a row "
                       f"weighs {weight} bytes, the limit is {limit} (16 KiB, YT's "
                       "max_key_weight)")


#: the value types in the order YT sorts them (EValueType in yt/yt/client/table_client/
#: row_base.h): values of different types compare by their type alone, so every integer
#: sorts before every double (2 before 1.5)
_SORT_TYPES = ("null", "int64", "uint64", "double", "boolean", "string")


class _Composite:
    """A list or a map in a key column: a cluster refuses to compare it with anything
    (CompareRowValues in yt/yt/client/table_client/unversioned_row.cpp: "Cannot compare
    values of types ...; only scalar types are allowed for key columns"), so a sort fails
    as soon as it compares it. A new object for each value: Python takes an object as
    equal to itself without asking it."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]

    def _refuse(self, other: object) -> bool:
        kind = "any" if isinstance(other, _Composite) else _SORT_TYPES[other[0]]  # type: ignore[index]
        raise IncomparableKey(f'Cannot compare values of types "any" and "{kind}"; only '
                              "scalar types are allowed for key columns")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse  # type: ignore[assignment]


#: a NaN's sort key: after (3, inf), the key of +inf, equal to another NaN's
_NAN_KEY = (3, float("inf"), 1)

#: the texts a non-finite double is read as (`stringify_nan_and_infinity` of YT's JSON
#: format; ytjobs.row_rules.non_finite_text), as dev keeps it in a table (yql_doubles.py)
NON_FINITE_TEXTS = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}


def as_doubles(row: dict[str, Any], columns: frozenset[str]) -> dict[str, Any]:
    """`row` with the non-finite texts of `columns` read as the doubles they stand for."""
    if not any(isinstance(row.get(name), str) for name in columns):
        return row
    return {name: NON_FINITE_TEXTS.get(value, value)
            if name in columns and isinstance(value, str) else value
            for name, value in row.items()}


def double_columns(types: Any) -> frozenset[str]:
    """The columns of YT type double or float among `types` (name: YT type, or None)."""
    return frozenset(name for name, kind in (types or {}).items()
                     if kind in ("double", "float"))


def sort_key(value: Any) -> tuple[Any, ...] | _Composite:
    """What a key column's value sorts by, as YT sorts it: by type first (null, which a
    missing column reads as, then int64, uint64, double, boolean, string), then by value."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (4, value)
    if isinstance(value, int):
        return (1 if value < _INT64[1] else 2, value)
    if isinstance(value, float):
        # NaN after every other double, +inf included, and equal to another NaN
        # (CompareRowValues: `<`, then `>`, then std::isnan), which Python's comparisons
        # of NaN (all false) cannot tell
        return (3, value) if value == value else _NAN_KEY
    if isinstance(value, (str, bytes)):
        return (5, value)
    return _Composite()


#: the written and table column types a YQL append takes besides equal ones: YQL converts
#: integers to a wider integer or to a double on its own (TryConvertTo, which the append
#: check of yt/yql/providers/yt/provider/yql_yt_datasink_type_ann.cpp calls before it says
#: "row type differs from the written row type"); a string or a boolean goes into nothing else
_APPEND_CONVERSIONS = {("int64", "double"), ("uint64", "double"), ("int64", "uint64"),
                       ("uint64", "int64"),
                       # a Float widens to a Double (TryConvertTo), its value unchanged
                       ("float", "double"),
                       # a Utf8 becomes a String (ToString: the data branch of
                       # TryConvertToImpl, yql/essentials/core/yql_expr_type_annotation.cpp);
                       # a String becomes a Utf8 only as a literal (yql_utf8)
                       ("utf8", "string")}


def _widens(written: str, table: str) -> bool:
    """Whether an integer of YT type `written` goes into a column of integer type `table`
    holding all its values: a wider type (of either sign from an unsigned one, signed from
    a signed one), or a double."""
    if written not in INTEGER_RANGES:
        return False
    if table == "double":
        return True
    if table not in INTEGER_RANGES:
        return False
    low, high = INTEGER_RANGES[written]
    table_low, table_high = INTEGER_RANGES[table]
    return table_low <= low and high <= table_high


def append_type_differs(table: dict[str, str], written: dict[str, str]) -> bool:
    """Whether YQL refuses to append columns of these types (name: YT type) to a table of
    those; columns the model does not type (`any`) are taken."""
    for name, table_type in table.items():
        written_type = written.get(name, table_type)
        if "any" in (table_type, written_type) or written_type == table_type:
            continue
        if written_type == "null":
            # a Null column converts to any Optional one as its empty value (the IsNull
            # branch of TryConvertToImpl, yql/essentials/core/yql_expr_type_annotation.cpp)
            continue
        if (written_type, table_type) not in _APPEND_CONVERSIONS and \
                not _widens(written_type, table_type):
            return True
    return False


def typed(columns: dict[str, str]) -> list[str]:
    """`name type` of each column, for a message."""
    return [f"{name} {kind}" for name, kind in columns.items()]


def widened_columns(table: dict[str, str], written: dict[str, str]) -> list[str]:
    """The columns of a YQL append whose integers YQL makes doubles: the table's column
    is a double and the written one an integer."""
    return [name for name, kind in table.items()
            if kind == "double" and written.get(name) in INTEGER_RANGES]


def widen_rows(rows: Iterable[dict[str, Any]], columns: list[str]) -> list[dict[str, Any]]:
    """The rows with the integers of `columns` made doubles, as YQL converts them."""
    if not columns:
        return list(rows)
    return [{**row, **{name: float(row[name]) for name in columns
                       if isinstance(row.get(name), int) and not isinstance(row[name], bool)}}
            for row in rows]
