"""Two JOIN mistakes YQL refuses in its own words, the same in dev and on the fake query
tracker (whose issue prod places in the query as written), where DuckDB said 'Referenced
table "z" not found!' and 'Column "k" does not exist on right side of join!'.

- Outside ON, `z.a` with a correlation name no source has is YQL's member `a` of a column
  `z`, and the joined row has none: "Member not found: z" where `z` stands, the hint among
  the row's `label.column` members (TJoinBase::AddColumn in yql/essentials/sql/v1/join.cpp;
  SqlColumnWrapper and FindOrReportMissingMember in yql/essentials/core/type_ann/
  type_ann_core.cpp).
- A USING column a side lacks: "Unknown column: k in correlation name: b", the left keys
  checked before the right ones (ParseJoinKeys in yql/essentials/core/yql_join.cpp), at the
  join's position, the first source's correlation name (TSqlSelect::JoinSource in
  yql/essentials/sql/v1/select.cpp takes the context's position after reading that source).

All in ydb-platform/ydb.
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake, fails_exactly_alike

from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_join_members import joined_members
from yt_pipeline.yql_join_on import in_join_on
from yt_pipeline.yql_join_sources import joined_sources
from yt_pipeline.yql_join_using import using_error_line
from yt_pipeline.yql_positions import code_tokens
from yt_pipeline_dev.client import DevClient

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

TABLES = {"//tmp/ev": [{"user": "a", "amount": 1.5, "day": 1}],
          "//tmp/o": [{"user": "a", "total": 3, "r": "x"}]}


@pytest.fixture
def both(prod_client, tmp_path):
    return dev_and_fake(prod_client, tmp_path, TABLES)


@pytest.mark.parametrize("query, line", [
    ("SELECT z.amount FROM `//tmp/ev` AS e JOIN `//tmp/o` AS o ON e.user = o.user",
     "YQL: 1:8: Member not found: z"),
    ("SELECT e.amount FROM `//tmp/ev` AS e\n  JOIN `//tmp/o` AS o ON e.user = o.user\n"
     "WHERE  z.day > 0", "YQL: 3:8: Member not found: z"),
    # in a function's brackets; the hint among the joined row's members: `o.r` for `oo`
    ("SELECT e.user, Math::Abs(oo.total) AS t\nFROM `//tmp/ev` AS e JOIN `//tmp/o` AS o "
     "ON e.user = o.user", "YQL: 1:26: Member not found: oo. Did you mean o.r?"),
])
def test_an_unknown_correlation_name_outside_on_fails_alike_as_a_missing_member(
        both, query, line):
    fails_exactly_alike(both, query, line)


@pytest.mark.parametrize("query, line", [
    # the right side lacks it
    ("SELECT e.user FROM `//tmp/ev` AS e JOIN `//tmp/o` AS o USING (amount)",
     "YQL: 1:34: Unknown column: amount in correlation name: o"),
    # the left side lacks it; a LEFT JOIN, over lines
    ("SELECT e.user\nFROM `//tmp/ev` AS e\n  LEFT JOIN `//tmp/o` AS o USING (user, total)",
     "YQL: 2:20: Unknown column: total in correlation name: e"),
    # in a subquery
    ("SELECT * FROM (SELECT e.user FROM `//tmp/ev` AS e JOIN `//tmp/o` AS o USING (day))",
     "YQL: 1:49: Unknown column: day in correlation name: o"),
])
def test_a_using_column_a_side_lacks_fails_alike_at_the_join(both, query, line):
    fails_exactly_alike(both, query, line)


# ON's columns are keys too, checked by the join alike (ParseJoinKeys), where dev said
# "Member not found: o.ttl" at the column, or DuckDB's 'Values list "e" does not have...'
@pytest.mark.parametrize("query, line", [
    ("SELECT e.user FROM `//tmp/ev` AS e JOIN `//tmp/o` AS o ON e.user = o.ttl",
     "YQL: 1:34: Unknown column: ttl in correlation name: o"),
    ("SELECT e.user FROM `//tmp/ev` AS e\n  JOIN `//tmp/o` AS o\n"
     "  ON o.user == e.user AND e.dya = o.total",
     "YQL: 1:34: Unknown column: dya in correlation name: e"),
])
def test_an_on_column_a_side_lacks_fails_alike_at_the_join(both, query, line):
    fails_exactly_alike(both, query, line)


def test_an_on_column_is_told_only_when_it_is_yqls_first_missing_key(tmp_path):
    dev = DevClient(tmp_path / ".dev")
    for path, rows in TABLES.items():
        dev.write_table(path, rows)
    join = "SELECT e.user FROM `//tmp/ev` AS e JOIN `//tmp/o` AS o ON "
    # a right key missing before a left one, which YQL checks first: DuckDB's words stay
    with pytest.raises(QueryFailed) as failed:
        dev.run_yql(join + "o.ttl = e.user AND e.user = o.user")
    assert "Unknown column" not in str(failed.value)
    # an ON of another shape is refused in other words
    with pytest.raises(QueryFailed) as failed:
        dev.run_yql(join + "e.user = o.ttl || 'x'")
    assert "Unknown column" not in str(failed.value)


def test_a_using_column_is_told_only_when_it_is_yqls_first_missing_key():
    query = "SELECT 1 FROM `//a` AS a JOIN `//b` AS b USING (k, j)"
    ran = ["SELECT 1 FROM t AS a JOIN t AS b USING (k, j)"]
    left = 'Binder Error: Column "k" does not exist on left side of join!'
    right = 'Binder Error: Column "{}" does not exist on right side of join!'
    assert using_error_line(query, ran, left) == \
        "YQL: 1:24: Unknown column: k in correlation name: a"
    assert using_error_line(query, ran, right.format("j")) == \
        "YQL: 1:24: Unknown column: j in correlation name: b"
    # YQL checks every left key first: `j` may be missing on the left as well
    assert using_error_line(query, ran, right.format("k")) is None
    # three sources: YQL refuses USING there in other words
    three = query + " JOIN `//c` AS c ON a.k = c.k"
    assert using_error_line(three, [three], left) is None


def _sources(query: str, reference: str) -> list[tuple[str | None, str]] | None:
    tokens = code_tokens(query)
    [index] = [i for i, t in enumerate(tokens) if t.text == reference]
    joined = joined_sources(tokens, index)
    return None if joined is None else [(s.path, s.label.text) for s in joined.sources]


def test_the_joined_sources_are_those_of_the_select_holding_the_reference():
    assert _sources("SELECT f(z.a) FROM `//a` AS a JOIN c.`//b` AS b ON a.k = b.k "
                    "WHERE a.k > 0", "z.a") == [("//a", "a"), ("//b", "b")]
    assert _sources("SELECT 1 FROM (SELECT z.a FROM `//a` AS a CROSS JOIN $b AS b) AS s",
                    "z.a") == [("//a", "a"), (None, "b")]
    # no JOIN there, or a source without a correlation name
    assert _sources("SELECT z.a FROM (SELECT * FROM `//a` AS a JOIN `//b` AS b USING (k))",
                    "z.a") is None
    assert _sources("SELECT z.a FROM `//a` JOIN `//b` AS b USING (k)", "z.a") is None


def _members(query: str, reference: str) -> list[str] | None:
    [at] = [t for t in code_tokens(query) if t.text == reference]
    tables = {"//a": ["k", "user"], "//b": ["k", "r"]}
    return joined_members(query, at, reference.split(".")[0], tables.get)


def test_the_joined_row_is_told_only_when_yql_reads_a_missing_member():
    join = " FROM `//a` AS a JOIN `//b` AS b ON a.k = b.k"
    assert _members("SELECT z.x" + join, "z.x") == ["a.k", "a.user", "b.k", "b.r"]
    # a source's column `user`: YQL reads `user.x` as its member x
    assert _members("SELECT user.x" + join, "user.x") is None
    # a subquery's columns, or an unknown table's, are not known here
    assert _members("SELECT z.x FROM (SELECT 1 AS k) AS a JOIN `//b` AS b ON a.k = b.k",
                    "z.x") is None
    assert _members("SELECT z.x FROM `//c` AS a JOIN `//b` AS b ON a.k = b.k", "z.x") is None


def test_a_reference_in_on_is_told_apart_from_one_elsewhere():
    def on(query: str, reference: str) -> bool:
        [at] = [t for t in code_tokens(query) if t.text == reference]
        return in_join_on(query, at)
    join = "SELECT z.a FROM `//a` AS a JOIN `//b` AS b ON "
    assert on(join + "(a.k = z.k) WHERE y.k > 0", "z.k")
    assert on(join + "f(a.k) = (z.k)", "z.k")
    assert not on(join + "(a.k = b.k) WHERE f((a.k), y.k) > 0", "y.k")
    assert not on(join + "a.k = b.k", "z.a")
