"""System attributes of fake Cypress nodes (type, id, revision, row_count, ...)."""

from __future__ import annotations

import time
from typing import Any

import yt.yson as yson

from yt_pipeline.yql_type_v3 import v3_of_old
from yt_pipeline_prod.fake.cypress import Cypress, Node, name_of
from yt_pipeline_prod.fake.locks import Lock
from yt_pipeline_prod.fake.protocol import YtFakeError
from yt_pipeline_prod.fake.row_sizes import row_sizes
from yt_pipeline_prod.fake.scalar_nodes import VALUE_NODE_TYPES


def iso_time(seconds: float) -> str:
    """A moment as a master writes a TInstant: ISO 8601 in UTC to the microsecond (two
    nodes made within one second have different creation times)."""
    micros = int(round(seconds * 1_000_000))
    whole, fraction = divmod(micros, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{fraction:06d}Z"


def _as_read(column: dict[str, Any]) -> dict[str, Any]:
    """A column as a master returns it: "When reading a schema, both attributes are always
    returned: `type` and `type_v3`", and `required` (false by default) with them (the
    "Data schema" page of the YTsaurus docs, user-guide/storage/static-schema). A column
    given its type_v3 (a YQL write's) keeps it; else it is the old type's."""
    kind = str(column.get("type", "any"))
    required = bool(column.get("required", False))
    v3 = column.get("type_v3") or v3_of_old(kind, required)
    read = dict(column)
    read.update({"type": kind, "required": required, "type_v3": v3})
    return read


def table_schema(node: Node, sorted_by: list[str]) -> Any:
    """A table's `@schema` as a master gives it: the strict one a YQL write set, its key
    columns first and marked `sort_order` once sorted (TTableSchema::ToSorted); without
    one, a weak schema of the key columns alone, typed `any` (TTableSchema::FromKeyColumns,
    what a sort leaves on a table of weak schema: sort_controller.cpp), or of none."""
    given = node.attributes.get("schema")
    key = [_as_read({"name": column, "type": "any", "sort_order": "ascending"})
           for column in sorted_by]
    if given is None:
        return yson.to_yson_type(key, attributes={"strict": False, "unique_keys": False})
    columns = [dict(column) for column in given]
    if sorted_by:
        by_name = {str(column["name"]): column for column in columns}
        first = [dict(by_name.get(c, {"name": c, "type": "any"}), sort_order="ascending")
                 for c in sorted_by]
        # the columns after the key have no sort order (TTableSchema::ToSorted clears it)
        columns = first + [{name: value for name, value in c.items() if name != "sort_order"}
                           for c in columns if str(c["name"]) not in sorted_by]
    return yson.to_yson_type([_as_read(c) for c in columns],
                             attributes=dict(getattr(given, "attributes", {}) or
                                             {"strict": True, "unique_keys": False}))


#: a chunk owner's replication_factor when none is set
DEFAULT_REPLICATION_FACTOR = 3


def lock_description(lock: Lock) -> dict[str, Any]:
    """One lock as a node's `@locks` lists it."""
    described = {"id": lock.id, "state": "acquired", "transaction_id": lock.tx,
                 "mode": lock.mode}
    if lock.child_key is not None:
        described["child_key"] = lock.child_key
    if lock.attribute_key is not None:
        described["attribute_key"] = lock.attribute_key
    return described


def system_attributes(cypress: Cypress, path: str, node: Node, tx_id: str | None) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "type": node.type,
        "id": node.id,
        "revision": node.revision,
        "content_revision": node.revision,
        "path": path,
        "key": name_of(path),
        "creation_time": iso_time(node.created),
        "modification_time": iso_time(node.modified),
        "dynamic": False,
        # who holds which lock on the node (TNontemplateCypressNodeProxyBase::
        # GetBuiltinAttribute in yt/yt/server/master/cypress_server/node_proxy_detail.cpp:
        # each lock's id, state, transaction_id and mode, its key when it has one); the
        # fake grants a lock at once or refuses it, so every lock is "acquired"
        "locks": [lock_description(lock) for lock in cypress.locks.held(node.id)],
        "lock_count": len(cypress.locks.held(node.id)),
    }
    if node.type == "table":
        sizes = row_sizes(node.rows)
        sorted_by = list(node.attributes.get("sorted_by") or [])
        attrs.update({
            "row_count": len(node.rows),
            "chunk_row_count": len(node.rows),
            # the rows' weights as the writer summed them (row_weight; the integration test
            # test_simple: 6 for {"b": "hello"}); the sizes stand for the format's bytes
            "data_weight": sizes.data_weight,
            "uncompressed_data_size": sizes.size,
            "compressed_data_size": sizes.size,
            "chunk_count": 1 if node.rows else 0,
            # `sorted` and `key_columns` are always there; `sorted_by` only on a sorted
            # table, so a get of //t/@sorted_by on an unsorted one is a resolve error
            # (TTableNodeProxy::ListSystemAttributes / GetBuiltinAttribute in
            # yt/yt/server/master/table_server/table_node_proxy_detail.cpp).
            "sorted": bool(sorted_by),
            "key_columns": sorted_by,
            "schema": table_schema(node, sorted_by),
            "schema_mode": "strong" if node.attributes.get("schema") else "weak",
            "compression_codec": "lz4",
            "erasure_codec": "none",
        })
        if sorted_by:
            attrs["sorted_by"] = sorted_by
    elif node.type == "file":
        attrs.update({"uncompressed_data_size": len(node.data),
                      "compressed_data_size": len(node.data),
                      # a file is written uncompressed unless made with a codec: its
                      # creation defaults both codecs to none (TFileNodeTypeHandler::DoCreate
                      # in yt/yt/server/master/file_server/file_node_type_handler.cpp), where
                      # a table takes the cluster's default, lz4
                      "compression_codec": "none",
                      "erasure_codec": "none"})
    if node.type in ("table", "file"):
        # every chunk owner has one (test_replication_factor_attr in yt/yt/tests/
        # integration/tests/test_files.py gets it of a file just written); 3 unless set
        # ("replication_factor" of the Static tables page of the YTsaurus docs)
        attrs["replication_factor"] = DEFAULT_REPLICATION_FACTOR
    elif node.type == "map_node":
        attrs["count"] = len(cypress.children(path, tx_id))
    elif node.type == "list_node":
        # a composite node's count of children, a list's items included
        # (TNontemplateCompositeCypressNodeProxyBase::GetBuiltinAttribute in yt/yt/server/
        # master/cypress_server/node_proxy_detail.cpp)
        attrs["count"] = len(node.value or [])
    elif node.type == "link":
        # a link's own attributes (`//link&/@...`): TLinkNodeProxy in the master's
        # link_node_proxy.cpp lists target_path and broken
        attrs["target_path"] = node.attributes.get("target_path")
        attrs["broken"] = cypress.link_is_broken(node, tx_id)
    attrs.update({k: v for k, v in node.attributes.items() if k not in ("sorted_by", "schema")})
    return attrs


def attribute_value(cypress: Cypress, path: str, node: Node, tx_id: str | None,
                    name: str) -> Any:
    """One attribute, or all of them for an empty name; KeyError when absent."""
    attrs = system_attributes(cypress, path, node, tx_id)
    if name == "":
        return attrs
    head, _, rest = name.partition("/")
    value = attrs[head]
    for part in filter(None, rest.split("/")):
        if part.startswith("@"):
            # a value's own attributes, as YPath reads them (`//t/@schema/@unique_keys`:
            # the integration test test_sorted_unique)
            value = (getattr(value, "attributes", None) or {})[part[1:]]
        elif isinstance(value, list):
            value = value[int(part)]
        else:
            value = value[part]
    return value


def with_attributes(value: Any, attributes: dict[str, Any] | None) -> Any:
    if not attributes:
        return value
    typed = yson.to_yson_type(value, attributes=attributes)
    return typed


def node_value(cypress: Cypress, path: str, tx_id: str | None, wanted: list[str] | None,
               depth: int = 0) -> Any:
    """What `get` returns for a node: maps recurse, other nodes are entities."""
    node = cypress.get_node(path, tx_id)
    attrs = None
    if wanted:
        every = system_attributes(cypress, path, node, tx_id)
        attrs = {k: every[k] for k in wanted if k in every}
    if node.type == "map_node":
        value: Any = {}
        for child in cypress.children(path, tx_id):
            value[name_of(child)] = node_value(cypress, child, tx_id, wanted, depth + 1)
        return with_attributes(value, attrs)
    if node.type in VALUE_NODE_TYPES:
        return with_attributes(node.value, attrs)
    return yson.to_yson_type(None, attributes=attrs or {})


#: the replication factors a chunk owner takes (MinReplicationFactor, MaxReplicationFactor
#: in yt/yt/client/chunk_client/public.h)
MIN_REPLICATION_FACTOR, MAX_REPLICATION_FACTOR = 1, 20


def check_replication_factor(name: str, value: Any) -> None:
    """Refuse a `replication_factor` a master refuses when a table or file is created with
    it or it is set (ValidateReplicationFactor in yt/yt/ytlib/chunk_client/helpers.cpp)."""
    if name != "replication_factor":
        return
    if not isinstance(value, int) or isinstance(value, bool) or \
            not MIN_REPLICATION_FACTOR <= value <= MAX_REPLICATION_FACTOR:
        raise YtFakeError(f"Replication factor {value} is out of range "
                          f"[{MIN_REPLICATION_FACTOR},{MAX_REPLICATION_FACTOR}]")
