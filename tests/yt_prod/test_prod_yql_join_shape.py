"""A JOIN's ON of a shape YQL refuses: YQL's words at the part's operator, the same in dev
and on the fake query tracker (core/yql_join_shape.py). DuckDB joined on any of them: a
non-equality, a literal or an expression, a column without its source.

YQL's words and places: TJoinBase::DoInit and InitKeysOrFilters in
yql/essentials/sql/v1/join.cpp (the checks, part by part, each side left first), and
TSqlExpression::BinOpList in yql/essentials/sql/v1/sql_expression.cpp (a comparison's
position is its operator's), ydb-platform/ydb.
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake, fails_exactly_alike, same_rows

from yt_pipeline.yql_join_shape import join_shape_error

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

TABLES = {"//tmp/ev": [{"user": "a", "day": 1}, {"user": "b", "day": 2}],
          "//tmp/o": [{"user": "a", "day": 1, "total": 3}],
          "//tmp/p": [{"user": "a", "note": "x"}]}
ON = "SELECT e.user FROM `//tmp/ev` AS e JOIN `//tmp/o` AS o ON "


@pytest.fixture
def both(prod_client, tmp_path):
    return dev_and_fake(prod_client, tmp_path, TABLES)


@pytest.mark.parametrize("on, line", [
    ("e.day > o.day", "YQL: 1:65: JOIN ON expression must be a conjunction of equality predicates"),
    ("e.user = o.user AND e.day != o.day",
     "YQL: 1:85: JOIN ON expression must be a conjunction of equality predicates"),
    ("e.day <> o.day", "YQL: 1:65: JOIN ON expression must be a conjunction of equality predicates"),
    ("e.day + 1 = o.day",
     "YQL: 1:69: JOIN: each equality predicate argument must depend on exactly one JOIN input"),
    ("e.user = 'a'",
     "YQL: 1:66: JOIN: each equality predicate argument must depend on exactly one JOIN input"),
    ("user = o.user", "YQL: 1:64: JOIN: column requires correlation name"),
    ("e.user == `user`", "YQL: 1:66: JOIN: column requires correlation name"),
    ("e.user = e.user",
     "YQL: 1:66: JOIN: different correlation names are required for joined tables"),
])
def test_an_on_of_a_shape_yql_refuses_fails_alike_at_its_operator(both, on, line):
    fails_exactly_alike(both, ON + on, line)


def test_sources_out_of_a_join_s_scope_or_not_its_own():
    three = ("SELECT 1 FROM `//tmp/ev` AS e JOIN `//tmp/o` AS o ON e.user = p.user\n"
             "JOIN `//tmp/p` AS p ON o.user = p.user")
    assert join_shape_error(three) == ("YQL: 1:61: JOIN: can not use source: p in equality "
                                       "predicate, it is out of current join scope")
    neither = ("SELECT 1 FROM `//tmp/ev` AS e JOIN `//tmp/o` AS o ON e.user = o.user\n"
               "JOIN `//tmp/p` AS p ON e.user = o.user")
    assert join_shape_error(neither) == ("YQL: 2:31: JOIN ON equality predicate must have "
                                         "one of its arguments from the rightmost source")


@pytest.mark.parametrize("on", [
    "e.user = o.user", "e.user == o.user AND o.day = e.day", "e.`user` = o.`user`",
    # shapes whose place YQL gives otherwise, left to DuckDB (which runs them)
    "(e.user = o.user)", "e.user = o.user OR e.day = o.day",
])
def test_an_on_yql_takes_or_one_not_read_here_runs(both, on):
    assert same_rows(both, ON + on) == [{"user": "a"}]


def test_an_on_cut_short_is_left_to_the_syntax_error():
    # nothing after the last AND: no part to read, and the parser's error stands
    assert join_shape_error(ON + "e.user = o.user AND") is None
    assert join_shape_error(ON + "e.user = o.user AND WHERE e.day > 1") is None


def test_an_unknown_source_in_an_earlier_part_is_told_first(both):
    # YQL stops at the first part; the unknown name is told in its words (yql_join_on)
    fails_exactly_alike(both, ON + "e.user = x.user AND e.day > o.day",
                        "YQL: 1:66: JOIN: unknown corellation name: x")
