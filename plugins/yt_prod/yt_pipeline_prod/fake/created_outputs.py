"""Tables an operation creates itself: an output or stderr table path with `<create=%true>`.

While preparing, the controller creates each such table that does not exist yet, as a
Cypress Create of type table with ignore_existing, not recursive, in the transaction the
table is written in (TOperationControllerBase::CreateOutputTables, called from SafePrepare
in yt/yt/server/controller_agent/controllers/operation_controller_detail.cpp): an output
table in the operation's output transaction, so it is gone again when the operation fails;
the stderr table in the debug transaction, committed whether the operation completed or
failed. The integration test test_auto_create (yt/yt/tests/integration/tests/controller/
test_map_operation.py) expects exactly that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yt_pipeline_prod.fake.cypress import Node
from yt_pipeline_prod.fake.protocol import ALREADY_EXISTS, YtFakeError

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.cypress import Cypress


def create_if_asked(cypress: Cypress, path: str, attributes: dict[str, Any],
                    tx: str | None) -> None:
    """Create table `path` (resolved) in `tx` when its attributes ask for it and it is
    missing; an existing node of another type is the master's refusal, as for any Create
    with ignore_existing (TNontemplateCypressNodeProxyBase::Create in the master's
    cypress_node_proxy.cpp)."""
    if not _asked(attributes.get("create")):
        return
    with cypress.lock:
        existing = cypress.lookup(path, tx)
        if existing is not None:
            if existing.type != "table":
                raise YtFakeError(f'{path} already exists and has type "{existing.type}" '
                                  'while node of "table" type is about to be created',
                                  code=ALREADY_EXISTS)
            return
        cypress.ensure_parents(path, tx, recursive=False)
        cypress.create(path, Node("table"), tx)


def _asked(value: Any) -> bool:
    # a YSON boolean, or its text as the integration tests write it (`<create=true>`)
    return str(value).lower() == "true" if isinstance(value, str) else bool(value)
