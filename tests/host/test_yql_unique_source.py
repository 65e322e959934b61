"""Which INSERT ... SELECT statements carry the unique key of the one table they read
(yql_unique_source): the plain shapes YQL's constraints pass a distinct constraint through,
and none other."""

from __future__ import annotations

import pytest

from yt_pipeline.yql_unique_source import plain_read, source_unique_key

INSERT = "INSERT INTO `//o` WITH TRUNCATE "


@pytest.mark.parametrize(("select", "distinct"), [
    ("SELECT * FROM `//t/u` ORDER BY k", ["k"]),
    ("SELECT * FROM plato.`//t/u` WHERE v > 1 ORDER BY k LIMIT 3 OFFSET 1", ["k"]),
    ("SELECT `k` AS `id`, v FROM `//t/u` ORDER BY id", ["id"]),
    ("SELECT a.k, Length(a.v) AS n FROM `//t/u` AS a ORDER BY k", ["k"]),
    # the key written twice, or not at all: no single column set is claimed
    ("SELECT *, k AS k2 FROM `//t/u` ORDER BY k", None),
    ("SELECT k + 1 AS k FROM `//t/u` ORDER BY k", None),
    ("SELECT v FROM `//t/u` ORDER BY v", None),
])
def test_a_plain_select_carries_the_key_as_written(select, distinct):
    read = plain_read(INSERT + select)
    assert read is not None and read.path == "//t/u"
    assert read.distinct_by(["k"]) == distinct


@pytest.mark.parametrize("select", [
    "SELECT * FROM `//t/u` AS a JOIN `//t/x` AS b USING (k) ORDER BY k",
    "SELECT * FROM (SELECT * FROM `//t/u`) ORDER BY k",
    "SELECT DISTINCT * FROM `//t/u` ORDER BY k",
    "SELECT k, COUNT(*) AS c FROM `//t/u` GROUP BY k ORDER BY k",
    "SELECT * FROM `//t/u` UNION ALL SELECT * FROM `//t/x`",
    "SELECT * FROM `//t/u` FLATTEN BY v ORDER BY k",
    "SELECT k, ROW_NUMBER() OVER w AS n FROM `//t/u` WINDOW w AS (ORDER BY k) ORDER BY k",
    "SELECT * WITHOUT v FROM `//t/u` ORDER BY k",
])
def test_other_shapes_carry_nothing(select):
    assert plain_read(INSERT + select) is None


def test_a_select_alone_writes_nothing():
    assert plain_read("SELECT * FROM `//t/u` ORDER BY k") is None


def test_a_key_of_a_hidden_column_or_without_unique_keys_is_no_distinct_key():
    assert source_unique_key(["k", "v"], True) == ["k", "v"]
    assert source_unique_key(["k"], False) is None
    assert source_unique_key(["k", "_yql_column_0"], True) is None
    assert source_unique_key(None, True) is None
