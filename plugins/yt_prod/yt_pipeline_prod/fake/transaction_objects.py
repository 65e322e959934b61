"""A transaction read as the object it is on a cluster: `get #<transaction id>/@title`.

A master keeps a transaction as an object whose attributes any user may read by its id:
those it was started with (test_title and test_custom_attr of TestMasterTransactions, in
yt/yt/tests/integration/master/test_master_transactions.py of ytsaurus: `get("#<tx>/@title")`
gives the title it was started with) and its own: `id`, `timeout`, and `parent_id`, the null
transaction "0-0-0-0" for a topmost one (the accounts' integration tests walk a
transaction's ancestors by `#<tx>/@parent_id` up to "0-0-0-0").
"""

from __future__ import annotations

from typing import Any

from yt_pipeline_prod.fake.attribute_paths import no_such_attribute
from yt_pipeline_prod.fake.cypress import Cypress
from yt_pipeline_prod.fake.paths import split_path

#: the null transaction's id, the parent of a topmost one
NULL_ID = "0-0-0-0"


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
        attributes: dict[str, Any] = {"id": tx.id, "parent_id": tx.parent or NULL_ID}
        if tx.timeout_s != float("inf"):  # milliseconds, as it was given
            attributes["timeout"] = int(tx.timeout_s * 1000)
        attributes.update(tx.attributes)
    if attribute is None:
        return True, None  # an object's own value is an entity
    if attribute == "":
        return True, attributes
    if attribute not in attributes:
        raise no_such_attribute(attribute)
    return True, attributes[attribute]
