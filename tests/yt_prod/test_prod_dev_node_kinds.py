"""A table and a folder of one name, or a node below a table: refused alike in dev and in
prod (on the fake proxy), in the master's words.

A Cypress node has one type. A create with `ignore_existing` (what prod's write_table and
create_path ask for, with `recursive`) of a node whose name a node of another type has fails
with `<path> already exists and has type "table" while node of "map_node" type is about to
be created`, and one below a table with `Node <table> cannot have children`
(TNontemplateCypressNodeProxyBase::Create in the master's cypress_node_proxy.cpp,
ThrowCannotHaveChildren in yt/yt/core/ytree/exception_helpers.cpp, whose GetNodePath puts
"Node " before the path). Dev kept tables and folders
apart on disk: it made a folder beside a table of its name, and a table "inside" a table."""

from __future__ import annotations

import pytest

from yt_pipeline.errors import BackendError
from yt_pipeline_dev.client import DevClient

MISMATCH = ('{path} already exists and has type "{there}" while node of "{kind}" type is '
            "about to be created")
# (what is done, the words of the refusal)
CASES = [
    (lambda c: c.create_path("//tmp/x", "map_node"),
     "create_path //tmp/x: " + MISMATCH.format(path="//tmp/x", there="table", kind="map_node")),
    (lambda c: c.write_table("//tmp/x/t", [{"v": 2}]),
     "write_table //tmp/x/t: " + MISMATCH.format(path="//tmp/x", there="table",
                                                 kind="map_node")),
    (lambda c: c.create_path("//tmp/x/t", "table"),
     "create_path //tmp/x/t: Node //tmp/x cannot have children"),
    (lambda c: c.create_path("//tmp/x/t/u", "map_node"),
     "create_path //tmp/x/t/u: Node //tmp/x cannot have children"),
    (lambda c: c.write_table("//tmp/x/t/u", [{"v": 2}]),
     "write_table //tmp/x/t/u: Node //tmp/x cannot have children"),
    (lambda c: c.write_table("//tmp/d", [{"v": 2}]),
     "write_table //tmp/d: " + MISMATCH.format(path="//tmp/d", there="map_node", kind="table")),
    (lambda c: c.write_table("//tmp/d", [{"v": 2}], append=True),
     "write_table //tmp/d: " + MISMATCH.format(path="//tmp/d", there="map_node", kind="table")),
    (lambda c: c.create_path("//tmp/d", "table"),
     "create_path //tmp/d: " + MISMATCH.format(path="//tmp/d", there="map_node",
                                               kind="table")),
]


@pytest.mark.parametrize("mode", ["dev", "prod"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_a_node_of_another_kind_or_below_a_table_is_refused_alike(tmp_path, prod_client,
                                                                   mode, case):
    client = DevClient(tmp_path / ".dev") if mode == "dev" else prod_client
    client.write_table("//tmp/x", [{"v": 1}])
    client.create_path("//tmp/d/sub", "map_node")
    action, words = CASES[case]
    with pytest.raises(BackendError) as refused:
        action(client)
    # prod says it after ytsaurus-client's own words
    assert str(refused.value).replace("Received HTTP response with error: ", "") == words
    # nothing was made, and what was there is as it was
    assert list(client.read_table("//tmp/x")) == [{"v": 1}]
    assert client.list("//tmp/d") == ["sub"]
    assert sorted(client.list("//tmp")) == ["d", "x"]


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_a_node_of_its_own_kind_is_left_as_it_is(tmp_path, prod_client, mode):
    client = DevClient(tmp_path / ".dev") if mode == "dev" else prod_client
    client.write_table("//tmp/x", [{"v": 1}])
    client.create_path("//tmp/d/sub", "map_node")
    client.create_path("//tmp/x", "table")
    client.create_path("//tmp/d", "map_node")
    client.write_table("//tmp/x", [{"v": 3}], append=True)
    client.write_table("//tmp/d/t", [{"v": 4}])
    assert list(client.read_table("//tmp/x")) == [{"v": 1}, {"v": 3}]
    assert sorted(client.list("//tmp/d")) == ["sub", "t"]
