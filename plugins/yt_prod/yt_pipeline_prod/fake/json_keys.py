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
A nested one is what the table stores (stored_row): the value it wraps, converted to its
"$type" if it has one (the same ConsumeNode); with attributes, a column's value is "Table
values cannot have top-level attributes" (TYsonToUnversionedValueConverter::
OnBeginAttributes, yt/yt/client/table_client/table_consumer.cpp), a deeper one keeps them
and reads back as {"$attributes": ..., "$value": ...} (TJsonConsumer::OnBeginAttributes,
yt/yt/core/json/json_writer.cpp). Its other keys are never read.
"""

from __future__ import annotations

from typing import Any


def key_error(row: dict[str, Any]) -> str | None:
    """The parser's error for the row's first refused key, or None."""
    if "$value" in row:
        return None
    return _value_error(row)


class StoreError(ValueError):
    """The words a cluster refuses a wrapped value with."""


def stored_row(row: dict[str, Any]) -> dict[str, Any]:
    """The row as the table keeps it (its keys already checked by key_error): each
    {"$value": ...} inside replaced by what it wraps; StoreError when the table refuses it."""
    if "$value" in row:
        return row
    return {column: _stored(value, top=True) for column, value in row.items()}


def _stored(value: Any, top: bool = False) -> Any:
    if isinstance(value, list):
        return [_stored(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "$value" not in value:
        return {key: _stored(item) for key, item in value.items()}
    attributes = value.get("$attributes")
    if "$attributes" in value:
        if not isinstance(attributes, dict):
            raise StoreError('Value of "$attributes" must be a map')
        if top:
            raise StoreError("Table values cannot have top-level attributes")
        attributes = {key: _stored(item) for key, item in attributes.items()}
    inner = (_as_type(value["$value"], value["$type"]) if "$type" in value
             else _stored(value["$value"], top))
    if attributes is None:
        return inner
    if isinstance(inner, dict) and "$attributes" in inner:
        raise StoreError("the fake proxy does not model a value with attributes wrapping "
                         "another with attributes")
    return {"$attributes": attributes, "$value": inner}


_KINDS = {"string": str, "int64": int, "uint64": int, "double": float, "boolean": bool}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int64" if value < 2 ** 63 else "uint64"
    if isinstance(value, float):
        return "double"
    return "string" if isinstance(value, str) else "other"


def _as_type(value: Any, wanted: Any) -> Any:
    if not isinstance(wanted, str):
        raise StoreError('Value of "$type" must be a string')
    if wanted not in _KINDS:
        raise StoreError(f'Unexpected "$type" value "{wanted}"')
    kind = _kind(value)
    if kind == wanted:
        return value
    if kind == "int64" and wanted == "uint64":
        return value & (2 ** 64 - 1)
    if kind == "int64" and wanted == "double":
        return float(value)
    if kind == "string" and wanted == "boolean":
        if value not in ("true", "false"):
            raise StoreError(f'Invalid boolean string "{value}"')
        return value == "true"
    if kind == "string" and wanted in ("int64", "uint64"):
        return _from_string(value, wanted == "int64")
    if kind == "string":
        raise StoreError("the fake proxy does not model a string read as \"$type\": "
                         "\"double\"")
    raise StoreError("Type mismatch in JSON")


def _from_string(text: str, signed: bool) -> int:
    """ParseInt of util/string/cast.cpp: a sign, then digits, checked one by one."""
    body = text[1:] if text[:1] == "+" or (signed and text[:1] == "-") else text
    if not text:
        raise StoreError("Cannot parse empty string as number. ")
    if not body:
        raise StoreError(f'Cannot parse string "{text}" as number. ')
    high = (2 ** 63 if text[0] == "-" else 2 ** 63 - 1) if signed else 2 ** 64 - 1
    total = 0
    for offset, char in enumerate(body, start=len(text) - len(body)):
        if char not in "0123456789":
            raise StoreError(f'Unexpected symbol "{char}" at pos {offset} in string "{text}". ')
        total = total * 10 + int(char)
        if total > high:
            raise StoreError(f'Integer overflow in string "{text}". ')
    return -total if text[0] == "-" else total


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
