"""Which output table a job's control row switches to, or the cluster's words refusing it,
for both backends (dev's jobs and the fake proxy's).

A job's output rows go to output table 0 until a control row
`{"$attributes": {"table_index": N}, "$value": null}` switches them to table N. The job
proxy's table consumer reads the switch and refuses a bad one, which fails the job: the
messages below are TTableConsumer's (yt/yt/client/table_client/table_consumer.cpp:
OnControlInt64Scalar for an index out of range, ThrowInvalidControlAttribute for a value of
another type, OnControlStringScalar, OnKeyedItem and OnEndAttributes for the rest).
"""

from __future__ import annotations

from typing import Any

#: what TTableConsumer says of a control attribute's value of each type (JSON's)
_CANNOT_BE = {bool: "be a boolean value", float: "be a double value", type(None): "be an entity",
              list: "be a list", dict: "be a map"}
_INT64_END = 2 ** 63


class InvalidSwitch(ValueError):
    """A control row the job proxy's table consumer refuses."""


def switch_target(attributes: Any, table_count: int) -> int:
    """The output table the control row of these `$attributes` switches to, of the job's
    `table_count`; InvalidSwitch in the cluster's words when there is none."""
    if not isinstance(attributes, dict):
        # a JSON control row's attributes are a map of control attributes; anything else
        # is not one (these words are the project's own)
        raise InvalidSwitch(f"Invalid control attributes syntax: $attributes is "
                            f"{type(attributes).__name__}, not a map")
    if not attributes:
        raise InvalidSwitch("Too few control attributes per record: at least one attribute "
                            "is required")
    if len(attributes) > 1:
        raise InvalidSwitch("Too many control attributes per record: at most one attribute "
                            "is allowed")
    (name, value), = attributes.items()
    if name != "table_index":
        raise InvalidSwitch(f'Failed to parse control attribute name "{name}"')
    if isinstance(value, str):
        raise InvalidSwitch("Control attributes are not supported")
    if type(value) is int and value >= _INT64_END:
        raise InvalidSwitch('Control attribute "table_index" cannot be an unsigned integer')
    if type(value) is not int:
        kind = _CANNOT_BE.get(type(value), "be a map")
        raise InvalidSwitch(f'Control attribute "table_index" cannot {kind}')
    if not 0 <= value < table_count:
        raise InvalidSwitch(f"Invalid table index {value}: expected integer in range "
                            f"[0,{table_count - 1}]")
    return value
