"""More of YQL's String UDFs, and Digest::Md5Hex, give YQL's values in dev and on the fake
query tracker alike.

The values follow YQL's source in ydb-platform/ydb: yql/essentials/udfs/common/string/
string_udf.cpp (IS_ASCII_UDF: true when every byte is of the class, so for "", false for
NULL; STRING_ASCII_CMP_IGNORE_CASE_UDF: false for NULL; Collapse is util's, util/string/
strip.h's CollapseImpl: each run of IsAsciiSpace characters becomes one space), util/string/
ascii.h for the classes, and the example of yql/essentials/docs/en/udf/list/digest.md
(Md5Hex("YQL")).
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake, same_rows

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")


@pytest.fixture
def both(prod_client, tmp_path):
    return dev_and_fake(prod_client, tmp_path)


def same_row(both, query: str) -> dict:
    [row] = same_rows(both, query)
    return row


def test_ascii_classes_hold_for_every_byte(both):
    row = same_row(both, """
        SELECT
            String::IsAscii("abc ~") AS ascii, String::IsAscii("héllo") AS ascii_not,
            String::IsAscii("") AS ascii_empty, String::IsAscii(NULL) AS ascii_null,
            String::IsAsciiSpace(" \\t\\n\\r") AS space, String::IsAsciiSpace("a ") AS space_not,
            String::IsAsciiUpper("ABC") AS upper, String::IsAsciiUpper("AbC") AS upper_not,
            String::IsAsciiLower("abc") AS lower, String::IsAsciiLower("ÿ") AS lower_not,
            String::IsAsciiDigit("0123") AS digit, String::IsAsciiDigit("12a") AS digit_not,
            String::IsAsciiAlpha("aZ") AS alpha, String::IsAsciiAlpha("a1") AS alpha_not,
            String::IsAsciiAlnum("a1Z") AS alnum, String::IsAsciiAlnum("a-1") AS alnum_not,
            String::IsAsciiHex("09afAF") AS hex, String::IsAsciiHex("0g") AS hex_not,
            String::IsAsciiHex(NULL) AS hex_null""")
    assert row == {"ascii": True, "ascii_not": False, "ascii_empty": True, "ascii_null": False,
                   "space": True, "space_not": False, "upper": True, "upper_not": False,
                   "lower": True, "lower_not": False, "digit": True, "digit_not": False,
                   "alpha": True, "alpha_not": False, "alnum": True, "alnum_not": False,
                   "hex": True, "hex_not": False, "hex_null": False}


def test_comparisons_ignore_the_case_of_ascii_letters_only(both):
    row = same_row(both, """
        SELECT
            String::AsciiStartsWithIgnoreCase("ASCII text", "as") AS starts,
            String::AsciiStartsWithIgnoreCase("text", "tex_") AS starts_not,
            String::AsciiEndsWithIgnoreCase("some TEXT", "text") AS ends,
            String::AsciiEqualsIgnoreCase("YQL", "yql") AS equal,
            String::AsciiEqualsIgnoreCase("Ÿ", "ÿ") AS equal_not_ascii,
            String::AsciiEqualsIgnoreCase(NULL, "") AS equal_null,
            String::AsciiStartsWithIgnoreCase(NULL, "a") AS starts_null""")
    assert row == {"starts": True, "starts_not": False, "ends": True, "equal": True,
                   "equal_not_ascii": False, "equal_null": False, "starts_null": False}


def test_collapse_and_md5(both):
    row = same_row(both, """
        SELECT
            String::Collapse("a  b\\t\\tc \\n d") AS runs, String::Collapse(" a\\tb ") AS ends,
            String::Collapse(NULL) AS collapse_null,
            Digest::Md5Hex("YQL") AS md5, Digest::Md5Hex(NULL) AS md5_null""")
    assert row == {"runs": "a b c d", "ends": " a b ", "collapse_null": None,
                   "md5": "1a0c1b56e9d617688ee345da4030da3c", "md5_null": None}
