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

simplejson writes a Decimal as its literal (`use_decimal` is on by default): YT reads
`1.50` as the double 1.5 and `3` as the integer 3, and refuses `NaN` or `1E+400` as above;
so a Decimal is written as the number its literal reads as. Other values JSON has no type
for (UUID, datetime, date, time, timedelta) are a TypeError of simplejson ("Object of type
UUID is not JSON serializable"): refused. YT's integers are 64 bits, signed or unsigned:
yajl reads a longer one as "integer overflow" (yajl_parser.c; YT's yajl_parse_integer and
yajl_parse_unsigned_integer in library/cpp/yajl, ytsaurus/ytsaurus): refused too.
"""

from __future__ import annotations

import decimal
import functools
from typing import Any, Callable, Dict

from ytjobs.shadowing import engine_usable

Row = Dict[str, Any]
_BYTES = (bytes, bytearray, memoryview)
_KEYS = "column names and map keys must be strings"
#: the integers YT stores: int64 and uint64
INT_MIN, UINT_MAX = -(1 << 63), (1 << 64) - 1


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


def surrogate_refusal(row: Row) -> RowRefused:
    """The refusal of a row whose text holds a lone surrogate ('\\ud800', as a bad decode
    with surrogateescape leaves), naming its column: such text has no UTF-8 form, which is
    how YT stores text. Looked for only once encoding the row failed, so rows that encode
    pay nothing."""
    for key, value in row.items():
        found = _surrogate_in(key) or _surrogate_in(value)
        if found:
            return RowRefused(f"column {_shown(key)!r} holds text with a lone surrogate "
                              f"{found!r}, which is not Unicode text: YT stores text as UTF-8 "
                              "(decode bytes with errors='replace')")
    return RowRefused("a row holds text that cannot be written as UTF-8")


def _surrogate_in(value: Any) -> str:
    if isinstance(value, str):
        for char in value:
            if "\ud800" <= char <= "\udfff":
                return char
        return ""
    if isinstance(value, dict):
        for key, item in value.items():
            found = _surrogate_in(key) or _surrogate_in(item)
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for item in value:
            found = _surrogate_in(item)
            if found:
                return found
    return ""


def _shown(key: Any) -> str:
    return key.encode("utf-8", "backslashreplace").decode() if isinstance(key, str) else str(key)


def yt_value(value: Any) -> Any:
    """The `default` hook of a JSON encoder: a value JSON has no type for, as YT takes it.
    Its refusals do not name the column: a writer that meets one checks the row with
    `checked` to say where it is."""
    if isinstance(value, _BYTES):
        return _text(value, "a row holds bytes that are not ASCII")
    if isinstance(value, (set, frozenset)):
        raise RowRefused(f"a row cannot hold a {type(value).__name__}")
    if isinstance(value, decimal.Decimal):
        return _decimal(value, "a row")
    raise RowRefused(f"a row cannot hold {_a(value)}: {_no_type(value)}")


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
    if not engine_usable("msgspec"):  # ytjobs/shadowing.py: loading it could crash the job
        return None
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


_NO_TYPE = "YT's JSON format has no type for it (write it as text, e.g. str(value))"


def _no_type(value: Any) -> str:
    """The refusal's hint: for a Python time value, also the number a column of YT's time
    types takes instead (docs/yql-in-dev.md), which refuses text."""
    import datetime  # only when refusing: the module stays light for jobs to import

    for kind, number in (
            (datetime.datetime, "into a datetime or timestamp column, its seconds or "
                                "microseconds since 1970-01-01 UTC"),
            (datetime.date, "into a date column, its days since 1970-01-01: "
                            "(value - date(1970, 1, 1)).days"),
            (datetime.timedelta, "into an interval column, its microseconds")):
        if isinstance(value, kind):
            return f"{_NO_TYPE[:-1]}; {number})"
    return _NO_TYPE


_OVERFLOW = "YT's integers are 64 bits (int64 or uint64): integer overflow"


def _decimal(value: decimal.Decimal, where: str) -> Any:
    """A Decimal as the number YT reads its literal as (see the module's docstring)."""
    if not value.is_finite():
        raise RowRefused(f"{where} holds Decimal({str(value)!r}): YT's JSON format has no NaN "
                         "or infinity")
    if value == value.to_integral_value() and "E" not in str(value) and "." not in str(value):
        number: Any = int(value)
        if not INT_MIN <= number <= UINT_MAX:
            raise RowRefused(f"{where} holds {value}: {_OVERFLOW}")
        return number
    number = float(value)
    if number - number != 0.0:
        raise RowRefused(f"{where} holds {value}: beyond a double's range (numeric "
                         "(floating point) overflow)")
    return number


def _value(value: Any, column: str) -> Any:
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return value
    if kind is int:
        if INT_MIN <= value <= UINT_MAX:
            return value
        raise RowRefused(f"column {column!r} holds {value}: {_OVERFLOW}")
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
    if isinstance(value, str):
        return value
    if isinstance(value, int):  # an int of a class of its own (IntEnum): as its number
        return _value(int(value), column)
    if isinstance(value, decimal.Decimal):
        return _decimal(value, f"column {column!r}")
    raise RowRefused(f"column {column!r} holds {_a(value)}: {_no_type(value)}")


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
