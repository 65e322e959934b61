"""Every JSON engine ytjobs may run with (msgspec, orjson, the standard library) writes and
reads the same rows, exactly: a job in prod runs with whatever its image has."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import io
import itertools
import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from row_strategies import rows_lists

from ytjobs.codec import BATCH, Codec, NotARow, line_blocks
from ytjobs.row_rules import RowRefused

ENGINES = ["msgspec", "orjson", "json"]
TRICKY = [
    {"big": 2**63 + 5, "neg": -(2**63), "edge": 2**64 - 1, "int53": 2**53 + 1},
    {"text": "héllo ✓ 日本 \u2028 \"q\" \\ \n{\"inner\": 1}", "emoji": "🦆", "": None},
    {"nested": {"list": [1, [2, {"deep": None}], {"x": [True, False]}]}},
    {"float": 0.1, "exp": 1e300, "neg0": -0.0, "tiny": 5e-324},
]


def encode(engine: str, rows) -> bytes:
    out = io.BytesIO()
    assert Codec(engine).write_lines(rows, out.write) == len(rows)
    return out.getvalue()


def decode(engine: str, data: bytes, chunk: int = 1 << 20) -> list:
    return list(Codec(engine).iter_rows(io.BytesIO(data), chunk))


@pytest.mark.parametrize("writer, reader", list(itertools.product(ENGINES, ENGINES)))
def test_any_engine_reads_what_any_engine_wrote(writer, reader):
    data = encode(writer, TRICKY * 3)
    assert data.count(b"\n") == 12
    back = decode(reader, data, chunk=64)
    assert back == TRICKY * 3
    assert type(back[0]["big"]) is int and type(back[3]["neg0"]) is float


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=60, deadline=None)
@given(rows=rows_lists)
def test_round_trip_of_any_rows(engine, rows):
    assert decode(engine, encode(engine, rows), chunk=7) == rows


@pytest.mark.parametrize("engine", ENGINES)
def test_more_rows_than_one_batch_from_a_generator(engine):
    count = BATCH * 2 + 17
    data = encode(engine, [{"i": i} for i in range(count)])
    assert decode(engine, data, chunk=1000) == [{"i": i} for i in range(count)]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_row_that_is_not_a_dict_is_refused_before_its_batch_is_written(engine):
    out = io.BytesIO()
    rows = [{"i": 1}, {"i": 2}, [3]]
    with pytest.raises(NotARow, match="rows must be dicts, got list"):
        Codec(engine).write_lines(rows, out.write)
    assert b"[3]" not in out.getvalue()


@pytest.mark.parametrize("engine", ENGINES)
def test_blank_lines_skipped_and_bad_line_named(engine):
    data = b'{"a":1}\n\n   \n{"a":2}\n{"a":\n{"a":3}\n'
    seen = []
    reader = Codec(engine).iter_rows(io.BytesIO(data), bad_line=lambda line, exc: KeyError(line))
    with pytest.raises(KeyError, match='{"a":'):
        for row in reader:
            seen.append(row)
    assert seen == [{"a": 1}, {"a": 2}]  # the rows before the bad line came out first


@pytest.mark.parametrize("engine", ENGINES)
def test_two_values_on_one_line_is_an_error(engine):
    with pytest.raises(ValueError):
        decode(engine, b'{"a":1}{"b":2}\n')
    with pytest.raises(ValueError):
        Codec(engine).loads_lines([b'{"a":1},{"b":2}'])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("inside", [
    {"t": "},{"}, {"t": 'a"},{"b'}, {"l": [{"a": 1}, {"b": [{}, {}]}]}, {"t": "},{},{"},
], ids=["text", "quoted-text", "list-of-maps", "twice"])
@pytest.mark.parametrize("where", [0, 1, 25, 48, 49])
def test_a_row_holding_the_text_between_two_rows_stays_one_line(engine, inside, where):
    # orjson's writer cuts a batch into lines where "},{" falls between two rows: one
    # inside a row, wherever the row stands in its batch, must stay as it is
    rows = [{"i": i} for i in range(49)]
    rows.insert(where, inside)
    data = encode(engine, rows[:1] + rows)  # the first batch is one row: all 50 in the next
    assert data.count(b"\n") == 51
    assert decode(engine, data) == rows[:1] + rows


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("value", [datetime.datetime(2026, 1, 2, 3, 4), datetime.date(2026, 1, 2),
                                   datetime.time(3, 4), datetime.timedelta(seconds=5)])
def test_dates_and_times_are_refused_by_every_engine(engine, value):
    """simplejson, which the prod client writes rows with, has no form for them."""
    kind = type(value).__name__
    with pytest.raises(RowRefused, match=f"row 2: column 'v' holds a {kind}: YT's JSON format"):
        encode(engine, [{"a": 1}, {"v": value}])


@dataclasses.dataclass
class Point:
    x: int


@pytest.mark.parametrize("engine", ENGINES)
def test_a_dataclass_is_refused_by_every_engine(engine):
    """simplejson, which the prod client writes rows with, has no form for a dataclass;
    orjson writes one as a map unless told to hand it back."""
    with pytest.raises(RowRefused, match="row 2: column 'v' holds a Point: YT's JSON format"):
        encode(engine, [{"a": 1}, {"v": Point(1)}])
    with pytest.raises(RowRefused, match="column 'v' holds a Point"):
        Codec(engine).dumps_line({"v": [Point(1)]})


@pytest.mark.parametrize("engine", ["msgspec", "json"])
def test_a_uuid_is_refused_where_the_engine_hands_it_back(engine):
    """orjson writes a UUID as its text and cannot be asked not to (docs/dev-vs-prod.md)."""
    with pytest.raises(RowRefused, match="column 'v' holds a UUID"):
        encode(engine, [{"v": uuid.UUID(int=1)}])


@pytest.mark.parametrize("engine", ENGINES)
def test_the_64_bit_edges_are_written_exactly_and_beyond_them_refused(engine):
    assert Codec(engine).dumps_line({"b": 2**64 - 1}) == b'{"b":%d}\n' % (2**64 - 1)
    assert Codec(engine).dumps_line({"b": -(2**63)}) == b'{"b":%d}\n' % -(2**63)
    for value in (2**64, -(2**63) - 1, 2**70):
        with pytest.raises(RowRefused, match=f"holds {value}: YT's integers are 64 bits"):
            encode(engine, [{"a": 1}, {"b": [value]}])


@pytest.mark.parametrize("value, written", [
    (b"ab", '"ab"'), (bytearray(b"a"), '"a"'), (memoryview(b"x"), '"x"'),
    (decimal.Decimal("1.50"), '1.5'), (decimal.Decimal("7"), '7'),
])
def test_values_json_has_no_type_for_are_written_alike_by_every_engine(value, written):
    # ASCII bytes go as their text, as ytsaurus-client sends them (row_rules)
    lines = {engine: encode(engine, [{"v": value}]) for engine in ENGINES}
    assert set(lines.values()) == {b'{"v":%s}\n' % written.encode()}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("row, refusal", [
    ({"v": float("nan")}, "column 'v' holds nan"),
    ({"v": [1.0, {"w": float("-inf")}]}, "column 'v' holds -inf"),
    ({1: "a"}, "column name 1 is an int"),
    ({"m": {1: "a", "1": "b"}}, "column 'm' holds a map key 1, an int"),
    ({"v": b"\xff"}, "column 'v' holds bytes that are not ASCII"),
    ({"v": frozenset([7])}, "column 'v' holds a frozenset"),
    ({b"k": 1, "k": 2}, "column 'k' is named twice"),
    # text with no UTF-8 form (a lone surrogate, as surrogateescape leaves): the engines
    # raised a bare UnicodeEncodeError naming no column
    ({"v": {"w": ["ok", "x\udc80"]}}, "column 'v' holds text with a lone surrogate '\\\\udc80'"),
    ({"k\ud800": 1}, "column 'k\\\\\\\\ud800' holds text with a lone surrogate"),
])
def test_every_engine_refuses_what_yt_refuses_naming_row_and_column(engine, row, refusal):
    out = io.BytesIO()
    rows = [{"i": 1}, {"i": 2}, row]
    with pytest.raises(RowRefused, match=f"^row 3: {refusal}"):
        Codec(engine).write_lines(rows, out.write)
    assert out.getvalue() == b'{"i":1}\n'  # the first batch is one row; not the next
    with pytest.raises(RowRefused, match=f"^{refusal}"):
        Codec(engine).dumps_line(row)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_row_refused_by_dumps_line_is_one_error_not_two_chained(engine):
    # write_row's refusal was raised again by the standard-library retry inside the
    # handler of the engine's own: a job's stderr showed the traceback twice, "During
    # handling of the above exception, another exception occurred" between them
    with pytest.raises(RowRefused) as refused:
        Codec(engine).dumps_line({"amount": float("nan")})
    assert str(refused.value) == "column 'amount' holds nan: YT's JSON format has no NaN " \
                                 "or infinity"
    assert refused.value.__context__ is None


@pytest.mark.parametrize("engine", ENGINES)
def test_null_beside_a_nan_in_another_row_is_not_mistaken_for_it(engine):
    rows = [{"a": None, "b": 1.5}] * 50 + [{"a": 2.0, "b": float("inf")}]
    with pytest.raises(RowRefused, match="^row 51: column 'b' holds inf"):
        encode(engine, rows)
    assert decode(engine, encode(engine, rows[:50])) == rows[:50]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_value_no_engine_can_write_is_refused_naming_its_column(engine):
    with pytest.raises(RowRefused, match="row 1: column 'v' holds an object: YT's JSON format "
                                         "has no type for it"):
        encode(engine, [{"v": object()}])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("row", [{"$x": 1}, {"m": [{"$attributes": {}}]}, {"$value": None}],
                         ids=["column", "nested-attributes", "value"])
def test_every_engine_refuses_a_key_yt_reads_as_special(engine, row):
    """Each engine's fast path sees the `"$` and lets the rules name the row and column
    (ytjobs/dollar_keys.py), alone or in a batch of rows."""
    with pytest.raises(RowRefused, match=r"^row 3: column '(\$x|m|\$value)'"):
        encode(engine, [{"a": 1}, {"b": "$text"}, row])
    with pytest.raises(RowRefused, match="YT's JSON format|single|without key"):
        Codec(engine).dumps_line(row)


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_writes_a_wrapped_value_as_a_cluster_stores_it(engine):
    """A map holding "$value" is the value it wraps, its attributes kept below a column's
    value (ytjobs/dollar_keys.py): each engine's fast path sees the `"$` and hands the row
    to the rules, alone or in a batch of rows."""
    rows = [{"a": 1}, {"b": "$text"}, {"m": {"$value": 5}, "l": [{"$value": "x",
                                                                 "$attributes": {"k": 1}}]}]
    stored = rows[:2] + [{"m": 5, "l": [{"$attributes": {"k": 1}, "$value": "x"}]}]
    assert decode(engine, encode(engine, rows)) == stored
    assert json.loads(Codec(engine).dumps_line(rows[2])) == stored[2]



@settings(max_examples=300, deadline=None)
@given(data=st.lists(st.sampled_from([b"a", b"{}", b" ", b"\n", b"xyz" * 9])).map(b"".join),
       chunk=st.integers(1, 50))
def test_blocks_of_whole_lines_hold_every_line_whatever_the_read_size(data, chunk):
    """Read in blocks of any size, the lines come out as one read of the whole stream gives
    them: a line longer than a read (kept across reads, joined once its end comes) whole
    and in its place."""
    cut = data.rfind(b"\n")
    tail = data[cut + 1:]
    whole = ([data[:cut]] if cut >= 0 else []) + ([tail] if tail.strip() else [])
    assert list(line_blocks(io.BytesIO(data), len(data) + 1)) == whole
    assert b"\n".join(line_blocks(io.BytesIO(data), chunk)) == b"\n".join(whole)
