"""Pool and pool tree names a cluster's scheduler refuses when an operation starts: refused
by the fake proxy at start_operation in the scheduler's words, and by both modes when the
configuration is read, before the stages before the operation have run; and a pool tree the
cluster does not have, refused by prod before the operation's files are uploaded.

What a cluster does (ytsaurus/ytsaurus):
- a pool the tree does not have is created on the fly, under a name the tree validates
  first (TFairShareTree::DoValidateOperationPoolsCanBeUsed in
  yt/yt/server/scheduler/fair_share_tree.cpp: "Validate pool name only if pool does not
  exist"): "Pool name %Qv must match regular expression %Qv" with the default
  `ephemeral_pool_name_regex` `[-_a-z0-9:A-Z]+`, "is too long" past 100 characters, and
  "cannot be equal to root pool name" (CheckPoolName in yt/yt/ytlib/scheduler/helpers.cpp);
  for `parent$pool` the parent's name is the one validated, and a second `$` is "Malformed
  pool name" (TPoolName::FromString in yt/yt/ytlib/scheduler/config.cpp);
- pools and pool trees an administrator creates are held to the same characters
  (pool_name_regex_for_administrators, TDynamicSchedulerPoolManagerConfig in
  yt/yt/server/master/scheduler_pool_server/config.cpp): no pool or tree of a stock
  cluster has another name;
- an operation runs only in pool trees the scheduler has, the children of //sys/pool_trees
  (`create scheduler_pool_tree`, as YTsaurus's test_scheduler_pool_manipulations makes
  them): another is "Pool tree %Qv not found" (TFairShareStrategy::ParsePoolTrees in
  yt/yt/server/scheduler/fair_share_strategy.cpp).
"""

from __future__ import annotations

import dataclasses

import pytest
from config_refusals import refused_before_the_run
from prod_packages import build_package
from yt.wrapper.driver import make_formatted_request
from yt_errors import refusal

from yt_pipeline.errors import ConfigError
from yt_pipeline.operations import OperationSpec, Resources
from yt_pipeline_prod import plugin

LONG = "p" * 101
COPY = "from ytjobs import read_rows, write_rows\n\nwrite_rows(read_rows())\n"


def start_vanilla(yt, pool: str, **more) -> str:
    spec = {"pool": pool, "tasks": {"t": {"command": "true", "job_count": 1}}, **more}
    return make_formatted_request("start_operation", {"operation_type": "vanilla",
                                                      "spec": spec}, format=None, client=yt)


# -- the fake proxy --------------------------------------------------------------------

@pytest.mark.parametrize("pool, words", [
    ("my pool", 'Pool name "my pool" must match regular expression "[-_a-z0-9:A-Z]+"'),
    ("team/ml", 'Pool name "team/ml" must match regular expression "[-_a-z0-9:A-Z]+"'),
    ("a.b$c", 'Pool name "a.b" must match regular expression "[-_a-z0-9:A-Z]+"'),
    ("a$b$c", 'Malformed pool name: delimiter "$" is found more than once in "a$b$c"'),
    ("<Root>", "Pool name cannot be equal to root pool name"),
    (LONG, f'Pool name "{LONG}" is too long'),
])
def test_start_operation_refuses_a_pool_name_the_scheduler_refuses(yt, fake_yt, pool, words):
    assert words in refusal(lambda: start_vanilla(yt, pool))
    assert fake_yt.jobs == []
    # names it takes, run: for parent$pool only the parent's name is validated
    for taken in ("research", "Team:ml-1_x", "research$a b"):
        start_vanilla(yt, taken)
    fake_yt.wait_idle()
    assert [job.type for job in fake_yt.jobs] == ["vanilla"] * 3


def test_start_operation_refuses_a_pool_tree_the_scheduler_lacks(yt, fake_yt):
    assert yt.list("//sys/pool_trees") == ["default"]  # a stock cluster's one tree
    assert 'Pool tree "gpu" not found' in refusal(
        lambda: start_vanilla(yt, "research", pool_trees=["default", "gpu"]))
    assert fake_yt.jobs == []
    fake_yt.add_pool_tree("gpu")  # as an administrator creates it
    start_vanilla(yt, "research", pool_trees=["default", "gpu"])
    fake_yt.wait_idle()
    assert [job.type for job in fake_yt.jobs] == ["vanilla"]


# -- the configuration, in both modes --------------------------------------------------

@pytest.mark.parametrize("section, key, words", [
    ("      resources:\n        pool: team/ml\n", "client.operations.map.resources.pool",
     "'team/ml' cannot be a pool: a cluster takes only letters, digits, '-', '_' and ':' "
     "in a name, at most 100 characters"),
    ("      resources:\n        pool: a$b$c\n", "client.operations.map.resources.pool",
     "'a$b$c' cannot be a pool: one '$' at most, between a pool and its subpool"),
    ("      resources:\n        pool_tree: gpu cloud\n",
     "client.operations.map.resources.pool_tree", "'gpu cloud' cannot be a pool tree"),
    ("      spec:\n        pool: my pool\n", "client.operations.map.spec.pool",
     "'my pool' cannot be a pool"),
    ("      spec:\n        pool_trees: [default, 'a/b']\n",
     "client.operations.map.spec.pool_trees", "'a/b' cannot be a pool tree"),
])
def test_a_pool_name_a_cluster_refuses_is_refused_before_the_run(tmp_path, section, key, words):
    refused_before_the_run(tmp_path, section, key, words)


def test_prod_refuses_a_spec_made_in_code_with_such_a_pool(tmp_path, prod_client, fake_yt):
    fake_yt.put_table("//tmp/in", [{"id": 1}])
    package = build_package(tmp_path / ".build", {"s": {"src/copy.py": "print('{}')\n"}})
    spec = OperationSpec(kind="map", stage_name="s", name="copy", stage_dir=tmp_path / "s",
                         pipeline_dir=tmp_path, code_package=package,
                         input_tables=["//tmp/in"], output_tables=["//tmp/out"],
                         mapper="src/copy.py", resources=Resources(pool="team/ml"))
    with pytest.raises(ConfigError) as caught:
        plugin.launch_operation(prod_client, spec)
    assert str(caught.value).startswith(
        "stage s: operation copy: resources.pool: 'team/ml' cannot be a pool")
    assert fake_yt.specs == [] and not prod_client.yt().exists("//tmp/out")


def test_prod_refuses_a_pool_tree_the_cluster_lacks_before_uploading(tmp_path, prod_client,
                                                                     fake_yt):
    fake_yt.put_table("//tmp/in", [{"id": 1}])
    fake_yt.add_pool_tree("physical")
    package = build_package(tmp_path / ".build", {"s": {"src/copy.py": COPY}})
    spec = OperationSpec(kind="map", stage_name="s", name="copy", stage_dir=tmp_path / "s",
                         pipeline_dir=tmp_path, code_package=package,
                         input_tables=["//tmp/in"], output_tables=["//tmp/out"],
                         mapper="src/copy.py", resources=Resources(pool_tree="gpu"))
    for refused_spec, line in [
        (spec, "stage s: operation copy: resources.pool_tree: the cluster has no pool tree "
               "'gpu' (its pool trees: default, physical)"),
        # a `spec:` section's pool_trees replace resources.pool_tree in what is sent
        (dataclasses.replace(spec, extra_spec={"pool_trees": ["physical", "cloud"]}),
         "stage s: operation copy: spec.pool_trees: the cluster has no pool tree 'cloud' "
         "(its pool trees: default, physical)"),
    ]:
        with pytest.raises(ConfigError) as caught:
            plugin.launch_operation(prod_client, refused_spec)
        assert str(caught.value) == line
    assert fake_yt.specs == [] and fake_yt.calls["write_file"] == 0
    assert not prod_client.yt().exists("//tmp/out")
    plugin.launch_operation(prod_client, dataclasses.replace(
        spec, resources=Resources(pool_tree="physical")))
    assert fake_yt.specs[-1]["pool_trees"] == ["physical"]
    assert fake_yt.rows("//tmp/out") == [{"id": 1}]
