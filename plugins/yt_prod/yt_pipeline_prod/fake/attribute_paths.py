"""A path into an attribute's value: `//t/@x/k`, `//t/@x/0/k`, `//t/@x/k/@a`.

A master keeps an attribute as one YSON value. A get, set or remove of a path inside it
turns that value into an ephemeral tree, runs the verb on the tree and, for a set or a
remove, stores the whole value back (TSupportsAttributes::DoGetAttributeFragment,
::DoSetAttribute and ::DoRemoveAttribute in yt/yt/core/ytree/ypath_detail.cpp): only key k
of @x changes, and the attribute is versioned, locked and merged as a whole, as any set of
@x is (the shared lock on attribute_key x).

The ephemeral tree answers in its own words, a node named by its path from the
attribute's value, which is "Root node" (GetNodePath in yt/yt/core/ytree/
exception_helpers.cpp; TNodeBase::GetPath in yt/yt/core/ytree/node_detail.cpp):
- a key a map lacks: 'Root node has no child with key "k"', 'Node /a has no child with key
  "k"' (ThrowNoSuchChildKey), a resolve error; an index a list lacks: "... has no child with
  index 5" (ThrowNoSuchChildIndex, the index as given);
- a step below a scalar: "Root node cannot have children" (TNodeBase::ResolveRecursive);
- a set takes only the last key as new: a missing key before it is refused as above
  (TMapNodeMixin::PrepareSetChild without `recursive`); a set onto a value that is there
  replaces it with a value of its own type only (TNodeBase::DoSetSelf and TNodeSetter in
  ypath_detail.cpp: 'Cannot update "int64" node with "string" value; types must match'; an
  int64 takes a uint64 and back); in a list `begin`, `end`, `before:i` and `after:i` insert
  (TListNodeMixin::SetChild);
- a remove of a missing map key is refused unless forced (TCompositeNodeMixin::
  RemoveRecursive); a missing list index or a step below a scalar is refused even forced,
  by the resolve before it (TListNodeMixin::ResolveRecursive).
"""

from __future__ import annotations

import copy
from typing import Any

import yt.yson as yson

from yt_pipeline_prod.fake.list_positions import put_in_list
from yt_pipeline_prod.fake.protocol import RESOLVE_ERROR, YtFakeError
from yt_pipeline_prod.fake.scalar_nodes import kind_of

#: the value kinds a node setter of one kind takes (TNodeSetter<I*Node>: the integers
#: take each other, checked for range)
_TAKES = {"int64": {"int64", "uint64"}, "uint64": {"int64", "uint64"}}


def split_attribute(attribute: str) -> tuple[str, list[str]]:
    """`x/k/0` -> ("x", ["k", "0"])."""
    name, _, rest = attribute.partition("/")
    return name, [token for token in rest.split("/") if token != ""]


def read(value: Any, tokens: list[str]) -> Any:
    """The part of an attribute's value the tokens name; `@a` reads the attributes a value
    carries (`//t/@dir/@file`: test_attributes of yt/yt/tests/integration/cypress/
    test_cypress.py), `@` all of them."""
    where: list[str] = []
    for token in tokens:
        if token.startswith("@"):
            carried = dict(getattr(value, "attributes", None) or {})
            if token == "@":
                value = carried
            elif token[1:] in carried:
                value = carried[token[1:]]
            else:
                raise YtFakeError(f'Attribute "{token[1:]}" is not found',
                                  code=RESOLVE_ERROR)
        else:
            value = _child(value, where, token)
        where.append(token)
    return value


def set_in(whole: Any, tokens: list[str], new: Any) -> Any:
    """The attribute's value with `new` at the tokens' place."""
    _refuse_carried(tokens)
    whole = copy.deepcopy(whole)
    parent = _walk(whole, tokens[:-1])
    where, last = tokens[:-1], tokens[-1]
    if isinstance(parent, dict):
        if last in parent:
            parent[last] = _replaced(parent[last], new, [*where, last])
        else:
            parent[last] = new
    elif isinstance(parent, list):
        _set_in_list(parent, where, last, new)
    else:
        raise _cannot_have_children(where)
    return whole


def remove_in(whole: Any, tokens: list[str], force: bool) -> Any:
    """The attribute's value without what the tokens name."""
    _refuse_carried(tokens)
    whole = copy.deepcopy(whole)
    try:
        parent = _walk(whole, tokens[:-1])
    except _MissingKey:
        if force:
            return whole
        raise
    where, last = tokens[:-1], tokens[-1]
    if isinstance(parent, dict):
        if last in parent:
            del parent[last]
        elif not force:
            raise _no_such_key(where, last)
    elif isinstance(parent, list):
        del parent[_index(parent, where, last)]
    else:
        raise _cannot_have_children(where)
    return whole


class _MissingKey(YtFakeError):
    """A map lacks a key on the way (a forced remove passes it)."""


def _walk(value: Any, tokens: list[str]) -> Any:
    where: list[str] = []
    for token in tokens:
        value = _child(value, where, token)
        where.append(token)
    return value


def _child(value: Any, where: list[str], token: str) -> Any:
    if isinstance(value, dict):
        if token not in value:
            raise _no_such_key(where, token)
        return value[token]
    if isinstance(value, list):
        return value[_index(value, where, token)]
    raise _cannot_have_children(where)


def _index(items: list[Any], where: list[str], token: str) -> int:
    try:
        index = int(token)
    except ValueError:
        raise YtFakeError(f'Invalid list index "{token}"') from None
    adjusted = index if index >= 0 else index + len(items)
    if not 0 <= adjusted < len(items):
        raise YtFakeError(f"{_node(where)} has no child with index {index}",
                          code=RESOLVE_ERROR)
    return adjusted


def _set_in_list(items: list[Any], where: list[str], token: str, new: Any) -> None:
    put_in_list(items, token, new, lambda text: _index(items, where, text),
                lambda old: _replaced(old, new, [*where, token]))


def _replaced(old: Any, new: Any, where: list[str]) -> Any:
    expected, given = kind_of(old), kind_of(new)
    if given != expected and given not in _TAKES.get(expected, ()):
        raise YtFakeError(f'Cannot update "{expected}" node with "{given}" value; types '
                          "must match")
    if expected == "uint64" and given == "int64":
        return yson.YsonUint64(int(new))
    if expected == "int64" and given == "uint64":
        return int(new)
    return new


def _refuse_carried(tokens: list[str]) -> None:
    if any(token.startswith("@") for token in tokens):
        raise YtFakeError("the fake proxy does not change the attributes a value inside "
                          "an attribute carries")


def _node(where: list[str]) -> str:
    return "Node /" + "/".join(where) if where else "Root node"


def _no_such_key(where: list[str], key: str) -> YtFakeError:
    return _MissingKey(f'{_node(where)} has no child with key "{key}"', code=RESOLVE_ERROR)


def _cannot_have_children(where: list[str]) -> YtFakeError:
    return YtFakeError(f"{_node(where)} cannot have children")


def no_such_attribute(name: str) -> YtFakeError:
    """ThrowNoSuchAttribute in yt/yt/core/ytree/exception_helpers.cpp."""
    return YtFakeError(f'Attribute "{name}" is not found', code=RESOLVE_ERROR)


def refuse_empty_attribute_name(name: str) -> None:
    """`//t/@/k`: the YPath tokenizer wants an attribute name after `@` (test_attributes of
    test_cypress.py: 'Expected "literal" in YPath but found "slash" token')."""
    if name == "":
        raise YtFakeError('Expected "literal" in YPath but found "slash" token "/"')
