"""How a column type goes into another in a cluster's comparison of an input's schema with
an output's (yt_pipeline.schema_compat), on the pairs ytsaurus/ytsaurus checks in
yt/yt/client/table_client/unittests/check_type_compatibility_ut.cpp (TCheckTypeCompatibility
Test: SimpleTypes, Optional)."""

from __future__ import annotations

import pytest

from yt_pipeline.schema_compat import (
    FULLY_COMPATIBLE,
    INCOMPATIBLE_TYPE,
    REQUIRES_VALIDATION,
    column_type_fit,
    incompatible_input,
)
from yt_pipeline.yql_type_v3 import optional

FITS = [("int8", "int16"), ("int8", "int64"), ("int16", "int64"), ("uint8", "uint16"),
        ("uint8", "uint64"), ("float", "double"), ("utf8", "string"), ("date", "date"),
        ("int64", "yson"), ("string", "yson"), ("bool", "yson"), ("timestamp", "yson")]
CHECKED = [("int16", "int8"), ("int64", "int8"), ("int64", "int32"), ("uint64", "uint32"),
           ("double", "float"), ("string", "utf8")]
REFUSED = [("int8", "uint64"), ("int8", "double"), ("int8", "string"), ("uint8", "int64"),
           ("float", "string"), ("double", "int64"), ("string", "json"), ("yson", "string"),
           ("json", "yson"), ("date", "datetime"), ("bool", "int64")]


@pytest.mark.parametrize("given, taken", FITS)
def test_types_that_fit(given, taken):
    assert column_type_fit(given, taken)[0] == FULLY_COMPATIBLE
    assert column_type_fit(optional(given), optional(taken))[0] == FULLY_COMPATIBLE


@pytest.mark.parametrize("given, taken", CHECKED)
def test_narrower_types_require_validation(given, taken):
    assert column_type_fit(given, taken)[0] == REQUIRES_VALIDATION


def _modified(field):
    return f'Type of "{field}" field is modified in non backward compatible manner'


@pytest.mark.parametrize("given, taken", REFUSED)
def test_types_that_do_not_fit(given, taken):
    assert column_type_fit(given, taken) == (INCOMPATIBLE_TYPE, _modified(""))
    assert column_type_fit(optional(given), optional(taken)) == (
        INCOMPATIBLE_TYPE, _modified(".<optional-element>"))


def test_optionals():
    assert column_type_fit("int8", optional("int8"))[0] == FULLY_COMPATIBLE
    assert column_type_fit(optional("int8"), "int8")[0] == REQUIRES_VALIDATION
    assert column_type_fit("int32", optional("int16"))[0] == REQUIRES_VALIDATION
    assert column_type_fit(optional("string"), "int8") == (
        INCOMPATIBLE_TYPE, _modified(".<optional-element>"))
    for given, taken in (("int8", optional(optional("int8"))),
                         (optional(optional("int8")), optional("int8"))):
        assert column_type_fit(given, taken)[0] == INCOMPATIBLE_TYPE


def test_composite_types_are_compared_and_null_ones_left_to_the_row_check():
    """A composite type goes only into one of its kind, not into a simple one, yson
    (`any`) included: "for historical reasons" only simple types go into yson
    (CheckTypeCompatibilitySimple; CheckTypeCompatibilityImpl compares metatypes first)."""
    listed = {"type_name": "list", "item": "string"}
    assert column_type_fit(optional(listed), optional("int64")) == (
        INCOMPATIBLE_TYPE, _modified(".<optional-element>"))
    assert column_type_fit(optional(listed), optional("any"))[0] == INCOMPATIBLE_TYPE
    assert column_type_fit(optional(listed), {"type_name": "list", "item": "int64"}) == (
        INCOMPATIBLE_TYPE, _modified(".<optional-element>.<list-element>"))
    assert column_type_fit(optional(listed), {"type_name": "list", "item": "string"})[0] \
        == REQUIRES_VALIDATION
    assert column_type_fit("null", optional("string"))[0] == FULLY_COMPATIBLE
    assert column_type_fit(optional("void"), "int64")[0] == FULLY_COMPATIBLE
    assert column_type_fit(None, optional(optional("int64")))[0] == FULLY_COMPATIBLE


def test_old_type_names_and_the_output_order():
    assert column_type_fit(optional("boolean"), optional("any"))[0] == FULLY_COMPATIBLE
    assert incompatible_input({"a": "int64", "b": "string"},
                              {"b": "int64", "a": "string"}, ()) == [
        'Column "b" input type is incompatible with output type',
        'Type of "" field is modified in non backward compatible manner']


def test_non_strict_schemas_compare_as_check_schema_compatibility_does():
    # CheckTableSchemaCompatibilityImpl (yt/yt/client/table_client/
    # check_schema_compatibility.cpp): strictness first, then the output's columns in order
    assert incompatible_input({"a": "int64"}, {"a": "int64"}, (), input_strict=False) == [
        "Incompatible strictness: input schema is not strict while output schema is"]
    assert incompatible_input({"a": "int64", "z": "string"}, {"a": "int64"}, (),
                              output_strict=False) is None
    assert incompatible_input({"a": "int64"}, {"a": "int64", "b": "string"}, (),
                              input_strict=False, output_strict=False) == [
        'Column "b" is present in output schema and is missing in non-strict input schema']
    # a strict input lacking an optional output column is fine, strict output or not
    assert incompatible_input({"a": "int64"}, {"a": "int64", "b": "string"}, (),
                              output_strict=False) is None
