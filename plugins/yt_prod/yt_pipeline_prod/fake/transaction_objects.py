"""A transaction read as the object it is on a cluster: `get #<transaction id>/@title`.

A master keeps a transaction as an object whose attributes any user may read by its id:
those it was started with (its `title`) and its own (`id`, `parent_id`, `timeout`). The
queue agent's integration tests read the host of a leader's lock transaction so
(`get("#" + tx_id + "/@host")` in yt/yt/tests/integration/queue_agent/, ytsaurus), with
the transaction's id taken from the locked node's `@locks`.
"""

from __future__ import annotations

from typing import Any

from yt_pipeline_prod.fake.attribute_paths import no_such_attribute
from yt_pipeline_prod.fake.cypress import Cypress
from yt_pipeline_prod.fake.paths import split_path


def transaction_attributes(cypress: Cypress, path: str) -> tuple[bool, Any]:
    """(True, what a `get` of `path` gives) when `path` is `#<id>` of a transaction still
    running, or an attribute of one; (False, None) for any other path."""
    node_part, attribute = split_path(path.strip())
    if not node_part.startswith("#"):
        return False, None
    with cypress.lock:
        tx = cypress.transactions.get(node_part[1:])
        if tx is None:
            return False, None
        attributes: dict[str, Any] = {"id": tx.id, "timeout": int(tx.timeout_s * 1000)
                                      if tx.timeout_s != float("inf") else None}
        if tx.parent:
            attributes["parent_id"] = tx.parent
        attributes.update(tx.attributes)
    if attribute is None:
        return True, None  # an object's own value is an entity
    if attribute == "":
        return True, attributes
    if attribute not in attributes or attributes[attribute] is None:
        raise no_such_attribute(attribute)
    return True, attributes[attribute]
