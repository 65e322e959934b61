"""DateTime's ParseIso8601/Rfc822/Http/X509 and Interval functions, Re2::Capture and
FindAndConsume, and String::ReverseFind's position give YQL's values in dev and on the fake
query tracker alike.

Each expected value is YQL's, from ydb-platform/ydb (the YQL that YTsaurus runs):
- the canonical tests of yql/essentials/udfs/common/datetime2/test/: cases/Parse.sql with
  Parse.in and canondata/test.test_Parse_/results.txt (the four parsers, formatted by
  "%Y-%m-%dT%H:%M:%S,%Z"), ParseIso8601.sql (NULL from 2106 on), To.sql with To.in and
  test.test_To_ (an Interval of P2DT10H in each unit, ToDays of minus one day);
- where they say nothing, util's parsers that the UDFs call (util/datetime/parser.rl6: the
  grammars; util/datetime/parser.h: TDateTimeFields::SetLooseYear and IsOk; util/datetime/
  systime.cpp: TimeGM) and datetime_udf.cpp (PARSE_SPECIFIC_FORMAT's bound, Validate<TInterval>,
  TToConverter's division);
- yql/essentials/docs/en/udf/list/re2.md's examples, and re2_udf.cpp (Capture: an empty group
  is NULL, a failed match all NULL; FindAndConsume: the first group of each match, none
  without a group); string_udf.cpp (TReverseFind: TString::rfind(needle, pos)).
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake, fails_alike, same_rows

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

#: Parse.in's rows (the parsers' columns)
PARSE_IN = [
    {"i": 1, "frfc822": "Fri, 4 Mar 2005 19:34:45 EST", "fiso8601": "2009-02-14T02:31:30+0300",
     "fhttp": "Sunday, 06-Nov-94 08:49:37 GMT", "fx509": "20091014165533Z"},
    {"i": 2, "frfc822": "4 Mar 05 19:34 -0330", "fiso8601": "2009-09-19 03:37:03.012331+04:00",
     "fhttp": "Sun Nov  6 08:49:37 1994", "fx509": "990104074212Z"},
    {"i": 3, "frfc822": "17 Nov 2008 19:34:45", "fiso8601": "1990-03-151Y15:16:17.18",
     "fhttp": "1990-03-151Y15:16:17.18", "fx509": "500101000000Z"},
]


@pytest.fixture
def both(prod_client, tmp_path):
    return dev_and_fake(prod_client, tmp_path, {"//tmp/parse": PARSE_IN})


def test_the_four_parsers_give_the_canonical_moments(both):
    rows = same_rows(both, """
        $format1 = DateTime::Format("%Y-%m-%dT%H:%M:%S,%Z");
        SELECT $format1(DateTime::ParseRfc822(frfc822)) AS rfc822,
               $format1(DateTime::ParseIso8601(fiso8601)) AS iso8601,
               $format1(DateTime::ParseHttp(fhttp)) AS http,
               $format1(DateTime::ParseX509(fx509)) AS x509
        FROM `//tmp/parse` ORDER BY i""")
    assert rows == [
        {"rfc822": "2005-03-05T00:34:45,GMT", "iso8601": "2009-02-13T23:31:30,GMT",
         "http": "1994-11-06T08:49:37,GMT", "x509": "2009-10-14T16:55:33,GMT"},
        {"rfc822": "2005-03-04T23:04:00,GMT", "iso8601": "2009-09-18T23:37:03.012331,GMT",
         "http": "1994-11-06T08:49:37,GMT", "x509": "1999-01-04T07:42:12,GMT"},
        # no zone; a day of 151; neither HTTP form; 1950, before 1970: NULL, not an error
        {"rfc822": None, "iso8601": None, "http": None, "x509": None},
    ]


@pytest.mark.parametrize("text, moment", [
    ("2024-01-05T10:00:00Z", "2024-01-05T10:00:00Z"),
    ("2106-01-01T00:00:00", None),  # ParseIso8601.sql: past a Resource<TM>'s range
    ("20240105", "2024-01-05T00:00:00Z"),  # yyyymmdd, and no time
    ("2024-0105", None),  # both dashes or none
    ("2024-01-05t1002z", "2024-01-05T10:02:00Z"),  # hhmm, t and z in lower case
    ("2024-01-05 10:02 +03:", "2024-01-05T07:02:00Z"),  # the offset's ':' and minutes optional
    ("2024-01-05T10:00:00.1234567Z", "2024-01-05T10:00:00.123456Z"),  # 6 digits read
    ("2024-01-05T10:00:00.Z", None),  # a '.' needs a digit
    ("2024-01-00", "2023-12-31T00:00:00Z"),  # day 0: IsOk lets it by, TimeGM counts back
    ("2008-12-31T23:59:60Z", "2009-01-01T00:00:00Z"),  # a leap second
    ("2023-02-29", None), ("2024-01-05T24:00:00Z", None),  # IsOk
    ("0100-01-01", "2000-01-01T00:00:00Z"),  # SetLooseYear: below 160 is 19xx less 100
    ("1970-01-01T00:59:59+01:00", None),  # before 1970 in GMT
    ("", None), (None, None),
])
def test_parse_iso8601_reads_what_utils_grammar_reads(both, text, moment):
    value = "NULL" if text is None else f'"{text}"'
    [row] = same_rows(both, f"""
        SELECT CAST(DateTime::MakeTimestamp(DateTime::ParseIso8601({value})) AS String) AS t""")
    assert row == {"t": moment}


@pytest.mark.parametrize("function, text, moment", [
    ("ParseRfc822", "Sat, 06 Jan 2024 10:00 z", "2024-01-06T10:00:00Z"),  # military Z
    ("ParseRfc822", "6 jan 24 10:00:00 A", "2024-01-06T09:00:00Z"),  # A: +1 hour
    ("ParseRfc822", "6 Jan 2024 10:00:00 n", "2024-01-06T11:00:00Z"),  # N: -1 hour
    ("ParseRfc822", "6 Jan 2024 10:00:00 PDT", "2024-01-06T17:00:00Z"),
    ("ParseRfc822", "6 Jan 2024 10:00:00 gmt", None),  # zone names in capitals only
    ("ParseRfc822", "6 Jan 2024 10:00:00 J", None),  # no military J
    ("ParseRfc822", "6 Jan 60 10:00:00 GMT", None),  # 60 is 1960
    ("ParseHttp", "SAT, 06 JAN 2024 10:00:00 gmt", "2024-01-06T10:00:00Z"),
    ("ParseHttp", "Sat, 6 Jan 2024 10:00:00 GMT", None),  # two digits of day
    ("ParseX509", "20240106100000Z", "2024-01-06T10:00:00Z"),
    ("ParseX509", "490106100000Z", "2049-01-06T10:00:00Z"),  # below 50 is 20xx
    ("ParseX509", "240106100000z", None),
])
def test_the_other_parsers_read_what_utils_grammars_read(both, function, text, moment):
    [row] = same_rows(both, f"""
        SELECT CAST(DateTime::MakeTimestamp(DateTime::{function}("{text}")) AS String) AS t""")
    assert row == {"t": moment}


def test_intervals_in_each_unit(both):
    [row] = same_rows(both, """
        $interval = CAST("2018-11-24T10:00:00Z" AS Timestamp) - CAST("2018-11-22T00:00:00Z" AS Timestamp);
        $negative_1d = CAST("2018-11-22T00:00:00Z" AS Timestamp) - CAST("2018-11-23T00:00:00Z" AS Timestamp);
        SELECT DateTime::ToDays($interval) AS days, DateTime::ToHours($interval) AS hours,
               DateTime::ToMinutes($interval) AS minutes,
               DateTime::ToSeconds($interval) AS seconds,
               DateTime::ToMilliseconds($interval) AS msec,
               DateTime::ToMicroseconds($interval) AS usec,
               DateTime::ToDays($negative_1d) AS negative_1d,
               DateTime::ToDays(DateTime::IntervalFromHours(-47)) AS toward_zero,
               DateTime::ToSeconds(DateTime::IntervalFromMilliseconds(-1500)) AS minus_1_5_s,
               DateTime::ToMicroseconds(DateTime::IntervalFromDays(49672)) AS last_days,
               DateTime::IntervalFromDays(49673) AS max_timestamp_days,
               DateTime::ToMinutes(DateTime::IntervalFromSeconds(7260)) AS from_seconds,
               DateTime::ToMicroseconds(DateTime::IntervalFromMicroseconds(-5)) AS from_us,
               DateTime::ToHours(DateTime::IntervalFromMinutes(NULL)) AS none,
               DateTime::ToSeconds(CAST("2018-11-22" AS Date)) AS date_to_seconds""")
    assert row == {
        "days": 2, "hours": 58, "minutes": 3480, "seconds": 208800, "msec": 208800000,
        "usec": 208800000000, "negative_1d": -1,
        # C++ division cuts toward zero; an Interval is less than MAX_TIMESTAMP either way
        "toward_zero": -1, "minus_1_5_s": -1, "last_days": 49672 * 86_400_000_000,
        "max_timestamp_days": None, "from_seconds": 121, "from_us": -5, "none": None,
        "date_to_seconds": 1542844800}


def test_re2_capture_gives_the_pages_structs(both):
    [row] = same_rows(both, r"""
        $value = "xaaxaaxaa";
        $capture = Re2::Capture(".*(?P<foo>xa?)(a{2,}).*");
        SELECT $capture($value) AS capture, $capture($value)._1 AS capture_member,
               Re2::Capture("(?i)(foo)")("Foo bar FOO") AS case_less,
               Re2::Capture("(?i)(?P<foo>FOO).*(?P<bar>bar)")("Foo bar FOO") AS named,
               Re2::Capture("(a)(x?)(?P<b>b)")("zab") AS empty_group,
               Re2::Capture("(a)(b)")("zzz") AS no_match,
               Re2::Capture("(a)")(NULL) AS none""")
    assert row == {
        "capture": {"_0": "xaaxaaxaa", "_1": "aa", "foo": "x"}, "capture_member": "aa",
        "case_less": {"_0": "Foo", "_1": "Foo"},
        "named": {"_0": "Foo bar", "bar": "bar", "foo": "Foo"},
        "empty_group": {"_0": "ab", "_1": "a", "_2": None, "b": "b"},
        "no_match": {"_0": None, "_1": None, "_2": None},
        "none": {"_0": None, "_1": None}}


def test_re2_find_and_consume_lists_each_first_group(both):
    [row] = same_rows(both, r"""
        $words = Re2::FindAndConsume("([a-z]+)");
        SELECT $words("ab 12 cd, e") AS words,
               Re2::FindAndConsume("([^,]+)(,|$)")("a,bb,c") AS fields,
               Re2::FindAndConsume("[a-z]+")("ab cd") AS no_group,
               $words("12") AS no_match, $words(NULL) AS none""")
    assert row == {"words": ["ab", "cd", "e"], "fields": ["a", "bb", "c"], "no_group": [],
                   "no_match": [], "none": []}


def test_reverse_find_from_a_position(both):
    [row] = same_rows(both, """
        SELECT String::ReverseFind("abcabc", "bc", 3) AS before_4,
               String::ReverseFind("abcabc", "bc", 4) AS at_4,
               String::ReverseFind("abcabc", "bc", 0) AS none_before,
               String::ReverseFind("abcabc", "bc", NULL) AS no_position,
               String::ReverseFind("abcabc", "", 2) AS empty_needle,
               String::ReverseFind("жaжa", "a", 4) AS bytes,
               String::ReverseFind("жaжa", "ж", 3) AS bytes_at,
               String::ReverseFind(NULL, "a", 1) AS none""")
    # positions count bytes: ж is two
    assert row == {"before_4": 1, "at_4": 4, "none_before": -1, "no_position": 4,
                   "empty_needle": 2, "bytes": 2, "bytes_at": 3, "none": None}


@pytest.mark.parametrize("query, line", [
    ('SELECT Re2::Capture(frfc822)("a") FROM `//tmp/parse`',
     "Re2::Capture's pattern must be a string literal in dev mode"),
    ('SELECT Re2::FindAndConsume("^(a)")("aaa") FROM `//tmp/parse`',
     "Re2::FindAndConsume with ^, \\A, \\b or \\B in its pattern is not supported in dev mode"),
    ('SELECT Re2::FindAndConsume("(a*)")("baa") FROM `//tmp/parse`',
     "Re2::FindAndConsume met an empty match or an empty first group"),
    ('SELECT DateTime::ToDays(i) FROM `//tmp/parse`',
     "DateTime::ToDays takes an Interval, not a value of another type"),
])
def test_what_dev_cannot_give_fails_alike_naming_it(both, query, line):
    fails_alike(both, query, line)
