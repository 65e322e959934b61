"""`remove //node/@name`: what a master does when a remove names an attribute.

TSupportsAttributes::DoRemoveAttribute (yt/yt/core/ytree/ypath_detail.cpp) removes a custom
(user) attribute; a builtin one only when its descriptor says Removable (of the node's
builtins, `expiration_time` and `expiration_timeout`: ListSystemAttributes in yt/yt/server/
master/cypress_server/cypress_node_proxy.cpp), any other builtin is refused with
ThrowCannotRemoveAttribute ('Attribute "x" cannot be removed'); a name that is neither is
ThrowNoSuchAttribute ('Attribute "x" is not found', a resolve error), which `force` silences.
The node itself stays: only the attribute goes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from yt_pipeline_prod.fake.attributes import system_attributes
from yt_pipeline_prod.fake.branches import REMOVED, set_attribute
from yt_pipeline_prod.fake.protocol import RESOLVE_ERROR, YtFakeError

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.cypress import Cypress

#: builtin attributes a remove may take away
REMOVABLE_BUILTINS = frozenset({"expiration_time", "expiration_timeout"})
#: builtin attributes the fake keeps among a node's own attributes (given at create or set):
#: a master never takes them for custom ones
STORED_BUILTINS = frozenset({
    "replication_factor", "compression_codec", "erasure_codec", "optimize_for", "schema",
    "sorted_by", "target_path", "account", "primary_medium", "vital", "dynamic",
})


def remove_attribute(cypress: Cypress, path: str, name: str, tx: str | None,
                     force: bool) -> None:
    """Remove the attribute `name` (no nested path inside it) of the node at `path`."""
    node = cypress.get_node(path, tx)
    if "/" in name:
        raise YtFakeError(f"the fake proxy removes whole attributes only, not @{name}")
    if name in REMOVABLE_BUILTINS or (
            name in node.attributes and name not in STORED_BUILTINS):
        if name in node.attributes:
            set_attribute(cypress, path, name, REMOVED, tx)
        return
    if name in STORED_BUILTINS or name in system_attributes(cypress, path, node, tx):
        raise YtFakeError(f'Attribute "{name}" cannot be removed')
    if not force:
        raise YtFakeError(f'Attribute "{name}" is not found', code=RESOLVE_ERROR)
