"""Keys starting with "$": what YT's JSON format makes of them, for the row rules.

YT reads a row written as JSON by building it as a tree and then replaying it
(TJsonCallbacksBuildingNodesImpl::ConsumeNode and ConsumeMapFragment in
yt/yt/core/json/json_callbacks.cpp, ytsaurus/ytsaurus). With the format's `attributes_mode`
at its default, `on_demand` (yt/yt/core/json/config.cpp), a key starting with "$" is special
there:

- a map holding "$value" is not a map but that value: its other keys are not read, except
  "$attributes" (the value's attributes; "Value of "$attributes" must be a map") and "$type"
  (the value's type, converting a string or an integer to it);
- a map holding "$attributes" without "$value" is refused: Found key "$attributes"
  without key "$value";
- any other key starting with a single "$" is refused: Key "$x" starts with single "$";
  use "$$x" to encode this key in JSON format ("$$x" is the key "$x").

The table consumer then stores what the parser replays (TYsonToUnversionedValueConverter in
yt/yt/client/table_client/table_consumer.cpp): a column's value with attributes is "Table
values cannot have top-level attributes"; deeper in an `any` value they are kept, and the
JSON writer reads them back as {"$attributes": {...}, "$value": ...} (TJsonConsumer::
OnBeginAttributes in yt/yt/core/json/json_writer.cpp).

So a row is stored in the form a cluster reads it back: `{"m": {"$value": 5}}` as
`{"m": 5}`, `{"m": [{"$value": "a", "$attributes": {"k": 1}, "x": 0}]}` as
`{"m": [{"$attributes": {"k": 1}, "$value": "a"}]}` (stored_row). A row whose column name or
map key starts with a single "$" never reaches a table: both modes refuse it in the
parser's words. A top-level object holding "$value" is not a row at all (a table switch, in
a job's output), so a row holding that column is refused as well.

Looked for only in rows whose JSON text holds `"$` (MARK), so other rows pay one search of
their batch's text.
"""

from __future__ import annotations

from typing import Any

#: in the JSON text of every row this module may refuse or rewrite
MARK = b'"$'

_INT64 = 1 << 63
_UINT64 = 1 << 64
_TYPES = ("string", "int64", "uint64", "double", "boolean")
_CONTAINERS = (dict, list, tuple)


class KeyRefused(ValueError):
    """A row YT's JSON format refuses; the message names the column."""


def key_refusal(row: Any) -> str | None:
    """Why YT's JSON parser refuses the row (a dict) for a key starting with "$", naming
    the column; None when it takes it."""
    try:
        stored_row(row)
    except KeyRefused as refused:
        return str(refused)
    return None


def stored_row(row: dict[str, Any]) -> dict[str, Any]:
    """The row as a cluster stores it and reads it back: `row` itself when that is the row
    as written, else a new row; KeyRefused for a row the cluster refuses."""
    if "$value" in row:
        raise KeyRefused("column '$value': YT's JSON format reads an object holding "
                         "\"$value\" as the value it wraps (a table switch in a job's "
                         "output), not as a row")
    problem = _map_refusal(row)
    if problem is not None:
        raise KeyRefused(f"column {problem[0]!r}: {problem[1]}")
    changed: dict[str, Any] | None = None
    column = None
    try:
        for column, value in row.items():
            if not isinstance(value, _CONTAINERS):  # most columns: nothing to look into
                continue
            stored = _stored(value, column=True)
            if stored is not value:
                if changed is None:
                    changed = dict(row)
                changed[column] = stored
    except _KeyProblem as key_problem:
        key, words = key_problem.args
        raise KeyRefused(f"column {column!r} holds a map key {key!r}: {words}") from None
    except _ValueProblem as value_problem:
        raise KeyRefused(f"column {column!r}: {value_problem}") from None
    return row if changed is None else changed


class _KeyProblem(ValueError):
    """(key, YT's words): a map key the parser refuses."""


class _ValueProblem(ValueError):
    """YT's words for a wrapped value it refuses."""


def _map_refusal(value: dict) -> tuple | None:
    """(key, YT's words) for the first key of this map YT refuses, not looking deeper."""
    if "$attributes" in value and "$value" not in value:
        return "$attributes", 'Found key "$attributes" without key "$value"'
    for key in value:
        if _single_dollar(key):
            return key, _single_words(key)
    return None


def _single_dollar(key: Any) -> bool:
    return isinstance(key, str) and key[:1] == "$" and key[1:2] != "$"


def _single_words(key: str) -> str:
    return f'Key "{key}" starts with single "$"; use "${key}" to encode this key in JSON format'


def _stored(value: Any, column: bool = False) -> Any:
    """The value as stored (itself when unchanged); `column`: it is a column's whole value,
    where attributes are refused."""
    if isinstance(value, dict):
        if "$value" in value:
            return _unwrapped(value, column)
        if "$attributes" in value:
            raise _KeyProblem("$attributes", 'Found key "$attributes" without key "$value"')
        return _stored_items(value, check_keys=True)
    if isinstance(value, (list, tuple)):
        changed: list[Any] | None = None
        for index, item in enumerate(value):
            if not isinstance(item, _CONTAINERS):
                continue
            stored = _stored(item)
            if stored is not item:
                if changed is None:
                    changed = list(value)
                changed[index] = stored
        return value if changed is None else changed
    return value


def _stored_items(value: dict, check_keys: bool) -> dict:
    """A map's values as stored, each key checked as the parser does, in its order
    (ConsumeMapFragment: a key, then its value)."""
    changed: dict[Any, Any] | None = None
    for key, item in value.items():
        if check_keys and isinstance(key, str) and key[:1] == "$" and key[1:2] != "$":
            raise _KeyProblem(key, _single_words(key))
        if not isinstance(item, _CONTAINERS):
            continue
        stored = _stored(item)
        if stored is not item:
            if changed is None:
                changed = dict(value)
            changed[key] = stored
    return value if changed is None else changed


def _unwrapped(wrapper: dict, column: bool) -> Any:
    """What the parser makes of a map holding "$value", in its order: the attributes, then
    the value (converted to "$type" if given); other keys are not read."""
    attributes = None
    if "$attributes" in wrapper:
        given = wrapper["$attributes"]
        if not isinstance(given, dict):
            raise _ValueProblem('Value of "$attributes" must be a map')
        if column:
            raise _ValueProblem("Table values cannot have top-level attributes")
        attributes = _stored_items(given, check_keys=True)
    if "$type" in wrapper:
        value = _typed(wrapper["$value"], wrapper["$type"])
    else:
        value = _stored(wrapper["$value"], column)
    if attributes is None:
        return value
    if isinstance(value, dict) and "$attributes" in value:
        # attributes on a value that has its own: the YSON this makes is not modelled
        raise _ValueProblem("a value with \"$attributes\" wraps another with \"$attributes\": "
                            "what a cluster stores for it is not known here; give one")
    return {"$attributes": attributes, "$value": value}


def _node_type(value: Any) -> str:
    """The type the parser gives a JSON value (yajl reads an integer as int64, then as
    uint64)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int64" if -_INT64 <= value < _INT64 else "uint64"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    return "entity" if value is None else "composite"


def _typed(value: Any, type_name: Any) -> Any:
    """The value converted to "$type", as ConsumeNode(IMapNodePtr) does."""
    if not isinstance(type_name, str):
        raise _ValueProblem('Value of "$type" must be a string')
    if type_name not in _TYPES:
        raise _ValueProblem(f'Unexpected "$type" value "{type_name}"')
    actual = _node_type(value)
    if actual == type_name:
        return value
    if actual == "string":
        if type_name == "boolean":
            if value in ("true", "false"):
                return value == "true"
            raise _ValueProblem(f'Invalid boolean string "{value}"')
        if type_name in ("int64", "uint64"):
            return _parsed_integer(value, signed=type_name == "int64")
        # FromString<double> (util/string/cast.cpp) reads through double-conversion with
        # rules and words not modelled here
        raise _ValueProblem("a string given \"$type\": \"double\": how a cluster reads it "
                            "is not known here; write the number")
    if actual == "int64" and type_name in ("uint64", "double"):
        # the integer is handed on as the other type: a negative one wraps as uint64
        return value % _UINT64 if type_name == "uint64" else float(value)
    raise _ValueProblem("Type mismatch in JSON")


def _parsed_integer(text: str, signed: bool) -> int:
    """FromString<i64> / FromString<ui64> (ParseInt in util/string/cast.cpp): an optional
    sign, then decimal digits only, within range; its words otherwise."""
    if not text:
        raise _ValueProblem("Cannot parse empty string as number. ")
    position, negative = 0, False
    if text[0] == "+" or (signed and text[0] == "-"):
        negative = text[0] == "-"
        position = 1
        if len(text) == 1:
            raise _ValueProblem(f'Cannot parse string "{text}" as number. ')
    limit = (_INT64 if negative else _INT64 - 1) if signed else _UINT64 - 1
    result = 0
    for index in range(position, len(text)):
        char = text[index]
        if not "0" <= char <= "9":
            raise _ValueProblem(f'Unexpected symbol "{char}" at pos {index} in string '
                                f'"{text}". ')
        result = result * 10 + ord(char) - 48
        if result > limit:
            raise _ValueProblem(f'Integer overflow in string "{text}". ')
    return -result if negative else result
