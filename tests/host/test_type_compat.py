"""How a composite type goes into another in a cluster's comparison of an input's schema
with an output's (yt_pipeline.type_compat), on the cases ytsaurus/ytsaurus checks in its
unit test of CheckTypeCompatibility (check_type_compatibility_ut.cpp: Optional, List, Tuple,
Struct, VariantTuple, VariantStruct, Dict), with the reasons check_type_compatibility.cpp
gives and the fields as TComplexTypeFieldDescriptor names them (logical_type.cpp)."""

from __future__ import annotations

import pytest

from yt_pipeline.type_compat import (
    FULLY_COMPATIBLE,
    INCOMPATIBLE_TYPE,
    REQUIRES_VALIDATION,
    type_fit,
)


def o(item):
    return {"type_name": "optional", "item": item}


def lst(item):
    return {"type_name": "list", "item": item}


def struct(*pairs, kind="struct"):
    return {"type_name": kind, "members": [{"name": name, "type": t}
                                           for name, t in zip(pairs[::2], pairs[1::2])]}


def tup(*types, kind="tuple"):
    return {"type_name": kind, "elements": [{"type": t} for t in types]}


def vstruct(*pairs):
    return struct(*pairs, kind="variant")


def vtup(*types):
    return tup(*types, kind="variant")


def dct(key, value):
    return {"type_name": "dict", "key": key, "value": value}


def tagged(tag, item):
    return {"type_name": "tagged", "tag": tag, "item": item}


FULL, CHECK, NO = FULLY_COMPATIBLE, REQUIRES_VALIDATION, INCOMPATIBLE_TYPE
CASES = [
    (o(lst("int64")), lst("int64"), CHECK),
    (o("int8"), o(o("int8")), NO),
    ("int8", lst("int8"), NO), (lst("int8"), "int8", NO),
    (lst(lst("int8")), lst(lst("int8")), FULL), (lst("int8"), lst("int16"), FULL),
    (lst("int8"), lst(o("int16")), FULL), (lst("int32"), lst(o("int16")), CHECK),
    ("int8", tup("int8"), NO), (tup("int8"), "int8", NO),
    (tup("int8", "int8"), tup("int16", "int32"), FULL),
    (tup("int8"), tup(o("int16")), FULL), (tup("int32"), tup(o("int16")), CHECK),
    (tup("int8", "int8"), tup("int8", "int8", "int8"), NO),
    (tup("int8", "int8", "int8"), tup("int8", "int8"), NO),
    (tup("int8", "int8"), tup("int8", "int8", o("int8")), NO),
    ("int8", struct("a", "int8"), NO), (struct("a", "int8"), "int8", NO),
    (struct("a", "int8"), struct("a", "int8"), FULL),
    (struct("a", "int8"), struct("b", "int8"), NO),
    (struct("a", "int8"), struct("a", "int16"), FULL),
    (struct("a", "int16"), struct("a", "int8"), CHECK),
    (struct("a", "int16"), struct("a", "int8", "b", "int8"), NO),
    (struct("a", "int8"), struct("a", "int8", "b", o("int8")), FULL),
    (struct("a", "int8"), struct("a", "int8", "b", o(o("int8"))), FULL),
    (struct("a", "int8"), struct("a", "int8", "b", "null"), FULL),
    (struct("a", "int8"), struct("a", "int8", "b", o(lst("string"))), FULL),
    (struct("a", "int8", "b", "int8"), struct("a", "int8"), NO),
    ("int8", vtup("int8"), NO), (vtup("int8"), "int8", NO),
    (vtup("int8", "uint8"), vtup("int32", "uint16"), FULL),
    (vtup("int16", "uint8"), vtup("int8", "uint16"), CHECK),
    (vtup("int16", "uint16"), vtup("int16", "uint16", "string"), FULL),
    (vtup("int16", "uint16", "string"), vtup("int16", "uint16"), NO),
    (vstruct("a", "int8", "b", "uint8"), vstruct("a", "int32", "b", "uint16"), FULL),
    (vstruct("a", "int16", "b", "uint16"), vstruct("a", "int16", "b", "uint8"), CHECK),
    (vstruct("a", "int16", "b", "uint16"), vstruct("a", "int16", "b", "uint16", "c", "string"),
     FULL),
    (vstruct("a", "int16", "b", "uint16", "c", "string"), vstruct("a", "int16", "b", "uint16"),
     NO),
    (vstruct("a", "int16", "b", "uint16"), vstruct("b", "uint16", "a", "int16"), NO),
    (dct("utf8", "int16"), dct("string", "int32"), FULL),
    (dct("string", "int32"), dct("utf8", "int16"), CHECK),
    (dct("utf8", "int32"), dct("string", "int16"), CHECK),
    (dct("utf8", "int32"), dct("string", "uint16"), NO),
    # a tag changes nothing (UnwrapOptionalAndTagged)
    (tagged("t", lst("int8")), lst("int16"), FULL),
    (o(tagged("t", "int8")), o("uint8"), NO),
]


@pytest.mark.parametrize(("given", "taken", "expected"), CASES)
def test_the_upstream_cases(given, taken, expected):
    assert type_fit(given, taken)[0] == expected


@pytest.mark.parametrize(("given", "taken", "reason"), [
    (o(lst("int64")), o("yson"),
     'Type of ".<optional-element>" field is modified in non backward compatible manner'),
    (o(lst("int64")), o(lst("string")), 'Type of ".<optional-element>.<list-element>" field '
     "is modified in non backward compatible manner"),
    (struct("a", "int8"), struct("b", "int8"),
     'Member name mismatch in "": old name "a", new name "b"'),
    (o(struct("a", struct("x", "int8"))), o(struct("a", struct("x", "int8", "y", "int8"))),
     'Newly added member ".<optional-element>.a.y" is not optional'),
    (struct("a", "int8", "b", "int8"), struct("a", "int8"), 'Some members of "" are removed'),
    (tup("int8", "int8"), tup("int8"), 'Some elements of "" are removed'),
    (tup("int8"), tup("int8", "int8"), 'Added new elements to tuple ""'),
    (vtup("int8", "string"), vtup("int8", "int64"), 'Type of ".<variant-element-1>" field is '
     "modified in non backward compatible manner"),
    (dct("string", "int8"), dct("int64", "int8"),
     'Type of ".<key>" field is modified in non backward compatible manner'),
    (o(tagged("t", "int8")), o("string"), 'Type of ".<optional-element>.<tagged-element>" '
     "field is modified in non backward compatible manner"),
    (o(o("int8")), "int8", 'Type of ".<optional-element>.<optional-element>" field is '
     "modified in non backward compatible manner"),
])
def test_the_reason_names_the_field(given, taken, reason):
    assert type_fit(given, taken) == (INCOMPATIBLE_TYPE, reason)


def test_decimals_fit_only_the_same_decimal():
    def dec(precision, scale):
        return {"type_name": "decimal", "precision": precision, "scale": scale}
    assert type_fit(dec(10, 2), dec(10, 2))[0] == FULLY_COMPATIBLE
    assert type_fit(dec(10, 2), dec(12, 2))[0] == INCOMPATIBLE_TYPE
