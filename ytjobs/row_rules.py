"""What a row may hold, as YT takes it from Python: one set of rules for every row written,
in dev and in prod, by the driver or by a job, so that a row a cluster refuses is refused
in dev too, with the same message naming its column.

The prod client writes rows with ytsaurus-client's `JsonFormat(encode_utf8=False)`
(yt/python/yt/wrapper/format.py in ytsaurus/ytsaurus). Its `_encode` hands every map key to
`_dump_python_string`, which raises "Object 1 is not string object" for a key that is not
text, turns ASCII bytes into text and refuses other bytes ("Cannot interpret binary
non-ascii string as bytes when 'encode_utf8' disabled"). The JSON library then writing
the row is simplejson (yt/python/yt/json_wrapper.py), which ytsaurus-client requires at
3.20.2 or later: since 3.19 it writes with `allow_nan=False`, so NaN and infinity are
refused ("Out of range float values are not JSON compliant"), and a set is a TypeError.
Had such a value reached the cluster, its JSON parser would refuse it too: `NaN` and
`Infinity` are not tokens of YT's yajl lexer, and a key repeated in one map is "Duplicate
key" (the tree builder yt/yt/core/json/json_callbacks.cpp builds a row with,
yt/yt/core/ytree/tree_builder.cpp).

Values JSON has no type for otherwise (Decimal, UUID) are written as text, as msgspec
writes them; ytsaurus-client's own handling of those is not modelled here.
"""

from __future__ import annotations

import decimal
import functools
import uuid
from typing import Any, Callable, Dict

Row = Dict[str, Any]
_BYTES = (bytes, bytearray, memoryview)
_KEYS = "column names and map keys must be strings"


class NotARow(TypeError):
    """A value given as a row is not a dict."""


class RowRefused(ValueError):
    """A row holds a value YT refuses; the message names the column (and the row, once the
    writer knows its number)."""


def checked(row: Row) -> Row:
    """`row` as YT is given it (ASCII bytes become text), or RowRefused naming the first
    column that holds what YT refuses."""
    if not isinstance(row, dict):
        raise NotARow(f"rows must be dicts, got {type(row).__name__}")
    out: Row = {}
    for key, value in row.items():
        column = _column_name(key)
        if column in out:
            raise RowRefused(f"column {column!r} is named twice, as text and as bytes: "
                             "YT refuses a repeated key")
        out[column] = _value(value, column)
    return out


def yt_value(value: Any) -> Any:
    """The `default` hook of a JSON encoder: a value JSON has no type for, as YT takes it.
    Its refusals do not name the column: a writer that meets one checks the row with
    `checked` to say where it is."""
    if isinstance(value, _BYTES):
        return _text(value, "a row holds bytes that are not ASCII")
    if isinstance(value, (set, frozenset)):
        raise RowRefused(f"a row cannot hold a {type(value).__name__}")
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    raise TypeError(f"a row cannot hold a {type(value).__name__}")


def all_finite(rows: list) -> bool:
    """True when no value of these rows, at any depth, is a NaN or an infinity.

    Walking the rows costs several times writing them. msgpack, unlike JSON, writes a float
    as a float: 0xcb, then its 8 bytes, big-endian. A NaN or an infinity has every exponent
    bit set, so its first byte is 0x7f or 0xff; of the finite doubles only those beyond
    about 1e303 start so. When msgspec is at hand, rows whose msgpack holds neither
    0xcb 0x7f nor 0xcb 0xff are finite, and only the others are walked. (Neither pair occurs
    in UTF-8 text; inside a number one only costs the walk.)
    """
    probe = _msgpack_probe()
    if probe is not None:
        try:
            if probe(rows):
                return True
        except (TypeError, ValueError, OverflowError):
            pass  # a value msgpack has no form for: walk
    return all(map(_finite_row, rows))


@functools.lru_cache(maxsize=None)
def _msgpack_probe() -> Callable[[list], bool] | None:
    try:
        import msgspec
    except ImportError:
        return None
    encode = msgspec.msgpack.Encoder().encode

    def finite(rows: list) -> bool:
        packed = encode(rows)
        return b"\xcb\x7f" not in packed and b"\xcb\xff" not in packed

    return finite


def non_finite_text(value: float) -> str:
    """How YT's JSON writer gives a NaN or an infinity when asked to stringify them
    (`stringify_nan_and_infinity`, yt/yt/core/json/json_writer.cpp): "nan", "inf", "-inf"."""
    return "nan" if value != value else ("inf" if value > 0 else "-inf")


# -- the walk ------------------------------------------------------------------------------

def _column_name(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, _BYTES):
        return _text(key, f"column name {bytes(key)!r} is not ASCII")
    raise RowRefused(f"column name {key!r} is {_a(key)}: {_KEYS}")


def _value(value: Any, column: str) -> Any:
    if isinstance(value, (str, int)) or value is None:  # bool is an int
        return value
    if isinstance(value, float):
        if value - value != 0.0:  # NaN for a NaN or an infinity, 0.0 for any other
            raise RowRefused(f"column {column!r} holds {value!r}: YT's JSON format has no "
                             "NaN or infinity")
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = _key(key, column)
            if name in out:
                raise RowRefused(f"column {column!r} holds a map with the key {name!r} twice, "
                                 "as text and as bytes: YT refuses a repeated key")
            out[name] = _value(item, column)
        return out
    if isinstance(value, (list, tuple)):
        return [_value(item, column) for item in value]
    if isinstance(value, _BYTES):
        return _text(value, f"column {column!r} holds bytes that are not ASCII")
    if isinstance(value, (set, frozenset)):
        raise RowRefused(f"column {column!r} holds a {type(value).__name__}: YT has no set "
                         "type (write a list)")
    return value  # Decimal, UUID and the like: the encoder's to write or to refuse


def _key(key: Any, column: str) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, _BYTES):
        return _text(key, f"column {column!r} holds a map key {bytes(key)!r}, not ASCII")
    raise RowRefused(f"column {column!r} holds a map key {key!r}, {_a(key)}: {_KEYS}")


def _text(value: Any, refusal: str) -> str:
    """ASCII bytes as text, as ytsaurus-client sends them; other bytes are refused."""
    try:
        return bytes(value).decode("ascii")
    except UnicodeDecodeError:
        raise RowRefused(f"{refusal}: YT's JSON format takes text; decode them first") from None


def _a(value: Any) -> str:
    name = type(value).__name__
    return f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"


def _finite_row(row: Row) -> bool:
    return all(map(_finite, row.values()))


def _finite(value: Any) -> bool:
    kind = value.__class__
    if kind is float:
        return value - value == 0.0
    if kind is str or kind is int or value is None or kind is bool:
        return True
    if isinstance(value, dict):
        return all(map(_finite, value.values()))
    if isinstance(value, (list, tuple)):
        return all(map(_finite, value))
    return not isinstance(value, float) or value - value == 0.0
