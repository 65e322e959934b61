"""How a value of one column type goes into a column of another, as a cluster judges it
when it compares an input table's schema with an output table's: the port of
CheckTypeCompatibility in yt/yt/client/complex_types/check_type_compatibility.cpp
(ytsaurus/ytsaurus), composite types (list, struct, tuple, variant, dict, tagged, decimal)
included, with the reason it gives when the value does not simply fit.

Types are type_v3 as a schema gives them: a simple type's name (old names `boolean` and
`any` read as `bool` and `yson`), or a mapping with `type_name`. A field is named as a
TComplexTypeFieldDescriptor names it (yt/yt/client/table_client/logical_type.cpp): a column
by "", and each step in by ".<optional-element>", ".<tagged-element>", ".<list-element>",
".<tuple-element-N>", ".<variant-element-N>", ".<key>", ".<value>" or "." and a member's
name. A simple type this port does not know fits (the row check judges its values).
"""

from __future__ import annotations

from typing import Any

#: ESchemaCompatibility, in the order the comparison takes the least of
INCOMPATIBLE_TYPE, REQUIRES_VALIDATION, FULLY_COMPATIBLE = 0, 1, 2

#: the simple types of one class and their rank in it: a value goes without a check into
#: a type of its class of the same or a higher rank, with a check into a lower one, and
#: not into another class (GetSimpleTypeRank and CheckCompatibilityUsingClass)
_RANKED = {"int8": ("int", 8), "int16": ("int", 16), "int32": ("int", 32),
           "int64": ("int", 64), "uint8": ("uint", 8), "uint16": ("uint", 16),
           "uint32": ("uint", 32), "uint64": ("uint", 64), "float": ("floating", 32),
           "double": ("floating", 64), "utf8": ("string", 1), "string": ("string", 2)}
#: the types that go only into themselves (and, but for json, uuid, null and void, into
#: yson)
_UNRANKED = frozenset({"bool", "date", "datetime", "timestamp", "interval", "json", "uuid",
                       "yson", "null", "void"})
#: what a yson (`any`) column takes "for historical reasons" (CheckTypeCompatibilitySimple)
_INTO_YSON = frozenset(_RANKED) | (_UNRANKED - {"json", "uuid", "null", "void"})
#: type_v3's names of the old types that differ (the "Data types" page of the YTsaurus docs)
_V3_NAME = {"boolean": "bool", "any": "yson"}
#: the types whose values may be null themselves (TLogicalType::IsNullable)
_NULLABLE_SIMPLE = frozenset({"null", "void"})

Fit = tuple[int, str]
FITS: Fit = (FULLY_COMPATIBLE, "")


def type_fit(given: Any, taken: Any) -> Fit:
    """How a value of type_v3 `given` goes into a column of type_v3 `taken`: an
    ESchemaCompatibility value, and the reason (the cluster's words) when it is not fully
    compatible."""
    return _fit(given, "", taken)


def simple_name(v3: Any) -> str | None:
    """The simple type a type_v3 names (`{"type_name": "int64"}` too), by its type_v3 name;
    None for a composite one."""
    if isinstance(v3, dict) and set(v3) == {"type_name"}:
        v3 = v3["type_name"]
    return _V3_NAME.get(v3, v3) if isinstance(v3, str) else None


def _metatype(v3: Any) -> str:
    if simple_name(v3) is not None:
        return "simple"
    return str(v3.get("type_name")) if isinstance(v3, dict) else "unknown"


def _modified(field: str, compatibility: int) -> Fit:
    """CreateResultPair: the reason names the field of the input type."""
    if compatibility == FULLY_COMPATIBLE:
        return FITS
    return compatibility, f'Type of "{field}" field is modified in non backward compatible manner'


def _least(first: Fit, second: Fit) -> Fit:
    """MinCompatibility: the less compatible of two, the first when they are alike."""
    return first if first[0] <= second[0] else second


def _unwrapped(v3: Any, field: str) -> tuple[Any, str, int]:
    """UnwrapOptionalAndTagged: the type under its optionals and tags, its field, and how
    many optionals wrap it."""
    nesting = 0
    while isinstance(v3, dict) and v3.get("type_name") in ("optional", "tagged"):
        if v3["type_name"] == "optional":
            nesting += 1
            field += ".<optional-element>"
        else:
            field += ".<tagged-element>"
        v3 = v3.get("item")
    return v3, field, nesting


def _fit(given: Any, field: str, taken: Any) -> Fit:
    """CheckTypeCompatibilityImpl; `field` names `given`."""
    given_meta, taken_meta = _metatype(given), _metatype(taken)
    if {given_meta, taken_meta} & {"optional", "tagged"}:
        given, field, given_nesting = _unwrapped(given, field)
        taken, _, taken_nesting = _unwrapped(taken, "")
        if given_nesting == taken_nesting or (given_nesting, taken_nesting) == (0, 1):
            return _fit(given, field, taken)
        if (given_nesting, taken_nesting) == (1, 0):
            # optional<T> into T: its nulls are refused row by row
            return _least(_fit(given, field, taken), _modified(field, REQUIRES_VALIDATION))
        return _modified(field, INCOMPATIBLE_TYPE)
    if "unknown" in (given_meta, taken_meta):
        return FITS
    if given_meta != taken_meta:
        return _modified(field, INCOMPATIBLE_TYPE)
    if given_meta == "simple":
        return _simple_fit(simple_name(given), simple_name(taken), field)
    if given_meta == "list":
        return _fit(given.get("item"), field + ".<list-element>", taken.get("item"))
    if given_meta in ("struct", "variant") and "members" in given and "members" in taken:
        return _members_fit(given["members"], field, taken["members"],
                            new_ones_nullable=given_meta == "struct")
    if given_meta in ("tuple", "variant") and "elements" in given and "elements" in taken:
        return _elements_fit(given["elements"], field, taken["elements"],
                             variant=given_meta == "variant")
    if given_meta == "dict":
        key = _fit(given.get("key"), field + ".<key>", taken.get("key"))
        if key[0] == INCOMPATIBLE_TYPE:
            return key
        return _least(key, _fit(given.get("value"), field + ".<value>", taken.get("value")))
    if given_meta == "decimal":
        same = all(given.get(part) == taken.get(part) for part in ("precision", "scale"))
        return FITS if same else _modified(field, INCOMPATIBLE_TYPE)
    # a variant over members into one over elements, or the reverse: other metatypes
    if given_meta == "variant":
        return _modified(field, INCOMPATIBLE_TYPE)
    return FITS


def _simple_fit(given: Any, taken: Any, field: str) -> Fit:
    """CheckTypeCompatibilitySimple."""
    if given not in _RANKED and given not in _UNRANKED or \
            taken not in _RANKED and taken not in _UNRANKED:
        return FITS
    if taken == "yson":
        return _modified(field, FULLY_COMPATIBLE if given in _INTO_YSON else INCOMPATIBLE_TYPE)
    if given in _RANKED:
        given_class, given_rank = _RANKED[given]
        taken_class, taken_rank = _RANKED.get(taken, ("", 0))
        if taken_class != given_class:
            return _modified(field, INCOMPATIBLE_TYPE)
        return _modified(field, FULLY_COMPATIBLE if taken_rank >= given_rank
                         else REQUIRES_VALIDATION)
    return _modified(field, FULLY_COMPATIBLE if given == taken else INCOMPATIBLE_TYPE)


def _members_fit(given: list[Any], field: str, taken: list[Any], new_ones_nullable: bool) -> Fit:
    """CheckFieldsCompatibility: the members in order, of the same names; a struct's added
    members must take null (a variant's need not)."""
    if len(given) > len(taken):
        return INCOMPATIBLE_TYPE, f'Some members of "{field}" are removed'
    result, index = FITS, 0
    while index < len(given) and result[0] != INCOMPATIBLE_TYPE:
        old_name, new_name = str(given[index].get("name")), str(taken[index].get("name"))
        if old_name != new_name:
            result = (INCOMPATIBLE_TYPE, f'Member name mismatch in "{field}": old name '
                      f'"{old_name}", new name "{new_name}"')
        else:
            result = _least(result, _fit(given[index].get("type"), f"{field}.{old_name}",
                                         taken[index].get("type")))
        index += 1
    if new_ones_nullable and result[0] != INCOMPATIBLE_TYPE:
        for new in taken[index:]:
            if not _nullable(new.get("type")):
                return (INCOMPATIBLE_TYPE,
                        f'Newly added member "{field}.{new.get("name")}" is not optional')
    return result


def _elements_fit(given: list[Any], field: str, taken: list[Any], variant: bool) -> Fit:
    """CheckElementsCompatibility: the elements in order; a variant may gain elements, a
    tuple may not."""
    if len(given) > len(taken):
        return INCOMPATIBLE_TYPE, f'Some elements of "{field}" are removed'
    if not variant and len(given) != len(taken):
        return INCOMPATIBLE_TYPE, f'Added new elements to tuple "{field}"'
    step = "variant-element" if variant else "tuple-element"
    result = FITS
    for index, (old, new) in enumerate(zip(given, taken)):
        if result[0] == INCOMPATIBLE_TYPE:
            break
        result = _least(result, _fit(old.get("type"), f"{field}.<{step}-{index}>",
                                     new.get("type")))
    return result


def _nullable(v3: Any) -> bool:
    """TLogicalType::IsNullable: an optional, null and void, a tagged one of those."""
    while isinstance(v3, dict) and v3.get("type_name") == "tagged":
        v3 = v3.get("item")
    if isinstance(v3, dict) and v3.get("type_name") == "optional":
        return True
    return simple_name(v3) in _NULLABLE_SIMPLE
