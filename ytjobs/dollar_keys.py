"""Keys starting with "$": what YT's JSON format makes of them, for the row rules.

YT reads a row written as JSON by building it as a tree and then replaying it
(TJsonCallbacksBuildingNodesImpl::ConsumeNode in yt/yt/core/json/json_callbacks.cpp,
ytsaurus/ytsaurus). With the format's `attributes_mode` at its default, `on_demand`
(yt/yt/core/json/config.cpp), a key starting with "$" is special there:

- a map holding "$value" is not a map but that value (with "$attributes" as its
  attributes and "$type" as its type): a control row, or a typed value;
- a map holding "$attributes" without "$value" is refused: Found key "$attributes"
  without key "$value";
- any other key starting with a single "$" is refused: Key "$x" starts with single "$";
  use "$$x" to encode this key in JSON format ("$$x" is the key "$x").

So a row whose column name or map key starts with a single "$" never reaches a table on a
cluster: both modes refuse it in these words. A top-level object holding "$value" is not a
row at all (a table switch, in a job's output), so a row holding that column is refused as
well. A nested "$value" map is the one case left as written: a cluster stores the value
it wraps, which the rules do not rewrite.

Looked for only in rows whose JSON text holds `"$` (MARK), so other rows pay one search of
their batch's text.
"""

from __future__ import annotations

from typing import Any, Iterable

#: in the JSON text of every row this module may refuse
MARK = b'"$'


def key_refusal(row: Any) -> str | None:
    """Why YT's JSON parser refuses the row (a dict) for a key starting with "$", naming
    the column; None when it takes it."""
    if "$value" in row:
        return ("column '$value': YT's JSON format reads an object holding \"$value\" as "
                "the value it wraps (a table switch in a job's output), not as a row")
    problem = _map_refusal(row)
    if problem is not None:
        return f"column {problem[0]!r}: {problem[1]}"
    for column, value in row.items():
        problem = _value_refusal(value)
        if problem is not None:
            return f"column {column!r} holds a map key {problem[0]!r}: {problem[1]}"
    return None


def _map_refusal(value: dict) -> tuple | None:
    """(key, YT's words) for the first key of this map YT refuses, not looking deeper."""
    if "$attributes" in value and "$value" not in value:
        return "$attributes", 'Found key "$attributes" without key "$value"'
    for key in value:
        if isinstance(key, str) and key[:1] == "$" and key[1:2] != "$":
            return key, (f'Key "{key}" starts with single "$"; use "${key}" to encode this '
                         "key in JSON format")
    return None


def _value_refusal(value: Any) -> tuple | None:
    values: Iterable[Any]
    if isinstance(value, dict):
        if "$value" in value:  # a wrapped value: YT takes it (see the module's docstring)
            return None
        problem = _map_refusal(value)
        if problem is not None:
            return problem
        values = value.values()
    elif isinstance(value, (list, tuple)):
        values = value
    else:
        return None
    for item in values:
        problem = _value_refusal(item)
        if problem is not None:
            return problem
    return None
