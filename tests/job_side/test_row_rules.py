"""ytjobs.row_rules: what a row may hold, as YT takes it from Python (the facts are in the
module's docstring)."""

from __future__ import annotations

import decimal
import math
import uuid

import pytest

from ytjobs import row_rules
from ytjobs.row_rules import NotARow, RowRefused, all_finite, checked, non_finite_text, yt_value


def test_a_plain_row_comes_back_equal():
    row = {"s": "é", "i": 2**64 - 1, "f": -0.0, "b": True, "n": None, "l": [1, {"k": [2.5]}]}
    assert checked(row) == row


def test_ascii_bytes_become_text_at_any_depth_and_as_keys():
    assert checked({"b": b"ab", b"k": bytearray(b"v"), "l": [memoryview(b"x"), (b"y",)],
                    "m": {b"in": b"z"}}) == {
        "b": "ab", "k": "v", "l": ["x", ["y"]], "m": {"in": "z"}}


@pytest.mark.parametrize("row, refusal", [
    ({"x": math.nan}, "column 'x' holds nan: YT's JSON format has no NaN or infinity"),
    ({"x": [{"y": -math.inf}]}, "column 'x' holds -inf"),
    ({2: "a"}, "column name 2 is an int: column names and map keys must be strings"),
    ({None: "a"}, "column name None is a NoneType"),
    ({"m": {(1, 2): 1}}, "column 'm' holds a map key (1, 2), a tuple"),
    ({"x": b"\x80"}, "column 'x' holds bytes that are not ASCII: YT's JSON format takes text"),
    ({b"\xc3\xa9": 1}, "column name b'\\\\xc3\\\\xa9' is not ASCII"),
    ({"x": {1, 2}}, "column 'x' holds a set: YT has no set type"),
    ({"x": "a", b"x": "b"}, "column 'x' is named twice, as text and as bytes"),
    ({"m": {"k": 1, b"k": 2}}, "column 'm' holds a map with the key 'k' twice"),
])
def test_what_yt_refuses_is_named_by_its_column(row, refusal):
    with pytest.raises(RowRefused, match="^" + refusal.replace("(", r"\(").replace(")", r"\)")):
        checked(row)


def test_a_row_must_be_a_dict():
    with pytest.raises(NotARow, match="rows must be dicts, got list"):
        checked([1])


def test_values_json_has_no_type_for():
    assert yt_value(b"ok") == "ok"
    # a Decimal as the number simplejson's literal of it reads as on a cluster
    assert yt_value(decimal.Decimal("1.50")) == 1.5
    assert checked({"d": decimal.Decimal("2"), "e": [decimal.Decimal("2E+1")]}) == {
        "d": 2, "e": [20.0]}
    with pytest.raises(RowRefused, match="a row cannot hold a UUID"):
        yt_value(uuid.UUID(int=1))
    with pytest.raises(RowRefused):
        yt_value(frozenset())
    with pytest.raises(RowRefused):
        yt_value(b"\xff")
    with pytest.raises(RowRefused, match="a row cannot hold an object"):
        yt_value(object())
    with pytest.raises(RowRefused, match="column 'd' holds Decimal\\('Infinity'\\)"):
        checked({"d": decimal.Decimal("Infinity")})


@pytest.mark.parametrize("probe", [True, False], ids=["msgpack-probe", "walk"])
def test_all_finite_finds_a_nan_or_an_infinity_at_any_depth(monkeypatch, probe):
    if not probe:
        monkeypatch.setattr(row_rules, "_msgpack_probe", lambda: None)
    assert all_finite([{"a": 1.5, "b": None, "c": [1, {"d": 1e308}], "e": "nan ˤ"}] * 3)
    for bad in (math.nan, math.inf, -math.inf):
        assert not all_finite([{"a": None}, {"b": [1, {"c": bad}]}])
        assert not all_finite([{"a": (bad,)}])
    assert all_finite([])


def test_all_finite_walks_what_msgpack_cannot_write():
    class Odd:
        pass

    assert all_finite([{"o": Odd(), "n": None}])
    assert not all_finite([{"o": Odd(), "x": math.nan}])


def test_texts_for_nan_and_infinities():
    assert [non_finite_text(v) for v in (math.nan, math.inf, -math.inf)] == ["nan", "inf", "-inf"]
