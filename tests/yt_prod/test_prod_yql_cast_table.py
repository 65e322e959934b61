"""Every cell of YQL's table of CASTs between the data types dev reads, in dev and on the fake
query tracker alike: a cast YQL refuses fails naming both types; any other gives, for a value
that fits the target, that value, and NULL for one that does not.

Sources (ydb-platform/ydb):
- the table: "Simple data types casting" in ydb/docs/en/core/yql/reference/types/
  primitive.md (which ydb/docs/en/core/yql/reference/types/cast.md points to), and where it
  says more than YQL does, CastResultsTable in yql/essentials/public/udf/udf_data_type.cpp,
  whose Impossible cells CastWrapper (yql/essentials/core/type_ann/type_ann_core.cpp)
  refuses and whose MayFail cells give NULL. The page has a number or a Bool to Utf8 as
  "No" (the source: Complete; cast.md casts 3.14 to Utf8), a Utf8 to Json or Uuid as "No"
  (MayFail), a Yson to a number as "Yes" through Yson::ConvertTo (Impossible for a CAST).
- a number's range (primitive.md's table of numeric types), a fraction cut toward zero, NaN
  and values past the target's range NULL (TFloatToIntegralImpl in
  yql/essentials/minikql/invoke_builtins/mkql_builtins_convert.cpp); an integer to a date, a
  time or an Interval is a count of its days, seconds, microseconds since 1970-01-01, within
  the type's range ("Casting to date and time data types" in primitive.md), and back; a
  value's text is ValueToString (yql/essentials/minikql/mkql_type_ops.cpp: a Bool's
  "true", a Uuid's canonical text, dates in ISO 8601).
"""

from __future__ import annotations

import math
import struct
from typing import Any, NamedTuple

import pytest
from yql_alike import dev_and_fake_table, fails_alike, same_rows, written_columns

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

INTEGERS = {"Int8": (-2 ** 7, 2 ** 7 - 1), "Uint8": (0, 2 ** 8 - 1),
            "Int16": (-2 ** 15, 2 ** 15 - 1), "Uint16": (0, 2 ** 16 - 1),
            "Int32": (-2 ** 31, 2 ** 31 - 1), "Uint32": (0, 2 ** 32 - 1),
            "Int64": (-2 ** 63, 2 ** 63 - 1), "Uint64": (0, 2 ** 64 - 1)}
#: the counts a date, a time and an Interval hold, each range's end excluded: up to
#: 2106-01-01, an Interval less than 136 years either way
MOMENTS = {"Date": 49673, "Datetime": 4291747200, "Timestamp": 4291747200000000}
MAX_INTERVAL = 4291747200000000
DAY = 86400
UUID = "550e8400-e29b-41d4-a716-446655440000"
ALL = ("Bool", *INTEGERS, "Float", "Double", "String", "Utf8", "Json", "Yson", "Uuid",
       *MOMENTS, "Interval")


class Source(NamedTuple):
    """A source type: the YT type of the column `c` holding its values, the values (before
    the operand makes them of the type: "c" when the column is), and the operand."""

    column: str
    values: list[Any]
    operand: str = "c"


SOURCES = {
    "Bool": Source("boolean", [True, False]),
    "Int8": Source("int8", [5, -5, 100]),
    "Uint8": Source("uint8", [5, 200]),
    "Int16": Source("int16", [5, -300]),
    "Uint16": Source("uint16", [5, 60000]),
    "Int32": Source("int32", [5, -70000]),
    "Uint32": Source("uint32", [5, 2 ** 32 - 1]),
    "Int64": Source("int64", [5, -5_000_000_000, -2 ** 62]),
    "Uint64": Source("uint64", [5, 10 ** 19]),
    "Float": Source("float", [5.5, -1.5, 1e30]),
    "Double": Source("double", [5.5, -1.5, 1e300]),
    "Yson": Source("any", [{"a": 5}]),
    "Date": Source("date", [5, 40000]),
    "Datetime": Source("datetime", [5, 3_000_000_000]),
    "Timestamp": Source("timestamp", [5, 3 * 10 ** 15]),
    "Interval": Source("interval", [5, -5, 100_000]),
    # not a column type in dev: made of a string column
    "Json": Source("string", ["[5]"], "CAST(c AS Json)"),
    "Uuid": Source("string", [UUID], "CAST(c AS Uuid)"),
}
#: a String's text each target reads, and one none reads ("x")
TEXTS = {"Bool": "true", "Float": "5.5", "Double": "5.5", "Json": "[5]", "Uuid": UUID,
         "Date": "1970-01-06", "Datetime": "1970-01-01T00:00:05Z",
         "Timestamp": "1970-01-01T00:00:00.000005Z", "Interval": "PT5S"}
#: what those texts are, as a result holds them (a date or a time as its count)
READ = {"Bool": True, "Float": 5.5, "Double": 5.5, "Date": 5, "Datetime": 5,
        "Timestamp": 5, "Interval": 5_000_000, **dict.fromkeys(INTEGERS, 5)}

#: source type: the targets YQL refuses to cast it to (CastResultsTable's Impossible cells)
IMPOSSIBLE = {
    "Bool": {"Json", "Yson", "Uuid", *MOMENTS, "Interval"},
    **{name: {"Json", "Yson", "Uuid"} for name in INTEGERS},
    "Float": {"Json", "Yson", "Uuid", *MOMENTS, "Interval"},
    "Double": {"Json", "Yson", "Uuid", *MOMENTS, "Interval"},
    "String": set(), "Utf8": set(),
    "Json": set(ALL) - {"String", "Utf8", "Json"},
    "Yson": set(ALL) - {"String", "Yson"},
    "Uuid": set(ALL) - {"String", "Utf8", "Uuid"},
    **{name: {"Bool", "Json", "Yson", "Uuid", "Interval"} for name in MOMENTS},
    "Interval": {"Bool", "Json", "Yson", "Uuid", *MOMENTS},
}
#: the count a date or a time holds, in the unit of each (days, seconds, microseconds)
UNITS = {"Date": DAY * 10 ** 6, "Datetime": 10 ** 6, "Timestamp": 1}


def as_float(value: float) -> float:
    """The nearest Float (an IEEE single) to `value`, as a Double holds it."""
    return struct.unpack("f", struct.pack("f", value))[0]


def number_text(value: float) -> str:
    """YQL's text of a Float or a Double (FloatToString) between 1e-5 and 1e16: the
    shortest that reads back, no ".0" for a whole number."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def moment_text(kind: str, count: int) -> str:
    from datetime import datetime, timedelta, timezone

    at = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(
        microseconds=count * UNITS[kind])
    if kind == "Date":
        return at.strftime("%Y-%m-%d")
    if kind == "Datetime" or at.microsecond == 0:  # a whole second's Timestamp too
        return at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def expected(source: str, target: str, value: Any) -> Any:
    """What CAST(value AS target) gives for a `source` value, as a result holds it (a date,
    a time or an Interval as its count), by the rules the module's sources give."""
    if source == "Float":  # a float column holds the nearest Float
        value = as_float(value)
    if target in ("String", "Utf8"):
        if isinstance(value, bool):
            return "true" if value else "false"
        if source in MOMENTS:
            return moment_text(source, value)
        if source == "Interval":
            sign, us = ("-" if value < 0 else ""), abs(value)
            return f"{sign}PT{us // 10 ** 6}.{us % 10 ** 6:06d}".rstrip("0").rstrip(".") + "S"
        if isinstance(value, float):
            return number_text(value) if abs(value) < 1e16 else {
                "Float": "1e+30", "Double": "1e+300"}[source]
        return str(value)
    if target == source or target in ("Json", "Uuid"):  # of itself: as it is
        return value
    if source in MOMENTS and target in MOMENTS:  # whole units of the target
        return value * UNITS[source] // UNITS[target]
    count = value
    if isinstance(value, float):
        if target in ("Float", "Double"):
            return as_float(value) if target == "Float" else value
        if target == "Bool":
            return value != 0
        count = int(value)  # cut toward zero
    if target == "Bool":
        return count != 0
    if target == "Float":
        return as_float(count)
    if target == "Double":
        return float(count)
    if target in INTEGERS:
        low, high = INTEGERS[target]
        return count if low <= count <= high else None
    if target in MOMENTS:
        return count if 0 <= count < MOMENTS[target] else None
    assert target == "Interval"
    return count if abs(count) < MAX_INTERVAL else None


def cases(source: str, target: str) -> tuple[Source, list[Any]]:
    """The source's column, and what its rows cast to `target` give."""
    if source in ("String", "Utf8"):
        text = TEXTS.get(target, "5")
        operand = "c" if source == "String" else "CAST(c AS Utf8)"
        read = READ.get(target, text)
        # "x" is any text of a String or a Utf8 (a String's bytes are UTF-8 here), no other
        return Source("string", [text, "x"], operand), [
            read, "x" if target in ("String", "Utf8") else None]
    column = SOURCES[source]
    if target in IMPOSSIBLE[source]:
        return column, []
    # a result gives an infinity as text (yt_pipeline_dev.yql_doubles)
    return column, [{math.inf: "inf", -math.inf: "-inf"}.get(result, result)
                    if isinstance(result, float) else result
                    for result in (expected(source, target, value) for value in column.values)]


TEXTS_CAST = [(source, target) for source in ("String", "Utf8") for target in ALL]


def table_of(prod_client: Any, tmp_path: Any, column: Source) -> Any:
    """Dev and the fake, each holding `//tmp/s`: the rows of `column` in order of `k`."""
    rows = [{"k": k, "c": value} for k, value in enumerate(column.values)]
    schema = [{"name": "k", "type": "int64"}, {"name": "c", "type": column.column}]
    return dev_and_fake_table(prod_client, tmp_path, "//tmp/s", schema, rows)


def check_cast(both: Any, source: str, target: str, column: Source, results: list[Any]
               ) -> None:
    query = f"SELECT CAST({column.operand} AS {target}) AS v FROM `//tmp/s` ORDER BY k"
    if target in IMPOSSIBLE[source]:
        fails_alike(both, query, f"YQL: CAST of a {source} to {target} is impossible")
    elif target == "Yson" and source != "Yson":  # YQL reads the text as Yson: dev does not
        fails_alike(both, query, "YQL: CAST of a String to Yson is not supported in {where}")
    elif source == "Yson" and target == "String":  # YQL gives its YSON bytes: dev holds JSON
        fails_alike(both, query, "YQL: CAST of a Yson to String is not supported in {where}")
    else:
        assert same_rows(both, query) == [{"v": value} for value in results]


def refused(source: str, target: str) -> bool:
    """The query fails: YQL refuses the cast, or dev cannot make it (Yson's text)."""
    return (target in IMPOSSIBLE[source] or (source == "Yson" and target == "String")
            or (target == "Yson" and source != "Yson"))


@pytest.mark.parametrize("source", [s for s in ALL if s not in ("String", "Utf8")])
def test_each_cast_of_a_type_in_yqls_table(prod_client, tmp_path, source):
    """The casts of a source type to every type, over one table of its values: those that
    give values in one query (a column each), each refused one in a query of its own; each
    pair that does not cast as the table says is named."""
    column = SOURCES[source]
    both = table_of(prod_client, tmp_path, column)
    wrong = []
    for target in ALL:
        if refused(source, target):
            try:
                check_cast(both, source, target, column, [])
            except (AssertionError, pytest.fail.Exception) as error:
                wrong.append(f"{source} to {target}: {error}")
    given = [target for target in ALL if not refused(source, target)]
    casts = ", ".join(f"CAST({column.operand} AS {t}) AS v_{t}" for t in given)
    rows = same_rows(both, f"SELECT {casts} FROM `//tmp/s` ORDER BY k")
    for target in given:
        values = [row[f"v_{target}"] for row in rows]
        # a Yson column cast to Yson is the column as it is
        want = column.values if source == "Yson" else cases(source, target)[1]
        if values != want:
            wrong.append(f"{source} to {target}: {values} != {want}")
    assert wrong == []


@pytest.mark.parametrize(("source", "target"), TEXTS_CAST,
                         ids=[f"{s}-{t}" for s, t in TEXTS_CAST])
def test_each_cast_of_a_text_in_yqls_table(prod_client, tmp_path, source, target):
    # a text's value is one the target reads, so each pair has a table of its own
    column, results = cases(source, target)
    check_cast(table_of(prod_client, tmp_path, column), source, target, column, results)


def test_an_integer_cast_to_a_moment_its_range_holds_keeps_a_required_column(prod_client,
                                                                          tmp_path):
    # CastResultsTable: Complete where every value of the integer's type is a count within
    # the target's range (a Uint8 to a Date, an Int32's microseconds to an Interval), MayFail
    # where not (an Int8 before 1970, a Uint16's 65535 days past 2106, a Uint32's seconds
    # past it, an Int64's microseconds past 136 years): CastWrapper<false> types a cast that
    # may fail Optional
    schema = [{"name": name, "type": name, "required": True}
              for name in ("int8", "uint8", "uint16", "int32", "uint32", "int64")]
    row = {"int8": -1, "uint8": 255, "uint16": 65535, "int32": -5, "uint32": 7, "int64": 3}
    both = dev_and_fake_table(prod_client, tmp_path, "//tmp/n", schema, [row])
    assert written_columns(both, "SELECT CAST(uint8 AS Date) AS u8_date, "
                                 "CAST(uint16 AS Datetime) AS u16_datetime, "
                                 "CAST(uint32 AS Timestamp) AS u32_timestamp, "
                                 "CAST(int8 AS Interval) AS i8_interval, "
                                 "CAST(int32 AS Interval) AS i32_interval, "
                                 "CAST(int8 AS Date) AS i8_date, "
                                 "CAST(uint16 AS Date) AS u16_date, "
                                 "CAST(uint32 AS Datetime) AS u32_datetime, "
                                 "CAST(int64 AS Interval) AS i64_interval "
                                 "FROM `//tmp/n`", "//tmp/o") == {
        "u8_date": ("date", True), "u16_datetime": ("datetime", True),
        "u32_timestamp": ("timestamp", True), "i8_interval": ("interval", True),
        "i32_interval": ("interval", True), "i8_date": ("date", False),
        "u16_date": ("date", False), "u32_datetime": ("datetime", False),
        "i64_interval": ("interval", False)}
    assert same_rows(both, "SELECT * FROM `//tmp/o`") == [
        {"u8_date": 255, "u16_datetime": 65535, "u32_timestamp": 7, "i8_interval": -1,
         "i32_interval": -5, "i8_date": None, "u16_date": None, "u32_datetime": 7,
         "i64_interval": 3}]
