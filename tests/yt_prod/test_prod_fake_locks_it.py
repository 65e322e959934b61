"""The fake proxy's transactions and locks against YTsaurus's own integration tests.

Each test here is one the fake failed: it names the integration test it follows (in
yt/yt/tests/integration/ of ytsaurus/ytsaurus: cypress/test_cypress_locks.py, class
TestCypressLocks, and master/test_master_transactions.py, class TestMasterTransactions)
and the source of the behaviour and its words:

- `DoCheckLock` in yt/yt/server/master/cypress_server/cypress_manager.cpp: which locks a
  new one conflicts with, the order they are looked at, and the errors;
- the error codes: 400 SameTransactionLockConflict, 401 DescendantTransactionLockConflict,
  402 ConcurrentTransactionLockConflict (yt/yt/client/cypress_client/public.h);
- `TTransactionManager::CommitTransaction` in yt/yt/server/master/transaction_server/
  transaction_manager.cpp: nested transactions still running are aborted by the commit;
- the `lock` command's own checks: the postprocessor of TLockCommand in
  yt/yt/client/driver/cypress_commands.cpp, `TClient::GetTransactionId` of the native
  client ("A valid master transaction is required") and
  `TNontemplateCypressNodeProxyBase::Lock` in the master ("Invalid lock mode").
"""

from __future__ import annotations

import pytest
from yt.wrapper.errors import YtResponseError
from yt_calls import in_transaction

from yt_pipeline_prod.testing import make_prod_client


@pytest.fixture
def yt(fake_yt):
    return make_prod_client(fake_yt).yt()


def _error(caught: pytest.ExceptionInfo) -> tuple[int, str]:
    """The innermost error's code and message, as a cluster nests them."""
    error = caught.value.error
    while error.get("inner_errors"):
        error = error["inner_errors"][0]
    return int(error["code"]), str(error["message"])


def test_a_commit_aborts_the_nested_transactions_still_running(yt):
    # TestMasterTransactions.test_nested_tx2: the outer transaction commits, what the
    # nested ones did is dropped, and they are gone ("Aborting nested transaction on parent
    # commit", TTransactionManager::CommitTransaction). Their locks go with them.
    for name in ("t", "t1"):
        yt.set(f"//tmp/{name}", 0)
    outer = yt.start_transaction()
    with in_transaction(yt, outer):
        yt.set("//tmp/t", 1)
    inner = yt.start_transaction(parent_transaction=outer)
    with in_transaction(yt, inner):
        yt.set("//tmp/t1", 1)
    yt.commit_transaction(outer)
    assert (yt.get("//tmp/t"), yt.get("//tmp/t1")) == (1, 0)
    with pytest.raises(YtResponseError) as caught:
        yt.ping_transaction(inner)
    assert caught.value.is_no_such_transaction()
    other = yt.start_transaction()
    with in_transaction(yt, other):
        yt.lock("//tmp/t1")  # the nested transaction's exclusive lock went with it
    yt.abort_transaction(other)


@pytest.mark.parametrize("mode", ["shared", "exclusive"])
def test_a_snapshot_lock_is_refused_after_the_transactions_own_stronger_lock(yt, mode):
    # TestCypressLocks.test_waitable_snapshot_locks_0 (waitable=False); DoCheckLock: a new
    # snapshot lock, when the same transaction holds an exclusive or a shared one
    yt.create("table", "//tmp/t")
    tx = yt.start_transaction()
    with in_transaction(yt, tx):
        yt.lock("//tmp/t", mode=mode)
        with pytest.raises(YtResponseError) as caught:
            yt.lock("//tmp/t", mode="snapshot")
    assert _error(caught) == (
        400, f'Cannot take "snapshot" lock for node //tmp/t since "{mode}" lock is already '
             f"taken by same transaction {tx}")


@pytest.mark.parametrize("mode", ["shared", "exclusive"])
@pytest.mark.parametrize("depth", [1, 3])
def test_a_snapshot_lock_is_refused_when_a_descendant_holds_a_stronger_one(yt, mode, depth):
    # TestCypressLocks.test_waitable_snapshot_locks_1: every ancestor of the transaction
    # holding the lock is refused a snapshot lock (401, DescendantTransactionLockConflict,
    # `GetStrongestLockModeOfNestedTransactions` in DoCheckLock)
    yt.create("table", "//tmp/t")
    chain = [yt.start_transaction()]
    for _ in range(depth):
        chain.append(yt.start_transaction(parent_transaction=chain[-1]))
    with in_transaction(yt, chain[-1]):
        yt.lock("//tmp/t", mode=mode)
    for tx in chain[:-1]:
        with in_transaction(yt, tx), pytest.raises(YtResponseError) as caught:
            yt.lock("//tmp/t", mode="snapshot")
        assert _error(caught) == (
            401, f'Cannot take "snapshot" lock for node //tmp/t since "{mode}" lock is '
                 "already taken by a descendant transaction")
    yt.abort_transaction(chain[0])


def test_a_snapshot_lock_under_an_ancestors_or_a_concurrent_exclusive_lock_is_taken(yt):
    # The other side of the same checks: DoCheckLock looks at the requester's own and its
    # descendants' locks only, so a read in a transaction nested in one that wrote the
    # table (how ytsaurus-client reads in a stage's transaction) gets its snapshot lock;
    # a concurrent exclusive lock does not stop one either
    # (TestCypressLocks.test_exclusive_vs_snapshot_locks2).
    yt.write_table("//tmp/t", [{"v": 1}], format="json")
    writer = yt.start_transaction()
    with in_transaction(yt, writer):
        yt.write_table("//tmp/t", [{"v": 2}], format="json")
    read = yt.start_transaction(parent_transaction=writer)
    with in_transaction(yt, read):
        yt.lock("//tmp/t", mode="snapshot")
        assert list(yt.read_table("//tmp/t", format="json")) == [{"v": 2}]
    concurrent = yt.start_transaction()
    with in_transaction(yt, concurrent):
        yt.lock("//tmp/t", mode="snapshot")
        assert list(yt.read_table("//tmp/t", format="json")) == [{"v": 1}]
    for tx in (concurrent, writer):
        yt.abort_transaction(tx)


@pytest.mark.parametrize("mode, keys, message", [
    ("exclusive", {"child_key": "a"}, '"child_key" can only be specified for shared locks'),
    ("exclusive", {"attribute_key": "a"},
     '"attribute_key" can only be specified for shared locks'),
    ("snapshot", {"child_key": "a"}, '"child_key" can only be specified for shared locks'),
    ("shared", {"child_key": "a", "attribute_key": "b"},
     'Cannot specify both "child_key" and "attribute_key"'),
])
def test_lock_keys_go_with_shared_locks_only(yt, mode, keys, message):
    # TestCypressLocks.test_lock_mode_for_child_and_attr_locks; the last case is the same
    # postprocessor of TLockCommand
    tx = yt.start_transaction()
    with in_transaction(yt, tx), pytest.raises(YtResponseError) as caught:
        yt.lock("//tmp", mode=mode, **keys)
    assert _error(caught)[1] == message
    other = yt.start_transaction()
    with in_transaction(yt, other):
        yt.lock("//tmp", mode="exclusive")  # the refused request left no lock behind
    for each in (tx, other):
        yt.abort_transaction(each)


def test_the_lock_commands_own_refusals(yt):
    # TestCypressLocks.test_invalid_cases: outside a transaction, a mode that is no lock
    # mode ("Error parsing .* value", the driver's enum parser), and "none"
    with pytest.raises(YtResponseError) as caught:
        yt.lock("//tmp")
    assert _error(caught)[1] == "A valid master transaction is required"
    tx = yt.start_transaction()
    with in_transaction(yt, tx):
        with pytest.raises(YtResponseError) as caught:
            yt.lock("//tmp", mode="invalid")
        assert _error(caught)[1] == 'Error parsing ELockMode value "invalid"'
        with pytest.raises(YtResponseError) as caught:
            yt.lock("//tmp", mode="none")
        assert _error(caught)[1] == 'Invalid lock mode "none"'
    yt.abort_transaction(tx)


def test_a_conflict_names_the_concurrent_exclusive_lock_before_a_shared_one(yt):
    # DoCheckLock walks the exclusive locks before the shared ones: a request that
    # conflicts with both names the exclusive lock and its transaction, whichever was
    # taken first
    yt.create("table", "//tmp/t")
    outer = yt.start_transaction()
    inner = yt.start_transaction(parent_transaction=outer)
    with in_transaction(yt, outer):
        yt.lock("//tmp/t", mode="shared")
    with in_transaction(yt, inner):
        yt.lock("//tmp/t", mode="exclusive")  # its ancestor's shared lock is no conflict
    other = yt.start_transaction()
    with in_transaction(yt, other), pytest.raises(YtResponseError) as caught:
        yt.lock("//tmp/t", mode="exclusive")
    assert _error(caught) == (
        402, 'Cannot take "exclusive" lock for node //tmp/t since "exclusive" lock is taken '
             f"by concurrent transaction {inner}")
    for tx in (other, outer):
        yt.abort_transaction(tx)


# -- what an onlooker sees: a node's @locks, a transaction by its id --------------------
# `@locks` lists each lock's id, state, transaction_id and mode, and its child_key or
# attribute_key (TNontemplateCypressNodeProxyBase::GetBuiltinAttribute in yt/yt/server/
# master/cypress_server/node_proxy_detail.cpp); a running transaction's attributes are read
# by its id (fake/transaction_objects.py says from which tests).


@pytest.mark.parametrize("mode", ["exclusive", "shared"])
def test_a_committed_nested_lock_is_listed_as_its_parents(yt, mode):
    # TestCypressLocks.test_acquired_lock_promotion
    yt.create("map_node", "//tmp/m1")
    assert yt.get("//tmp/m1/@locks") == []
    outer = yt.start_transaction()
    inner = yt.start_transaction(parent_transaction=outer)
    with in_transaction(yt, inner):
        yt.lock("//tmp/m1", mode=mode)
    assert [(lock["transaction_id"], lock["mode"]) for lock in yt.get("//tmp/m1/@locks")] \
        == [(inner, mode)]
    yt.commit_transaction(inner)
    [lock] = yt.get("//tmp/m1/@locks")
    assert (lock["state"], lock["transaction_id"], lock["mode"]) == ("acquired", outer, mode)
    assert yt.get("//tmp/m1/@lock_count") == 1
    yt.commit_transaction(outer)
    assert yt.get("//tmp/m1/@locks") == []
    assert yt.get("//tmp/m1/@lock_count") == 0


def test_a_snapshot_locks_id_is_the_one_listed(yt):
    # TestCypressLocks.test_lock_full_response: the lock's id is @locks/0/id
    yt.create("map_node", "//tmp/node")
    tx = yt.start_transaction()
    with in_transaction(yt, tx):
        taken = yt.lock("//tmp/node", mode="snapshot")
    assert taken["lock_id"] == yt.get("//tmp/node/@locks/0/id")
    assert yt.get("//tmp/node/@locks/0/mode") == "snapshot"
    yt.abort_transaction(tx)
    assert yt.get("//tmp/node/@locks") == []


def test_an_attribute_set_in_a_transaction_lists_its_key(yt):
    # TestCypressLocks.test_unlock_implicit_noop: a shared lock with the attribute's key
    yt.create("map_node", "//tmp/m1")
    tx = yt.start_transaction()
    with in_transaction(yt, tx):
        yt.set("//tmp/m1/@a1", "attribute_value")
    [lock] = yt.get("//tmp/m1/@locks")
    assert lock["mode"] == "shared" and lock["attribute_key"] == "a1"
    assert lock["transaction_id"] == tx and "child_key" not in lock
    yt.abort_transaction(tx)


def test_a_transaction_is_read_by_its_id(yt):
    # TestMasterTransactions.test_title and test_custom_attr; a topmost transaction's
    # parent is the null one
    tx = yt.start_transaction(attributes={"title": "My title", "myattr": "myvalue"})
    assert yt.get(f"#{tx}/@title") == "My title"
    assert yt.get(f"#{tx}/@myattr") == "myvalue"
    assert yt.get(f"#{tx}/@parent_id") == "0-0-0-0"
    nested = yt.start_transaction(parent_transaction=tx)
    assert yt.get(f"#{nested}/@parent_id") == tx
    with pytest.raises(YtResponseError) as caught:
        yt.get(f"#{nested}/@title")
    assert _error(caught) == (500, 'Attribute "title" is not found')
    yt.abort_transaction(tx)
