"""A schema stage code builds with ytsaurus-client's `yt.wrapper.schema.TableSchema`
(`TableSchema().add_column("id", ti.Int64, sort_order="ascending")`), read as the list of
columns `create_path(..., schema=[...])` takes (yt_pipeline.stage_schema).

The object gives its own YSON form with `TableSchema.to_yson_type()` (yt/wrapper/schema/
table_schema.py in ytsaurus-client): a list of columns, each with its `type_v3` (not the old
`type` and `required`), and the attributes `strict` and `unique_keys`. A column's old type and
`required` come from its type_v3 as a master derives them (GetTypeV3Info and CastToV1Type in
yt/yt/client/table_client/logical_type.cpp, ytsaurus/ytsaurus): a bare simple type is
required, an optional of one is not, a tag changes nothing; `yson` is allowed only inside an
optional (a master reading the schema refuses it first as a required any: "Column of type
%Qlv cannot be \"required\"", TSerializableColumnSchema::RunPostprocessor in
yt/yt/client/table_client/schema_serialization_helpers.cpp).
ytsaurus-client is imported only for an object that is not a list, so dev without it works.
"""

from __future__ import annotations

from typing import Any

from yt_pipeline.errors import InvalidSchema

#: type_v3 names whose old `type` name differs ("Data types" page of the YTsaurus docs)
_OLD_NAMES = {"bool": "boolean", "yson": "any"}
#: the simple types a value of which may be null itself (TSimpleLogicalType::IsNullable)
_NULLABLE = ("null", "void")


def table_schema_class() -> Any:
    """ytsaurus-client's TableSchema, or None when ytsaurus-client is not installed."""
    try:
        from yt.wrapper.schema import TableSchema
    except ImportError:
        return None
    return TableSchema


class ListedColumns(list[Any]):
    """The columns of a schema, and whether it says `unique_keys` (its attribute)."""

    def __init__(self, columns: Any, unique_keys: bool = False):
        super().__init__(columns)
        self.unique_keys = unique_keys


def listed_schema(path: str, schema: Any) -> Any:
    """`schema` as a list of column mappings when it is a TableSchema; anything else as it
    is (stage_schema.checked_schema judges it). A list's `unique_keys` attribute (a
    TableSchema's, a YsonList's) is kept as ListedColumns'. InvalidSchema naming the table
    for a TableSchema no declared schema is: not strict, a type of no old name."""
    if isinstance(schema, (list, tuple)):
        return _listed_attribute_schema(path, schema)
    if isinstance(schema, (str, bytes, dict)):
        return schema
    table_schema = table_schema_class()
    if table_schema is None or not isinstance(schema, table_schema):
        return schema
    yson = schema.to_yson_type()
    attributes = getattr(yson, "attributes", {}) or {}
    _refuse_attributes(path, attributes, "TableSchema(strict=False)")
    return ListedColumns([_listed_column(path, dict(column)) for column in yson],
                         bool(attributes.get("unique_keys", False)))


def _refuse_attributes(path: str, attributes: Any, shown: str) -> None:
    """InvalidSchema for a schema that is not strict (`shown`: how it reads in the stage's
    code)."""
    if not attributes.get("strict", True):
        raise InvalidSchema(f"create_path {path}: schema {shown} is not strict; a "
                            "declared schema is strict")


def _listed_attribute_schema(path: str, schema: list[Any] | tuple[Any, ...]) -> list[Any]:
    """A list as a table's `@schema` attribute gives it (`yt.get(path + "/@schema")`): each
    column has its `type_v3` beside `type` and `required`, and the list the attributes
    `strict` and `unique_keys` (a YsonList's). Read as the plain list: a column's type_v3 must
    say what its type and required say (a master keeps them so: GetTypeV3Info), or gives
    them when they are left out."""
    attributes = getattr(schema, "attributes", None) or {}
    _refuse_attributes(path, attributes, "<strict=%false>")
    unique = bool(attributes.get("unique_keys", False)) or \
        bool(getattr(schema, "unique_keys", False))
    return ListedColumns([_agreed_column(path, dict(column))
                          if isinstance(column, dict) and "type_v3" in column else column
                          for column in schema], unique)


def _agreed_column(path: str, column: dict[str, Any]) -> dict[str, Any]:
    if "type" not in column:
        return _listed_column(path, column)
    given = (column["type"], bool(column.get("required", False)))
    derived = _listed_column(path, dict(column, type=None, required=None))
    if (derived["type"], derived.get("required", False)) != given:
        raise InvalidSchema(
            f"create_path {path}: schema column {str(column.get('name'))!r}: type_v3 "
            f"{_shown(column['type_v3'])} says {derived['type']}"
            f"{' required' if derived.get('required') else ''}, not {given[0]}"
            f"{' required' if given[1] else ''} as its type and required say")
    column.pop("type_v3")
    return column


def _listed_column(path: str, column: dict[str, Any]) -> dict[str, Any]:
    """A column of to_yson_type()'s form with the `type` and `required` its type_v3 gives."""
    v3 = column.pop("type_v3", None)
    listed = {str(key): value for key, value in column.items()
              if not (key in ("type", "required") and value is None)}
    listed["name"] = str(column.get("name"))
    kind, required = _old_type(v3)
    if kind is None:
        raise InvalidSchema(f"create_path {path}: schema column {listed['name']!r}: type_v3 "
                            f"{_shown(v3)} has no simple type (give a simple type or an "
                            "optional one)")
    if kind == "any" and required:
        raise InvalidSchema(f"create_path {path}: schema column {listed['name']!r}: type "
                            "yson is allowed only inside an optional (ti.Optional[ti.Yson]) "
                            '(as a cluster refuses it: "Column of type "any" cannot be '
                            '"required"")')
    listed["type"] = kind
    if required:
        listed["required"] = True
    return listed


def _old_type(v3: Any) -> tuple[str | None, bool]:
    """(old type, required) of a type_v3; (None, False) for one without a simple old type."""
    v3 = _detagged(v3)
    if isinstance(v3, str):
        return _OLD_NAMES.get(v3, v3), v3 not in _NULLABLE
    if isinstance(v3, dict) and v3.get("type_name") == "optional":
        item = _detagged(v3.get("item"))
        if isinstance(item, str) and item not in _NULLABLE:
            return _OLD_NAMES.get(item, item), False
    return None, False


def _detagged(v3: Any) -> Any:
    while isinstance(v3, dict) and v3.get("type_name") == "tagged":
        v3 = v3.get("item")
    return str(v3) if isinstance(v3, str) else v3


def _shown(v3: Any) -> str:
    if isinstance(v3, dict):
        return str(v3.get("type_name"))
    return repr(v3)
