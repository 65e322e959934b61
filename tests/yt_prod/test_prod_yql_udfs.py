"""YQL's UDFs (Module::Function) give YQL's values in dev and on the fake query tracker alike.

Each expected value is YQL's, from where it is documented in ydb-platform/ydb (the YQL that
YTsaurus runs): the module pages yql/essentials/docs/en/udf/list/{string,unicode,math,re2}.md
(their examples), the String module's canonical test results
(yql/essentials/udfs/common/string/test/cases/List.sql and its canondata
test.test_List_/results.txt), and the modules' source where the pages say nothing of empty
values: yql/essentials/udfs/common/string/string_udf.cpp (TContains and STROKA_FIND_UDF give
false for NULL, TSplitToList an empty list, TJoinFromList leaves NULL items out, TFind gives
npos as -1, TReplaceFirst of "" puts the replacement first) and
yql/essentials/udfs/common/re2/re2_udf.cpp (Grep and Match give false for NULL, Count 0,
Replace NULL).
"""

from __future__ import annotations

import math

import pytest
from yql_alike import dev_and_fake, fails_alike, same_rows

from yt_pipeline.errors import QueryFailed

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

#: the values of List.sql's canonical test, and NULL
SPLIT_ROWS = [{"i": 1, "value": "a@b@c"}, {"i": 2, "value": "@a@b@c"},
              {"i": 3, "value": "@@@a@a"}, {"i": 4, "value": "d#e#f"}, {"i": 5, "value": "d"},
              {"i": 6, "value": ""}, {"i": 7, "value": None}]


@pytest.fixture
def both(prod_client, tmp_path):
    return dev_and_fake(prod_client, tmp_path, {"//tmp/u": SPLIT_ROWS})


def test_split_to_list_gives_the_canonical_results(both):
    rows = same_rows(both, """
        SELECT
            String::JoinFromList(String::SplitToList(value, "@"), "#") AS replace_delimeter,
            String::SplitToList(value, "@") AS just_split,
            String::SplitToList(value, "@", true AS SkipEmpty) AS skip_empty,
            String::SplitToList(value, "b@", false AS DelimeterString) AS multichar_delim_set,
            String::SplitToList(value, "b@", true AS DelimeterString) AS multichar_delim_string,
            String::SplitToList(value, "@", 1 AS Limit) AS limited
        FROM `//tmp/u` ORDER BY i""")
    assert rows[:6] == [
        {"replace_delimeter": "a#b#c", "just_split": ["a", "b", "c"],
         "skip_empty": ["a", "b", "c"], "multichar_delim_set": ["a", "", "", "c"],
         "multichar_delim_string": ["a@", "c"], "limited": ["a", "b@c"]},
        {"replace_delimeter": "#a#b#c", "just_split": ["", "a", "b", "c"],
         "skip_empty": ["a", "b", "c"], "multichar_delim_set": ["", "a", "", "", "c"],
         "multichar_delim_string": ["@a@", "c"], "limited": ["", "a@b@c"]},
        {"replace_delimeter": "###a#a", "just_split": ["", "", "", "a", "a"],
         "skip_empty": ["a", "a"], "multichar_delim_set": ["", "", "", "a", "a"],
         "multichar_delim_string": ["@@@a@a"], "limited": ["", "@@a@a"]},
        {"replace_delimeter": "d#e#f", "just_split": ["d#e#f"], "skip_empty": ["d#e#f"],
         "multichar_delim_set": ["d#e#f"], "multichar_delim_string": ["d#e#f"],
         "limited": ["d#e#f"]},
        {"replace_delimeter": "d", "just_split": ["d"], "skip_empty": ["d"],
         "multichar_delim_set": ["d"], "multichar_delim_string": ["d"], "limited": ["d"]},
        {"replace_delimeter": "", "just_split": [""], "skip_empty": [],
         "multichar_delim_set": [""], "multichar_delim_string": [""], "limited": [""]},
    ]
    # an empty value splits into no parts (TSplitToList), which join into ""
    assert rows[6] == {"replace_delimeter": "", "just_split": [], "skip_empty": [],
                       "multichar_delim_set": [], "multichar_delim_string": [], "limited": []}


def test_string_functions_give_yqls_values(both):
    [row] = same_rows(both, """
        SELECT
            String::Contains(NULL, "a") AS contains_null, String::Contains("abc", "bc") AS c,
            String::HasPrefix("abc", "ab") AS prefix, String::EndsWith(NULL, "c") AS suffix,
            String::Strip(" \\tYQL \\n") AS strip,
            String::AsciiToLower("ÀBC") AS ascii_lower, String::ToLower("ÀBC") AS lower,
            String::AsciiToUpper("abc") AS ascii_upper,
            String::ReplaceAll("abcabc", "b", "XY") AS all_,
            String::ReplaceFirst("abcabc", "b", "") AS first,
            String::ReplaceLast("absence", "enc", "") AS last,
            String::ReplaceLast("aaa", "aa", "X") AS last_overlapping,
            String::ReplaceFirst("abc", "", "X") AS first_of_nothing,
            String::RemoveAll("abandon", "an") AS removed,
            String::Find("héllo", "l") AS find_bytes, String::Find("abc", "x") AS not_found,
            String::Find("abcabc", "b", 2) AS find_from,
            String::ReverseFind("abcabc", "b") AS rfind,
            String::Substring("héllo", 3) AS sub_bytes, String::Substring("abcdef", 1, 3) AS sub,
            String::Substring("abc", 10) AS sub_past_end,
            String::Base64Encode("YQL") AS b64, String::HexEncode("YQL") AS hex,
            String::LeftPad("ab", 5) AS lpad, String::LeftPad("ab", 4, "0") AS lpad0,
            String::LeftPad("abcdef", 3) AS lpad_long, String::RightPad("ab", 4) AS rpad,
            String::LevensteinDistance("kitten", "sitting") AS distance,
            String::Strip(NULL) AS strip_null""")
    assert row == {
        "contains_null": False, "c": True, "prefix": True, "suffix": False, "strip": "YQL",
        "ascii_lower": "Àbc", "lower": "àbc", "ascii_upper": "ABC",
        "all_": "aXYcaXYc", "first": "acabc", "last": "abse", "last_overlapping": "aX",
        "first_of_nothing": "Xabc", "removed": "bdo",
        # bytes from 0: "é" is two
        "find_bytes": 3, "not_found": -1, "find_from": 4, "rfind": 4,
        "sub_bytes": "llo", "sub": "bcd", "sub_past_end": "",
        "b64": "WVFM", "hex": "59514C",
        "lpad": "   ab", "lpad0": "00ab", "lpad_long": "abcdef", "rpad": "ab  ",
        "distance": 3, "strip_null": None}


def test_unicode_functions_count_characters(both):
    [row] = same_rows(both, """
        SELECT
            Unicode::GetLength("жніўня") AS length, Unicode::Find("aaa", "bb") AS not_found,
            Unicode::Find("жніўня", "ў") AS found, Unicode::Find("abcabc", "b", 2) AS from_2,
            Unicode::Substring("0123456789abcdefghij", 10) AS tail,
            Unicode::Substring("жніўня", 1, 2) AS middle,
            Unicode::ReplaceLast("absence", "enc", "") AS replaced,
            Unicode::RemoveAll("abandon", "an") AS removed,
            Unicode::ToUpper("жніўня") AS upper,
            Unicode::JoinFromList(Unicode::SplitToList("One, two, three, four, five", ", ",
                                                       2 AS Limit), "|") AS limited""")
    assert row == {"length": 6, "not_found": None, "found": 3, "from_2": 4,
                   "tail": "abcdefghij", "middle": "ні", "replaced": "abse", "removed": "bdo",
                   "upper": "ЖНІЎНЯ", "limited": "One|two|three, four, five"}


def test_math_functions_are_libms_on_doubles(both):
    [row] = same_rows(both, """
        SELECT
            Math::Pi() AS pi, Math::E() AS e, Math::Sqrt(256) AS sqrt,
            Math::Trunc(1.2345) AS trunc, Math::Atan2(1, 0) AS atan2, Math::Pow(2, 10) AS pow,
            Math::Round(1.2345, -2) AS round, Math::Round(1250, 2) AS round_hundreds,
            Math::Round(2.5) AS round_half, Math::Rint(2.5) AS rint,
            Math::Mod(-1, 7) AS mod, Math::Rem(-1, 7) AS rem, Math::Mod(5, 0) AS mod_zero,
            Math::IsNaN(0.0 / 0.0) AS nan, Math::IsFinite(1.0 / 0.0) AS finite,
            Math::Floor(-1.5) AS floor, Math::Abs(-3) AS abs,
            Math::Sqrt(-1) AS sqrt_negative, Math::Log(0) AS log_zero""")
    # NaN and infinities come back as text, as prod reads a result (yql_doubles); Log of 0
    # is NaN, not libm's -inf (math_ir.h, POSITIVE_SINGLE_ARG_FUNCS)
    assert (row.pop("sqrt_negative"), row.pop("log_zero")) == ("nan", "nan")
    assert row == {"pi": math.pi, "e": math.e, "sqrt": 16.0, "trunc": 1.0,
                   "atan2": math.pi / 2, "pow": 1024.0, "round": 1.23,
                   "round_hundreds": 1300.0, "round_half": 3.0, "rint": 2.0,
                   "mod": 6, "rem": -1, "mod_zero": None, "nan": True, "finite": False,
                   "floor": -2.0, "abs": 3.0}


def test_re2_functions_give_the_pages_example_and_yqls_empty_values(both):
    rows = same_rows(both, """
        $match = Re2::Match("[ax]+\\\\d");
        $grep = Re2::Grep("a.*");
        $replace = Re2::Replace("x(a+)x");
        $count = Re2::Count("a");
        SELECT
            $match(value) AS match, $grep(value) AS grep,
            $replace(value, "b\\\\1z") AS replace, $count(value) AS count,
            Re2::Grep("(?i)A@B")(value) AS grep_flags
        FROM `//tmp/u` WHERE i IN (1, 7) ORDER BY i""")
    assert rows == [{"match": False, "grep": True, "replace": "a@b@c", "count": 1,
                     "grep_flags": True},
                    {"match": False, "grep": False, "replace": None, "count": 0,
                     "grep_flags": False}]
    [row] = same_rows(both, 'SELECT Re2::Replace("x(a+)x")("xaaxaaxaa", "b\\\\1z") AS r, '
                            'Re2::Count("a")("xaaxaaxaa") AS n, '
                            'Re2::Match("[ax]+\\\\d")("xaaxaaxaa") AS m')
    assert row == {"r": "baazaaxaa", "n": 6, "m": False}


def test_a_udf_inside_arithmetic_and_another_udf(both):
    [row] = same_rows(both, 'SELECT String::Find("abcabc", "c") / 2 AS half, '
                            'Unicode::GetLength(String::ReplaceAll("aXbX", "X", "")) + 1 AS n, '
                            'String::Contains(String::AsciiToLower("ABC"), "b") '
                            'AND Math::Pi() > 3 AS both_')
    assert row == {"half": 1, "n": 3, "both_": True}


@pytest.mark.parametrize("query, line", [
    ("SELECT Python::f(value) FROM `//tmp/u`", "the UDF Python::f is not supported in {where}"),
    ("SELECT DateTime::TimeOfDay(value) FROM `//tmp/u`",
     "the UDF DateTime::TimeOfDay is not supported in {where}"),
    ("SELECT String::Nope(value) FROM `//tmp/u`", "the UDF String::Nope is not supported"),
    ("SELECT Re2::Grep('a', Re2::Options(false AS CaseSensitive))(value) FROM `//tmp/u`",
     "the UDF Re2::Options is not supported"),
    ("SELECT Re2::Grep('a') AS f FROM `//tmp/u`", "Re2::Grep(pattern) makes a function"),
    ("SELECT String::SplitToList(value, '@', 1 AS Limit, true AS SkipEmpty) FROM `//tmp/u`",
     "SplitToList with Limit and SkipEmpty or DelimeterString is not supported"),
    ("SELECT String::Contains(value) FROM `//tmp/u`",
     "String::Contains takes 2 argument(s), got 1"),
    ("SELECT String::SplitToList(value, '@', 1 AS Limitt) FROM `//tmp/u`",
     "String::SplitToList has no argument named Limitt"),
])
def test_a_udf_dev_cannot_give_fails_alike_naming_it(both, query, line):
    fails_alike(both, query, line)


def test_math_round_log_asinh_and_mod_are_yqls_own(both):
    # yql/essentials/udfs/common/math/lib/round.h: Round is RoundToDecimal, floor(v / 10^p
    # + 0.5) * 10^p, so a half rounds up, -2.5 to -2 (not away from zero, as DuckDB's
    # round); Mod adds the divisor only to a remainder of the other sign, never
    # overflowing, and both take and give an Int64 (math_udf.cpp: TOptional<i64>(i64, i64)).
    # math_ir.h: Log, Log2 and Log10 give NaN for a value <= 0 (POSITIVE_SINGLE_ARG_FUNCS),
    # and Asinh is asin (SINGLE_ARG_FUNCS: XX(Asinh, asin)).
    [row] = same_rows(both, """
        SELECT
            Math::Round(-2.5) AS round_minus_half, Math::Round(-1.5) AS round_minus_1_5,
            Math::Round(-1250, 2) AS round_minus_hundreds,
            Math::Round(0.29, -1) AS round_tenths, Math::Round(15, 400) AS round_huge,
            Math::Round(1.5, -400) AS round_tiny, Math::Round(NULL) AS round_null,
            Math::Log(0) AS log_zero, Math::Log10(-0.0) AS log10_zero,
            Math::Log2(CAST("-inf" AS Double)) AS log2_minus_inf, Math::Log(NULL) AS log_null,
            Math::Asinh(0.5) AS asinh,
            Math::Mod(9223372036854775806, 9223372036854775807) AS mod_big,
            Math::Mod(-1, -7) AS mod_negative, Math::Rem(-7, 2) AS rem""")
    nan = "nan"  # NaN comes back as text, as prod reads a result (yql_doubles)
    assert row == {"round_minus_half": -2.0, "round_minus_1_5": -1.0,
                   "round_minus_hundreds": -1200.0, "round_tenths": 0.3, "round_huge": 0.0,
                   "round_tiny": 1.5, "round_null": None,
                   "log_zero": nan, "log10_zero": nan, "log2_minus_inf": nan, "log_null": None,
                   "asinh": math.asin(0.5),
                   "mod_big": 9223372036854775806, "mod_negative": -1, "rem": -1}


def test_math_mod_writes_an_int64_column(both):
    dev, prod = both
    query = ("INSERT INTO `//tmp/mod` WITH TRUNCATE "
             "SELECT Math::Mod(7, 3) AS mod, Math::Rem(7, 3) AS rem FROM `//tmp/u` WHERE i = 1")
    for client in (dev, prod):
        client.run_yql(query)
        assert [(c["name"], c["type"]) for c in client.declared_schema("//tmp/mod")["columns"]] \
            == [("mod", "int64"), ("rem", "int64")]
        assert list(client.read_table("//tmp/mod")) == [{"mod": 1, "rem": 1}]


def test_math_mod_of_a_double_fails_as_yqls_type_check(both):
    dev, prod = both
    for client in (dev, prod):
        with pytest.raises(QueryFailed) as failed:
            client.run_yql("SELECT Math::Mod(7.5, 2) AS m")
        assert "Math::Mod takes integers (Int64), not a Double" in str(failed.value)


def test_re2_count_is_the_number_of_global_replacements(both):
    # re2_udf.cpp, COUNT: the count is what RE2::GlobalReplace(&input, regexp, "") returns,
    # and GlobalReplace takes no empty match right where the last match ended: "a*" in
    # "baaab" matches "" before the first b, "aaa", and "" at the end: 3, not 4
    [row] = same_rows(both, 'SELECT Re2::Count("a*")("baaab") AS star, '
                            'Re2::Count("")("abc") AS empty, Re2::Count("x?")("") AS nothing, '
                            'Re2::Count("a")("xaaxaaxaa") AS page, Re2::Count("a")(NULL) AS null')
    assert row == {"star": 3, "empty": 4, "nothing": 1, "page": 6, "null": 0}


def test_pads_take_a_filler_and_count_bytes(both):
    # string_udf.cpp, STRING_STREAM_PAD_FORMATTER_UDF: LeftPad and RightPad alike are
    # char*(TAutoMap<char*>, ui64, TOptional<char*>), util's LeftPad/RightPad of a
    # TStringBuf: the width counts bytes, "жж" being four
    [row] = same_rows(both, 'SELECT String::RightPad("ab", 4, "*") AS right_filled, '
                            'String::LeftPad("жж", 5) AS left_bytes, '
                            'String::RightPad("жж", 6, "*") AS right_bytes, '
                            'String::LeftPad("жж", 3, "0") AS left_wide, '
                            'String::RightPad(NULL, 3) AS right_null')
    assert row == {"right_filled": "ab**", "left_bytes": " жж", "right_bytes": "жж**",
                   "left_wide": "жж", "right_null": None}


def test_fmod_keeps_the_dividends_sign(both):
    # math_ir.h: XX(Fmod, fmod, double), libm's fmod: the remainder has the dividend's sign
    # and fmod(x, 0) is NaN (DuckDB's own fmod gave 1 for fmod(-7, 2))
    [row] = same_rows(both, 'SELECT Math::Fmod(-7, 2) AS minus, Math::Fmod(7.5, -2) AS plus, '
                            'Math::Fmod(1, 0) AS zero, Math::Fmod(7, CAST("inf" AS Double)) AS inf, '
                            'Math::Fmod(NULL, 2) AS null')
    assert row == {"minus": -1.0, "plus": 1.5, "zero": "nan", "inf": 7.0, "null": None}


def test_an_index_into_split_to_list_counts_from_0(both):
    # String's canonical List.sql selects String::SplitToList(value, "@")[0] AS first, and
    # its canondata (test.test_List_/results.txt) gives "a" for "a@b@c", "" for "@a@b@c"
    rows = same_rows(both, """
        $parts = String::SplitToList(value, "@");
        SELECT String::SplitToList(value, "@")[0] AS first, $parts[1] AS second,
               (String::SplitToList(value, "@"))[2] AS third,
               String::SplitToList(value, "@")[ 1 + 1 ] AS sum_index,
               String::SplitToList(value, "@")[5] AS past_end
        FROM `//tmp/u` WHERE i IN (1, 2, 7) ORDER BY i""")
    assert rows == [
        {"first": "a", "second": "b", "third": "c", "sum_index": "c", "past_end": None},
        {"first": "", "second": "a", "third": "b", "sum_index": "b", "past_end": None},
        {"first": None, "second": None, "third": None, "sum_index": None, "past_end": None}]


def test_split_by_an_empty_set_keeps_the_string_whole(both):
    # string_udf.cpp, TSplitToList: DelimeterString false splits with util's SplitBySet at
    # any of the delimiter's characters; an empty one has none, so nothing splits
    [row] = same_rows(both, 'SELECT String::SplitToList("a b", "", false AS DelimeterString) AS a, '
                            'String::SplitToList("x^y-z", "^-", false AS DelimeterString) AS b')
    assert row == {"a": ["a b"], "b": ["x", "y", "z"]}


#: the values of the String module's canonical Find.sql (its input)
FIND_VALUES = ["fdsa", "aswedfg", "asdadsaasd", "gdsfsassas", "", "`Привет, мир!`"]


def test_find_gives_the_canonical_results(prod_client, tmp_path):
    # String's canonical Find.sql and its canondata (test.test_Find_/results.txt): a String
    # is bytes, so LevensteinDistance of the Cyrillic value from "as" is 23 (dev gave 14,
    # its characters); Unicode::LevensteinDistance counts its 14 code points
    both = dev_and_fake(prod_client, tmp_path, {"//tmp/f": [
        {"i": i, "value": value} for i, value in enumerate(FIND_VALUES)]})
    rows = same_rows(both, """
        SELECT String::Contains(value, "as") AS contains, String::StartsWith(value, "as") AS starts,
               String::EndsWith(value, "as") AS ends, String::Find(value, "as") AS find,
               String::ReverseFind(value, "as") AS rfind,
               String::LevensteinDistance(value, "as") AS levenstein,
               Unicode::LevensteinDistance(value, "as") AS code_points
        FROM `//tmp/f` ORDER BY i""")
    canonical = [(False, False, False, -1, -1, 3), (True, True, False, 0, 0, 5),
                 (True, True, False, 0, 7, 8), (True, False, True, 5, 8, 8),
                 (False, False, False, -1, -1, 2), (False, False, False, -1, -1, 23)]
    assert [(r["contains"], r["starts"], r["ends"], r["find"], r["rfind"], r["levenstein"])
            for r in rows] == canonical
    assert [r["code_points"] for r in rows] == [3, 5, 8, 8, 2, 14]


def test_unicode_remove_all_with_a_utf8_literal_gives_the_canonical_results(prod_client,
                                                                            tmp_path):
    # Unicode's canonical Remove.sql (Unicode::RemoveAll(value, "фа"u)) and its canondata
    # (test.test_Remove-Results_/results.txt); "..."u is a Utf8 literal (lexer.md, "String
    # literals"), which dev and the fake read as a syntax error
    values = ["ываыва", "ячсячсяаачы", "аавыаываыва", "gd2цй3ываафы", ""]
    both = dev_and_fake(prod_client, tmp_path, {"//tmp/r": [
        {"i": i, "value": value} for i, value in enumerate(values)]})
    rows = same_rows(both, 'SELECT Unicode::RemoveAll(value, "фа"u) AS all, "x"s || \'y\'U AS xy '
                           'FROM `//tmp/r` ORDER BY i')
    assert [row["all"] for row in rows] == ["ывыв", "ячсячсячы", "выывыв", "gd2цй3ывы", ""]
    assert {row["xy"] for row in rows} == {"xy"}


@pytest.mark.parametrize(("literal", "kind"), [
    ('"{a=1}"y', "Yson"), ("'[1]'j", "Json"), ('"a"pt', "PostgreSQL text")])
def test_a_string_literal_of_a_type_dev_does_not_model_is_refused(prod_client, tmp_path,
                                                                  literal, kind):
    both = dev_and_fake(prod_client, tmp_path, {"//tmp/r": [{"i": 1}]})
    suffix = literal.rsplit(literal[0], 1)[1]
    fails_alike(both, f"SELECT {literal} AS v FROM `//tmp/r`",
                f'YQL: a string literal of type {kind} ("..."{suffix}) is not supported '
                "in {where}; write a String and convert it")
