"""Keeping debug values between runs: a JSON form that gives back exactly what was kept.

A stage's debug (a function step's outputs) is stored in `.runs/stages.<mode>.json` and the
commit journal, and handed to later stages after `--resume` or from the cache. Plain JSON
would give back `{"1": ...}` for `{1: ...}`, a list for a tuple, and nothing at all for a
date, so values JSON has no type for are tagged: `{"$t": "tuple", "v": [...]}`. A value that
cannot be kept this way fails its stage when it is returned, naming the key, instead of
being lost on the next `--resume`.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
import pathlib
import uuid
from collections.abc import Callable
from typing import Any

from yt_pipeline.confignode import ConfigNode
from yt_pipeline.errors import DebugNotKept
from yt_pipeline.secret_forms import MASK

TAG = "$t"
_SCALARS = (str, int, bool, type(None))
_PATHS = {cls.__name__: cls for cls in (pathlib.PurePosixPath, pathlib.PureWindowsPath,
                                         pathlib.PosixPath, pathlib.WindowsPath,
                                         pathlib.PurePath, pathlib.Path)}


@functools.cache
def _text_forms() -> dict[type, tuple[str, Callable[[Any], str], Callable[[str], Any]]]:
    """The types kept as text: (tag, to text, from text) by type. Built on first need, as
    decimal and base64 cost start-up time and most debug values are plain JSON."""
    import base64
    import decimal

    return {
        datetime.datetime: ("datetime", datetime.datetime.isoformat,
                            datetime.datetime.fromisoformat),
        datetime.date: ("date", datetime.date.isoformat, datetime.date.fromisoformat),
        datetime.time: ("time", datetime.time.isoformat, datetime.time.fromisoformat),
        decimal.Decimal: ("decimal", str, decimal.Decimal),
        uuid.UUID: ("uuid", str, uuid.UUID),
        bytes: ("bytes", lambda b: base64.b64encode(b).decode("ascii"), base64.b64decode),
    }


@functools.cache
def _from_text() -> dict[str, Callable[[str], Any]]:
    return {tag: parse for tag, _, parse in _text_forms().values()}

#: an int longer than this is kept as hex text: Python refuses to write one of more than
#: `sys.get_int_max_str_digits()` decimal digits (4300 by default, 640 at least) as JSON
#: does, and hex text has no such limit (2000 bits: about 600 digits)
_LONG_INT_BITS = 2000

KEEPABLE = ("str, int, float, bool, None, list, tuple, dict, set, frozenset, bytes, date, "
            "datetime, time, timedelta, Decimal, UUID, Path")


class _Unkeepable(Exception):
    def __init__(self, where: str, value: Any):
        self.where = where
        self.value = value


def encode(value: Any, where: str = "") -> Any:
    """The JSON-able form of `value`; raises `_Unkeepable` naming where the bad value is.

    Types are matched exactly: a subclass (an OrderedDict, an IntEnum) would come back as
    its base class, so it is not kept."""
    kind = type(value)
    if kind in _SCALARS:
        if kind is int and value.bit_length() > _LONG_INT_BITS:
            return {TAG: "int", "v": format(value, "x")}
        return value
    encoder = _ENCODERS.get(kind)
    if encoder is not None:
        return encoder(value, where)
    if kind in _text_forms():
        return _encode_text(value, where)
    if _PATHS.get(kind.__name__) is kind:
        return {TAG: "path", "c": kind.__name__, "v": str(value)}
    raise _Unkeepable(where, value)


def _items(value: Any, where: str) -> list[Any]:
    return [encode(item, f"{where}[{i}]") for i, item in enumerate(value)]


def _encode_dict(value: dict[Any, Any], where: str) -> Any:
    if all(type(key) is str for key in value) and TAG not in value:
        return {key: encode(item, f"{where}[{key!r}]") for key, item in value.items()}
    pairs = [[encode(key, f"{where} key {key!r}"), encode(item, f"{where}[{key!r}]")]
             for key, item in value.items()]
    return {TAG: "dict", "v": pairs}


def _encode_set(value: Any, where: str) -> Any:
    # sorted by their JSON text: the same set is stored the same way in every process
    items = sorted((encode(item, f"{where}{{...}}") for item in value), key=_text)
    return {TAG: type(value).__name__, "v": items}


def _encode_text(value: Any, where: str) -> Any:
    zone = getattr(value, "tzinfo", None)
    if zone is not None and type(zone) is not datetime.timezone:
        raise _Unkeepable(where, value)  # a named zone that text cannot bring back
    tag, to_text, _ = _text_forms()[type(value)]
    if getattr(value, "fold", 0):  # the later of two equal local times: text forgets it
        return {TAG: tag, "v": to_text(value), "fold": 1}
    return {TAG: tag, "v": to_text(value)}


_ENCODERS: dict[type, Callable[[Any, str], Any]] = {
    float: lambda v, w: v if math.isfinite(v) else {TAG: "float", "v": repr(v)},
    list: _items,
    tuple: lambda v, w: {TAG: "tuple", "v": _items(v, w)},
    dict: _encode_dict,
    set: _encode_set,
    frozenset: _encode_set,
    datetime.timedelta: lambda v, w: {TAG: "timedelta",
                                      "v": [v.days, v.seconds, v.microseconds]},
    ConfigNode: lambda v, w: {TAG: "config", "v": encode(v.to_dict(), w)},
}


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def decode(value: Any) -> Any:
    """The value `encode` was given."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(TAG)
    if tag is None:
        return {key: decode(item) for key, item in value.items()}
    data: Any = value.get("v")
    decoder = _DECODERS.get(tag)
    if decoder is not None:
        return decoder(data, value)
    try:
        parsed = _from_text()[tag](data)
    except (ValueError, ArithmeticError):  # ArithmeticError: Decimal's InvalidOperation
        if isinstance(data, str) and MASK in data:
            # a secret was masked inside its text form (a UUID holding it, say): it comes
            # back as the masked text, as any value that held a secret does
            return data
        raise
    return parsed.replace(fold=1) if value.get("fold") else parsed


_DECODERS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "tuple": lambda data, _: tuple(decode(item) for item in data),
    "dict": lambda data, _: {decode(key): decode(item) for key, item in data},
    "set": lambda data, _: {decode(item) for item in data},
    "frozenset": lambda data, _: frozenset(decode(item) for item in data),
    "float": lambda data, _: float(data),
    "int": lambda data, _: int(data, 16),
    "timedelta": lambda data, _: datetime.timedelta(days=data[0], seconds=data[1],
                                                    microseconds=data[2]),
    "path": lambda data, value: _PATHS[value["c"]](data),
    "config": lambda data, _: ConfigNode(decode(data)),
}


def keep_debug(owner: str, debug: dict[str, Any], what: str = "debug") -> Any:
    """The kept form of a stage's debug (`owner`: "stage x"; a step's: "step x", "output");
    DebugNotKept names the key that cannot be kept."""
    try:
        return encode(debug)
    except _Unkeepable as bad:
        raise DebugNotKept(
            f"{owner} returned {what}{bad.where} of type {type(bad.value).__name__}, "
            f"which cannot be kept for --resume and the cache (keep {KEEPABLE})"
        ) from None


def restore_debug(kept: Any) -> dict[str, Any]:
    """The debug `keep_debug` kept (from an older version: its plain JSON)."""
    value = decode(kept)
    return value if isinstance(value, dict) else {}
