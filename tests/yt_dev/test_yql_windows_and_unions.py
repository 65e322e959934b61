"""Window frames and UNION ALL in dev as on a cluster: rows and written column types.

Sources (ytsaurus/ytsaurus):
- yt/docs/en/yql/syntax/window.md, "Frame": with ORDER BY and no frame of its own a window
  is ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW (SQL's and DuckDB's default is RANGE,
  whose frame holds the current row's peers); without ORDER BY it is the whole partition;
- yt/docs/en/yql/syntax/window.md and builtins/window.md: ROW_NUMBER is a Uint64;
  builtins/aggregation.md: `COUNT(*)->Uint64`, `SUM(Signed?)->Int64?`;
- yt/docs/en/yql/syntax/select/operators.md, "By name and by position modes": UNION ALL
  matches columns by name unless PRAGMA PositionalUnionAll; the result has every column of
  any part, Optional (NULL) where a part lacks it: `SELECT 1 AS x UNION ALL SELECT 2 AS y`
  is two columns, x and y; "if a column in different input tables had a heterogeneous
  type, for example, string and numeric, an error is raised".
"""

from __future__ import annotations

import pytest

from yt_pipeline.errors import QueryFailed

pytest.importorskip("duckdb", reason="dev runs YQL on DuckDB")

SCHEMA = [{"name": "g", "type": "string"}, {"name": "day", "type": "int64"},
          {"name": "v", "type": "int64"}]
# three rows tied on `day` in group a, with the same value: a frame of ROWS gives each one
# more row than the one before, whatever order the ties take
ROWS = [{"g": "a", "day": 1, "v": 5}, {"g": "a", "day": 1, "v": 5},
        {"g": "a", "day": 1, "v": 5}, {"g": "a", "day": 2, "v": 1},
        {"g": "b", "day": 1, "v": 7}]


@pytest.fixture
def dev(dev_client):
    dev_client.create_path("//in/t", "table", schema=SCHEMA)
    dev_client.write_table("//in/t", ROWS)
    return dev_client


def columns(dev, path):
    return {c["name"]: (c["type"], c["required"])
            for c in dev.declared_schema(path)["columns"]}


@pytest.mark.parametrize("window", [
    "WINDOW w AS (PARTITION BY g ORDER BY day)",
    "WINDOW w AS (PARTITION BY g ORDER BY day DESC)",
])
def test_a_window_ordered_without_a_frame_runs_row_by_row(dev, window):
    dev.run_yql("INSERT INTO `//out/w` WITH TRUNCATE SELECT g, day, SUM(v) OVER w AS s, "
                f"COUNT(*) OVER w AS c FROM `//in/t` {window}")
    assert columns(dev, "//out/w") == {"g": ("string", False), "day": ("int64", False),
                                       "s": ("int64", False), "c": ("uint64", True)}
    got = sorted((r["g"], r["day"], r["s"], r["c"]) for r in dev.read_table("//out/w"))
    # RANGE (the default dev had) gave each tied row of a the whole tie: s 15, c 3 thrice
    if "DESC" in window:
        assert got == [("a", 1, 6, 2), ("a", 1, 11, 3), ("a", 1, 16, 4),
                       ("a", 2, 1, 1), ("b", 1, 7, 1)]
    else:
        assert got == [("a", 1, 5, 1), ("a", 1, 10, 2), ("a", 1, 15, 3),
                       ("a", 2, 16, 4), ("b", 1, 7, 1)]


def test_an_inline_window_ordered_without_a_frame_runs_row_by_row(dev):
    got = dev.run_yql("SELECT day, SUM(v) OVER (ORDER BY day) AS s FROM `//in/t` "
                      "WHERE g = 'a'")
    assert sorted((r["day"], r["s"]) for r in got) == [(1, 5), (1, 10), (1, 15), (2, 16)]


def test_a_frame_of_the_querys_own_and_an_unordered_window_are_kept(dev):
    got = dev.run_yql(
        "SELECT day, SUM(v) OVER (ORDER BY day RANGE BETWEEN UNBOUNDED PRECEDING AND "
        "CURRENT ROW) AS peers, SUM(v) OVER (PARTITION BY g) AS whole, "
        "ROW_NUMBER() OVER (ORDER BY day) AS n FROM `//in/t` WHERE g = 'a'")
    assert sorted((r["day"], r["peers"], r["whole"], r["n"]) for r in got) == [
        (1, 15, 16, 1), (1, 15, 16, 2), (1, 15, 16, 3), (2, 16, 16, 4)]


def test_union_all_matches_columns_by_name(dev):
    dev.run_yql("INSERT INTO `//out/u` WITH TRUNCATE "
                "SELECT g, v FROM `//in/t` WHERE g = 'b' "
                "UNION ALL SELECT v + 1 AS v, g FROM `//in/t` WHERE g = 'b' "
                "UNION ALL SELECT day AS other FROM `//in/t` WHERE g = 'b'")
    # positional, dev put the second part's v under g and lost the column `other`
    assert columns(dev, "//out/u") == {"g": ("string", False), "v": ("int64", False),
                                       "other": ("int64", False)}
    assert sorted(dev.read_table("//out/u"), key=repr) == sorted([
        {"g": "b", "v": 7, "other": None}, {"g": "b", "v": 8, "other": None},
        {"g": None, "v": None, "other": 1}], key=repr)


def test_union_all_of_literals_of_other_names_gives_each_name_a_column(dev):
    got = dev.run_yql("SELECT 1 AS x UNION ALL SELECT 2 AS y UNION ALL SELECT 3 AS z")
    assert sorted(got, key=repr) == sorted([{"x": 1, "y": None, "z": None},
                                            {"x": None, "y": 2, "z": None},
                                            {"x": None, "y": None, "z": 3}], key=repr)


def test_union_without_all_matches_by_name_and_drops_the_repeats(dev):
    got = dev.run_yql("SELECT g, day FROM `//in/t` UNION SELECT day, g FROM `//in/t`")
    assert sorted((r["g"], r["day"]) for r in got) == [("a", 1), ("a", 2), ("b", 1)]


def test_union_all_under_the_positional_pragma_stays_positional(dev):
    got = dev.run_yql("PRAGMA PositionalUnionAll; "
                      "SELECT 1 AS x UNION ALL SELECT 2 AS y UNION ALL SELECT 3 AS z")
    assert sorted(r["x"] for r in got) == [1, 2, 3] and all(list(r) == ["x"] for r in got)


@pytest.mark.parametrize("query", [
    "SELECT 1 AS a UNION ALL SELECT 'x' AS a",
    "SELECT g AS a FROM `//in/t` UNION ALL SELECT day AS a FROM `//in/t`",
    "INSERT INTO `//out/m` WITH TRUNCATE SELECT v AS a FROM `//in/t` "
    "UNION ALL SELECT g AS a FROM `//in/t`",
])
def test_union_all_of_a_number_and_a_string_in_one_column_is_refused(dev, query):
    # DuckDB made the column a VARCHAR: dev gave strings where a cluster fails
    with pytest.raises(QueryFailed, match=r"^YQL: UNION ALL gives column a types with no "
                                          r"common type: \w+ in one part, \w+ in another"):
        dev.run_yql(query)
    assert not dev.exists("//out/m")


def test_union_all_of_numbers_of_two_types_runs(dev):
    got = dev.run_yql("SELECT 1 AS a UNION ALL SELECT day AS a FROM `//in/t` WHERE g = 'b' "
                      "UNION ALL SELECT 2.5 AS a")
    assert sorted(r["a"] for r in got) == [1, 1, 2.5]
