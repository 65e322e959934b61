"""YQL's lists give YQL's values in dev and on the fake query tracker alike: an index counts
from 0, and the List... built-ins dev runs give what YQL gives; the others are refused by name.

The values follow ydb-platform/ydb: an index, ydb/docs/en/core/yql/reference/yql-docs-core-2/
syntax/_includes/expressions/items-access.md (List<> takes square brackets, "If no value is
found, an empty value (NULL) is returned") and String's canonical List.sql
(SplitToList("a@b@c", "@")[0] is "a"); the functions, yql/essentials/docs/en/builtins/list.md
(its examples: ListFlatten([null,[3,4],[5,6]]) is [3,4,5,6], ListNotNull([3,null,4]) is
[3,4]; ListHas takes NULLs for equal and gives false for a NULL list; ListIndexOf counts from
0, NULL when missing; ListExtend is NULL when a list is) and ListIndexOf's FindIndex in
yql/essentials/mount/lib/yql/core.yqls (an item found by `==`: a NULL one is never found).
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake, fails_alike, same_rows

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

#: the rows of //tmp/tags, a table a YQL INSERT wrote: its column of lists is a List, as a
#: table's schema declares it (the same column written by write_table has no schema and is
#: Yson to YQL: test_prod_yql_yson)
TAGS = [{"i": 1, "tags": ["a", "b", None]}, {"i": 2, "tags": []}, {"i": 3, "tags": ["c"]}]
WRITE_TAGS = """
    INSERT INTO `//tmp/tags` WITH TRUNCATE
    SELECT 1 AS i, AsList("a", "b", NULL) AS tags UNION ALL SELECT 2 AS i, [] AS tags
    UNION ALL SELECT 3 AS i, AsList("c") AS tags"""


@pytest.fixture
def both(prod_client, tmp_path):
    clients = dev_and_fake(prod_client, tmp_path)
    for client in clients:
        client.run_yql(WRITE_TAGS)
    assert same_rows(clients, "SELECT i, tags FROM `//tmp/tags` ORDER BY i") == TAGS
    return clients


def same_row(both, query: str) -> dict:
    [row] = same_rows(both, query)
    return row


def test_an_index_counts_from_0_and_finds_nothing_past_the_end(both):
    row = same_row(both, """
        SELECT AsList(10, 20, 30)[0] AS first, [10, 20, 30][2] AS last,
               AsList(10, 20, 30)[3] AS past_end, AsList(10, 20, 30)[-1] AS negative,
               AsList(10, 20, 30)[1 + 1] AS computed, AsList(10, NULL)[1] AS null_item,
               AsList(AsList(1, 2), AsList(3, 4))[1][0] AS nested""")
    assert row == {"first": 10, "last": 30, "past_end": None, "negative": None,
                   "computed": 30, "null_item": None, "nested": 3}


def test_an_index_into_any_list_expression_counts_from_0(both):
    row = same_row(both, """
        $parts = String::SplitToList("b,c,a", ",");
        SELECT ListSort($parts)[0] AS sorted_first,
               ListReverse(String::SplitToList("x@y@z", "@"))[0] AS reversed_first,
               ListSortDesc(AsList(3, 1, 2))[0] AS largest,
               $parts[1] AS named""")
    assert row == {"sorted_first": "a", "reversed_first": "z", "largest": 3, "named": "c"}


def test_a_list_column_is_indexed_from_0(both):
    rows = same_rows(both, """
        SELECT i, tags[0] AS first, tags[1] AS second, tags[3] AS past_end
        FROM `//tmp/tags` ORDER BY i""")
    assert rows == [{"i": 1, "first": "a", "second": "b", "past_end": None},
                    {"i": 2, "first": None, "second": None, "past_end": None},
                    {"i": 3, "first": "c", "second": None, "past_end": None}]


def test_a_list_a_query_wrote_is_indexed_from_0(both):
    for client in both:
        client.run_yql('INSERT INTO `//tmp/written` WITH TRUNCATE '
                       'SELECT 1 AS k, AsList("p", "q") AS l')
    rows = same_rows(both, """
        SELECT l[0] AS first, l[1] AS second, ListLength(l) AS n FROM `//tmp/written`""")
    assert rows == [{"first": "p", "second": "q", "n": 2}]


def test_list_functions_give_yqls_values(both):
    rows = same_rows(both, """
        SELECT i, ListLength(tags) AS length, ListHasItems(tags) AS has_items,
               ListHas(tags, NULL) AS has_null, ListHas(tags, "c") AS has_c,
               ListHead(tags) AS head, ListLast(tags) AS last,
               ListSort(tags) AS sorted, ListSortDesc(tags) AS sorted_desc,
               ListUniq(ListExtend(tags, tags)) AS uniq, ListReverse(tags) AS reversed,
               ListSkip(tags, 1) AS skipped, ListTake(tags, 1) AS taken,
               ListIndexOf(tags, "b") AS index_b, ListIndexOf(tags, NULL) AS index_null,
               ListCollect(tags) AS collected, ListNotNull(tags) AS not_null
        FROM `//tmp/tags` ORDER BY i""")
    assert rows == [
        {"i": 1, "length": 3, "has_items": True, "has_null": True, "has_c": False,
         "head": "a", "last": None, "sorted": [None, "a", "b"],
         "sorted_desc": ["b", "a", None], "uniq": [None, "a", "b"],
         "reversed": [None, "b", "a"], "skipped": ["b", None], "taken": ["a"],
         "index_b": 1, "index_null": None, "collected": ["a", "b", None],
         "not_null": ["a", "b"]},
        {"i": 2, "length": 0, "has_items": False, "has_null": False, "has_c": False,
         "head": None, "last": None, "sorted": [], "sorted_desc": [], "uniq": [],
         "reversed": [], "skipped": [], "taken": [], "index_b": None, "index_null": None,
         "collected": [], "not_null": []},
        {"i": 3, "length": 1, "has_items": True, "has_null": False, "has_c": True,
         "head": "c", "last": "c", "sorted": ["c"], "sorted_desc": ["c"], "uniq": ["c"],
         "reversed": ["c"], "skipped": [], "taken": ["c"], "index_b": None,
         "index_null": None, "collected": ["c"], "not_null": ["c"]},
    ]


def test_aggregates_extend_and_flatten_give_yqls_values(both):
    row = same_row(both, """
        SELECT ListSum(AsList(1, 2, NULL)) AS sum, ListMin(AsList(3, 1, 2)) AS min,
               ListMax(AsList(3, NULL, 2)) AS max, ListAvg(AsList(1, 2)) AS avg,
               ListSum(ListTake(AsList(1), 0)) AS sum_empty,
               ListExtend(AsList(1), AsList(2, 3), AsList(4)) AS extended,
               ListExtend(AsList(1), NULL) AS extended_null,
               ListHas(NULL, 1) AS has_in_null,
               ListFlatten([[1, 2], [3, 4]]) AS flat, ListFlatten([NULL, [3, 4], [5, 6]]) AS flat_null,
               ListNotNull([3, NULL, 4]) AS not_null""")
    assert row == {"sum": 3, "min": 1, "max": 3, "avg": 1.5, "sum_empty": None,
                   "extended": [1, 2, 3, 4], "extended_null": None, "has_in_null": False,
                   "flat": [1, 2, 3, 4], "flat_null": [3, 4, 5, 6], "not_null": [3, 4]}


def test_list_map_and_filter_take_a_lambda(both):
    rows = same_rows(both, """
        SELECT i, ListFilter(AsList(1, 2, 3), ($x) -> { RETURN $x > 1; }) AS filtered,
               ListMap(AsList(7, -7, NULL), ($x) -> ($x / 2)) AS halves,
               ListMap(tags, ($t) -> { RETURN $t || "!" })[0] AS first_loud,
               ListFilter(String::SplitToList("a;;b", ";"), ($s) -> { RETURN $s != ""; })
                   AS parts
        FROM `//tmp/tags` WHERE i = 1""")
    # YQL's integer division cuts toward zero (-7 / 2 is -3); a `;` in a lambda's body
    # does not end the statement
    assert rows == [{"i": 1, "filtered": [2, 3], "halves": [3, -3, None],
                     "first_loud": "a!", "parts": ["a", "b"]}]


def test_list_concat_and_list_uniq_stable_give_yqls_values(both):
    # ListConcat: ListConcatWrapper in yql/essentials/core/type_ann/type_ann_list.cpp, a
    # Fold1 of AggrConcat, which skips NULL (so [] and [NULL] give NULL); with a separator,
    # each item after the first value is AggrConcat(Concat(state, separator), item), so a
    # later NULL still adds its separator and a NULL separator is none. ListUniqStable: the
    # first occurrences in the list's order (the Russian builtins/list.md, "ListUniq и
    # ListUniqStable": ListUniqStable([1, 2, 3, 2, 4, 5, 1]) is [1, 2, 3, 4, 5]).
    rows = same_rows(both, """
        SELECT i, ListConcat(tags) AS joined, ListConcat(tags, "; ") AS separated,
               ListConcat(ListReverse(tags), ",") AS leading_null,
               ListConcat(tags, CAST(NULL AS String)) AS no_separator,
               ListUniqStable(ListExtend(ListReverse(tags), tags)) AS uniq_stable
        FROM `//tmp/tags` ORDER BY i""")
    assert rows == [
        {"i": 1, "joined": "ab", "separated": "a; b; ", "leading_null": "b,a",
         "no_separator": "ab", "uniq_stable": [None, "b", "a"]},
        {"i": 2, "joined": None, "separated": None, "leading_null": None,
         "no_separator": None, "uniq_stable": []},
        {"i": 3, "joined": "c", "separated": "c", "leading_null": "c", "no_separator": "c",
         "uniq_stable": ["c"]},
    ]
    [row] = same_rows(both, "SELECT ListUniqStable([1, 2, 3, 2, 4, 5, 1]) AS page, "
                            "ListConcat(AsList(NULL, 'x', NULL, 'y'), '-') AS inner_null")
    assert row == {"page": [1, 2, 3, 4, 5], "inner_null": "x--y"}


@pytest.mark.parametrize(("query", "line"), [
    ("SELECT ListZip(AsList(1), AsList(2)) AS z",
     "YQL: the function ListZip is not supported in {where}"),
    ("SELECT ListEnumerate(AsList(1)) AS z",
     "YQL: the function ListEnumerate is not supported in {where}"),
    ("SELECT ListConcat(AsList(1, 2)) AS z",
     "YQL: ListConcat joins a list of strings only, not a list of DuckDB type INTEGER[]"),
    ("SELECT ListFromRange(1, 3) AS z",
     "YQL: the function ListFromRange is not supported in {where}"),
    ("SELECT ListMap(AsList(-1), Math::Abs) AS z",
     "YQL: ListMap is supported in {where} with a lambda written in the call only"),
    ("SELECT ListSort(AsList(2, 1), ($x) -> (-$x)) AS z",
     "YQL: ListSort with a key function (its second argument) is not supported in {where}"),
    ("SELECT ListMap(AsList(1), ($x) -> { $y = $x; RETURN $y; }) AS z",
     "YQL: a lambda's body other than one RETURN expression is not supported in {where}"),
])
def test_the_other_list_functions_are_refused_by_name(both, query, line):
    fails_alike(both, query, line)


def test_integer_lists_appended_to_a_list_of_doubles_become_doubles(both):
    # YQL converts a List<Int32> into the table's List<Double> item by item, as it does an
    # Int64 into a Double column (TryConvertToImpl's List branch, yql/essentials/core/
    # yql_expr_type_annotation.cpp, ydb-platform/ydb), in dev and on the fake alike
    for client in both:
        client.run_yql("INSERT INTO `//tmp/scores` WITH TRUNCATE "
                       "SELECT 1 AS k, AsList(1.5, 2.5) AS s")
        client.run_yql("INSERT INTO `//tmp/scores` SELECT 2 AS k, AsList(1, 2) AS s")
    rows = [list(client.read_table("//tmp/scores")) for client in both]
    assert rows[0] == rows[1] == [{"k": 1, "s": [1.5, 2.5]}, {"k": 2, "s": [1.0, 2.0]}]
    assert all(isinstance(item, float) for each in rows for row in each for item in row["s"])
    assert same_rows(both, "SELECT k, ListSum(s) AS total FROM `//tmp/scores` ORDER BY k") == [
        {"k": 1, "total": 4.0}, {"k": 2, "total": 3.0}]


def test_a_list_of_strings_is_not_appended_to_a_list_of_doubles(both):
    # a String converts to no Double: the append is refused as before
    fails_alike(both, "INSERT INTO `//tmp/tags` SELECT 4 AS i, AsList(1.5) AS tags",
                'row type differs from the written row type')
