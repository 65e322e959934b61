"""Keys starting with "$" in the JSON rows a cluster reads (a write_table body, a job's
output), refused as its parser refuses them.

YT builds each JSON value as a tree and replays it (TJsonCallbacksBuildingNodesImpl::
ConsumeNode and ConsumeMapFragment in yt/yt/core/json/json_callbacks.cpp, ytsaurus/
ytsaurus); with `attributes_mode` at its default, `on_demand` (yt/yt/core/json/config.cpp),
a map holding "$value" is that value, with the keys of its "$attributes" map as attributes;
any other map holding "$attributes" is "Found key "$attributes" without key "$value"", and
a key starting with a single "$" is "Key "$x" starts with single "$"; use "$$x" to encode
this key in JSON format".

A top-level map holding "$value" is left to the caller (a table switch in a job's output).
A nested one is kept as written: the fake does not unwrap the value it holds.
"""

from __future__ import annotations

from typing import Any


def key_error(row: dict[str, Any]) -> str | None:
    """The parser's error for the row's first refused key, or None."""
    if "$value" in row:
        return None
    return _value_error(row)


def _value_error(value: Any) -> str | None:
    if isinstance(value, list):
        for item in value:
            found = _value_error(item)
            if found:
                return found
        return None
    if not isinstance(value, dict):
        return None
    if "$value" in value:
        attributes = value.get("$attributes")
        found = _fragment_error(attributes) if isinstance(attributes, dict) else None
        return found or _value_error(value["$value"])
    if "$attributes" in value:
        return 'Found key "$attributes" without key "$value"'
    return _fragment_error(value)


def _fragment_error(value: dict[str, Any]) -> str | None:
    for key, item in value.items():
        if key[:1] == "$" and key[1:2] != "$":
            return f'Key "{key}" starts with single "$"; use "${key}" to encode this key in JSON format'
        found = _value_error(item)
        if found:
            return found
    return None


def wrapped_row_error(row: dict[str, Any]) -> str:
    """Why write_table refuses a top-level object holding "$value". Without attributes and
    wrapping no map it is a bare value, which the table consumer refuses ("Invalid row
    format, map expected": TTableConsumer::ThrowMapExpected in yt/yt/client/table_client/
    table_consumer.cpp); the other forms (control attributes, a wrapped map) the fake does
    not model, and refuses in its own words."""
    if "$attributes" not in row and not isinstance(row["$value"], dict):
        return "Invalid row format, map expected"
    return 'the fake proxy takes no row written as {"$value": ...} in write_table'
