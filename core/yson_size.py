"""The length of a value's binary YSON, counted without writing it.

A cluster keeps a list or a map in a table as one binary YSON value, and a writer weighs it
by that length (GetDataWeight in yt/yt/client/table_client/unversioned_row.cpp), so a row's
weight and a key's (column_types) need it. Dev has no ytsaurus-client: the bytes are
counted here as the binary writer writes them (TBufferedBinaryYsonWriter in yt/yt/core/yson/
writer.cpp, the markers in yt/yt/core/yson/detail.h; the Python twin is yt/yson/writer.py):

- a string: its marker, its length as a zigzag varint (WriteVarInt32), its bytes;
- an int64: its marker and the value as a zigzag varint (WriteVarInt64); an integer beyond
  int64 is a uint64: its marker and a plain varint (WriteVarUint64);
- a double: its marker and 8 bytes; a boolean: one marker; null (an entity): `#`;
- a list: `[`, each item followed by `;` (EndNode writes the separator after every item
  inside a collection, the last one included), `]`;
- a map: `{`, each key as a string, `=`, its value, `;`, then `}`.
The value itself, at the top, has no separator after it.
"""

from __future__ import annotations

from typing import Any

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def _varint_size(number: int) -> int:
    """Bytes of an unsigned varint: 7 bits a byte, at least one."""
    return max(1, (number.bit_length() + 6) // 7)


def _zigzag(number: int) -> int:
    return number << 1 if number >= 0 else ((-number) << 1) - 1


def _string_size(size: int) -> int:
    return 1 + _varint_size(_zigzag(size)) + size


def _text_size(text: str) -> int:
    # a lone surrogate a job escaped stays its three bytes, as value_weight counts it
    return len(text.encode("utf-8", "surrogatepass"))


def yson_size(value: Any) -> int:
    """The length of `value` written as binary YSON (a row's value as JSON reads it: None,
    a boolean, an integer, a float, a string, a list or a dict)."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, int):
        if _INT64_MIN <= value <= _INT64_MAX:
            return 1 + _varint_size(_zigzag(value))
        return 1 + _varint_size(value)
    if isinstance(value, float):
        return 9
    if isinstance(value, str):
        return _string_size(_text_size(value))
    if isinstance(value, bytes):
        return _string_size(len(value))
    if isinstance(value, dict):
        # `{` and `}`; each entry's key, `=`, value and `;`
        return 2 + sum(_string_size(_text_size(key)) + yson_size(item) + 2
                       for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return 2 + sum(yson_size(item) + 1 for item in value)
    raise TypeError(f"no YSON size for a {type(value).__name__}")


#: A row's weight is at most this many times the length of its JSON text: a double in a
#: list, 9 bytes and its `;`, is written in 4 (`0.5,`), the worst case (a small integer, 3
#: for 2; a string or a map's key never more than its text; a column's value outside a list
#: costs its name's quotes and colon, 8 for a number written in 5: `"":1,`). So a row whose
#: text is shorter than the limit divided by it cannot reach the limit, and is not weighed.
WEIGHT_PER_TEXT_BYTE = 2.5


def may_reach(text_size: int, limit: int) -> bool:
    """Whether a row (or key) of `text_size` bytes of JSON text may weigh `limit` or more."""
    return text_size * WEIGHT_PER_TEXT_BYTE + 1 >= limit
