"""Dev's count of a value's binary YSON against ytsaurus-client's binary writer, which the
fake proxy weighs rows with (fake/row_weight.py). Both write what the C++ writer does
(TBufferedBinaryYsonWriter in yt/yt/core/yson/writer.cpp: zigzag varints for int64 and
string lengths, a plain varint for uint64, `;` after every item of a list or a map)."""

from __future__ import annotations

import json

import yt.yson as yson
from hypothesis import given, settings
from hypothesis import strategies as st

from yt_pipeline.yson_size import WEIGHT_PER_TEXT_BYTE, may_reach, yson_size
from yt_pipeline_prod.fake.row_weight import row_weight as fake_row_weight

INT64 = st.integers(-(1 << 63), (1 << 63) - 1)
UINT64 = st.integers(1 << 63, (1 << 64) - 1)
SCALARS = (st.none() | st.booleans() | INT64 | UINT64
           | st.floats(allow_nan=False, allow_infinity=False) | st.text())
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=6)
                      | st.dictionaries(st.text(), inner, max_size=6), max_leaves=40)


def binary(value) -> bytes:
    return yson.dumps(value, yson_format="binary")


@settings(max_examples=250, deadline=None)
@given(VALUES)
def test_yson_size_is_the_length_ytsaurus_client_writes(value):
    assert yson_size(value) == len(binary(value))


def test_yson_size_at_the_varint_edges():
    # lengths and numbers where a varint takes one more byte: a zigzag int64 of 63 is 126,
    # one byte; 64 is 128, two; a string of 63 bytes has a one-byte length, of 64 two
    edges = [0, 63, 64, -64, -65, 8191, 8192, (1 << 63) - 1, -(1 << 63), 1 << 63,
             (1 << 64) - 1, "x" * 63, "x" * 64, "é" * 32, [], {}, [[]], {"": None}]
    for value in edges:
        assert yson_size(value) == len(binary(value)), value
    assert binary([1, 2]) == b"[\x02\x02;\x02\x04;]"  # the last item's `;` written too


ROWS = st.dictionaries(st.text(min_size=1, max_size=4), VALUES, max_size=5)


@settings(max_examples=200, deadline=None)
@given(ROWS)
def test_no_row_outweighs_its_text_by_more_than_may_reach_allows(row):
    # dev weighs only rows whose JSON text may reach the limit: a row's weight as the fake
    # counts it must never be above the bound for its shortest text
    text = len(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode())
    weight = fake_row_weight(row)
    assert weight <= text * WEIGHT_PER_TEXT_BYTE + 1
    assert may_reach(text, weight)


def test_a_list_of_doubles_weighs_two_and_a_half_times_its_text():
    row = {"a": [0.5] * 1000}
    text = len(json.dumps(row, separators=(",", ":")))
    assert fake_row_weight(row) == 1 + 2 + 10 * 1000
    assert text == len('{"a":[]}') + 4 * 1000 - 1  # `0.5,` each, the last without `,`
    assert may_reach(text, fake_row_weight(row))
