"""The names a cluster's scheduler takes for an operation's `pool` and `pool_trees`
(`resources.pool`, `resources.pool_tree`), so that one it would refuse when the operation
starts, after the stages before it have run, is refused when the configuration is read, in
both modes.

- A pool the tree does not have is created on the fly, but only under a name the tree
  validates first: not `<Root>`, at most 100 characters, and matching the cluster's
  `ephemeral_pool_name_regex`, `[-_a-z0-9:A-Z]+` by default (DoValidateOperationPoolsCanBeUsed
  in yt/yt/server/scheduler/fair_share_tree.cpp, CheckPoolName in
  yt/yt/ytlib/scheduler/helpers.cpp). `parent$pool` names a pool under `parent`, and only
  the parent's name is validated; two `$` are "Malformed pool name" (TPoolName::FromString
  in yt/yt/ytlib/scheduler/config.cpp).
- Pools and pool trees an administrator creates are held to the same characters by default
  (`pool_name_regex_for_administrators`, TDynamicSchedulerPoolManagerConfig in
  yt/yt/server/master/scheduler_pool_server/config.cpp), and a pool tree the cluster does not
  have is "Pool tree %Qv not found" (ParsePoolTrees in the scheduler's fair share strategy).

So a name of other characters is no pool or pool tree of a stock cluster.
"""

from __future__ import annotations

import re

NAME = re.compile(r"[-_a-z0-9:A-Z]+")
MAX_LENGTH = 100
ROOT_POOL = "<Root>"
SUBPOOL_DELIMITER = "$"
_RULE = (f"a cluster takes only letters, digits, '-', '_' and ':' in a name, at most "
         f"{MAX_LENGTH} characters")


def _name_problem(name: str) -> str | None:
    if name == ROOT_POOL:
        return f"{ROOT_POOL} is the root of every pool tree, not a pool to run in"
    if len(name) > MAX_LENGTH or not NAME.fullmatch(name):
        return _RULE
    return None


def pool_problem(pool: str) -> str | None:
    """Why a cluster would refuse `pool` as an operation's pool, or None."""
    parts = pool.split(SUBPOOL_DELIMITER)
    if len(parts) > 2:
        return (f"{pool!r} cannot be a pool: one '{SUBPOOL_DELIMITER}' at most, between a "
                "pool and its subpool")
    problem = _name_problem(parts[0])
    return f"{pool!r} cannot be a pool: {problem}" if problem else None


def pool_tree_problem(tree: str) -> str | None:
    """Why a cluster would have no pool tree named `tree`, or None."""
    problem = _name_problem(tree)
    return f"{tree!r} cannot be a pool tree: {problem}" if problem else None
