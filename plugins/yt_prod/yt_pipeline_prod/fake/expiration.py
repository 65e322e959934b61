"""Cypress node TTL: `expiration_time` removes a committed node once it has passed.

From the "Cypress node TTL" section of the Cypress docs: the value is an ISO time string or
milliseconds since the epoch, `expiration_timeout` is milliseconds; a node under a lock
other than snapshot is not removed until the lock goes; a copy or a move drops both unless
told to keep them (cypress_commands.py). The fake removes expired nodes when the next
command arrives. It checks `expiration_timeout` values but never removes a node for one:
it does not track the `touch_time` of nodes.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from yt_pipeline_prod.fake.attributes import iso_time
from yt_pipeline_prod.fake.protocol import YtFakeError

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.cypress import Cypress


def expiration_seconds(value: Any) -> float:
    """An `expiration_time` value as seconds since the epoch; an error for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value / 1000.0
    if isinstance(value, str):
        try:
            text = value.strip()
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return moment.timestamp()
    raise YtFakeError(f"Error parsing expiration_time: {value!r} is neither an ISO time nor "
                      "milliseconds since the epoch")


def check_attribute(name: str, value: Any) -> None:
    """Refuse TTL attributes a cluster would refuse."""
    if name == "expiration_time":
        expiration_seconds(value)
    elif name == "expiration_timeout" and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise YtFakeError(f"Error parsing expiration_timeout: {value!r} is not a number of "
                          "milliseconds")


def stored_value(name: str, value: Any) -> Any:
    """The value a node keeps for a TTL attribute: a master keeps `expiration_time` as a
    TInstant and gives it back as ISO 8601 in UTC to the microsecond, whichever form it was
    given in ("2044-01-01" reads back as "2044-01-01T00:00:00.000000Z":
    test_effective_expiration_time_and_timeout of yt/yt/tests/integration/cypress/
    test_cypress.py)."""
    if name != "expiration_time":
        return value
    return iso_time(expiration_seconds(value))


def expire_due(cypress: Cypress, now: float | None = None) -> list[str]:
    """Remove the committed nodes whose expiration time has passed; their paths."""
    now = time.time() if now is None else now
    removed = []
    with cypress.lock:
        for path, node in list(cypress.base.items()):
            if node is None or path not in cypress.base:
                continue
            when = node.attributes.get("expiration_time")
            if when is None or expiration_seconds(when) > now:
                continue
            subtree = cypress.subtree(path, None)
            if any(cypress.locks.blocks_removal(cypress.base[p].id)  # type: ignore[union-attr]
                   for p in subtree):
                continue
            try:
                cypress.delete(path, None)
            except YtFakeError:
                continue  # its name in the parent is locked: try again on the next command
            removed.append(path)
    return removed
