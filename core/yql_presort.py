"""The bytes YQL's Ascending and Descending make of a value: the hidden `_yql_column_N`
column a YQL sort by a DESC key (or a key of a type YT does not sort by itself) keeps.

Sources (ydb-platform/ydb):
- yql/essentials/minikql/computation/presort.cpp, TGenericPresortEncoder::Encode (what
  the Ascending and Descending callables run, mkql_pickle.cpp TPresortEncodeWrapper): the
  value encoded by NDetail::EncodeValue ascending, every byte then inverted for Descending;
  an Optional is a byte 1 (or 0 for null, and nothing after it) then its value.
- yql/essentials/minikql/computation/presort_impl.h: EncodeSigned (the value plus 2^(n-1),
  big-endian), EncodeUnsigned (big-endian), EncodeBool (one byte), EncodeFloating (a class
  byte: 0 -inf, 1 negative, 2 zero, 3 positive, 4 +inf, 5 NaN; a negative or positive one
  followed by its bits, inverted when negative), EncodeString (blocks of 0x1F and 15 bytes,
  zero-padded, then the length of the last block).

A value is kept as text of one character per byte (latin-1), which sorts as the bytes do.
Those bytes are mostly no UTF-8 (a DESC key's are inverted: 0xFE, 0xFF...), and a cluster's
JSON read of the column fails on them (yajl_utf8): dev's read_table refuses such a column as
a cluster does (`unreadable_presort`); the fake keeps the bytes themselves (fake/queries.py).
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Collection
from typing import Any

from yt_pipeline.column_types import yt_column_type
from yt_pipeline.yajl_utf8 import INVALID_UTF8_IN_JSON, json_writable
from yt_pipeline.yql_rules import presorted

#: YT column types of the integers the encoder knows, by their width in bytes and sign
_INTEGERS = {"int8": (1, True), "int16": (2, True), "int32": (4, True), "int64": (8, True),
             "uint8": (1, False), "uint16": (2, False), "uint32": (4, False),
             "uint64": (8, False), "date": (2, False), "datetime": (4, False),
             "timestamp": (8, False), "interval": (8, True)}
_BLOCK = 15
_BLOCK_CODE = 0x1F
_FLOATS = {"-inf": -math.inf, "inf": math.inf, "nan": math.nan}


def encodable(yt_type: str) -> bool:
    """Whether values of a YT column type are encoded here."""
    return yt_type in _INTEGERS or yt_type in ("double", "float", "boolean", "string", "utf8")


def _data(value: Any, yt_type: str) -> bytes:
    if yt_type in _INTEGERS:
        size, signed = _INTEGERS[yt_type]
        number = int(value) + (1 << (size * 8 - 1) if signed else 0)
        return number.to_bytes(size, "big")
    if yt_type == "boolean":
        return bytes([1 if value else 0])
    if yt_type in ("double", "float"):
        real = _FLOATS[value] if isinstance(value, str) and value in _FLOATS else float(value)
        if math.isnan(real):
            return bytes([5])
        if math.isinf(real):
            return bytes([0 if real < 0 else 4])
        if real == 0:
            return bytes([2])
        if yt_type == "float":
            bits, mask = struct.unpack(">I", struct.pack(">f", real))[0], 0xFFFFFFFF
            size = 4
        else:
            bits, mask = struct.unpack(">Q", struct.pack(">d", real))[0], (1 << 64) - 1
            size = 8
        if real < 0:
            return bytes([1]) + ((~bits) & mask).to_bytes(size, "big")
        return bytes([3]) + bits.to_bytes(size, "big")
    data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else bytes(value)
    out = bytearray()
    part = 0
    for start in range(0, len(data), _BLOCK):
        chunk = data[start:start + _BLOCK]
        part = len(chunk)
        out.append(_BLOCK_CODE)
        out += chunk.ljust(_BLOCK, b"\0")
    out.append(part)
    return bytes(out)


def presort(value: Any, yt_type: str, optional: bool, descending: bool) -> str:
    """The presort bytes of `value` (of a YT column type `encodable` says, Optional when
    `optional`), as text of one character per byte."""
    if optional:
        encoded = b"\0" if value is None else b"\1" + _data(value, yt_type)
    else:
        encoded = _data(value, yt_type)
    if descending:
        encoded = bytes(255 - byte for byte in encoded)
    return encoded.decode("latin-1")


def hidden_select(sql: str, hidden: list[Any]) -> str:
    """`sql` with the values of the hidden sort columns (yql_rules.HiddenColumn) after its
    own columns, each expression read over the columns `sql` gives, as YQL's key selector
    reads the sorted rows."""
    added = ", ".join(f'({column.expression}) AS "{column.name}"' for column in hidden)
    return f"SELECT *, {added} FROM ({sql}) AS sorted_rows"


def bytes_columns(hidden: list[Any], kinds: dict[str, str]) -> set[str]:
    """The hidden columns holding presort bytes (yql_rules.presorted), of the DuckDB types
    `kinds`: a String each, required (TKeySelectorBuilder::AddColumn)."""
    return {column.name for column in hidden if presorted(column, kinds[column.name])}


def encode_hidden(row: dict[str, Any], hidden: list[Any], kinds: dict[str, str],
                  required: Collection[str]) -> dict[str, Any]:
    """The row with each presorted hidden column (yql_rules.presorted) as its presort
    bytes; `kinds`: the DuckDB type of each hidden column; `required`: the query's
    required output columns. The value sorted is Optional unless it is a required column
    (an expression's type is taken as Optional)."""
    for column in hidden:
        kind = kinds[column.name]
        if presorted(column, kind):
            optional = column.column is None or column.column not in required
            row[column.name] = presort(row.get(column.name), yt_column_type(kind), optional,
                                       column.descending)
    return row


def presort_supported(hidden: list[Any], kinds: dict[str, str]) -> bool:
    """Whether each presorted hidden column is of a type `presort` encodes."""
    return all(not presorted(column, kinds[column.name])
               or encodable(yt_column_type(kinds[column.name])) for column in hidden)


def unreadable_presort(path: str, column: str, own: list[str]) -> str:
    """The one-line refusal of a JSON read of table `path` whose hidden sort column
    `column` holds presort bytes that are not UTF-8 by yajl's shape check (yajl_utf8): a
    cluster's JSON writer fails the read, and a job fed the table, on them (CheckYajlCode
    in yt/yt/core/json/json_writer.cpp). `own`: the table's other columns."""
    return (f"read_table {path}: column {column} holds the presort bytes of a YQL ORDER BY "
            f"(a hidden sort column), which a cluster's JSON read refuses (\"Invalid UTF-8 "
            f"string in JSON\"); read the table's own columns with "
            f"read_columns({json.dumps(path)}, {json.dumps(own)}) or a YQL SELECT, which does "
            f"not see the hidden column")


def refused_presort(row: dict[str, Any], presorted: Collection[str]) -> str | None:
    """The first of the `presorted` columns (dev: the presort bytes, text of one character
    a byte) whose value in `row` a cluster's JSON writer refuses; None when none is."""
    for column in presorted:
        value = row.get(column)
        if isinstance(value, str) and not json_writable(value.encode("latin-1")):
            return column
    return None


def unfeedable_presort(kind: str, path: str, column: str, own: list[str]) -> str:
    """The one-line failure of an operation whose jobs read table `path` in JSON while its
    hidden sort column `column` holds presort bytes that are no UTF-8: the job proxy writes
    a job's input with the JSON writer read_table uses, and each job fails on them
    (`unreadable_presort`). `own`: the table's other columns."""
    return (f"{kind} operation failed: Failed jobs limit exceeded: {INVALID_UTF8_IN_JSON}: "
            f"input {path}: column {column} holds the presort bytes of a YQL ORDER BY (a "
            f"hidden sort column), which a job's JSON input cannot hold; select the table's "
            f"own columns in the input path: {path}{{{','.join(own)}}}")
