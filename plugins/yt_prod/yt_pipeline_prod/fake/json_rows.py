"""Table rows as JSON text, read and written as a cluster's JSON format does.

Reading (a write_table body, a job's output): YT parses with yajl (yt/yt/core/json/
json_parser.cpp over contrib/deprecated/yajl, as ytsaurus/ytsaurus-cpp-sdk ships them). Its
lexer knows no `NaN` or `Infinity` ("invalid char in json text"; it takes only a bare `inf`,
which no Python writer produces and which this fake refuses like the other two), its parser
stops at a double beyond range ("numeric (floating point) overflow", yajl_parser.c) and at
an integer beyond 64 bits ("integer overflow": YT's yajl_parse_integer and
yajl_parse_unsigned_integer, library/cpp/yajl, read an integer as int64, then uint64), and a
row is built as a tree in which a key repeated in one map is "Duplicate key"
(TJsonCallbacksBuildingNodesImpl in json_callbacks.cpp, the tree builder's AddChild).
Python's json takes all of these silently, so the fake checks for them. Strings are read as
yajl reads their bytes and escapes, lone surrogates included (json_text).

Writing (read_table, a job's input, a query's result): a NaN or infinite double is refused
("Unexpected NaN or infinity encountered during JSON writing; ...") unless the format sets
`stringify_nan_and_infinity`, which gives "nan", "inf" and "-inf" (TJsonConsumer::
OnDoubleScalar in json_writer.cpp; the option is off by default, json/config.cpp, and
documented on the Formats page). A string whose bytes are not UTF-8 by yajl's shape check
is refused with "Invalid UTF-8 string in JSON" (TJsonWriter sets yajl_gen_validate_utf8,
and CheckYajlCode turns yajl_gen_invalid_string into that message: json_writer.cpp;
yt_pipeline.yajl_utf8): the presort bytes of a hidden `_yql_column_N` column, for one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from yt_pipeline.yajl_utf8 import INVALID_UTF8_IN_JSON, json_writable
from yt_pipeline_prod.fake.json_keys import StoreError, key_error, stored_row
from yt_pipeline_prod.fake.json_text import body_text, wire_bytes
from yt_pipeline_prod.fake.protocol import YtFakeError

WRITE_REFUSED = ("Unexpected NaN or infinity encountered during JSON writing; consider using "
                 "either \"support_infinity\" or \"stringify_nan_and_infinity\" config options")


def parse_rows(data: bytes) -> list[dict[str, Any]]:
    """JSON rows one after another; the client does not always put them on separate lines."""
    text = body_text(data)
    decoder = json.JSONDecoder(parse_constant=_no_constant, parse_float=_double,
                               parse_int=_integer, object_pairs_hook=_map)
    rows: list[dict[str, Any]] = []
    wrapping = '"$value"' in text  # a row may hold a wrapped value only then
    index, end = 0, len(text)
    while True:
        while index < end and text[index] in " \t\r\n;":
            index += 1
        if index >= end:
            return rows
        try:
            row, index = decoder.raw_decode(text, index)
        except _ParseError as error:
            raise YtFakeError(f"Error parsing JSON: {error}") from None
        except ValueError as error:
            raise YtFakeError(f"Error parsing JSON: lexical error: {error}") from None
        if not isinstance(row, dict):
            raise YtFakeError(f"a table row must be a JSON object, got {row!r}")
        refused = key_error(row)
        if refused:
            raise YtFakeError(refused)
        try:
            rows.append(stored_row(row) if wrapping else row)
        except StoreError as error:
            raise YtFakeError(str(error)) from None


def dump_rows(rows: Iterable[dict[str, Any]], stringify: bool = False) -> bytes:
    """Rows as JSON lines, as YT writes them with `stringify_nan_and_infinity` set or not."""
    out = []
    for row in rows:
        try:
            line = json.dumps(row, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except ValueError:
            if not stringify:
                raise YtFakeError(WRITE_REFUSED) from None
            line = json.dumps(_stringified(row), ensure_ascii=False, separators=(",", ":"))
        out.append(_written(line) + b"\n")
    return b"".join(out)


def _written(line: str) -> bytes:
    """A JSON line's bytes, refused as YT's writer refuses a string that is not UTF-8 by
    shape; only a line holding bytes kept as U+DC80..U+DCFF (json_text) is looked at."""
    try:
        return line.encode("utf-8")
    except UnicodeEncodeError:
        data = wire_bytes(line)
    if not json_writable(data):
        raise YtFakeError(INVALID_UTF8_IN_JSON)
    return data


def stringifies(fmt: Any) -> bool:
    """Whether a format (a YSON value, `<attributes>json`) sets stringify_nan_and_infinity."""
    attributes = getattr(fmt, "attributes", None) or {}
    return bool(attributes.get("stringify_nan_and_infinity"))


class _ParseError(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _ParseError(f"lexical error: invalid char in json text ({name})")


def _double(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _ParseError(f"parse error: numeric (floating point) overflow ({text})")
    return value


def _integer(text: str) -> int:
    value = int(text)
    if not -(1 << 63) <= value < (1 << 64):
        raise _ParseError(f"parse error: integer overflow ({text})")
    return value


def _noted(seen: set[str], key: str) -> bool:
    seen.add(key)
    return False


def _map(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    row = dict(pairs)
    if len(row) != len(pairs):
        seen: set[str] = set()
        repeated = next(key for key, _ in pairs if key in seen or _noted(seen, key))
        raise _ParseError(f"Duplicate key \"{repeated}\"")
    return row


def _stringified(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {key: _stringified(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_stringified(item) for item in value]
    return value
