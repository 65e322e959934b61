"""A schema a cluster refuses when a table is created with it is refused by the fake proxy
with the cluster's words, and by create_path in both modes with a refusal ending in the
same words.

Where the words come from: TSerializableColumnSchema::RunPostprocessor (yt/yt/client/
table_client/schema_serialization_helpers.cpp) as the master reads the attribute, wrapped
by IAttributeDictionary::Find ('Error parsing attribute "schema"', yt/yt/core/ytree/
attributes-inl.h); ValidateColumnSchema, ValidateSystemColumnSchema,
ValidateColumnUniqueness and ValidateKeyColumnsFormPrefix (yt/yt/client/table_client/
schema.cpp) as ValidateTableSchemaUpdate wraps them ("New table schema is not valid") when
TTableNodeTypeHandlerBase::DoCreate makes the table (yt/yt/server/master/table_server/
table_node_type_handler_detail.cpp). The "required any" refusal is the one of the
integration test test_required_any_is_disallowed (yt/yt/tests/integration).
"""

from __future__ import annotations

from typing import Any

import pytest

from yt_pipeline.errors import InvalidSchema
from yt_pipeline_dev.client import DevClient

PATH = "//tmp/s/t"
PARSING = 'Error parsing attribute "schema"'
NOT_VALID = "New table schema is not valid"
LONG = "n" * 257


def _column(name: str, kind: str = "int64", **more: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, **more}


#: (schema, the chain of messages the fake answers with, outermost first)
REFUSED = [
    pytest.param([_column("")], [PARSING, "Column name cannot be empty"], id="empty-name"),
    pytest.param([_column("id"), _column("doc", "any", required=True)],
                 [PARSING, 'Column of type "any" cannot be "required"'], id="required-any"),
    pytest.param([_column("$attributes", "any")],
                 [NOT_VALID, 'Error validating schema of column "$attributes"',
                  'System column name "$attributes" is not allowed here'], id="system-name"),
    pytest.param([_column(LONG)],
                 [NOT_VALID, f'Error validating schema of column "{LONG}"',
                  f'Column name "{LONG}" is longer than maximum allowed: 257 > 256'],
                 id="long-name"),
    pytest.param([_column("id"), _column("v"), _column("id", "string")],
                 [NOT_VALID, 'Duplicate column name "id" in table schema'], id="twice"),
    pytest.param([_column("v"), _column("id", sort_order="ascending")],
                 [NOT_VALID, "Key columns must form a prefix of schema"], id="key-after"),
]


def _chain(error: Any) -> list[str]:
    """The messages of a YtResponseError's error and its first inner ones, outermost
    first."""
    messages, node = [], error.error
    while node:
        messages.append(node["message"])
        node = (node.get("inner_errors") or [None])[0]
    return messages


@pytest.mark.parametrize(("schema", "chain"), REFUSED)
def test_the_fake_refuses_a_schema_a_cluster_refuses_in_its_words(prod_client, fake_yt,
                                                                  schema, chain):
    from yt.wrapper.errors import YtResponseError

    yt = prod_client.yt()
    with pytest.raises(YtResponseError) as refused:
        yt.create("table", PATH, recursive=True, attributes={"schema": schema})
    assert _chain(refused.value) == chain
    if chain[0] == NOT_VALID:
        assert refused.value.error["code"] == 314  # EErrorCode::InvalidSchemaValue
    assert not yt.exists(PATH)


def test_the_fake_takes_the_longest_name_and_an_optional_any(prod_client, fake_yt):
    import yt.type_info as ti
    from yt.wrapper.schema import TableSchema

    yt = prod_client.yt()
    longest = "n" * 254 + "я"  # 256 bytes
    yt.create("table", PATH, recursive=True, attributes={"schema": [
        _column(longest), _column("doc", "any", required=False)]})
    assert [column["name"] for column in yt.get(PATH + "/@schema")] == [longest, "doc"]
    # a TableSchema gives yson outside an optional as the type_v3 "yson": refused alike
    from yt.wrapper.errors import YtResponseError
    with pytest.raises(YtResponseError) as refused:
        yt.create("table", PATH + "2", attributes={
            "schema": TableSchema().add_column("doc", ti.Yson).to_yson_type()})
    assert _chain(refused.value) == [PARSING, 'Column of type "any" cannot be "required"']


#: columns a master cannot read for their type, which create_path never sends (it takes
#: only the types of stage_schema.COLUMN_TYPES): RunPostprocessor refuses a column with
#: neither `type` nor `type_v3` ("Column type is not specified", in its "Error validating
#: column" wrapper), and a `type` that names no ESimpleLogicalValueType fails as the enum is
#: parsed, before that
UNREADABLE_TYPES = [
    pytest.param([{"name": "id"}],
                 [PARSING, 'Error validating column "id" in table schema',
                  "Column type is not specified"], id="no-type"),
    pytest.param([_column("id", "integer")],
                 [PARSING, 'Error parsing ESimpleLogicalValueType value "integer"'],
                 id="unknown-type"),
]


@pytest.mark.parametrize(("schema", "chain"), UNREADABLE_TYPES)
def test_the_fake_refuses_a_column_of_no_type_it_knows(prod_client, fake_yt, schema, chain):
    # the fake made a table of such a schema, which no cluster would have made
    from yt.wrapper.errors import YtResponseError

    yt = prod_client.yt()
    with pytest.raises(YtResponseError) as refused:
        yt.create("table", PATH, recursive=True, attributes={"schema": schema})
    assert _chain(refused.value) == chain
    assert not yt.exists(PATH)


@pytest.mark.parametrize(("schema", "chain"), REFUSED)
def test_create_path_refuses_it_alike_in_both_modes_ending_with_the_clusters_words(
        tmp_path, prod_client, fake_yt, schema, chain):
    words = {}
    for client in (DevClient(tmp_path / ".dev"), prod_client):
        with pytest.raises(InvalidSchema) as refused:
            client.create_path(PATH, "table", schema=schema)
        words[client.mode] = str(refused.value)
        assert not client.exists(PATH)
    assert words["dev"] == words["prod"]
    assert words["dev"].startswith(f"create_path {PATH}: schema column ")
    assert words["dev"].endswith(f'(as a cluster refuses it: "{chain[-1]}")'), words
