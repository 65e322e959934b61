"""The items of a list node, addressed by the path below it: `//l/0`, `//l/-1`, `//l/end`,
`//l/begin`, `//l/before:0`, `//l/after:0`, and on into an item's own value (`//l/0/key`).

A master keeps each item as a node of its own; the fake keeps a list node as one value
(scalar_nodes), so an address below it walks that value the way the core's list and map
mixins resolve it (TListNodeMixin::ResolveRecursive and ::SetChild in yt/yt/core/ytree/
node_detail.cpp; test_list and test_map of yt/yt/tests/integration/cypress/
test_cypress.py):

- an index is an integer, negative counting from the end (TryAdjustChildIndex in
  yt/yt/core/ytree/node.cpp); one out of range is "Node <list> has no child with index
  <index as given>", a resolve error (ThrowNoSuchChildIndex, yt/yt/core/ytree/
  exception_helpers.cpp); `exists` answers false instead;
- a token that is not an integer is 'Invalid list index "<token>"' (ParseListIndex in
  yt/yt/core/ypath/token.cpp);
- a set to `begin`, `end`, `before:<i>` or `after:<i>` inserts an item (the index of
  `before`/`after` must name an item); a set to an index replaces that item;
- a remove of an index takes that item out, the later ones moving up.

An item is replaced as a node of its kind would be (a scalar by a value of its own type, a
map or a list only when forced): the rules of scalar_nodes. Every change is a new value of
the list node, under the exclusive lock a set of the node takes (branches.set_value); a
master locks the item alone, which only matters to two transactions changing different
items of one list at once.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from yt_pipeline_prod.fake.branches import set_value
from yt_pipeline_prod.fake.cypress import ROOT, parent_of
from yt_pipeline_prod.fake.list_positions import put_in_list
from yt_pipeline_prod.fake.protocol import RESOLVE_ERROR, YtFakeError
from yt_pipeline_prod.fake.scalar_nodes import (
    FORBIDDEN_SET,
    bare,
    check_same_kind,
    kind_of,
    node_type_for,
)

if TYPE_CHECKING:
    from yt_pipeline_prod.fake.cypress import Cypress



def list_address(cypress: Cypress, path: str, tx: str | None) -> tuple[str, list[str]] | None:
    """The list node a (resolved, missing) `path` lies below and the tokens after it, or
    None when the deepest node on the way is not a list."""
    existing = parent_of(path)
    while existing != ROOT and cypress.lookup(existing, tx) is None:
        existing = parent_of(existing)
    node = cypress.lookup(existing, tx)
    if node is None or node.type != "list_node":
        return None
    return existing, path[len(existing):].strip("/").split("/")


def get_item(cypress: Cypress, list_path: str, tokens: list[str], tx: str | None) -> Any:
    value, _ = _walk(cypress.get_node(list_path, tx).value, list_path, tokens)
    return value


def item_exists(cypress: Cypress, list_path: str, tokens: list[str], tx: str | None) -> bool:
    try:
        get_item(cypress, list_path, tokens, tx)
    except YtFakeError:
        return False
    return True


def set_item(cypress: Cypress, list_path: str, tokens: list[str], value: Any, force: bool,
             tx: str | None) -> None:
    items = copy.deepcopy(cypress.get_node(list_path, tx).value)
    parent, where = _walk(items, list_path, tokens[:-1])
    last = tokens[-1]
    if isinstance(parent, list):
        _set_in_list(parent, where, last, bare(value), force)
    elif isinstance(parent, dict):
        if last in parent:
            parent[last] = _replaced(parent[last], bare(value), force)
        else:
            parent[last] = bare(value)
    else:
        raise _cannot_have_children(where)
    set_value(cypress, list_path, items, tx)


def remove_item(cypress: Cypress, list_path: str, tokens: list[str], tx: str | None) -> None:
    items = copy.deepcopy(cypress.get_node(list_path, tx).value)
    parent, where = _walk(items, list_path, tokens[:-1])
    last = tokens[-1]
    if isinstance(parent, list):
        del parent[_item_index(parent, where, last)]
    elif isinstance(parent, dict):
        if last not in parent:
            raise _no_such_key(where, last)
        del parent[last]
    else:
        raise _cannot_have_children(where)
    set_value(cypress, list_path, items, tx)


def _walk(value: Any, where: str, tokens: list[str]) -> tuple[Any, str]:
    """The part of `value` the tokens lead to, and its path (for errors)."""
    for token in tokens:
        if isinstance(value, list):
            value = value[_item_index(value, where, token)]
        elif isinstance(value, dict):
            if token not in value:
                raise _no_such_key(where, token)
            value = value[token]
        else:
            raise _cannot_have_children(where)
        where = f"{where}/{token}"
    return value, where


def _item_index(items: list[Any], where: str, token: str) -> int:
    """The position an index token names in `items`, which must hold it."""
    index = _parse_index(token)
    adjusted = index if index >= 0 else index + len(items)
    if not 0 <= adjusted < len(items):
        raise YtFakeError(f"Node {where} has no child with index {index}", code=RESOLVE_ERROR)
    return adjusted


def _parse_index(token: str) -> int:
    try:
        return int(token)
    except ValueError:
        raise YtFakeError(f'Invalid list index "{token}"') from None


def _set_in_list(items: list[Any], where: str, token: str, value: Any, force: bool) -> None:
    put_in_list(items, token, value, lambda text: _item_index(items, where, text),
                lambda old: _replaced(old, value, force))


def _replaced(old: Any, new: Any, force: bool) -> Any:
    """`new` in place of the item `old`, as a set onto a node of `old`'s kind takes it."""
    kind = kind_of(old)
    if kind == "entity":
        return new
    if kind in ("map", "list") and not force:
        raise YtFakeError(FORBIDDEN_SET)
    node_type = "map_node" if kind == "map" else node_type_for(old)
    check_same_kind(node_type, new)
    return new


def _no_such_key(where: str, key: str) -> YtFakeError:
    return YtFakeError(f'Node {where} has no child with key "{key}"', code=RESOLVE_ERROR)


def _cannot_have_children(where: str) -> YtFakeError:
    return YtFakeError(f"Node {where} cannot have children")
