"""The `pool` and `pool_trees` of an operation spec as the scheduler takes them, refused at
start_operation in its words.

- each of `pool_trees` must be a tree the scheduler has: "Pool tree %Qv not found"
  (TFairShareStrategy::ParsePoolTrees in yt/yt/server/scheduler/fair_share_strategy.cpp;
  the trees are the children of //sys/pool_trees);

- `parent$child` names a child of `parent`; more than one `$` is "Malformed pool name:
  delimiter %Qv is found more than once in %Qv" (TPoolName::FromString in
  yt/yt/ytlib/scheduler/config.cpp);
- a pool the tree does not have is created on the fly (an ephemeral pool), but only under
  a name the tree validates first (TFairShareTree::DoValidateOperationPoolsCanBeUsed in
  yt/yt/server/scheduler/fair_share_tree.cpp: "Validate pool name only if pool does not
  exist", ValidatePoolName(poolName.GetSpecifiedPoolName(), EphemeralPoolNameRegex)), the
  parent's when the name has a `$`: not `<Root>`, at most 100 characters, and matching
  `ephemeral_pool_name_regex`, `[-_a-z0-9:A-Z]+` unless the cluster configures another
  (CheckPoolName in yt/yt/ytlib/scheduler/helpers.cpp; the regex's default is
  TFairShareStrategyConfig's). Pools an administrator creates are held to the same
  characters (`pool_name_regex_for_administrators`, TDynamicSchedulerPoolManagerConfig in
  yt/yt/server/master/scheduler_pool_server/config.cpp), so no pool of a stock cluster has
  a name outside them: the fake, which keeps no pools, checks every name.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from yt_pipeline_prod.fake.cypress import POOL_TREES
from yt_pipeline_prod.fake.protocol import YtFakeError

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.cypress import Cypress

DELIMITER = "$"
ROOT_POOL_NAME = "<Root>"
MAX_POOL_NAME_LENGTH = 100
POOL_NAME_REGEX = "[-_a-z0-9:A-Z]+"


def check_pool(spec: dict[str, Any]) -> None:
    pool = spec.get("pool")
    if pool is None:
        return
    name = str(pool)
    if not name:
        # TStrategyOperationSpec registers `pool` NonEmpty
        raise YtFakeError('Error parsing operation spec: /pool: value must not be empty')
    parts = name.split(DELIMITER)
    if len(parts) > 2:
        raise YtFakeError(f'Malformed pool name: delimiter "{DELIMITER}" is found more than '
                          f'once in "{name}"')
    specified = parts[0]
    if specified == ROOT_POOL_NAME:
        raise YtFakeError("Pool name cannot be equal to root pool name",
                          root_pool_name=ROOT_POOL_NAME)
    if len(specified) > MAX_POOL_NAME_LENGTH:
        raise YtFakeError(f'Pool name "{specified}" is too long', length=len(specified),
                          max_length=MAX_POOL_NAME_LENGTH)
    if not re.fullmatch(POOL_NAME_REGEX, specified):
        raise YtFakeError(f'Pool name "{specified}" must match regular expression '
                          f'"{POOL_NAME_REGEX}"')


def check_pool_trees(spec: dict[str, Any], cypress: Cypress) -> None:
    for tree in spec.get("pool_trees") or []:
        if cypress.lookup(f"{POOL_TREES}/{tree}", None) is None:
            raise YtFakeError(f'Pool tree "{tree}" not found')
