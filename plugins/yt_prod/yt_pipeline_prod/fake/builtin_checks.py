"""Built-in attributes a master checks when they are set or given to a new node: the codecs,
and those no one sets at all.

- `compression_codec` and `erasure_codec` of a chunk owner (table, file) or a composite
  node (a map or a list, where they are inherited by what is made inside) must name a codec: the master parses
  the value as the codec enum, `NCompression::ECodec` (yt/yt/core/compression/public.h)
  or `NErasure::ECodec` (library/cpp/yt/erasure/public.h), an unknown name failing as
  'Error parsing ECodec value "<name>"'. A set wraps it in 'Error setting builtin attribute
  "<name>"' (TSupportsAttributes in yt/yt/core/ytree/ypath_detail.cpp;
  TChunkOwnerNodeProxy::SetBuiltinAttribute in yt/yt/server/master/chunk_server/
  chunk_owner_node_proxy.cpp); a create refuses the compression codec as it is
  (ValidateCompressionCodec in TTableNodeTypeHandlerBase::DoCreate, yt/yt/server/master/
  table_server/table_node_type_handler.cpp) and the erasure codec as the attribute it
  cannot parse ('Error parsing attribute "erasure_codec"', IAttributeDictionary::Get in
  yt/yt/core/ytree/attributes-inl.h).
- read-only built-in attributes (the counts, sizes and ids a master computes, a file's
  `md5`) are refused with 'Builtin attribute "<name>" cannot be set'
  (ThrowCannotSetBuiltinAttribute in yt/yt/core/ytree/exception_helpers.cpp; test_compute_hash
  of yt/yt/tests/integration/cypress/test_files.py sets `@md5` and is refused). Only on the
  node types that have them: on another node the same name is a user attribute.
- a `replication_factor` out of range (attributes.check_replication_factor) is refused by a
  set in the same wrapper, by a create as it is.
"""

from __future__ import annotations

from typing import Any

from yt_pipeline_prod.fake.attributes import check_replication_factor
from yt_pipeline_prod.fake.protocol import YtFakeError

#: NCompression::ECodec's names, the deprecated aliases included (they parse)
COMPRESSION_CODECS = frozenset({
    "none", "snappy", "lz4", "lz4_high_compression",
    *(f"brotli_{level}" for level in range(1, 12)),
    *(f"zlib_{level}" for level in range(1, 10)),
    *(f"zstd_{level}" for level in range(1, 22)),
    *(f"lzma_{level}" for level in range(0, 10)),
    *(f"bzip2_{level}" for level in range(1, 10)),
    "zlib6", "gzip_normal", "zlib9", "gzip_best_compression", "zstd", "brotli3", "brotli5",
    "brotli8", "quick_lz",
})
#: NErasure::ECodec's names
ERASURE_CODECS = frozenset({
    "none", "reed_solomon_6_3", "jerasure_reed_solomon_6_3", "isa_reed_solomon_6_3",
    "reed_solomon_3_3", "isa_reed_solomon_3_3", "lrc_12_2_2", "jerasure_lrc_12_2_2",
    "isa_lrc_12_2_2",
})
CODECS = {"compression_codec": COMPRESSION_CODECS, "erasure_codec": ERASURE_CODECS}
#: the node types whose codecs are built-in attributes (composite nodes inherit them)
CODEC_OWNERS = frozenset({"table", "file", "map_node", "list_node"})

#: built-in attributes no one sets, by the node types that have them
_EVERY_NODE = frozenset({"type", "id", "revision", "content_revision", "path", "key",
                         "creation_time", "modification_time"})
READ_ONLY = {
    "table": _EVERY_NODE | {"row_count", "chunk_row_count", "data_weight",
                            "uncompressed_data_size", "compressed_data_size", "chunk_count",
                            "sorted", "key_columns", "sorted_by", "schema_mode", "dynamic"},
    "file": _EVERY_NODE | {"uncompressed_data_size", "compressed_data_size", "md5"},
    "map_node": _EVERY_NODE | {"count"},
    "list_node": _EVERY_NODE | {"count"},
    "link": _EVERY_NODE | {"broken"},
}


def read_only(node_type: str) -> frozenset[str]:
    """The built-in attributes of a node of `node_type` no one sets."""
    return READ_ONLY.get(node_type, _EVERY_NODE)


def check_set(node_type: str, name: str, value: Any) -> None:
    """Refuse a set of the built-in attribute `name` of a node of `node_type` to `value`."""
    if name in read_only(node_type):
        raise YtFakeError(f'Builtin attribute "{name}" cannot be set')
    if node_type in CODEC_OWNERS and name in CODECS and not _is_codec(name, value):
        raise YtFakeError(f'Error setting builtin attribute "{name}"',
                          inner_errors=[_unparsed(value)])
    try:
        check_replication_factor(name, value)
    except YtFakeError as refused:
        raise YtFakeError(f'Error setting builtin attribute "{name}"',
                          inner_errors=[refused]) from None


def check_created(node_type: str, attributes: dict[str, Any]) -> None:
    """Refuse the codecs a node of `node_type` is created with when they name none."""
    if node_type not in CODEC_OWNERS:
        return
    codec = attributes.get("compression_codec")
    if codec is not None and not _is_codec("compression_codec", codec):
        raise _unparsed(codec)
    codec = attributes.get("erasure_codec")
    if codec is not None and not _is_codec("erasure_codec", codec):
        raise YtFakeError('Error parsing attribute "erasure_codec"',
                          inner_errors=[_unparsed(codec)])


def _is_codec(name: str, value: Any) -> bool:
    return isinstance(value, str) and value in CODECS[name]


def _unparsed(value: Any) -> YtFakeError:
    return YtFakeError(f'Error parsing ECodec value "{value}"')
