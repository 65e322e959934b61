"""Where a YQL query's statements end (yt_pipeline.yql_statements), read once for dev mode,
the named expressions, the fake query tracker and the prod backend's query reading.

What YQL's lexer reads: ydb/docs/en/core/yql/reference/syntax/lexer.md (ydb-platform/ydb):
`;` between statements, the last one optional; `--` and `/* */` comments, each a space;
strings in ' or " and names in backticks with C escapes; `@@...@@` strings, `@@@@` in them
an `@@`."""

from __future__ import annotations

import pytest

from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_rules import statements
from yt_pipeline.yql_statements import split_statements, statement_spans


@pytest.mark.parametrize("query, expected", [
    # a `;` in a string, an escaped quote before it
    ("SELECT 'a;b', \"c;d\"; SELECT 1", ["SELECT 'a;b', \"c;d\"", "SELECT 1"]),
    ("SELECT 'it\\';s' AS x; SELECT \"\\\\\"; SELECT 2",
     ["SELECT 'it\\';s' AS x", 'SELECT "\\\\"', "SELECT 2"]),
    # in comments, which become a space each
    ("SELECT 1 -- one; two\n; SELECT /* ; */ 2", ["SELECT 1", "SELECT   2"]),
    ("SELECT 1 --;\n", ["SELECT 1"]),
    # in a backticked path or name, escaped backticks included
    ("INSERT INTO `//tmp/a;b` SELECT 1 AS `c\\`;d`, 2 AS `e``;f`; SELECT 3",
     ["INSERT INTO `//tmp/a;b` SELECT 1 AS `c\\`;d`, 2 AS `e``;f`", "SELECT 3"]),
    # in a multi-line string, `@@@@` inside it
    ("SELECT @@a;\n@@@@;b@@; SELECT 4", ["SELECT @@a;\n@@@@;b@@", "SELECT 4"]),
    # empty statements, of spaces or comments, and a last `;`
    (";; SELECT 5 ;  ; /* c */ ; -- d\n;", ["SELECT 5"]),
    ("SELECT 6;", ["SELECT 6"]),
    ("  ", []),
])
def test_split_statements_cuts_at_the_semicolons_of_the_code(query, expected):
    assert split_statements(query) == expected


def test_statement_spans_keep_empty_statements_and_comments_as_written():
    query = "SELECT 1 /* ; */;; SELECT ';' -- ;\n"
    assert [query[a:b] for a, b in statement_spans(query)] == [
        "SELECT 1 /* ; */", "", " SELECT ';' -- ;\n"]


@pytest.mark.parametrize("query, line", [
    ("SELECT 1; /* open", "YQL: 1:11: unterminated /* comment (line 1, column 11 of the query)"),
    ("SELECT 1;\nSELECT 'a;b", "YQL: 2:8: unterminated ' quote (line 2, column 8 of the query)"),
    ("SELECT \"a\\\"", "YQL: 1:8: unterminated \" quote (line 1, column 8 of the query)"),
    ("SELECT `a``", "YQL: 1:8: unterminated ` quote (line 1, column 8 of the query)"),
    ("SELECT @@a@@@@", "YQL: 1:8: unterminated @@ string (line 1, column 8 of the query)"),
])
def test_an_unterminated_comment_string_or_name_is_refused_in_one_line(query, line):
    with pytest.raises(QueryFailed) as failure:
        split_statements(query)
    assert str(failure.value) == line


def test_the_prod_reading_of_a_query_takes_at_signs_and_escaped_names_whole():
    found = statements("SELECT @@a@@@@;b@@ AS `c\\`;d`; PRAGMA x")
    assert [[(t.kind, t.text) for t in s.tokens] for s in found] == [
        [("word", "SELECT"), ("string", "a@@;b"), ("word", "AS"), ("name", "c`;d")],
        [("word", "PRAGMA"), ("word", "x")]]
    assert found[1].start == 31  # where PRAGMA stands in the whole query
