"""Whether rows of one table schema may go as they are into a table of another: the check
`concatenate` makes of each source against a destination of strong schema.

CheckTableSchemaCompatibilityImpl (yt/yt/client/table_client/check_schema_compatibility.cpp)
compares the tables (strictness, the columns each lacks), CheckTypeCompatibility
(yt/yt/client/complex_types/check_type_compatibility.cpp) each column's type_v3. A column's
type is fully compatible when every value of it is one of the other: an integer into a wider
integer, utf8 into string, float into double, a required column into an optional one, most
scalars into `yson`. Narrowing (int64 into int32, optional into required) would need each
value checked ("require validation"), and concatenate, which moves chunks without reading
them, takes fully compatible schemas only (the schema checker of TNodeConcatenator in
yt/yt/ytlib/api/native/client_cypress_impl.cpp).
"""

from __future__ import annotations

from typing import Any

import yt.yson as yson

from yt_pipeline.yql_type_v3 import v3_of_old

INCOMPATIBLE, REQUIRE_VALIDATION, FULLY_COMPATIBLE = 0, 1, 2

#: the simple types a value of which is a value of a wider one of its class
_RANKS = {
    "int8": ("int", 8), "int16": ("int", 16), "int32": ("int", 32), "int64": ("int", 64),
    "uint8": ("uint", 8), "uint16": ("uint", 16), "uint32": ("uint", 32),
    "uint64": ("uint", 64), "float": ("floating", 32), "double": ("floating", 64),
    "utf8": ("string", 1), "string": ("string", 2),
}
#: the simple types "for historical reasons" castable to yson (CheckTypeCompatibilitySimple)
_INTO_YSON = frozenset(_RANKS) | {"bool", "date", "datetime", "timestamp", "interval", "yson"}


def column_type(column: Any) -> Any:
    """A column's type_v3: its own, or what its old `type` and `required` say."""
    return column.get("type_v3") or v3_of_old(str(column.get("type", "any")),
                                             bool(column.get("required", False)))


def _unwrapped(kind: Any) -> tuple[Any, int]:
    """The type inside its optional and tagged wrappers, and how many optionals wrap it."""
    nesting = 0
    while isinstance(kind, dict) and kind.get("type_name") in ("optional", "tagged"):
        nesting += kind["type_name"] == "optional"
        kind = kind["item"]
    return kind, nesting


def _metatype(kind: Any) -> str:
    if not isinstance(kind, dict):
        return "simple"
    name = str(kind.get("type_name"))
    if name == "variant":
        return "variant_struct" if "members" in kind else "variant_tuple"
    return name


def _simple(old: str, new: str) -> int:
    if new == "yson":
        return FULLY_COMPATIBLE if old in _INTO_YSON else INCOMPATIBLE
    if old in _RANKS:
        old_class, old_rank = _RANKS[old]
        new_class, new_rank = _RANKS.get(new, ("", -1))
        if new_class != old_class:
            return INCOMPATIBLE
        return FULLY_COMPATIBLE if new_rank >= old_rank else REQUIRE_VALIDATION
    return FULLY_COMPATIBLE if old == new else INCOMPATIBLE


def _fields(old: list[Any], new: list[Any], new_nullable: bool) -> int:
    if len(old) > len(new):
        return INCOMPATIBLE
    result = FULLY_COMPATIBLE
    for old_field, new_field in zip(old, new):
        if old_field.get("name") != new_field.get("name"):
            return INCOMPATIBLE
        result = min(result, type_compatibility(old_field["type"], new_field["type"]))
    if new_nullable:
        for added in new[len(old):]:
            if _unwrapped(added["type"])[1] == 0:
                return INCOMPATIBLE  # "Newly added member %Qv is not optional"
    return result


def type_compatibility(old: Any, new: Any) -> int:
    """How values of type_v3 `old` go into a column of type_v3 `new`."""
    if any(isinstance(kind, dict) and kind.get("type_name") in ("optional", "tagged")
           for kind in (old, new)):
        old_item, old_nesting = _unwrapped(old)
        new_item, new_nesting = _unwrapped(new)
        if old_nesting == new_nesting or (old_nesting, new_nesting) == (0, 1):
            return type_compatibility(old_item, new_item)
        if (old_nesting, new_nesting) == (1, 0):
            return min(type_compatibility(old_item, new_item), REQUIRE_VALIDATION)
        return INCOMPATIBLE
    meta = _metatype(old)
    if meta != _metatype(new):
        return INCOMPATIBLE
    if meta == "simple":
        return _simple(str(old), str(new))
    if meta == "list":
        return type_compatibility(old["item"], new["item"])
    if meta in ("struct", "variant_struct"):
        return _fields(old["members"], new["members"], new_nullable=meta == "struct")
    if meta in ("tuple", "variant_tuple"):
        old_items, new_items = old["elements"], new["elements"]
        if len(old_items) > len(new_items) or (meta == "tuple" and
                                               len(old_items) != len(new_items)):
            return INCOMPATIBLE
        return min([FULLY_COMPATIBLE] + [type_compatibility(a["type"], b["type"])
                                         for a, b in zip(old_items, new_items)])
    if meta == "dict":
        return min(type_compatibility(old["key"], new["key"]),
                   type_compatibility(old["value"], new["value"]))
    return FULLY_COMPATIBLE if old == new else INCOMPATIBLE  # decimal


def strict(schema: Any) -> bool:
    """A schema's `strict` (true unless it says otherwise); a table of no schema has a
    schema of no columns that is not strict."""
    if schema is None:
        return False
    return bool((getattr(schema, "attributes", None) or {}).get("strict", True))


def _composite(kind: Any) -> bool:
    return isinstance(_unwrapped(kind)[0], dict)


def schema_incompatibility(source: Any, destination: Any) -> str | None:
    """Why rows of schema `source` (None: a table of weak schema) cannot go as they are into
    a table of schema `destination`, in CheckTableSchemaCompatibilityImpl's words; None
    when they can (sort orders aside: concatenate ignores them)."""
    inputs = {str(c["name"]): c for c in source or []}
    outputs = {str(c["name"]): c for c in destination or []}
    if strict(destination):
        if not strict(source):
            return "Incompatible strictness: input schema is not strict while output schema is"
        for name in inputs:
            if name not in outputs:
                return f'Column "{name}" is found in input schema but is missing in output schema'
    for name, output in outputs.items():
        given = inputs.get(name)
        if given is not None:
            if type_compatibility(column_type(given), column_type(output)) < FULLY_COMPATIBLE:
                return f'Column "{name}" input type is incompatible with output type'
        elif not strict(source):
            return (f'Column "{name}" is present in output schema and is missing in '
                    "non-strict input schema")
        elif _unwrapped(column_type(output))[1] == 0:
            return (f'Required column "{name}" is present in output schema and is missing in '
                    "input schema")
    if not strict(destination):
        for name, given in inputs.items():
            if name not in outputs and _composite(column_type(given)):
                return (f'Column "{name}" of input schema with complex type is missing in '
                        "strict part of output schema")
    return None


def _stripped(schema: Any) -> list[tuple[str, str]]:
    """A strong schema as TOutputSchemaInferer compares it: each column's name and type
    alone (ToStrippedColumnAttributes drops sort orders and the rest), ordered by name
    (ToCanonical, with no key columns left), and its strictness."""
    columns = sorted((str(c["name"]), repr(column_type(c))) for c in schema)
    return [("strict", repr(strict(schema))), *columns]


def inferred_schema(schemas: list[Any]) -> Any | None:
    """The schema concatenate gives a destination of weak schema, from its inputs' (None:
    weak; the destination's own first when appending): the inputs' one schema when all are
    strong and alike but for sort orders, unsorted; else a weak one, None
    (TOutputSchemaInferer in yt/yt/ytlib/table_client/schema_inferer.cpp)."""
    if not schemas or any(schema is None for schema in schemas):
        return None
    if any(_stripped(schema) != _stripped(schemas[0]) for schema in schemas[1:]):
        return None
    first = schemas[0]
    columns = [{k: v for k, v in dict(c).items() if k in ("name", "type", "required",
                                                           "type_v3")} for c in first]
    return yson.to_yson_type(sorted(columns, key=lambda c: str(c["name"])),
                             attributes={"strict": strict(first), "unique_keys": False})
