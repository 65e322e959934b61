"""The fake proxy's Cypress against YTsaurus's integration tests (yt/yt/tests/integration/
cypress/test_cypress.py in ytsaurus/ytsaurus and its neighbours), asked through
ytsaurus-client, on the points where it once let through what a cluster refuses: list items
addressed by index, cyclic links, a folder's snapshot, built-in attributes a master checks.
Each test names the integration test (or the server source) that decides it.
"""

from __future__ import annotations

import pytest
from yt.wrapper.errors import YtResponseError
from yt_calls import in_transaction
from yt_errors import refusal

CYCLIC = "Failed to create link: link is cyclic"


# -- list items --------------------------------------------------------------------------
def test_list_items_are_set_inserted_and_removed_by_index(yt):
    # TestCypress.test_list, step by step: `end`, `before:0`, `after:2`, an index, `begin`
    # (TListNodeMixin::SetChild in yt/yt/core/ytree/node_detail.cpp)
    yt.set("//tmp/list", [1, 2, "some string"])
    yt.set("//tmp/list/end", 100)
    assert yt.get("//tmp/list") == [1, 2, "some string", 100]
    yt.set("//tmp/list/before:0", 200)
    yt.set("//tmp/list/before:0", 500)
    assert yt.get("//tmp/list") == [500, 200, 1, 2, "some string", 100]
    yt.set("//tmp/list/after:2", 1000)
    assert yt.get("//tmp/list") == [500, 200, 1, 1000, 2, "some string", 100]
    yt.set("//tmp/list/3", 777)
    assert yt.get("//tmp/list") == [500, 200, 1, 777, 2, "some string", 100]
    yt.remove("//tmp/list/4")
    yt.remove("//tmp/list/4")
    yt.remove("//tmp/list/0")
    assert yt.get("//tmp/list") == [200, 1, 777, 100]
    yt.set("//tmp/list/end", "last")
    yt.set("//tmp/list/before:0", "first")
    yt.set("//tmp/list/begin", "very_first")
    assert yt.get("//tmp/list") == ["very_first", "first", 200, 1, 777, 100, "last"]
    assert yt.get("//tmp/list/@type") == "list_node"
    # a composite node counts its children (TNontemplateCompositeCypressNodeProxyBase::
    # GetBuiltinAttribute in yt/yt/server/master/cypress_server/node_proxy_detail.cpp)
    assert yt.get("//tmp/list/@count") == 7


def test_list_items_are_read_by_index_from_either_end(yt):
    # TestCypress.test_list: an index counts from the end when negative; exists says false
    # for one out of range, get is refused "has no child with index" (ThrowNoSuchChildIndex
    # in yt/yt/core/ytree/exception_helpers.cpp, the index as given)
    yt.set("//tmp/list", ["a", "b", "c"])
    assert yt.get("//tmp/list/0") == "a"
    assert yt.get("//tmp/list/-1") == "c"
    assert yt.get("//tmp/list/-3") == "a"
    assert yt.exists("//tmp/list/2")
    assert yt.exists("//tmp/list/-3")
    assert not yt.exists("//tmp/list/3")
    assert not yt.exists("//tmp/list/-4")
    for index in ("42", "-42"):
        found = refusal(lambda index=index: yt.get(f"//tmp/list/{index}"))
        assert f"Node //tmp/list has no child with index {index}" in found
    assert 'Invalid list index "x"' in refusal(lambda: yt.get("//tmp/list/x"))


def test_list_index_errors_on_set_and_remove(yt):
    # an index out of range, or a before:/after: of no item, changes nothing
    # (AdjustChildIndexOrThrow in TListNodeMixin::SetChild; a remove resolves the item
    # first, TListNodeMixin::ResolveRecursive)
    yt.set("//tmp/list", [1, 2])
    assert "Node //tmp/list has no child with index 5" in \
        refusal(lambda: yt.set("//tmp/list/before:5", 0))
    assert "Node //tmp/list has no child with index -3" in \
        refusal(lambda: yt.set("//tmp/list/after:-3", 0))
    assert "Node //tmp/list has no child with index 2" in \
        refusal(lambda: yt.set("//tmp/list/2", 0))
    assert "Node //tmp/list has no child with index 2" in \
        refusal(lambda: yt.remove("//tmp/list/2"))
    yt.remove("//tmp/list/2", force=True)
    assert yt.get("//tmp/list") == [1, 2]
    # an item takes a value of its own type, as a scalar node does (test_list's 777 over
    # 1000; TNodeSetterBase::ThrowInvalidType for another)
    assert 'Cannot update "int64" node with "string" value; types must match' in \
        refusal(lambda: yt.set("//tmp/list/0", "one"))


def test_map_items_of_a_list_are_addressed_inside(yt):
    # TestCypress.test_map: `//tmp/map/list/2/some` sets a key of the map item 2, `begin`
    # and `end` add items that later paths go into
    yt.set("//tmp/map", {"hello": "world", "list": [0, "a", {}], "n": 1})
    yt.set("//tmp/map/list/2/some", "value")
    assert yt.get("//tmp/map/list") == [0, "a", {"some": "value"}]
    yt.set("//tmp/map/list", [], force=True)
    yt.set("//tmp/map/list/end", {})
    yt.set("//tmp/map/list/0/a", 1)
    yt.set("//tmp/map/list/begin", {})
    yt.set("//tmp/map/list/0/b", 2)
    assert yt.get("//tmp/map") == {"hello": "world", "list": [{"b": 2}, {"a": 1}], "n": 1}
    assert yt.get("//tmp/map/list/1/a") == 1
    assert 'Node //tmp/map/list/1 has no child with key "c"' in \
        refusal(lambda: yt.get("//tmp/map/list/1/c"))


def test_a_list_item_changed_in_a_transaction_is_its_own_until_commit(yt):
    # an item's change is a change of the list under the transaction (the "Versioning"
    # section of the Transactions page of the Cypress docs)
    yt.set("//tmp/list", [1, 2])
    tx = yt.start_transaction()
    with in_transaction(yt, tx):
        yt.set("//tmp/list/end", 3)
        assert yt.get("//tmp/list") == [1, 2, 3]
    assert yt.get("//tmp/list") == [1, 2]
    yt.commit_transaction(tx)
    assert yt.get("//tmp/list") == [1, 2, 3]


# -- cyclic links ------------------------------------------------------------------------
def test_a_link_that_leads_back_to_itself_isrefusal(yt):
    # TestCypress.test_cyclic_link, case by case (TLinkNodeTypeHandler::DoCreate in
    # yt/yt/server/master/cypress_server/link_node_type_handler.cpp walks the target and
    # refuses it when it passes through or ends at the link's own path)
    yt.create("map_node", "//tmp/a/b/c", recursive=True)
    yt.link("//tmp/a/b/c", "//tmp/a/l1")
    yt.create("map_node", "//tmp/r")
    yt.link("//tmp/r", "//tmp/r/l2")
    for target, link in [("//tmp/a/l1", "//tmp/a/b/c"),  # through another link
                         ("//tmp/r/l2", "//tmp/r/l2"),  # onto itself
                         ("//tmp/r/l2/l2/l2", "//tmp/r/l2")]:  # through itself
        found = refusal(lambda target=target, link=link: yt.link(target, link, force=True))
        assert found[0] == CYCLIC
    # the refused link replaced nothing: the forced link's old node is still there
    assert yt.get("//tmp/a/b/c/@type") == "map_node"
    assert yt.get("//tmp/r/l2&/@target_path") == "//tmp/r"
    for path in ("//tmp/a/b/c/d", "//tmp/a/b/c/d/e"):
        found = refusal(lambda path=path: yt.create(
            "link", path, attributes={"target_path": path}, recursive=True))
        assert found[0] == CYCLIC
    assert not yt.exists("//tmp/a/b/c/d")


def test_a_cyclic_link_error_names_both_paths(yt):
    # the error's attributes: target_path and path (TLinkNodeTypeHandler::DoCreate)
    yt.create("map_node", "//tmp/r")
    with pytest.raises(YtResponseError) as caught:
        yt.link("//tmp/r/self", "//tmp/r/self", force=True)
    assert caught.value.error["attributes"]["target_path"] == "//tmp/r/self"
    assert caught.value.error["attributes"]["path"] == "//tmp/r/self"


def test_links_that_only_look_alike_are_made(yt):
    # a link into its own parent folder, or to a link of another name, is no cycle
    yt.create("map_node", "//tmp/x")
    yt.link("//tmp/x", "//tmp/x/up")
    assert yt.get("//tmp/x/up&/@target_path") == "//tmp/x"
    yt.link("//tmp/x/up", "//tmp/up2")
    assert yt.list("//tmp/up2") == ["up"]


# -- a folder's snapshot -----------------------------------------------------------------
def test_a_snapshot_of_a_folder_keeps_a_removed_child_s_subtree(yt):
    # TestCypress.test_map_node_branch one level deeper: the parent transaction removes a
    # child folder with its own children after the snapshot; the snapshot still has the
    # child, and the child still has its children (the removed node lives on while the
    # snapshot's key table holds it: FindMapNodeChild in yt/yt/server/master/
    # cypress_server/helpers.cpp reads its children through its versions)
    yt.create("map_node", "//tmp/m")
    tx1 = yt.start_transaction()
    tx2 = yt.start_transaction(parent_transaction=tx1)
    with in_transaction(yt, tx1):
        yt.create("table", "//tmp/m/a/t", recursive=True)
    with in_transaction(yt, tx2):
        yt.lock("//tmp/m", mode="snapshot")
    with in_transaction(yt, tx1):
        yt.remove("//tmp/m/a", recursive=True)
        assert not yt.exists("//tmp/m/a/t")
    with in_transaction(yt, tx2):
        assert yt.get("//tmp/m/a/t/@key") == "t"
        assert yt.list("//tmp/m/a") == ["t"]
        assert yt.get("//tmp/m/a/@count") == 1
    yt.abort_transaction(tx1)


def test_a_snapshot_of_a_folder_keeps_a_subtree_removed_outside(yt):
    # TestCypressLocks.test_map_snapshot_lock with a child folder: removed outside any
    # transaction, it is read in the snapshot with its children
    yt.create("map_node", "//tmp/m/a/b", recursive=True)
    yt.set("//tmp/m/a/b/n", 5)
    tx = yt.start_transaction()
    with in_transaction(yt, tx):
        yt.lock("//tmp/m", mode="snapshot")
    yt.remove("//tmp/m/a", recursive=True)
    with in_transaction(yt, tx):
        assert yt.get("//tmp/m/a/b/n") == 5
        assert yt.list("//tmp/m/a") == ["b"]
        assert yt.get("//tmp/m") == {"a": {"b": {"n": 5}}}
    assert yt.list("//tmp/m") == []
    yt.abort_transaction(tx)


def test_a_snapshot_reads_below_a_child_still_there_through_its_versions(yt):
    # a child the parent transaction keeps is read as it is now: a grandchild removed
    # under it after the snapshot is gone in the snapshot too (the snapshot branches the
    # folder alone, not its children: FindMapNodeChild walks the child's originators)
    yt.create("map_node", "//tmp/m/a", recursive=True)
    yt.create("table", "//tmp/m/a/t")
    tx1 = yt.start_transaction()
    tx2 = yt.start_transaction(parent_transaction=tx1)
    with in_transaction(yt, tx2):
        yt.lock("//tmp/m", mode="snapshot")
    with in_transaction(yt, tx1):
        yt.remove("//tmp/m/a/t")
    with in_transaction(yt, tx2):
        assert yt.exists("//tmp/m/a")
        assert not yt.exists("//tmp/m/a/t")
    yt.abort_transaction(tx1)


# -- built-in attributes a master checks ---------------------------------------------------
@pytest.mark.parametrize("kind", ["table", "file", "map_node", "list_node"])
def test_an_unknown_codec_is_refused_and_a_known_one_reads_back(yt, kind):
    # the codec is parsed as NCompression::ECodec / NErasure::ECodec
    # (TChunkOwnerNodeProxy::SetBuiltinAttribute in yt/yt/server/master/chunk_server/
    # chunk_owner_node_proxy.cpp; a composite node's inheritable attributes the same way); an
    # unknown name fails to parse and the set is wrapped as TSupportsAttributes wraps it
    yt.create(kind, "//tmp/n")
    for name, good in (("compression_codec", "zstd_3"), ("erasure_codec", "isa_lrc_12_2_2")):
        found = refusal(lambda name=name: yt.set(f"//tmp/n/@{name}", "no_such_codec"))
        assert found == [f'Error setting builtin attribute "{name}"',
                         'Error parsing ECodec value "no_such_codec"']
        yt.set(f"//tmp/n/@{name}", good)
        assert yt.get(f"//tmp/n/@{name}") == good
    # the refused ones left the good values in place
    assert yt.get("//tmp/n/@compression_codec") == "zstd_3"


def test_an_unknown_codec_is_refused_on_create(yt):
    # TTableNodeTypeHandlerBase::DoCreate validates the compression codec it is given
    # (ValidateCompressionCodec) and parses the erasure codec from the attributes
    for name in ("compression_codec", "erasure_codec"):
        found = refusal(lambda name=name: yt.create(
            "table", "//tmp/t", attributes={name: "no_such_codec"}))
        assert 'Error parsing ECodec value "no_such_codec"' in found
        assert not yt.exists("//tmp/t")
    yt.create("table", "//tmp/t", attributes={"compression_codec": "brotli_8",
                                              "erasure_codec": "reed_solomon_6_3"})
    assert yt.get("//tmp/t/@compression_codec") == "brotli_8"
    assert yt.get("//tmp/t/@erasure_codec") == "reed_solomon_6_3"


def test_a_codec_of_another_node_is_a_user_attribute(yt):
    # only chunk owners and map nodes have codecs built in; elsewhere the name is free
    yt.create("document", "//tmp/d")
    yt.set("//tmp/d/@compression_codec", "anything")
    assert yt.get("//tmp/d/@compression_codec") == "anything"


def test_read_only_attributes_are_not_set(yt):
    # test_compute_hash of yt/yt/tests/integration/cypress/test_files.py: `set @md5` is
    # refused; so is any attribute a master computes (ThrowCannotSetBuiltinAttribute)
    yt.write_file("//tmp/f", b"data", compute_md5=True)
    md5 = yt.get("//tmp/f/@md5")
    assert refusal(lambda: yt.set("//tmp/f/@md5", "test")) == \
        ['Builtin attribute "md5" cannot be set']
    assert yt.get("//tmp/f/@md5") == md5
    yt.write_table("//tmp/t", [{"a": 1}], format="json")
    for name, value in (("row_count", 5), ("id", "1-2-3-4"), ("type", "file")):
        assert refusal(lambda name=name, value=value: yt.set(f"//tmp/t/@{name}", value)) \
            == [f'Builtin attribute "{name}" cannot be set']
    assert yt.get("//tmp/t/@row_count") == 1
    assert yt.get("//tmp/t/@type") == "table"
    # on a node without it built in, `row_count` is the user's
    yt.create("map_node", "//tmp/m")
    yt.set("//tmp/m/@row_count", 5)
    assert yt.get("//tmp/m/@row_count") == 5


def test_a_replication_factor_out_of_range_is_refused_as_a_set_of_it(yt):
    # ValidateReplicationFactor (yt/yt/ytlib/chunk_client/helpers.cpp): 1..20; thrown from
    # SetBuiltinAttribute, so a set wraps it (TSupportsAttributes::GuardedSetBuiltinAttribute
    # in yt/yt/core/ytree/ypath_detail.cpp)
    yt.create("table", "//tmp/t")
    assert yt.get("//tmp/t/@replication_factor") == 3
    for bad in (0, 21):
        found = refusal(lambda bad=bad: yt.set("//tmp/t/@replication_factor", bad))
        assert found == ['Error setting builtin attribute "replication_factor"',
                         f"Replication factor {bad} is out of range [1,20]"]
    assert yt.get("//tmp/t/@replication_factor") == 3
    yt.set("//tmp/t/@replication_factor", 20)
    assert yt.get("//tmp/t/@replication_factor") == 20


# -- a query's output is written as any write is ---------------------------------------------
def test_a_query_writes_through_a_link_to_its_target(prod_client, fake_yt, yt):
    # a write resolves its path as every Cypress verb does, links followed
    # (TLinkNodeProxy::Resolve in yt/yt/server/master/cypress_server/link_node_proxy.cpp):
    # the rows land in the target table, the link stays a link
    pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")
    prod_client.run_yql("INSERT INTO `//tmp/real` WITH TRUNCATE SELECT 1 AS x")
    yt.link("//tmp/real", "//tmp/out")
    prod_client.run_yql("INSERT INTO `//tmp/out` WITH TRUNCATE SELECT 2 AS x")
    prod_client.run_yql("INSERT INTO `//tmp/out` SELECT 3 AS x")
    assert fake_yt.rows("//tmp/real") == [{"x": 2}, {"x": 3}]
    assert yt.get("//tmp/out&/@type") == "link"
    assert yt.get("//tmp/out&/@target_path") == "//tmp/real"


def test_a_query_does_not_write_rows_into_a_folder(prod_client, fake_yt, yt):
    # rows go into tables only: a write_table into a map node is refused, and a query's
    # output is written the same way (the fake's write_table words)
    from yt_pipeline.errors import QueryFailed

    pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")
    yt.create("map_node", "//tmp/folder")
    yt.set("//tmp/folder/keep", 1)
    with pytest.raises(QueryFailed, match="//tmp/folder is a map_node, not a table"):
        prod_client.run_yql("INSERT INTO `//tmp/folder` WITH TRUNCATE SELECT 1 AS x")
    assert yt.get("//tmp/folder") == {"keep": 1}
    assert yt.get("//tmp/folder/@type") == "map_node"
