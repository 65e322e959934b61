"""The presort bytes YQL keeps in a hidden sort column (yt_pipeline.yql_presort), checked
against the encodings ydb's own tests give: TPresortCodecTest in
yql/essentials/minikql/computation/presort_ut.cpp (ydb-platform/ydb), an ascending and a
descending hex each (a one-value TPresortEncoder inverts the bytes as
TGenericPresortEncoder::Encode does for Descending)."""

from __future__ import annotations

import pytest

from yt_pipeline.yql_presort import presort


def hexed(value, kind, optional=False, descending=False) -> str:
    return presort(value, kind, optional, descending).encode("latin-1").hex().upper()


@pytest.mark.parametrize(("value", "kind", "ascending", "descending"), [
    (False, "boolean", "00", "FF"),
    (True, "boolean", "01", "FE"),
    (-1, "int8", "7F", "80"),
    (1, "int32", "80000001", "7FFFFFFE"),
    (-1, "int64", "7FFFFFFFFFFFFFFF", "8000000000000000"),
    (1, "int64", "8000000000000001", "7FFFFFFFFFFFFFFE"),
    (0x8000000000000000, "uint64", "8000000000000000", "7FFFFFFFFFFFFFFF"),
    (-1.0, "double", "01400FFFFFFFFFFFFF", "FEBFF0000000000000"),
    (0.0, "double", "02", "FD"),
    (1.0, "double", "033FF0000000000000", "FCC00FFFFFFFFFFFFF"),
    (float("inf"), "double", "04", "FB"),
    (-1.0, "float", "01407FFFFF", "FEBF800000"),
    ("", "string", "00", "FF"),
    ("abc", "string", "1F61626300000000000000000000000003",
     "E09E9D9CFFFFFFFFFFFFFFFFFFFFFFFFFC"),
    ("0123456789abcde", "utf8", "1F3031323334353637383961626364650F",
     "E0CFCECDCCCBCAC9C8C7C69E9D9C9B9AF0"),
])
def test_values_encode_as_ydb_tests_say(value, kind, ascending, descending):
    assert hexed(value, kind) == ascending
    assert hexed(value, kind, descending=True) == descending


def test_an_optional_is_a_flag_byte_then_its_value():
    # TGenericPresortEncoder's EncodeValue, Optional: EncodeBool(hasValue), then the item
    assert hexed(5, "int64", optional=True) == "01" + "8000000000000005"
    assert hexed(None, "int64", optional=True) == "00"
    # Descending inverts every byte: a null sorts after every value
    assert hexed(5, "int64", optional=True, descending=True) == "FE" + "7FFFFFFFFFFFFFFA"
    assert hexed(None, "int64", optional=True, descending=True) == "FF"
