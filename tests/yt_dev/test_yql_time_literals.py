"""A CAST of a string literal to Date, Datetime or Timestamp is its value in the SQL
(yql_semantics._epoch_cast_of_text, yql_time_text.folded_count), not SQL that parses the
text: that SQL named the text many times, a `-` of two of them and a DateTime::To... of that
named each again, and DuckDB bound every copy (the query below was 118 KB, 5.5 MB with its
macros expanded, and took some 3.5 s to bind for one row). And `-` of two times names each
operand once in the pair of types it looks up (yql_time_arith.yql_time_pair)."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from macro_expansion import expanded_length

from yt_pipeline.yql_semantics import connect
from yt_pipeline.yql_time_text import UNFOLDED, folded_count
from yt_pipeline_dev.yql_translate import translate

INTERVALS = """
    $interval = CAST("2018-11-24T10:00:00Z" AS Timestamp) - CAST("2018-11-22T00:00:00Z" AS Timestamp);
    $negative_1d = CAST("2018-11-22T00:00:00+03:00" AS Timestamp) - CAST("2018-11-23T00:00:00Z" AS Timestamp);
    SELECT DateTime::ToDays($interval) AS days, DateTime::ToHours($interval) AS hours,
           DateTime::ToMinutes($interval) AS minutes, DateTime::ToSeconds($interval) AS seconds,
           DateTime::ToMilliseconds($interval) AS msec,
           DateTime::ToMicroseconds($interval) AS usec,
           DateTime::ToHours($negative_1d) AS negative_27h,
           DateTime::ToSeconds(CAST("2018-11-22" AS Date)) AS date_to_seconds,
           CAST("2018-11-22T01:02:03-01:30" AS Datetime) AS datetime,
           CAST("1969-12-31T23:59:59.999999Z" AS Timestamp) AS before_1970,
           CAST("2018-02-30" AS Date) AS no_such_day, CAST("x" AS Timestamp) AS not_a_time"""


def test_the_interval_query_is_small_sql_with_the_same_row(dev_client):
    sql = translate(INTERVALS)[0].template
    # before: 118172 characters, 5524052 with its macros expanded
    assert len(sql) < 20_000, len(sql)
    assert expanded_length(sql) < 150_000, expanded_length(sql)
    assert "regexp" not in sql
    # the values YQL gives (test_prod_yql_udf_parse.test_intervals_in_each_unit); the
    # texts as ParseDate, ParseDatetime and ParseTimestamp read them (yql/essentials/
    # minikql/mkql_type_ops.cpp, ydb-platform/ydb; yql_time_text): an offset is taken off,
    # NULL before 1970 and for a day that is not one
    assert dev_client.run_yql(INTERVALS) == [{
        "days": 2, "hours": 58, "minutes": 3480, "seconds": 208800, "msec": 208800000,
        "usec": 208800000000, "negative_27h": -27, "date_to_seconds": 1542844800,
        "datetime": 1542853923, "before_1970": None, "no_such_day": None,
        "not_a_time": None}]


COLUMNS = ("SELECT DateTime::ToDays(CAST(s AS Timestamp) - CAST('2018-01-01T00:00:00Z' AS "
           "Timestamp)) AS d, CAST(s AS Datetime) - CAST(day AS Date) AS since_midnight "
           "FROM `//t`")


def test_a_difference_of_casts_of_a_column_names_each_operand_a_few_times(dev_client):
    sql = translate(COLUMNS)[0].template
    # before: 659898 characters with its macros expanded: `-` named each operand some
    # forty times (yql_time_arith), a CAST of text its count three times
    assert expanded_length(sql) < 150_000, expanded_length(sql)
    dev_client.write_table("//t", [
        {"s": "2018-03-02T10:00:00Z", "day": "2018-03-02"},
        {"s": "2018-01-01T00:30:00+01:00", "day": "2018-01-01"},
        {"s": "x", "day": "2018-01-01"}])
    # a Datetime minus a Date is an Interval (RegisterDateSub in yql/essentials/minikql/
    # invoke_builtins/mkql_builtins_sub.cpp, ydb-platform/ydb), of microseconds; the
    # offset +01:00 is taken off (yql_time_text), and ToDays cuts -30 minutes to 0 days
    assert dev_client.run_yql(COLUMNS) == [
        {"d": 60, "since_midnight": 36_000_000_000},
        {"d": 0, "since_midnight": -1_800_000_000}, {"d": None, "since_midnight": None}]


@pytest.fixture(scope="module")
def connection():
    con = connect(duckdb)
    yield con
    con.close()


def _value(connection, query: str, text: str):
    sql = translate(query)[0].render(lambda path: "(SELECT s FROM texts)")
    connection.execute("CREATE OR REPLACE TEMP TABLE texts AS SELECT ?::VARCHAR AS s", [text])
    return connection.execute(sql).fetchone()[0], sql


def _digits(low: int, high: int):
    return st.integers(0, 10 ** high - 1).map(str) | st.text("0123456789", min_size=low,
                                                             max_size=high)


_TEXTS = st.one_of(
    st.tuples(_digits(1, 5), _digits(1, 3), _digits(1, 3),
              st.one_of(st.just(""), st.tuples(_digits(1, 3), _digits(1, 3), _digits(1, 3),
                                                st.sampled_from(["", ".", ".5", ".123456",
                                                                 ".1234567", ".0000009"]),
                                                st.sampled_from(["Z", "+03:00", "-1:30",
                                                                 "+99:99", "", "z"]))
                        .map(lambda t: f"T{t[0]}:{t[1]}:{t[2]}{t[3]}{t[4]}")))
    .map(lambda t: f"{t[0]}-{t[1]}-{t[2]}{t[3]}"),
    st.text("0123456789-:TZ.+ ", max_size=30))
_EDGES = ["2018-11-22", "2018-1-5", "1970-01-01", "1969-12-31", "2105-12-31", "2106-01-01",
          "2018-02-29", "2016-02-29", "0018-01-05", "18-01-05", "2018-11-22T00:00:00Z",
          "1970-01-01T00:00:00+00:01", "1970-01-01T00:59:00+01:00", "1969-12-31T23:00:00-01:00",
          "2018-01-05T24:00:00Z", "2018-01-05T23:59:60Z", "2018-01-05T10:00:00.1234567Z",
          "2105-12-31T23:59:59.999999Z", "2106-01-01T00:00:00Z", "2018-1-5T1:2:3Z",
          "2018-11-22T00:00:00", " 2018-11-22", "2018-11-22T00:00:00Z "]


def _check(connection, text: str) -> None:
    for kind in ("Date", "Datetime", "Timestamp"):
        literal = f'"{text}"'
        folded, sql = _value(connection, f"SELECT CAST({literal} AS {kind}) AS v", text)
        parsed, _ = _value(connection, f"SELECT CAST(s AS {kind}) AS v FROM `//t`", text)
        assert folded == parsed, (text, kind, sql)
        if folded_count(text, kind.lower()) is not UNFOLDED:
            assert "regexp" not in sql, (text, kind)


@pytest.mark.parametrize("text", _EDGES)
def test_a_folded_literal_is_what_the_sql_reading_a_column_gives(connection, text):
    _check(connection, text)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_TEXTS)
def test_any_folded_text_is_what_the_sql_reading_a_column_gives(connection, text):
    _check(connection, text)
