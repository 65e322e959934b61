"""The schema stage code declares for a table is checked before either backend makes it:
each refusal is one line naming the table and the column."""

from __future__ import annotations

import pytest

from yt_pipeline.errors import InvalidSchema
from yt_pipeline.stage_schema import checked_schema

PATH = "//tmp/t"
LIST_OR_OBJECT = ("a non-empty list of columns such as {'name': 'id', 'type': 'int64'}, or a "
                  "yt.wrapper.schema.TableSchema")


@pytest.mark.parametrize(("schema", "message"), [
    ([], f"schema must be {LIST_OR_OBJECT}"),
    ({"id": "int64"}, f"schema must be {LIST_OR_OBJECT}"),
    (object(), f"schema must be {LIST_OR_OBJECT}"),
    (["id"], "schema column 1 is a str, not a mapping"),
    ([{"type": "int64"}], "schema column 1 has no name (a non-empty string)"),
    ([{"name": "id", "type": "int"}], "schema column 'id': type 'int' is not one of int8, "
     "int16, int32, int64, uint8, uint16, uint32, uint64, double, float, boolean, string, "
     "utf8, any, date, datetime, timestamp, interval"),
    # the cluster's words each refusal ends with: ValidateColumnUniqueness,
    # ValidateColumnSchema (MaxColumnNameLength, 256: yt/yt/client/table_client/public.h),
    # ValidateSystemColumnSchema and ValidateKeyColumnsFormPrefix in yt/yt/client/
    # table_client/schema.cpp; TSerializableColumnSchema::RunPostprocessor in
    # schema_serialization_helpers.cpp for an empty name and a required any
    ([{"name": "id", "type": "int64"}, {"name": "id", "type": "string"}],
     "schema column 'id' is given twice (as a cluster refuses it: \"Duplicate column name "
     "\"id\" in table schema\")"),
    ([{"name": "", "type": "int64"}],
     "schema column 1 has no name (a non-empty string) (as a cluster refuses it: \"Column "
     "name cannot be empty\")"),
    ([{"name": "$attributes", "type": "any"}],
     "schema column '$attributes': a column name cannot start with \"$\", which names YT's "
     "own columns (as a cluster refuses it: \"System column name \"$attributes\" is not "
     "allowed here\")"),
    ([{"name": "n" * 257, "type": "int64"}],
     f"schema column {'n' * 40!r}...: a column name is at most 256 bytes long, this one 257 "
     f"(as a cluster refuses it: \"Column name \"{'n' * 257}\" is longer than maximum "
     "allowed: 257 > 256\")"),
    # the limit counts bytes: 129 two-byte letters are 258 of them
    ([{"name": "я" * 129, "type": "int64"}],
     f"schema column {'я' * 40!r}...: a column name is at most 256 bytes long, this one 258 "
     f"(as a cluster refuses it: \"Column name \"{'я' * 129}\" is longer than maximum "
     "allowed: 258 > 256\")"),
    ([{"name": "doc", "type": "any", "required": True}],
     "schema column 'doc': a column of type any cannot be required (its values may be null) "
     "(as a cluster refuses it: \"Column of type \"any\" cannot be \"required\"\")"),
    ([{"name": "id", "type": "int64", "sorted": True}],
     "schema column 'id': unknown key 'sorted' (a column takes name, type, sort_order, "
     "required)"),
    ([{"name": "id", "type": "int64", "required": "yes"}],
     "schema column 'id': required 'yes' is not true or false"),
    ([{"name": "id", "type": "int64", "sort_order": "descending"}],
     "schema column 'id': sort_order 'descending' is not 'ascending'"),
    ([{"name": "v", "type": "string"}, {"name": "id", "type": "int64", "sort_order": "ascending"}],
     "schema column 'id' is a key column after a column that is not one: key columns "
     "(sort_order) come first (as a cluster refuses it: \"Key columns must form a prefix of "
     "schema\")"),
])
def test_a_bad_schema_is_refused_naming_the_table_and_the_column(schema, message):
    with pytest.raises(InvalidSchema) as refused:
        checked_schema(PATH, schema)
    assert str(refused.value) == f"create_path {PATH}: {message}"


def test_a_good_schema_is_given_back_in_one_shape():
    given = [{"name": "id", "type": "uint64", "sort_order": "ascending", "required": False},
             {"name": "when", "type": "timestamp", "required": True}]
    assert checked_schema(PATH, given) == [
        {"name": "id", "type": "uint64", "sort_order": "ascending"},
        {"name": "when", "type": "timestamp", "required": True}]


def test_the_longest_name_and_an_optional_any_are_taken():
    """256 bytes is the longest name a cluster takes (MaxColumnNameLength); an `any`
    column not required is what a cluster keeps as optional<yson>."""
    longest = "n" * 254 + "я"
    assert checked_schema(PATH, [{"name": longest, "type": "int64"},
                                 {"name": "doc", "type": "any", "required": False}]) == [
        {"name": longest, "type": "int64"}, {"name": "doc", "type": "any"}]


def test_a_ytsaurus_client_table_schema_is_read_as_its_columns():
    """TableSchema.to_yson_type() (yt/wrapper/schema/table_schema.py, ytsaurus-client) gives
    each column's type_v3; a bare type is required and an optional one is not, a tag changes
    nothing (GetTypeV3Info in yt/yt/client/table_client/logical_type.cpp)."""
    schema_module = pytest.importorskip("yt.wrapper.schema")
    ti = pytest.importorskip("yt.type_info")
    schema = schema_module.TableSchema() \
        .add_column("id", ti.Int64, sort_order="ascending") \
        .add_column("ok", ti.Optional[ti.Bool]) \
        .add_column("doc", ti.Optional[ti.Yson]) \
        .add_column("day", ti.Tagged[ti.Date, "day"]) \
        .add_column("n", ti.Optional[ti.Tagged[ti.Uint8, "small"]])
    assert checked_schema(PATH, schema) == [
        {"name": "id", "type": "int64", "sort_order": "ascending", "required": True},
        {"name": "ok", "type": "boolean"},
        {"name": "doc", "type": "any"},
        {"name": "day", "type": "date", "required": True},
        {"name": "n", "type": "uint8"}]


@pytest.mark.parametrize(("build", "message"), [
    (lambda s, ti: s.TableSchema(strict=False).add_column("a", ti.Int64),
     "schema TableSchema(strict=False) is not strict; a declared schema is strict"),
    # ValidateSchemaAttributes (yt/yt/client/table_client/schema.cpp)
    (lambda s, ti: s.TableSchema(unique_keys=True).add_column("a", ti.Int64),
     "schema says unique_keys but has no key column (sort_order): unique keys are those of a "
     "sorted table (as a cluster refuses it: \"\"unique_keys\" can only be true if key "
     "columns are present\")"),
    (lambda s, ti: s.TableSchema().add_column("a", ti.Yson),
     "schema column 'a': type yson is allowed only inside an optional (ti.Optional[ti.Yson]) "
     "(as a cluster refuses it: \"Column of type \"any\" cannot be \"required\"\")"),
    (lambda s, ti: s.TableSchema().add_column("a", ti.List[ti.Int64]),
     "schema column 'a': type_v3 list has no simple type (give a simple type or an optional "
     "one)"),
    (lambda s, ti: s.TableSchema().add_column("a", ti.Optional[ti.Optional[ti.Int64]]),
     "schema column 'a': type_v3 optional has no simple type (give a simple type or an "
     "optional one)"),
    # a type a cluster takes (ESimpleLogicalValueType, yt/yt/client/table_client/row_base.h)
    # whose values dev cannot keep as a cluster does
    (lambda s, ti: s.TableSchema().add_column("a", ti.Uuid),
     "schema column 'a': type 'uuid' is one a cluster takes, but not here: a cluster takes "
     "only 16-byte strings and YQL reads them as Uuid; dev keeps a string (take one of "
     "int8, int16, int32, int64, uint8, uint16, uint32, uint64, double, float, boolean, "
     "string, utf8, any, date, datetime, timestamp, interval)"),
    (lambda s, ti: s.TableSchema().add_column("a", ti.Int64, sort_order="descending"),
     "schema column 'a': sort_order 'descending' is not 'ascending'"),
    (lambda s, ti: s.TableSchema().add_column("a", ti.Int64, group="g"),
     "schema column 'a': unknown key 'group' (a column takes name, type, sort_order, "
     "required)"),
    (lambda s, ti: s.TableSchema(),
     f"schema must be {LIST_OR_OBJECT}"),
])
def test_a_table_schema_no_declared_schema_is_is_refused_in_one_line(build, message):
    schema_module = pytest.importorskip("yt.wrapper.schema")
    ti = pytest.importorskip("yt.type_info")
    with pytest.raises(InvalidSchema) as refused:
        checked_schema(PATH, build(schema_module, ti))
    assert str(refused.value) == f"create_path {PATH}: {message}"


def test_without_ytsaurus_client_a_list_is_checked_and_anything_else_refused(monkeypatch):
    """Dev runs without ytsaurus-client: a list schema never imports it, and an object that
    is not a list is refused with the one line as before."""
    import sys

    monkeypatch.setitem(sys.modules, "yt.wrapper.schema", None)  # its import now fails
    assert checked_schema(PATH, [{"name": "id", "type": "int64"}]) == [
        {"name": "id", "type": "int64"}]
    with pytest.raises(InvalidSchema) as refused:
        checked_schema(PATH, object())
    assert str(refused.value) == f"create_path {PATH}: schema must be {LIST_OR_OBJECT}"


class _AttributeList(list):
    """A list with YSON attributes, as ytsaurus-client's YsonList gives `@schema`."""

    def __init__(self, items, attributes):
        super().__init__(items)
        self.attributes = attributes


# what `yt.get("//t/@schema")` gives for a table of a key, a required and an optional column
# (each column's type, required and type_v3: GetTypeV3Info, yt/yt/client/table_client/
# logical_type.cpp; the list's strict and unique_keys: the "Data schema" docs page)
ATTRIBUTE_SCHEMA = [
    {"name": "id", "type": "int64", "required": True, "type_v3": "int64",
     "sort_order": "ascending"},
    {"name": "ok", "type": "boolean", "required": False,
     "type_v3": {"type_name": "optional", "item": "bool"}},
    {"name": "raw", "type": "any", "required": False,
     "type_v3": {"type_name": "optional", "item": "yson"}},
]


def test_a_schema_read_from_a_tables_attribute_is_taken():
    schema = _AttributeList([dict(c) for c in ATTRIBUTE_SCHEMA],
                            {"strict": True, "unique_keys": False})
    assert checked_schema("//t/copy", schema) == [
        {"name": "id", "type": "int64", "sort_order": "ascending", "required": True},
        {"name": "ok", "type": "boolean"},
        {"name": "raw", "type": "any"},
    ]
    # type_v3 alone gives the type and required
    assert checked_schema("//t/copy", [{"name": "n", "type_v3": "uint32"}]) == [
        {"name": "n", "type": "uint32", "required": True}]


@pytest.mark.parametrize("schema, message", [
    ([{"name": "ok", "type": "boolean", "required": True,
       "type_v3": {"type_name": "optional", "item": "bool"}}],
     "create_path //t/copy: schema column 'ok': type_v3 optional says boolean, not boolean "
     "required as its type and required say"),
    (_AttributeList([{"name": "a", "type": "int64", "type_v3": {"type_name": "optional",
                                                                "item": "int64"}}],
                    {"strict": False}),
     "create_path //t/copy: schema <strict=%false> is not strict; a declared schema is strict"),
    (_AttributeList([{"name": "a", "type": "int64"}], {"unique_keys": True}),
     "create_path //t/copy: schema says unique_keys but has no key column (sort_order): "
     "unique keys are those of a sorted table (as a cluster refuses it: \"\"unique_keys\" "
     "can only be true if key columns are present\")"),
])
def test_an_attribute_schema_no_declared_schema_is_is_refused_in_one_line(schema, message):
    with pytest.raises(InvalidSchema) as refused:
        checked_schema("//t/copy", schema)
    assert str(refused.value) == message
