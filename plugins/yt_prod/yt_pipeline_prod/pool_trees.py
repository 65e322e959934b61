"""The pool trees an operation names, checked against the cluster's before anything of the
operation is uploaded or created.

A cluster runs an operation only in pool trees it has, each a child of //sys/pool_trees
(made by `create scheduler_pool_tree`), and its scheduler refuses another when the operation
starts ("Pool tree %Qv not found": TFairShareStrategy::ParsePoolTrees in
yt/yt/server/scheduler/fair_share_strategy.cpp): after the code archive and the job files
were uploaded and the output tables created, in words that name neither the configuration
key nor the trees there are. Checked here first, the error names both. The trees are listed
once a run; a cluster whose //sys/pool_trees cannot be listed is left to decide itself.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from yt_pipeline.errors import ConfigError

if TYPE_CHECKING:
    from yt_pipeline.operations import OperationSpec
    from yt_pipeline_prod.client import ProdClient

log = logging.getLogger("yt_pipeline.prod.operations")

POOL_TREES = "//sys/pool_trees"


def named_trees(spec: OperationSpec) -> list[tuple[str, str]]:
    """(key, tree) of each pool tree the operation is sent with: a `spec:` section's
    `pool_trees` replace `resources.pool_tree` (op_spec merges the section over what it
    built, and a list replaces)."""
    given = spec.extra_spec.get("pool_trees")
    if isinstance(given, list):
        return [("spec.pool_trees", str(tree)) for tree in given]
    tree = spec.resources.pool_tree
    return [("resources.pool_tree", tree)] if tree else []


def cluster_pool_trees(client: ProdClient) -> set[str] | None:
    """The cluster's pool trees, listed once a run; None when they cannot be listed."""
    root = client.root
    if root.pool_trees is None:
        try:
            root.pool_trees = {str(name) for name in client.yt().list(POOL_TREES)}
        except Exception as error:  # noqa: BLE001 - the scheduler still checks the tree
            log.debug("could not list %s: %s", POOL_TREES, error)
            return None
    return root.pool_trees


def check_pool_trees(client: ProdClient, spec: OperationSpec) -> None:
    named = named_trees(spec)
    if not named:
        return
    known = cluster_pool_trees(client)
    if known is None:
        return
    for key, tree in named:
        if tree not in known:
            trees = ", ".join(sorted(known)) or "none"
            raise ConfigError(f"stage {spec.stage_name}: operation {spec.name}: {key}: the "
                              f"cluster has no pool tree {tree!r} (its pool trees: {trees})")
