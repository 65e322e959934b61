"""Light Cypress commands: create, exists, get, set, list, remove, lock, link, copy, move and
the transaction commands. Each takes the parsed request and returns the v4 result."""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING, Any

import yt.yson as yson

from yt_pipeline_prod.fake import builtin_checks
from yt_pipeline_prod.fake.attribute_paths import (
    no_such_attribute,
    read,
    refuse_empty_attribute_name,
    split_attribute,
)
from yt_pipeline_prod.fake.attribute_removal import (
    REMOVABLE_BUILTINS,
    is_custom,
    remove_attribute,
    remove_custom_attributes,
    set_at_path,
)
from yt_pipeline_prod.fake.attributes import (
    attribute_value,
    check_replication_factor,
    node_value,
    with_attributes,
)
from yt_pipeline_prod.fake.branches import REMOVED, set_attribute, set_value
from yt_pipeline_prod.fake.children_removal import (
    names_all_children,
    refuse_all_children,
    remove_children,
)
from yt_pipeline_prod.fake.cypress import (
    ROOT,
    Node,
    name_of,
    new_id,
    normalize,
    parent_of,
    split_path,
)
from yt_pipeline_prod.fake.expiration import check_attribute as check_expiration
from yt_pipeline_prod.fake.expiration import stored_value
from yt_pipeline_prod.fake.list_items import (
    get_item,
    item_exists,
    list_address,
    remove_item,
    set_item,
)
from yt_pipeline_prod.fake.locks import MODES
from yt_pipeline_prod.fake.protocol import (
    ALREADY_EXISTS,
    Request,
    YtFakeError,
    parse_structured,
    path_attributes,
    plain,
)
from yt_pipeline_prod.fake.scalar_nodes import (
    DEFAULT_VALUES,
    FORBIDDEN_SET,
    KIND_OF_NODE_TYPE,
    NODE_TYPE_OF_KIND,
    bare,
    check_same_kind,
    node_type_for,
)
from yt_pipeline_prod.fake.schema_validation import check_new_table_schema
from yt_pipeline_prod.fake.sorted_tables import refuse_descending
from yt_pipeline_prod.fake.transaction_objects import transaction_attributes

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.cypress import Cypress
    from yt_pipeline_prod.fake.state import FakeState

NODE_TYPES = {"map_node", "table", "file", "document", "link", *NODE_TYPE_OF_KIND.values()}


def check_attribute(name: str, value: Any) -> None:
    """Refuse a built-in attribute's value a cluster refuses (TTLs, replication_factor)."""
    check_expiration(name, value)
    check_replication_factor(name, value)


def refuse_ignore_existing_with_force(request: Request) -> None:
    """`ignore_existing` and `force` contradict each other: a create, copy or link with both
    is refused before anything is looked at (test_create_ignore_existing_force_fail,
    test_copy_ignore_existing and test_link_ignore_existing_force_fail of the master's
    integration tests, yt/yt/tests/integration/cypress/test_cypress.py)."""
    if request.param("ignore_existing") and request.param("force"):
        raise YtFakeError('Cannot specify both "ignore_existing" and "force" options '
                          'simultaneously')


def refuse_lock_existing_alone(request: Request) -> None:
    """`lock_existing` locks the node `ignore_existing` keeps, so it means nothing alone: a
    create or copy with it and without `ignore_existing` is refused before anything is
    looked at (TNontemplateCypressNodeProxyBase::Create and ::Copy in yt/yt/server/master/
    cypress_server/cypress_node_proxy.cpp; test_lock_existing_errors of test_cypress.py)."""
    if request.param("lock_existing") and not request.param("ignore_existing"):
        raise YtFakeError('Cannot specify "lock_existing" without "ignore_existing"')


def refuse_attribute_target(text: str) -> None:
    """A node to make is named by a path without an attribute part: a create, copy or move
    to `//a/@b` fails in YPath parsing, before any parent is made (test_create_recursive,
    test_copy_recursive_fail of test_cypress.py)."""
    if split_path(text)[1] is not None:
        raise YtFakeError('Expected "literal" in YPath but found "at" token "@"')


def refuse_root(path: str, verb: str) -> None:
    """The root is never removed or replaced (test_invalid_cases, test_move_force4 of
    test_cypress.py)."""
    if path == ROOT:
        raise YtFakeError(f"Node / cannot be {verb}")


def transaction_of(request: Request) -> str | None:
    tx = request.param("transaction_id")
    return str(tx) if tx and str(tx) != "0-0-0-0" else None


def _value_result(request: Request, value: Any) -> Any:
    return value if request.param("return_only_value") else {"value": value}


def _path(state: FakeState, request: Request, name: str = "path") -> tuple[str, str | None]:
    """The resolved node path and the attribute part (`/@name`) of a path parameter."""
    text, _ = path_attributes(request.param(name))
    node_part, attribute = split_path(text)
    refuse_all_children(node_part)
    return state.cypress.resolve(node_part, transaction_of(request)), attribute


def cmd_get(state: FakeState, request: Request) -> Any:
    tx = transaction_of(request)
    text, _ = path_attributes(request.param("path"))
    is_transaction, value = transaction_attributes(state.cypress, text)
    if is_transaction:
        return _value_result(request, value)
    path, attribute = _path(state, request)
    cypress = state.cypress
    with cypress.lock:
        item = _list_item(cypress, path, attribute, tx)
        if item is not None:
            return _value_result(request, get_item(cypress, *item, tx))
        if attribute is None:
            wanted = [str(a) for a in request.param("attributes") or []]
            return _value_result(request, node_value(cypress, path, tx, wanted))
        node = cypress.get_node(path, tx)
        name, tokens = split_attribute(attribute)
        if tokens or "/" in attribute:
            refuse_empty_attribute_name(name)
        try:
            value = attribute_value(cypress, path, node, tx, name)
        except (KeyError, TypeError, IndexError, ValueError):
            raise no_such_attribute(name) from None
        return _value_result(request, read(value, tokens))


def _list_item(cypress: Cypress, path: str, attribute: str | None,
               tx: str | None) -> tuple[str, list[str]] | None:
    """The list node and the tokens of an address inside it (list_items), when `path` is
    one; an item's attributes are not kept by the fake."""
    if cypress.lookup(path, tx) is not None:
        return None
    item = list_address(cypress, path, tx)
    if item is not None and attribute is not None:
        raise YtFakeError(f"the fake proxy keeps no attributes of list items ({path})")
    return item


def cmd_list(state: FakeState, request: Request) -> Any:
    tx = transaction_of(request)
    path, _ = _path(state, request)
    cypress = state.cypress
    with cypress.lock:
        node = cypress.get_node(path, tx)
        if node.type != "map_node":
            raise YtFakeError(f"{path} is a {node.type}, it has no children")
        wanted = [str(a) for a in request.param("attributes") or []]
        names = []
        for child in cypress.children(path, tx):
            attrs = None
            if wanted:
                full = node_value(cypress, child, tx, wanted)
                attrs = dict(getattr(full, "attributes", {}) or {})
            names.append(with_attributes(name_of(child), attrs))
        return _value_result(request, names)


def cmd_exists(state: FakeState, request: Request) -> Any:
    tx = transaction_of(request)
    if tx is not None:
        # a request in a transaction that has ended fails, whatever it asks ("No such
        # transaction": the master's TTransactionManager::GetTransactionOrThrow); only the
        # path's own failures below answer False
        state.cypress.transaction(tx)
    try:
        path, attribute = _path(state, request)
    except YtFakeError:
        return {"value": False}
    with state.cypress.lock:
        # an item's attribute is refused as a get of it is: the fake keeps none, where a
        # master answers of the item's own node
        _list_item(state.cypress, path, attribute, tx)
    try:
        node = state.cypress.lookup(path, tx)
        if node is None:
            item = list_address(state.cypress, path, tx) if attribute is None else None
            return {"value": item is not None and item_exists(state.cypress, *item, tx)}
        if attribute:
            attribute_value(state.cypress, path, node, tx, attribute)
        return {"value": True}
    except (YtFakeError, KeyError, TypeError, IndexError, ValueError):
        return {"value": False}


def cmd_set(state: FakeState, request: Request) -> None:
    tx = transaction_of(request)
    path, attribute = _path(state, request)
    input_format = str(request.param("input_format") or "yson")
    value = parse_structured(request.body, "json" if input_format == "json" else "yson")
    cypress = state.cypress
    with cypress.lock:
        item = _list_item(cypress, path, attribute, tx)
        if item is not None:
            set_item(cypress, *item, value, bool(request.param("force")), tx)
            return None
        if attribute is not None:
            _set_attribute_part(cypress, path, attribute, value, tx)
            return None
        existing = cypress.lookup(path, tx)
        force = bool(request.param("force"))
        if existing is not None and existing.type == "document":
            set_value(cypress, path, value, tx)
            return None
        if existing is not None and existing.type in KIND_OF_NODE_TYPE:
            _set_in_place(cypress, path, existing.type, value, force, tx)
            return None
        if existing is not None:
            if not force:
                raise YtFakeError(f"Cannot set a value to the {existing.type} {path}")
            cypress.delete(path, tx)
        cypress.ensure_parents(path, tx, bool(request.param("recursive")))
        create_from_value(cypress, path, value, tx)
    return None


def _set_attribute_part(cypress: Cypress, path: str, attribute: str, value: Any,
                        tx: str | None) -> None:
    """`set //t/@name`, `set //t/@name/path` (attribute_paths) or `set //t/@`."""
    if attribute == "":
        _set_all_attributes(cypress, path, value, tx)
        return
    name, tokens = split_attribute(attribute)
    if tokens or "/" in attribute:
        refuse_empty_attribute_name(name)
    if tokens:
        set_at_path(cypress, path, attribute, value, tx)
        return
    _check_attribute_set(cypress, path, name, value, tx)
    set_attribute(cypress, path, name, stored_value(name, value), tx)


def _check_attribute_set(cypress: Cypress, path: str, name: str, value: Any,
                         tx: str | None) -> None:
    builtin_checks.check_set(cypress.get_node(path, tx).type, name, value)
    check_attribute(name, value)
    _refuse_in_transaction(cypress, path, name, tx)


def _set_all_attributes(cypress: Cypress, path: str, value: Any, tx: str | None) -> None:
    """`set //t/@ {...}`: the map becomes the node's attributes. Custom ones it lacks go,
    and so do the removable builtins (the expiration); each key is set as a set of that
    attribute is (TSupportsAttributes::DoSetAttribute in yt/yt/core/ytree/ypath_detail.cpp,
    test_attributes and test_attributes_yt_11973 of yt/yt/tests/integration/cypress/
    test_cypress.py). Every key is checked before anything changes: a master's mutation
    fails whole."""
    if not isinstance(value, dict):
        raise YtFakeError("Attributes can only be set from a map")
    node = cypress.get_node(path, tx)
    for name, given in value.items():
        _check_attribute_set(cypress, path, str(name), given, tx)
    for name in sorted(n for n in node.attributes
                       if n not in value and (is_custom(node, n) or n in REMOVABLE_BUILTINS)):
        set_attribute(cypress, path, name, REMOVED, tx)
    for name, given in sorted(value.items()):
        set_attribute(cypress, path, str(name), stored_value(str(name), given), tx)


def _set_in_place(cypress: Cypress, path: str, node_type: str, value: Any, force: bool,
                  tx: str | None) -> None:
    """A set onto a map, list or scalar node keeps the node and sets its value, which must
    be of the node's type (scalar_nodes); a map or a list only when forced
    (TSupportsForcefulSetSelfMixin), a map's children going and the value's keys
    becoming the new ones (test_set_map_force of yt/yt/tests/integration/cypress/
    test_cypress.py)."""
    if node_type in ("map_node", "list_node") and not force:
        raise YtFakeError(FORBIDDEN_SET)
    check_same_kind(node_type, value)
    if node_type != "map_node":
        set_value(cypress, path, bare(value), tx)
        return
    for child in cypress.children(path, tx):
        cypress.delete(child, tx)
    build_subtree(cypress, path, value, tx)


def create_from_value(cypress: Cypress, path: str, value: Any, tx: str | None) -> None:
    """The node a `set` makes of a value: a map makes a map_node whose keys are its
    children, built the same way (a master's tree builder turns each map into a map node:
    TMapNodeProxy::SetSelf in yt/yt/server/master/cypress_server/node_proxy_detail.cpp);
    an entity makes none (TCypressNodeFactory::CreateEntity in the master's
    cypress_manager.cpp); any other value makes a node of its type (scalar_nodes), the
    value's own attributes becoming the node's."""
    if value is None or isinstance(value, yson.YsonEntity):
        raise YtFakeError("Entity nodes cannot be created inside Cypress")
    if isinstance(value, dict):
        node = cypress.create(path, Node("map_node"), tx)
        node.attributes.update(_value_attributes(value))
        build_subtree(cypress, path, value, tx)
        return
    node = cypress.create(path, Node(node_type_for(value), value=bare(value)), tx)
    node.attributes.update(_value_attributes(value))


def build_subtree(cypress: Cypress, path: str, value: dict[str, Any], tx: str | None) -> None:
    for key, child in value.items():
        create_from_value(cypress, f"{path}/{key}", child, tx)


def _value_attributes(value: Any) -> dict[str, Any]:
    return dict(getattr(value, "attributes", None) or {})


def _refuse_in_transaction(cypress: Cypress, path: str, name: str, tx: str | None) -> None:
    """A table's or a file's replication factor is set outside transactions only
    (TChunkOwnerNodeProxy::SetBuiltinAttribute calls ValidateNoTransaction, in yt/yt/server/
    master/chunk_server/chunk_owner_node_proxy.cpp; TSupportsAttributes wraps the refusal
    as 'Error setting builtin attribute', yt/yt/core/ytree/ypath_detail.cpp)."""
    if name != "replication_factor" or tx is None or \
            cypress.get_node(path, tx).type not in ("table", "file"):
        return
    raise YtFakeError(f'Error setting builtin attribute "{name}"', inner_errors=[
        YtFakeError("Operation cannot be performed in transaction")])


def cmd_create(state: FakeState, request: Request) -> Any:
    tx = transaction_of(request)
    kind = str(request.param("type"))
    if kind not in NODE_TYPES:
        raise YtFakeError(f"The fake proxy cannot create objects of type {kind}")
    refuse_ignore_existing_with_force(request)
    refuse_lock_existing_alone(request)
    refuse_attribute_target(path_attributes(request.param("path"))[0])
    path, _ = _path(state, request)
    attributes = dict(plain(request.param("attributes")) or {})
    for name, value in attributes.items():
        check_attribute(name, value)
        attributes[name] = stored_value(name, value)
    builtin_checks.check_created(kind, attributes)
    cypress = state.cypress
    with cypress.lock:
        existing = cypress.lookup(path, tx)
        if existing is not None:
            if request.param("ignore_existing"):
                if existing.type != kind and not request.param("ignore_type_mismatch"):
                    # TNontemplateCypressNodeProxyBase::Create in the master's
                    # cypress_node_proxy.cpp
                    raise YtFakeError(
                        f'{path} already exists and has type "{existing.type}" while node of '
                        f'"{kind}" type is about to be created', code=ALREADY_EXISTS)
                if request.param("lock_existing"):
                    cypress.take_lock(path, tx, "exclusive")
                return {"node_id": existing.id}
            if not request.param("force"):
                raise YtFakeError(f"Node {path} already exists", code=ALREADY_EXISTS)
        if kind == "link":
            _check_new_link(cypress, path, attributes, tx)
        if existing is not None:
            cypress.delete(path, tx)
        cypress.ensure_parents(path, tx, bool(request.param("recursive")))
        node = Node(kind)
        if kind == "document":
            node.value = attributes.pop("value", None)
        elif kind in DEFAULT_VALUES:
            node.value = DEFAULT_VALUES[kind]
        node.attributes.update(attributes)
        if kind == "table":
            _given_schema(node)
        cypress.create(path, node, tx)
        return {"node_id": node.id}


def _check_new_link(cypress: Cypress, path: str, attributes: dict[str, Any],
                    tx: str | None) -> None:
    """A link made by `create` needs a target that does not lead back to it."""
    if "target_path" not in attributes:
        raise YtFakeError("A link needs the target_path attribute")
    cypress.refuse_cyclic_link(path, str(attributes["target_path"]), tx)


def _given_schema(node: Node) -> None:
    """A table created with a `schema` attribute keeps it as a YQL write's is kept: a list
    of columns with `strict` and `unique_keys` as its attributes (ytsaurus-client sends
    `<strict=%true>[...]`, which `plain` gives as {"$attributes", "$value"}). A schema
    whose first columns have a `sort_order` makes a sorted table of those key columns
    ("Sorted tables" in the YTsaurus docs: a table is sorted when its schema has key
    columns); the fake keeps a table's key as `sorted_by` (attributes.table_schema), which
    makes a strict one a strong sorted table whose writes must keep its order
    (sorted_tables.strong_key). A schema a master refuses is refused in its words
    (schema_validation)."""
    given = node.attributes.get("schema")
    if given is None:
        return
    if isinstance(given, dict):
        columns, shape = given.get("$value") or [], dict(given.get("$attributes") or {})
    else:
        columns, shape = given, {}
    check_new_table_schema(list(columns), bool(shape.get("unique_keys", False)))
    refuse_descending(columns)
    node.attributes["schema"] = yson.to_yson_type(
        list(columns), attributes={"strict": shape.get("strict", True),
                                   "unique_keys": shape.get("unique_keys", False)})
    key = [str(column["name"]) for column in columns if column.get("sort_order")]
    if key:
        node.attributes["sorted_by"] = key


def cmd_remove(state: FakeState, request: Request) -> None:
    tx = transaction_of(request)
    text, _ = path_attributes(request.param("path"))
    node_part, attribute = split_path(text)
    cypress = state.cypress
    with cypress.lock:
        if attribute == "*":  # every custom attribute (attribute_removal)
            remove_custom_attributes(cypress, cypress.resolve(node_part, tx), tx)
            return None
        if attribute:  # `//t/@name` removes that attribute, not the node (attribute_removal)
            remove_attribute(cypress, cypress.resolve(node_part, tx), attribute, tx,
                             bool(request.param("force")))
            return None
        every_child = names_all_children(node_part)
        if every_child:
            node_part = node_part.rstrip()[:-2] or ROOT
        try:
            # a link named last is removed itself, not its target; `//link/*` means the
            # target's children
            path = cypress.resolve(node_part, tx, follow_last=every_child)
        except YtFakeError:
            if request.param("force"):
                return None
            raise
        node = cypress.lookup(path, tx)
        item = list_address(cypress, path, tx) if node is None and not every_child else None
        if item is not None:
            if not (request.param("force") and not item_exists(cypress, *item, tx)):
                remove_item(cypress, *item, tx)
            return None
        if node is None:
            if request.param("force"):
                return None
            raise cypress.no_such_node(path, tx)
        if every_child:
            remove_children(cypress, path, tx)
            return None
        refuse_root(path, "removed")
        if node.type == "map_node" and cypress.children(path, tx) \
                and not request.param("recursive"):
            raise YtFakeError(f"Cannot remove non-empty composite node {path}")
        cypress.delete(path, tx)
    return None


def cmd_lock(state: FakeState, request: Request) -> Any:
    mode = str(request.param("mode") or "exclusive")
    child_key, attribute_key = request.param("child_key"), request.param("attribute_key")
    check_lock_request(mode, child_key, attribute_key)
    tx = transaction_of(request)
    if not tx:
        # a lock belongs to a transaction: the client refuses before the master sees it
        # (TClient::GetTransactionId in the native client, as test_invalid_cases of
        # yt/yt/tests/integration/cypress/test_cypress_locks.py expects)
        raise YtFakeError("A valid master transaction is required")
    if request.param("waitable"):
        raise YtFakeError("the fake proxy does not queue waitable locks")
    path, attribute = _path(state, request)
    if attribute is not None:
        # an attribute is no node to lock (test_invalid_cases of yt/yt/tests/integration/
        # cypress/test_cypress_locks.py locks //tmp/value/@attr/@lock_mode)
        raise YtFakeError('"Lock" method is not supported')
    if mode == "none":
        # the master's TNontemplateCypressNodeProxyBase::Lock, once the node is found
        raise YtFakeError('Invalid lock mode "none"')
    cypress = state.cypress
    with cypress.lock:
        if cypress.lookup(path, tx) is None and list_address(cypress, path, tx) is not None:
            # a master locks the item's own node; the fake keeps a list as one value
            raise YtFakeError(f"the fake proxy does not lock list items ({path})")
        lock = cypress.take_lock(path, tx, mode,
                                 str(child_key) if child_key is not None else None,
                                 str(attribute_key) if attribute_key is not None else None)
        node = cypress.get_node(path, tx)
        return {"lock_id": lock.id if lock else "0-0-0-0", "node_id": node.id,
                "revision": node.revision}


def check_lock_request(mode: str, child_key: Any, attribute_key: Any) -> None:
    """What the driver refuses before a lock request leaves it: a mode that is no lock
    mode (`ThrowMalformedEnumValueException`, YT's enum parser), a key with a mode other
    than shared, or both keys (the postprocessor of TLockCommand in
    yt/yt/client/driver/cypress_commands.cpp)."""
    if mode not in ("none", *MODES):
        raise YtFakeError(f'Error parsing ELockMode value "{mode}"')
    if mode != "shared":
        for name, key in (("child_key", child_key), ("attribute_key", attribute_key)):
            if key is not None:
                raise YtFakeError(f'"{name}" can only be specified for shared locks')
    if child_key is not None and attribute_key is not None:
        raise YtFakeError('Cannot specify both "child_key" and "attribute_key"')


def cmd_link(state: FakeState, request: Request) -> Any:
    refuse_ignore_existing_with_force(request)
    tx = transaction_of(request)
    target, _ = path_attributes(request.param("target_path"))
    link_text, _ = path_attributes(request.param("link_path"))
    cypress = state.cypress
    with cypress.lock:
        if not request.param("force"):
            _refuse_missing_target(cypress, target, link_text, tx)
        link = cypress.resolve(link_text, tx, follow_last=False)
        existing = cypress.lookup(link, tx)
        if existing is not None:
            if request.param("ignore_existing"):
                return {"node_id": existing.id}
            if not request.param("force"):
                raise YtFakeError(f"Node {link} already exists", code=ALREADY_EXISTS)
        cypress.refuse_cyclic_link(link, target, tx)
        if existing is not None:
            cypress.delete(link, tx)
        cypress.ensure_parents(link, tx, bool(request.param("recursive")))
        node = Node("link", attributes={"target_path": normalize(target)})
        cypress.create(link, node, tx)
        return {"node_id": node.id}


def _refuse_missing_target(cypress: Cypress, target: str, link_text: str,
                           tx: str | None) -> None:
    """A link made by the `link` command needs its target to exist, unless forced (the
    native client's TClient::DoLinkNode asks Exists of the target first;
    test_link_dst_doesnt_exist of test_cypress.py). `create link` does not check."""
    try:
        exists = cypress.lookup(cypress.resolve(target, tx), tx) is not None
    except YtFakeError:
        exists = False
    if not exists:
        raise YtFakeError(f"Target {target} for the link {link_text} does not exist")


def _copy_tree(state: FakeState, request: Request, remove_source: bool) -> Any:
    tx = transaction_of(request)
    source, source_attribute = _path(state, request, "source_path")
    if source_attribute is not None:
        # the master resolves the source of a copy or a move to a node
        # (ResolvePathToNodeProxy in TNontemplateCypressNodeProxyBase::Copy); the fake once
        # copied (or moved away) the node an attribute path starts at
        raise YtFakeError(f"the fake proxy copies and moves nodes, not attributes "
                          f"({request.param('source_path')})")
    text, _ = path_attributes(request.param("destination_path"))
    # A copy or a move does not keep the TTL unless asked to (the "Cypress node TTL" section
    # of the Cypress docs; preserve_expiration_* default to false in the driver's commands)
    dropped = [name for name in ("expiration_time", "expiration_timeout")
               if not request.param(f"preserve_{name}")]
    # a copy is a new node, made now, unless told to keep the source's times; a move keeps
    # the creation time unless told otherwise (test_preserve_creation_time,
    # test_preserve_modification_time and test_move_preserves_creation_time_by_default1/2
    # of test_cypress.py; preserve_* are options of the driver's copy and move commands,
    # yt/yt/client/driver/cypress_commands.cpp)
    keep_creation_time = bool(request.param("preserve_creation_time", remove_source))
    keep_modification_time = bool(request.param("preserve_modification_time"))
    refuse_ignore_existing_with_force(request)
    if not remove_source:
        refuse_lock_existing_alone(request)
    refuse_attribute_target(text)
    cypress = state.cypress
    with cypress.lock:
        destination = cypress.resolve(text, tx, follow_last=False)
        cypress.get_node(source, tx)
        _refuse_copy_into_itself(cypress, source, destination, tx)
        existing = cypress.lookup(destination, tx)
        if existing is not None:
            if request.param("ignore_existing"):
                # the kept node locked for the transaction (test_lock_existing_copy)
                if request.param("lock_existing"):
                    cypress.take_lock(destination, tx, "exclusive")
                return {"node_id": existing.id}
            refuse_root(destination, "replaced")
            if not request.param("force"):
                raise YtFakeError(f"Node {destination} already exists", code=ALREADY_EXISTS)
            cypress.delete(destination, tx)
        cypress.ensure_parents(destination, tx, bool(request.param("recursive")))
        moved = {sub: copy.deepcopy(cypress.get_node(sub, tx))
                 for sub in cypress.subtree(source, tx)}
        if remove_source:
            cypress.delete(source, tx)
        top = None
        now = time.time()
        for sub, node in moved.items():
            # a copy and a move alike make new nodes of new ids: the master clones the
            # subtree either way and a move then removes the source (TNontemplateCypress
            # NodeProxyBase::Copy in yt/yt/server/master/cypress_server/
            # cypress_node_proxy.cpp calls factory->CloneNode(sourceNode, mode) with no
            # hint id, so CloneCorePrologue in node_detail.cpp generates one)
            node.id = new_id()
            for name in dropped:
                node.attributes.pop(name, None)
            if not keep_creation_time:
                node.created = now
            modified = node.modified
            cypress.create(destination + sub[len(source):], node, tx)
            if keep_modification_time:
                node.modified = modified
            top = top or node
        return {"node_id": top.id if top else ""}


def _refuse_copy_into_itself(cypress: Cypress, source: str, destination: str,
                             tx: str | None) -> None:
    """A copy or a move is handled by the deepest existing node of the destination path
    (the destination itself when it exists, `force` or not); a master refuses it when that
    node is the source or lies inside it (TNontemplateCypressNodeProxyBase::Copy in yt/yt/
    server/master/cypress_server/cypress_node_proxy.cpp: "Cannot copy or move a node to
    itself", "... to its descendant"), before anything is removed or created."""
    anchor = destination
    while anchor != ROOT and cypress.lookup(anchor, tx) is None:
        anchor = parent_of(anchor)
    if anchor == source:
        raise YtFakeError("Cannot copy or move a node to itself")
    if anchor.startswith(source.rstrip("/") + "/"):
        raise YtFakeError("Cannot copy or move a node to its descendant")


def cmd_copy(state: FakeState, request: Request) -> Any:
    return _copy_tree(state, request, remove_source=False)


def cmd_move(state: FakeState, request: Request) -> Any:
    return _copy_tree(state, request, remove_source=True)


def cmd_start_transaction(state: FakeState, request: Request) -> Any:
    attributes = dict(plain(request.param("attributes")) or {})
    timeout = request.param("timeout")  # milliseconds, as the driver takes it
    return {"transaction_id": state.cypress.start(
        transaction_of(request), attributes,
        None if timeout is None else float(timeout) / 1000.0)}


def cmd_ping_transaction(state: FakeState, request: Request) -> None:
    state.cypress.ping(str(request.param("transaction_id")),
                       ancestors=bool(request.param("ping_ancestor_transactions")))


def cmd_commit_transaction(state: FakeState, request: Request) -> None:
    state.cypress.commit(str(request.param("transaction_id")))


def cmd_abort_transaction(state: FakeState, request: Request) -> None:
    state.cypress.abort(str(request.param("transaction_id")))


HANDLERS = {
    "get": cmd_get, "list": cmd_list, "exists": cmd_exists, "set": cmd_set,
    "create": cmd_create, "remove": cmd_remove, "lock": cmd_lock, "link": cmd_link,
    "copy": cmd_copy, "move": cmd_move,
    "start_transaction": cmd_start_transaction, "ping_transaction": cmd_ping_transaction,
    "commit_transaction": cmd_commit_transaction, "abort_transaction": cmd_abort_transaction,
}


